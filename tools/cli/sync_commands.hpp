#pragma once
// `parta sync ...` (a school box) and `parta district ...` (the district hub): enrollment,
// bundles to and from a USB stick or a file, status, and the canonical dump tests compare.
#include <map>
#include <string>
#include <vector>

#include "web/i18n.hpp"

namespace parta::cli {

struct SyncArgs {
  std::string data;
  web::Lang lang = web::Lang::ru;
  std::vector<std::string> words;
  std::map<std::string, std::string> flags;
};

int run_sync(SyncArgs& a);
int run_district(SyncArgs& a);

}  // namespace parta::cli
