#include "domain/roster_import.hpp"

#include <set>
#include <sstream>

#include "domain/csv_reader.hpp"

namespace parta::domain {

namespace {

struct NameParts {
  std::string last, first, middle;
};

std::optional<NameParts> split_name(const std::string& full) {
  std::istringstream in(full);
  std::vector<std::string> parts;
  for (std::string w; in >> w;) parts.push_back(w);
  if (parts.size() == 4 && turkic_patronymic_ending(parts[3])) {
    parts[2] += " " + parts[3];
    parts.pop_back();
  }
  if (parts.size() < 2 || parts.size() > 3) return std::nullopt;
  return NameParts{parts[0], parts[1], parts.size() == 3 ? parts[2] : ""};
}

std::string folded_name(std::string_view last, std::string_view first, std::string_view middle) {
  return csv::fold_case(std::string(last) + " " + std::string(first) + " " + std::string(middle));
}

// The one student already here who is this row's person without the row's ID (see the header).
std::optional<std::int64_t> same_person(storage::Connection& c, const RosterRow& row,
                                        std::int64_t class_id) {
  std::string want = folded_name(row.last_name, row.first_name, row.middle_name);
  std::vector<std::int64_t> found;
  auto take = [&](storage::Query q) {
    while (q.next())
      if (folded_name(q.text(1), q.text(2), q.text(3)) == want) found.push_back(q.integer(0));
  };
  const char* kSelect =
      "SELECT s.user_id, u.last_name, u.first_name, u.middle_name, s.id_generated FROM students s "
      "JOIN users u ON u.id = s.user_id ";
  if (!row.birth_date.empty()) {
    take(c.query(std::string(kSelect) + "WHERE s.birth_date = ?1", row.birth_date));
    if (found.size() == 1) return found[0];
    found.clear();
  }
  // The same class, then last year's: "6А" was "5А".
  std::vector<std::int64_t> classes{class_id};
  auto k = find_class(c, class_id);
  if (k && k->grade > 1) {
    std::string earlier =
        std::to_string(k->grade - 1) + k->name.substr(std::to_string(k->grade).size());
    if (auto before = find_class_by_name(c, earlier)) classes.push_back(before->id);
  }
  for (auto id : classes) {
    take(c.query(std::string(kSelect) + "WHERE s.class_id = ?1 AND (s.birth_date = '' OR ?2 = '')",
                 id, row.birth_date));
    if (found.size() == 1) return found[0];
    if (found.size() > 1) return std::nullopt;  // two of the same name: not a guess to make
  }
  return std::nullopt;
}

// The student already here who is this row's person: by ID, else by name (and date of birth) when
// one of the two IDs was made up by an import.
std::optional<std::int64_t> existing_student(storage::Connection& c, const RosterRow& row,
                                             std::int64_t class_id) {
  if (auto s = find_student_by_no(c, row.student_no)) return s->user.id;
  auto person = same_person(c, row, class_id);
  // A real ID only takes over a student whose ID the import made up: another real ID is another
  // person.
  if (person &&
      (row.student_no_generated ||
       c.scalar("SELECT id_generated FROM students WHERE user_id = ?1", *person).value_or(0) != 0))
    return person;
  return std::nullopt;
}

std::optional<std::int64_t> existing_parent(storage::Connection& c, const NameParts& n,
                                            const std::string& phone) {
  return c.scalar(
      "SELECT id FROM users WHERE role = 'parent' AND last_name = ?1 AND first_name = ?2 "
      "AND middle_name = ?3 AND phone = ?4 ORDER BY id LIMIT 1",
      n.last, n.first, n.middle, phone);
}

// Secrets for the people the file will add, hashed before the write transaction (a whole school
// is hundreds of argon2id hashes: seconds the database's writers would otherwise wait). Counted
// from what the database holds now; a count too high costs only hashing, and one too low (the
// roster changed meanwhile) is made up inside.
struct SecretPool {
  std::vector<HashedSecret> pins, passwords;
  HashedSecret take(SecretKind kind) {
    auto& pool = kind == SecretKind::pin ? pins : passwords;
    if (pool.empty()) return new_secret(kind);
    HashedSecret s = std::move(pool.back());
    pool.pop_back();
    return s;
  }
};

SecretPool prepare_secrets(storage::Connection& c, const RosterParse& parsed) {
  std::size_t pins = 0, passwords = 0;
  std::set<std::string> parents;
  for (const RosterRow& row : parsed.rows) {
    auto k = find_class_by_name(c, row.class_name);
    if (!existing_student(c, row, k ? k->id : 0)) ++pins;
    for (const auto& [name, phone] : {std::pair{row.parent_name, row.parent_phone},
                                      std::pair{row.parent2_name, row.parent2_phone}}) {
      auto parts = name.empty() ? std::nullopt : split_name(name);
      if (!parts || existing_parent(c, *parts, phone)) continue;
      if (parents.insert(parts->last + "\n" + parts->first + "\n" + parts->middle + "\n" + phone)
              .second)
        ++passwords;
    }
  }
  SecretPool pool;
  for (std::size_t i = 0; i < pins; ++i) pool.pins.push_back(new_secret(SecretKind::pin));
  for (std::size_t i = 0; i < passwords; ++i)
    pool.passwords.push_back(new_secret(SecretKind::password));
  return pool;
}

Message at_line(int line, std::string msgid,
                std::vector<std::pair<std::string, std::string>> args) {
  args.insert(args.begin(), {"line", std::to_string(line)});
  return Message{std::move(msgid), std::move(args)};
}

}  // namespace

ImportReport import_roster(storage::Connection& c, const Clock& clock, const RosterParse& parsed) {
  ImportReport rep;
  if (!parsed.ok()) {
    rep.errors = parsed.errors;
    return rep;
  }
  SecretPool secrets = prepare_secrets(c, parsed);
  storage::Transaction tx(c);
  std::vector<Credential> creds;
  for (const RosterRow& row : parsed.rows) {
    // Class
    std::int64_t class_id;
    if (auto k = find_class_by_name(c, row.class_name)) {
      class_id = k->id;
    } else {
      class_id = create_class(c, row.class_name);
      ++rep.classes_created;
    }
    // Student
    std::int64_t student_id;
    std::optional<std::int64_t> here = existing_student(c, row, class_id);
    if (here) {
      student_id = *here;
      update_student(c, student_id, class_id, row.paper);
      c.run("UPDATE users SET last_name = ?1, first_name = ?2, middle_name = ?3 WHERE id = ?4",
            row.last_name, row.first_name, row.middle_name, student_id);
      if (!row.student_no_generated)
        c.run("UPDATE students SET student_no = ?1, id_generated = 0 WHERE user_id = ?2",
              row.student_no, student_id);
      ++rep.updated;
    } else {
      if (!row.login.empty() && find_user_by_login(c, row.login)) {
        rep.errors.push_back(
            at_line(row.line, "Line {line}: the login \"{login}\" already belongs to someone else.",
                    {{"login", row.login}}));
        continue;
      }
      NewUser u{
          row.login, row.last_name, row.first_name, row.middle_name, Role::student, SecretKind::pin,
          ""};
      HashedSecret pin = secrets.take(SecretKind::pin);
      student_id = create_student(c, clock, u, row.student_no, class_id, row.paper, pin);
      c.run("UPDATE students SET id_generated = ?1 WHERE user_id = ?2", row.student_no_generated,
            student_id);
      auto made = find_user(c, student_id);
      creds.push_back(
          {made->full_name(), row.class_name, Role::student, made->login, pin.plain, true});
      ++rep.created;
      if (row.student_no_generated) ++rep.ids_generated;
    }
    if (!row.birth_date.empty())
      c.run("UPDATE students SET birth_date = ?1 WHERE user_id = ?2", row.birth_date, student_id);
    // Parents
    for (const auto& [name, phone] : {std::pair{row.parent_name, row.parent_phone},
                                      std::pair{row.parent2_name, row.parent2_phone}}) {
      if (name.empty()) continue;
      auto parts = split_name(name);
      if (!parts) {
        rep.errors.push_back(at_line(
            row.line, "Line {line}: the parent's name must be \"Last First [Middle]\".", {}));
        break;
      }
      auto existing = existing_parent(c, *parts, phone);
      std::int64_t parent_id;
      if (existing) {
        parent_id = *existing;
      } else {
        NewUser p{"",           parts->last,          parts->first, parts->middle,
                  Role::parent, SecretKind::password, phone};
        HashedSecret pw = secrets.take(SecretKind::password);
        parent_id = create_user(c, clock, p, pw);
        auto made = find_user(c, parent_id);
        creds.push_back({made->full_name(), "", Role::parent, made->login, pw.plain, false});
        ++rep.parents_created;
      }
      link_parent(c, parent_id, student_id);
    }
  }
  if (!rep.errors.empty()) return rep;  // the transaction rolls back
  tx.commit();
  rep.credentials = std::move(creds);
  rep.unused_columns = parsed.unused_columns;
  return rep;
}

}  // namespace parta::domain
