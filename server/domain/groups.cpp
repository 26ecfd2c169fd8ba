#include "domain/groups.hpp"

#include "content/utf8.hpp"

namespace parta::domain {

namespace {
constexpr const char* kSelect =
    "SELECT g.id, g.owner_id, g.name, u.last_name || ' ' || u.first_name, "
    "(SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id) "
    "FROM groups g JOIN users u ON u.id = g.owner_id ";

Group from(const storage::Query& q) {
  return Group{q.integer(0), q.integer(1), q.text(2), q.text(3), static_cast<int>(q.integer(4))};
}
}  // namespace

std::optional<Message> check_group_name(const std::string& name) {
  if (name.empty()) return Message{"Enter the group's name.", {}};
  if (text::char_count(name) > kMaxGroupName) return Message{"The name is too long.", {}};
  return std::nullopt;
}

std::int64_t create_group(storage::Connection& c, const Clock& clock, std::int64_t owner,
                          const std::string& name) {
  c.run("INSERT INTO groups (name, owner_id, created_at) VALUES (?1, ?2, ?3)", name, owner,
        clock.now());
  return c.last_insert_id();
}

void delete_group(storage::Connection& c, std::int64_t id) {
  c.run("DELETE FROM groups WHERE id = ?1", id);
}

std::optional<Group> find_group(storage::Connection& c, std::int64_t id) {
  auto q = c.query(std::string(kSelect) + "WHERE g.id = ?1", id);
  if (!q.next()) return std::nullopt;
  return from(q);
}

std::vector<Group> groups_of(storage::Connection& c, const User& u) {
  std::vector<Group> out;
  auto q = c.query(std::string(kSelect) +
                       "WHERE ?2 OR g.owner_id = ?1 OR g.id IN "
                       "(SELECT group_id FROM group_members WHERE user_id = ?1) ORDER BY g.name",
                   u.id, u.role == Role::admin);
  while (q.next()) out.push_back(from(q));
  return out;
}

bool can_manage(const User& u, const Group& g) {
  return u.role == Role::admin || u.id == g.owner_id;
}

bool is_in_group(storage::Connection& c, const User& u, const Group& g) {
  return u.id == g.owner_id ||
         c.scalar("SELECT 1 FROM group_members WHERE group_id = ?1 AND user_id = ?2", g.id, u.id)
             .has_value();
}

std::vector<User> group_members(storage::Connection& c, std::int64_t group_id) {
  std::vector<User> out;
  auto q = c.query("SELECT " PARTA_USER_COLUMNS(
                       "u") " FROM group_members m JOIN users u ON u.id = m.user_id "
                            "WHERE m.group_id = ?1 ORDER BY u.role, u.last_name, u.first_name",
                   group_id);
  while (q.next()) out.push_back(user_from_row(q, 0));
  return out;
}

bool may_add(storage::Connection& c, const User& manager, const User& who) {
  if (manager.role == Role::admin) return true;
  if (manager.role != Role::teacher) return false;
  switch (who.role) {
    case Role::admin:
    case Role::teacher:
      return true;
    case Role::student:
      return can_view_student(c, manager, who.id);
    case Role::parent:
      for (const auto& child : children_of(c, who.id))
        if (can_view_student(c, manager, child.user.id)) return true;
      return false;
  }
  return false;
}

bool add_member(storage::Connection& c, const User& manager, std::int64_t group_id,
                std::int64_t user_id) {
  auto who = find_user(c, user_id);
  if (!who || !may_add(c, manager, *who)) return false;
  c.run("INSERT OR IGNORE INTO group_members (group_id, user_id) VALUES (?1, ?2)", group_id,
        user_id);
  return true;
}

void remove_member(storage::Connection& c, std::int64_t group_id, std::int64_t user_id) {
  c.run("DELETE FROM group_members WHERE group_id = ?1 AND user_id = ?2", group_id, user_id);
}

int add_class(storage::Connection& c, std::int64_t group_id, std::int64_t class_id, Role who) {
  if (who == Role::student)
    c.run(
        "INSERT OR IGNORE INTO group_members (group_id, user_id) "
        "SELECT ?1, user_id FROM students WHERE class_id = ?2",
        group_id, class_id);
  else
    c.run(
        "INSERT OR IGNORE INTO group_members (group_id, user_id) SELECT DISTINCT ?1, "
        "pc.parent_id FROM parent_child pc JOIN students s ON s.user_id = pc.student_id "
        "WHERE s.class_id = ?2",
        group_id, class_id);
  return c.changes();
}

}  // namespace parta::domain
