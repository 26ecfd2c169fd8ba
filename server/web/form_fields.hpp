#pragma once
// Reading form fields in views, the same way everywhere: trimmed, length-capped (a longer value
// than our forms allow is a 400), IDs as positive integers.
#include <cstdint>
#include <optional>
#include <string>

#include "web/app.hpp"

namespace parta::web {

std::string trim(std::string s);
// The form field, trimmed; over max_len is BadRequest.
std::string field(Ctx& ctx, const char* name, std::size_t max_len = 200);
// A positive integer ID in text, or nullopt.
std::optional<std::int64_t> parse_id(const std::string& v);

}  // namespace parta::web
