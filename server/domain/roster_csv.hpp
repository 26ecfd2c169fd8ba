// Parses a school's roster export (CSV from the district journal or Excel) into validated rows,
// or into the full list of problems an admin must fix; the caller imports all-or-nothing.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/message.hpp"  // Message: an English msgid with {placeholders} + args

namespace parta::domain {

struct RosterRow {
  int line = 0;  // line number in the file, header is line 1
  // Normalised: "5А", "11Б" (digits + one uppercase Cyrillic letter, no spaces).
  std::string class_name;
  std::string last_name, first_name, middle_name;  // middle_name may be empty
  std::string student_no;                          // the unique student ID (trimmed), required
  std::string login;         // optional, lowercased; empty = caller generates one
  bool paper = false;        // student has no device: gets paper packets
  std::string parent_name;   // optional full name of one parent
  std::string parent_phone;  // optional, normalised to digits with leading '+' kept
};

struct RosterParse {
  std::vector<RosterRow> rows;  // valid only when errors is empty
  std::vector<Message> errors;  // every problem found (cap at 50, then one "and more" message)
  std::string encoding;         // "UTF-8" or "Windows-1251" (what was detected)
  char delimiter = ';';
  bool ok() const { return errors.empty(); }
};

inline constexpr std::size_t kMaxRosterBytes = 4 * 1024 * 1024;
inline constexpr std::size_t kMaxRosterRows = 5000;

RosterParse parse_roster_csv(std::string_view bytes);

}  // namespace parta::domain
