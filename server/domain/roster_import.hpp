#pragma once
// Applies a parsed roster to the database in one transaction: all rows or none.
#include <string>
#include <vector>

#include "domain/roster_csv.hpp"
#include "domain/school.hpp"

namespace parta::domain {

// A secret to hand out on paper; shown once, only its hash is kept.
struct Credential {
  std::string name;
  std::string class_name;  // for students; "" otherwise
  Role role = Role::student;
  std::string login;
  std::string secret;
  bool pin = false;
};

struct ImportReport {
  int created = 0;
  int updated = 0;
  int parents_created = 0;
  int classes_created = 0;
  int ids_generated = 0;                    // students whose ID the import made up
  std::vector<std::string> unused_columns;  // the file's columns the import does not use
  std::vector<Credential> credentials;      // new accounts only
  std::vector<Message> errors;              // non-empty = nothing was imported
  bool ok() const { return errors.empty(); }
};

// Students are matched by their student ID (which never changes): existing ones move class and get
// their paper flag updated; new ones get a login and a PIN. A student the file gives no ID is
// matched by the ID made from class, name and date of birth, else as the same person: the same
// name and date of birth in any class (promoted), or without a date the same name in the same
// class or the one a grade below with the same letter, when exactly one student fits. A real ID
// replaces one the import made up. Parents (up to two a row) are matched by full name and phone;
// new ones get a password.
ImportReport import_roster(storage::Connection& c, const Clock& clock, const RosterParse& parsed);

}  // namespace parta::domain
