#pragma once
// Tables as downloads: CSV the way Russian Excel opens it (UTF-8 with a BOM, ";" separators), with
// cells that could run as spreadsheet formulas defused.
#include <string>
#include <vector>

#include "http/response.hpp"

namespace parta::web {

using Table = std::vector<std::vector<std::string>>;

std::string csv_cell(const std::string& v);
std::string to_csv(const Table& t);
// `name` is the file name without ".csv" (any language; sent RFC 5987-encoded).
http::Response csv_download(const Table& t, const std::string& name);

}  // namespace parta::web
