// Parses a school's roster export (CSV from the district journal or Excel) into validated rows,
// or into the full list of problems an admin must fix; the caller imports all-or-nothing.
#pragma once
#include <cstddef>
#include <optional>
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
  // The unique student ID (trimmed). A file without one (most exports have none) gets an ID
  // generated from the class, the full name and the date of birth, the same on every re-import.
  std::string student_no;
  std::string login;         // optional, lowercased; empty = caller generates one
  bool paper = false;        // student has no device: gets paper packets
  std::string parent_name;   // optional full name of a parent (or the mother)
  std::string parent_phone;  // optional, normalised to digits with leading '+' kept
  std::string parent2_name;  // optional second parent (the father's columns)
  std::string parent2_phone;
  std::string birth_date;  // optional, ISO "2014-03-05"
  bool student_no_generated = false;
};

struct RosterParse {
  std::vector<RosterRow> rows;  // valid only when errors is empty
  std::vector<Message> errors;  // every problem found (cap at 50, then one "and more" message)
  std::string encoding;         // "UTF-8" or "Windows-1251" (what was detected)
  char delimiter = ';';
  // The header's columns that mean nothing to the import ("№", "Пол", "СНИЛС"), as written:
  // the result names them, so nothing is dropped without the admin knowing.
  std::vector<std::string> unused_columns;
  bool ids_generated = false;  // some or all student IDs were made by the import
  bool ok() const { return errors.empty(); }
};

inline constexpr std::size_t kMaxRosterBytes = 4 * 1024 * 1024;
inline constexpr std::size_t kMaxRosterRows = 5000;

RosterParse parse_roster_csv(std::string_view bytes);

// The ID a student without one in the file gets: "G-" and 8 characters of a hash of the class,
// the full name (case, ё/е and spaces folded) and the date of birth if known.
std::string generated_student_no(std::string_view class_name, std::string_view last,
                                 std::string_view first, std::string_view middle,
                                 std::string_view birth_date);
// "оглы", "кызы" and the like: the second word of a Turkic patronymic ("Рашид оглы").
bool turkic_patronymic_ending(std::string_view word);
// A date as schools write it (05.03.2014, 5.3.2014, 05.03.14, 2014-03-05, 05/03/2014) as ISO
// "2014-03-05"; nullopt when it is not a real date.
std::optional<std::string> parse_birth_date(std::string_view value);

}  // namespace parta::domain
