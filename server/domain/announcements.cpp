#include "domain/announcements.hpp"

#include <map>

#include <algorithm>
#include <set>

#include "content/utf8.hpp"

namespace parta::domain {

namespace {

constexpr const char* kSelect =
    "SELECT a.id, a.author_id, a.class_id, u.last_name || ' ' || u.first_name || ' ' || "
    "u.middle_name, COALESCE(c.name, ''), a.title, a.body, a.pinned, a.distance, a.created_at "
    "FROM announcements a JOIN users u ON u.id = a.author_id "
    "LEFT JOIN classes c ON c.id = a.class_id ";

Announcement from(const storage::Query& q) {
  Announcement a;
  a.id = q.integer(0);
  a.author_id = q.integer(1);
  a.class_id = q.opt_integer(2);
  a.author_name = q.text(3);
  a.class_name = q.text(4);
  a.title = q.text(5);
  a.body = q.text(6);
  a.pinned = q.integer(7) != 0;
  a.distance = q.integer(8) != 0;
  a.created_at = q.integer(9);
  return a;
}

}  // namespace

std::vector<ClassInfo> postable_classes(storage::Connection& c, const User& u) {
  return viewable_classes(c, u);
}

bool can_post_school_wide(const User& u) { return u.role == Role::admin; }

std::optional<Message> check_announcement(const std::string& title, const std::string& body) {
  if (title.empty()) return Message{"Enter the announcement's title.", {}};
  if (text::char_count(title) > kMaxAnnouncementTitle) return Message{"The title is too long.", {}};
  if (text::char_count(body) > kMaxAnnouncementBody) return Message{"The text is too long.", {}};
  return std::nullopt;
}

std::int64_t post_announcement(storage::Connection& c, const Clock& clock, std::int64_t author,
                               std::optional<std::int64_t> class_id, const std::string& title,
                               const std::string& body, bool pinned, bool distance) {
  c.run(
      "INSERT INTO announcements (author_id, class_id, title, body, pinned, distance, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
      author, class_id, title, body, pinned, distance, clock.now());
  return c.last_insert_id();
}

std::optional<Announcement> find_announcement(storage::Connection& c, std::int64_t id) {
  auto q = c.query(std::string(kSelect) + "WHERE a.id = ?1", id);
  if (!q.next()) return std::nullopt;
  return from(q);
}

void delete_announcement(storage::Connection& c, std::int64_t id) {
  c.run("DELETE FROM announcements WHERE id = ?1", id);
}

bool can_delete(const User& u, const Announcement& a) {
  return u.role == Role::admin || u.id == a.author_id;
}

std::vector<Announcement> announcements_for(storage::Connection& c, const User& u,
                                            std::size_t limit) {
  std::vector<Announcement> out;
  // Newest by id, not by clock: the box's clock may have jumped. The index on (pinned, id) is read
  // newest first and the reading stops at the limit.
  auto q = c.query(std::string(kSelect) +
                       "WHERE ?2 OR a.class_id IS NULL OR a.class_id IN (" PARTA_CLASSES_OF("?1") ") "
                       "ORDER BY a.pinned DESC, a.id DESC LIMIT ?3",
                   u.id, u.role == Role::admin, static_cast<std::int64_t>(limit));
  while (q.next()) out.push_back(from(q));
  return out;
}

bool school_distance(storage::Connection& c) {
  return c.scalar("SELECT distance FROM school WHERE id = 1").value_or(0) != 0;
}

void set_school_distance(storage::Connection& c, bool on, const std::string& from) {
  c.run("UPDATE school SET distance = ?1, distance_from = ?2 WHERE id = 1", on,
        on && !from.empty() ? std::optional<std::string>(from) : std::nullopt);
}

void set_class_distance(storage::Connection& c, std::int64_t class_id, bool on,
                        const std::string& from) {
  c.run("UPDATE classes SET distance = ?1, distance_from = ?3 WHERE id = ?2", on, class_id,
        on && !from.empty() ? std::optional<std::string>(from) : std::nullopt);
}

DistanceState distance_state(storage::Connection& c) {
  DistanceState d;
  auto q = c.query(
      "SELECT 0, distance, COALESCE(distance_from, '') FROM school WHERE id = 1 UNION ALL "
      "SELECT id, distance, distance_from FROM classes WHERE distance_from IS NOT NULL");
  while (q.next()) {
    if (q.integer(0) == 0) {
      d.school = q.integer(1) != 0;
      d.school_from = q.text(2);
    } else {
      d.class_from[q.integer(0)] = q.text(2);
    }
  }
  return d;
}

bool distance_for(storage::Connection& c, const User& u, const std::string& today) {
  return c
      .scalar(
          "SELECT 1 FROM school WHERE id = 1 AND distance = 1 AND COALESCE(distance_from, '') <= "
          "?3 UNION ALL SELECT 1 FROM classes WHERE distance = 1 AND COALESCE(distance_from, '') "
          "<= ?3 AND (?2 OR id IN (" PARTA_CLASSES_OF("?1") ")) LIMIT 1",
          u.id, u.role == Role::admin, today)
      .has_value();
}

}  // namespace parta::domain
