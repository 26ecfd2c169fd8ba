#include "domain/roster_import.hpp"

#include <sstream>

namespace parta::domain {

namespace {

struct NameParts {
  std::string last, first, middle;
};

std::optional<NameParts> split_name(const std::string& full) {
  std::istringstream in(full);
  std::vector<std::string> parts;
  for (std::string w; in >> w;) parts.push_back(w);
  if (parts.size() < 2 || parts.size() > 3) return std::nullopt;
  return NameParts{parts[0], parts[1], parts.size() == 3 ? parts[2] : ""};
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
    if (auto s = find_student_by_no(c, row.student_no)) {
      student_id = s->user.id;
      update_student(c, student_id, class_id, row.paper);
      c.run("UPDATE users SET last_name = ?1, first_name = ?2, middle_name = ?3 WHERE id = ?4",
            row.last_name, row.first_name, row.middle_name, student_id);
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
      std::string pin = generate_pin();
      student_id = create_student(c, clock, u, row.student_no, class_id, row.paper, pin);
      auto made = find_user(c, student_id);
      creds.push_back({made->full_name(), row.class_name, Role::student, made->login, pin, true});
      ++rep.created;
    }
    // Parent
    if (!row.parent_name.empty()) {
      auto parts = split_name(row.parent_name);
      if (!parts) {
        rep.errors.push_back(at_line(
            row.line, "Line {line}: the parent's name must be \"Last First [Middle]\".", {}));
        continue;
      }
      auto existing = c.scalar(
          "SELECT id FROM users WHERE role = 'parent' AND last_name = ?1 AND first_name = ?2 "
          "AND middle_name = ?3 AND phone = ?4 ORDER BY id LIMIT 1",
          parts->last, parts->first, parts->middle, row.parent_phone);
      std::int64_t parent_id;
      if (existing) {
        parent_id = *existing;
      } else {
        NewUser p{"",           parts->last,          parts->first,    parts->middle,
                  Role::parent, SecretKind::password, row.parent_phone};
        std::string pw = generate_password();
        parent_id = create_user(c, clock, p, pw);
        auto made = find_user(c, parent_id);
        creds.push_back({made->full_name(), "", Role::parent, made->login, pw, false});
        ++rep.parents_created;
      }
      link_parent(c, parent_id, student_id);
    }
  }
  if (!rep.errors.empty()) return rep;  // the transaction rolls back
  tx.commit();
  rep.credentials = std::move(creds);
  return rep;
}

}  // namespace parta::domain
