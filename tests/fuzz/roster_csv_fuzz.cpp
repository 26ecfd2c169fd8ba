// libFuzzer target for the roster CSV parser: an admin uploads these files, so any bytes must give
// either valid rows or a bounded list of messages, never a crash.
// Build and run from the repository root (the corpus is the fixtures; see make_fixtures.sh):
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I server
//     server/domain/roster_csv.cpp tests/fuzz/roster_csv_fuzz.cpp -lcsv -o /tmp/roster_fuzz
//   /tmp/roster_fuzz -max_total_time=60 <scratch dir> tests/fuzz/corpus/roster_csv
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "content/utf8.hpp"
#include "domain/roster_csv.hpp"

namespace {

void check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "roster_csv invariant broken: %s\n", what);
    std::abort();
  }
}

using parta::text::is_valid_utf8;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using parta::domain::parse_roster_csv;
  const parta::domain::RosterParse r =
      parse_roster_csv(std::string_view(reinterpret_cast<const char*>(data), size));

  check(r.encoding.empty() || r.encoding == "UTF-8" || r.encoding == "Windows-1251", "encoding");
  check(r.delimiter == ';' || r.delimiter == ',', "delimiter");
  check(r.errors.size() <= 51, "at most 50 errors and one \"and more\"");
  for (const auto& e : r.errors) {
    check(!e.msgid.empty(), "error has a msgid");
    for (const auto& [key, value] : e.args) {
      check(!key.empty() && is_valid_utf8(value), "message args are UTF-8");
    }
  }

  if (!r.ok()) {
    check(r.rows.empty(), "all-or-nothing: no rows with errors");
    return 0;
  }
  check(!r.rows.empty(), "ok() means there is at least one student");
  check(r.rows.size() <= parta::domain::kMaxRosterRows, "row limit");
  int previous_line = 1;  // the header
  std::set<std::string> student_nos, logins;
  for (const auto& row : r.rows) {
    check(row.line > previous_line, "line numbers increase");
    previous_line = row.line;
    check(!row.class_name.empty() && !row.last_name.empty() && !row.first_name.empty() &&
              !row.student_no.empty(),
          "required fields are present");
    for (const std::string* field :
         {&row.class_name, &row.last_name, &row.first_name, &row.middle_name, &row.student_no,
          &row.login, &row.parent_name, &row.parent_phone}) {
      check(is_valid_utf8(*field), "fields are UTF-8");
      for (char c : *field) check(static_cast<unsigned char>(c) >= 0x20, "no control characters");
    }
    check(row.class_name[0] >= '1' && row.class_name[0] <= '9', "class starts with its number");
    check(student_nos.insert(row.student_no).second, "student IDs are unique");
    check(row.login.empty() || logins.insert(row.login).second, "logins are unique");
    for (char c : row.parent_phone) check(c == '+' || (c >= '0' && c <= '9'), "phone normalised");
  }
  return 0;
}
