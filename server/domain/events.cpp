#include "domain/events.hpp"

#include "content/utf8.hpp"
#include "domain/schedule.hpp"

namespace parta::domain {

namespace {
constexpr const char* kSelect =
    "SELECT e.id, e.author_id, e.class_id, e.group_id, e.title, e.day, e.starts, e.ends, e.place, "
    "e.link, e.note, u.last_name || ' ' || u.first_name, COALESCE(k.name, g.name, '') "
    "FROM events e JOIN users u ON u.id = e.author_id LEFT JOIN classes k ON k.id = e.class_id "
    "LEFT JOIN groups g ON g.id = e.group_id ";

Event from(const storage::Query& q) {
  Event e;
  e.id = q.integer(0);
  e.author_id = q.integer(1);
  e.class_id = q.opt_integer(2);
  e.group_id = q.opt_integer(3);
  e.title = q.text(4);
  e.day = q.text(5);
  e.starts = q.text(6);
  e.ends = q.text(7);
  e.place = q.text(8);
  e.link = q.text(9);
  e.note = q.text(10);
  e.author_name = q.text(11);
  e.audience_name = q.text(12);
  return e;
}

bool web_link(const std::string& s) {
  return s.rfind("https://", 0) == 0 || s.rfind("http://", 0) == 0;
}
}  // namespace

std::optional<Message> check_event(const NewEvent& e) {
  if (e.title.empty()) return Message{"Enter what the event is.", {}};
  if (text::char_count(e.title) > 200 || text::char_count(e.place) > 200 ||
      text::char_count(e.note) > 2000 || e.link.size() > 500)
    return Message{"A field in the form is too long.", {}};
  if (!valid_day(e.day)) return Message{"Enter a real date.", {}};
  if (!valid_time(e.starts)) return Message{"Enter the time as hours:minutes, e.g. 18:00.", {}};
  if (!e.ends.empty() && (!valid_time(e.ends) || e.ends <= e.starts))
    return Message{"The event must end after it starts.", {}};
  if (!e.link.empty() && !web_link(e.link))
    return Message{"The link must start with https:// or http://.", {}};
  return std::nullopt;
}

std::int64_t add_event(storage::Connection& c, std::int64_t author, const NewEvent& e) {
  c.run(
      "INSERT INTO events (title, day, starts, ends, place, link, note, author_id, class_id, "
      "group_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
      e.title, e.day, e.starts, e.ends, e.place, e.link, e.note, author, e.class_id, e.group_id);
  return c.last_insert_id();
}

std::optional<Event> find_event(storage::Connection& c, std::int64_t id) {
  auto q = c.query(std::string(kSelect) + "WHERE e.id = ?1", id);
  if (!q.next()) return std::nullopt;
  return from(q);
}

void delete_event(storage::Connection& c, std::int64_t id) {
  c.run("DELETE FROM events WHERE id = ?1", id);
}

bool can_delete(const User& u, const Event& e) {
  return u.role == Role::admin || u.id == e.author_id;
}

std::vector<Event> events_for(storage::Connection& c, const User& u, const std::string& from_day,
                              const std::string& to_day) {
  std::vector<Event> out;
  auto q = c.query(
      std::string(kSelect) +
          "WHERE e.day BETWEEN ?1 AND ?2 AND (?3 OR (e.class_id IS NULL AND e.group_id IS NULL) "
          "OR e.class_id IN (" PARTA_CLASSES_OF("?4") ") "
          "OR e.group_id IN (SELECT group_id FROM group_members WHERE user_id = ?4 "
          "  UNION SELECT id FROM groups WHERE owner_id = ?4)) "
          "ORDER BY e.day, e.starts, e.id",
      from_day, to_day, u.role == Role::admin, u.id);
  while (q.next()) out.push_back(from(q));
  return out;
}

}  // namespace parta::domain
