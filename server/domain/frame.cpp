#include "domain/frame.hpp"

#include "domain/conversations.hpp"

namespace parta::domain {

Frame page_frame(storage::Connection& c, const User* u, const std::string& today) {
  Frame f;
  auto q = c.query(
      "SELECT s.name, s.short_name, s.hotline, (SELECT n FROM unread_counts WHERE user_id = ?1), "
      "EXISTS (SELECT 1 FROM classes WHERE class_teacher_id = ?1), "
      "(s.distance = 1 AND COALESCE(s.distance_from, '') <= ?3) OR EXISTS (SELECT 1 FROM classes "
      "WHERE distance = 1 AND COALESCE(distance_from, '') <= ?3 AND (?2 OR id IN "
      "(" PARTA_CLASSES_OF("?1") "))) "
      "FROM (SELECT 1) AS one LEFT JOIN school s ON s.id = 1",
      u ? u->id : 0, u && u->role == Role::admin, today);
  if (!q.next()) return f;
  f.school_name = q.text(0);
  f.school_short_name = q.text(1);
  f.hotline = q.text(2);
  if (!u) return f;
  // The count is kept by the database's triggers; a user made before it existed is counted.
  f.unread = q.is_null(3) ? unread_recount(c, *u) : static_cast<int>(q.integer(3));
  f.leads_class = q.integer(4) != 0;
  f.distance = q.integer(5) != 0;
  return f;
}

}  // namespace parta::domain
