#include "domain/conversations.hpp"

#include <algorithm>
#include <map>

#include "content/utf8.hpp"

namespace parta::domain {

namespace {

// Belonging to a class's or a group's conversation, as user ?1.
#define PARTA_SHARED_MEMBER                                                    \
  "(cv.class_id IN (SELECT class_id FROM students WHERE user_id = ?1) "        \
  "OR cv.class_id IN (SELECT id FROM classes WHERE class_teacher_id = ?1) "    \
  "OR cv.group_id IN (SELECT group_id FROM group_members WHERE user_id = ?1) " \
  "OR cv.group_id IN (SELECT id FROM groups WHERE owner_id = ?1))"
// The conversations user ?1 belongs to (the admin's oversight of class conversations aside).
constexpr const char* kMember = "(cv.user_a = ?1 OR cv.user_b = ?1 OR " PARTA_SHARED_MEMBER ")";

// With the viewer ?1: the unread count (up to 100: a page shows "99+"), the latest message, and the
// other person of a direct conversation, joined in (no query per conversation). `last` is the
// latest message's id.
#define PARTA_CONVERSATION_SELECT(last)                                                          \
  "SELECT cv.id, cv.kind, cv.user_a, cv.user_b, cv.class_id, cv.group_id, cv.closed, "           \
  "COALESCE(k.name, g.name, ''), "                                                               \
  "(SELECT COUNT(*) FROM (SELECT 1 FROM messages m WHERE m.conversation_id = cv.id "             \
  "  AND m.removed = 0 AND m.author_id != ?1 AND m.id > COALESCE((SELECT last_read FROM "        \
  "  conversation_reads r WHERE r.conversation_id = cv.id AND r.user_id = ?1), 0) LIMIT 100)), " \
  "COALESCE(lm.id, 0), lm.body, lm.created_at, lm.removed, "                                     \
  "o.last_name || ' ' || o.first_name || CASE WHEN o.middle_name = '' THEN '' ELSE ' ' || "      \
  "  o.middle_name END, o.role "                                                                 \
  "FROM %s cv LEFT JOIN classes k ON k.id = cv.class_id "                                        \
  "LEFT JOIN groups g ON g.id = cv.group_id LEFT JOIN messages lm ON lm.id = " last              \
  " "                                                                                            \
  "LEFT JOIN users o ON cv.kind = 'direct' AND o.id = CASE WHEN cv.user_a = ?1 THEN cv.user_b "  \
  "  ELSE cv.user_a END "

// The select over `from` (a table or a subquery aliased as cv).
std::string conversation_select(const std::string& from, const char* last) {
  std::string sql = PARTA_CONVERSATION_SELECT("%s");
  sql.replace(sql.find("%s"), 2, from);
  sql.replace(sql.find("%s"), 2, last);
  return sql;
}

ConversationKind kind_of(const std::string& s) {
  if (s == "class") return ConversationKind::klass;
  if (s == "group") return ConversationKind::group;
  return ConversationKind::direct;
}

Conversation from(const storage::Query& q) {
  Conversation v;
  v.id = q.integer(0);
  v.kind = kind_of(q.text(1));
  v.user_a = q.opt_integer(2);
  v.user_b = q.opt_integer(3);
  v.class_id = q.opt_integer(4);
  v.group_id = q.opt_integer(5);
  v.closed = q.integer(6) != 0;
  v.name = q.text(7);
  v.unread = static_cast<int>(q.integer(8));
  if (v.kind == ConversationKind::direct && !q.is_null(13)) {
    v.name = q.text(13);
    v.other_role = parse_role(q.text(14));
  }
  if (q.integer(9)) {
    v.last_text = q.integer(12) ? "" : text::truncate_chars(q.text(10), 80);
    v.last_at = q.integer(11);
  }
  return v;
}

void add_contacts(storage::Connection& c, std::vector<Contact>& out, const std::string& sql,
                  std::int64_t id) {
  auto q = c.query(sql, id);
  while (q.next()) out.push_back(Contact{user_from_row(q, 0), q.text(9)});
}

// The teachers of a class with what they teach there (and who leads it).
constexpr const char* kTeachersOfClass =
    "SELECT " PARTA_USER_COLUMNS(
        "u") ", group_concat(x.what, ', ') FROM ("
             "  SELECT t.teacher_id AS id, s.name AS what FROM teaching t JOIN subjects s ON "
             "  s.id = t.subject_id WHERE t.class_id = ?1 "
             "  UNION ALL SELECT class_teacher_id, 'классный руководитель' FROM classes "
             "  WHERE id = ?1 AND class_teacher_id IS NOT NULL) x JOIN users u ON u.id = x.id "
             "WHERE u.active = 1 GROUP BY u.id ORDER BY u.last_name, u.first_name";

// The teachers of a parent's children (?1) with what they teach in each child's class:
// "5А: Русский язык, Литература; 9А: Алгебра".
constexpr const char* kTeachersOfChildren =
    "SELECT " PARTA_USER_COLUMNS(
        "u") ", group_concat(y.note, '; ') FROM (SELECT x.id, x.class_name || ': ' || "
             "group_concat(x.what, ', ') AS note FROM (SELECT DISTINCT t.teacher_id AS id, k.name "
             "AS class_name, s.name AS what, t.subject_id AS sort FROM parent_child pc JOIN "
             "students st ON st.user_id = pc.student_id JOIN classes k ON k.id = st.class_id "
             "JOIN teaching t ON t.class_id = k.id JOIN subjects s ON s.id = t.subject_id WHERE "
             "pc.parent_id = ?1 UNION SELECT k.class_teacher_id, k.name, 'классный руководитель', "
             "1e9 FROM parent_child pc JOIN students st ON st.user_id = pc.student_id JOIN "
             "classes k ON k.id = st.class_id WHERE pc.parent_id = ?1 AND k.class_teacher_id IS "
             "NOT NULL ORDER BY 2, 4) x GROUP BY x.id, x.class_name ORDER BY x.class_name) y "
             "JOIN users u ON u.id = y.id WHERE u.active = 1 GROUP BY u.id "
             "ORDER BY u.last_name, u.first_name, u.middle_name";

constexpr const char* kAdmins = "SELECT " PARTA_USER_COLUMNS(
    "u") ", '' FROM users u WHERE u.role = 'admin' AND u.active = 1 AND u.id != ?1 "
         "ORDER BY u.last_name";

constexpr const char* kStudentsAndParentsOfClass =
    "SELECT " PARTA_USER_COLUMNS("u") ", x.note FROM ("
                                      "  SELECT s.user_id AS id, '' AS note, su.last_name AS k1, "
                                      "su.first_name AS k2, 0 AS k3 "
                                      "  FROM students s JOIN users su ON su.id = s.user_id "
                                      "  WHERE s.class_id = ?1 "
                                      "  UNION ALL SELECT pc.parent_id, su.last_name || ' ' || "
                                      "su.first_name, su.last_name, su.first_name, 1 "
                                      "  FROM parent_child pc JOIN students s ON s.user_id = "
                                      "pc.student_id "
                                      "  JOIN users su ON su.id = s.user_id WHERE s.class_id = ?1"
                                      ") x JOIN users u ON u.id = x.id WHERE u.active = 1 "
                                      "ORDER BY x.k1, x.k2, x.k3";

}  // namespace

bool may_message(storage::Connection& c, const User& from, const User& to) {
  if (from.id == to.id || !to.active || !from.active) return false;
  if (from.role == Role::admin || to.role == Role::admin) return true;
  const User* teacher = from.role == Role::teacher ? &from
                        : to.role == Role::teacher ? &to
                                                   : nullptr;
  const User* other = teacher == &from ? &to : &from;
  if (!teacher || other->role == Role::teacher) return false;
  if (other->role == Role::student) return can_view_student(c, *teacher, other->id);
  for (const auto& child : children_of(c, other->id))
    if (can_view_student(c, *teacher, child.user.id)) return true;
  return false;
}

std::vector<Contact> contacts(storage::Connection& c, const User& u,
                              std::optional<std::int64_t> class_id) {
  std::vector<Contact> out;
  switch (u.role) {
    case Role::student:
      if (auto s = find_student(c, u.id)) add_contacts(c, out, kTeachersOfClass, s->class_id);
      add_contacts(c, out, kAdmins, u.id);
      break;
    case Role::parent:
      add_contacts(c, out, kTeachersOfChildren, u.id);
      add_contacts(c, out, kAdmins, u.id);
      break;
    case Role::teacher:
    case Role::admin:
      if (class_id && *class_id != 0) {
        if (can_view_class(c, u, *class_id))
          add_contacts(c, out, kStudentsAndParentsOfClass, *class_id);
      } else if (u.role == Role::admin) {
        for (auto& t : list_users(c, Role::teacher))
          if (t.active) out.push_back(Contact{std::move(t), ""});
        add_contacts(c, out, kAdmins, u.id);
      } else {
        add_contacts(c, out, kAdmins, u.id);
      }
      break;
  }
  return out;
}

std::optional<std::int64_t> find_direct_conversation(storage::Connection& c, std::int64_t a,
                                                     std::int64_t b) {
  if (a > b) std::swap(a, b);
  return c.scalar("SELECT id FROM conversations WHERE user_a = ?1 AND user_b = ?2", a, b);
}

std::int64_t direct_conversation(storage::Connection& c, std::int64_t a, std::int64_t b) {
  if (auto id = find_direct_conversation(c, a, b)) return *id;
  c.run("INSERT INTO conversations (kind, user_a, user_b) VALUES ('direct', ?1, ?2)",
        std::min(a, b), std::max(a, b));
  return c.last_insert_id();
}

std::optional<std::int64_t> class_conversation(storage::Connection& c, std::int64_t class_id) {
  return c.scalar("SELECT id FROM conversations WHERE class_id = ?1", class_id);
}

std::optional<std::int64_t> group_conversation(storage::Connection& c, std::int64_t group_id) {
  return c.scalar("SELECT id FROM conversations WHERE group_id = ?1", group_id);
}

std::optional<Conversation> find_conversation(storage::Connection& c, std::int64_t id,
                                              const User& viewer) {
  auto q = c.query(conversation_select("conversations", "cv.last_message") + "WHERE cv.id = ?2",
                   viewer.id, id);
  if (!q.next()) return std::nullopt;
  return from(q);
}

bool is_member(storage::Connection& c, const User& u, const Conversation& conv) {
  if (u.role == Role::admin && conv.kind == ConversationKind::klass) return true;
  return c
      .scalar(std::string("SELECT 1 FROM conversations cv WHERE cv.id = ?2 AND ") + kMember, u.id,
              conv.id)
      .has_value();
}

bool can_moderate(storage::Connection& c, const User& u, const Conversation& conv) {
  switch (conv.kind) {
    case ConversationKind::direct:
      return false;
    case ConversationKind::klass:
      return u.role == Role::admin ||
             c.scalar("SELECT 1 FROM classes WHERE id = ?1 AND class_teacher_id = ?2",
                      conv.class_id.value_or(0), u.id)
                 .has_value();
    case ConversationKind::group:
      return u.role == Role::admin ||
             c.scalar("SELECT 1 FROM groups WHERE id = ?1 AND owner_id = ?2",
                      conv.group_id.value_or(0), u.id)
                 .has_value();
  }
  return false;
}

bool can_write(storage::Connection& c, const User& u, const Conversation& conv) {
  if (!is_member(c, u, conv)) return false;
  if (conv.kind == ConversationKind::direct) {
    // The lines may have changed since it started (a teacher no longer teaches the class).
    auto a = find_user(c, conv.user_a.value_or(0)), b = find_user(c, conv.user_b.value_or(0));
    return a && b && may_message(c, *a, *b);
  }
  return !conv.closed || can_moderate(c, u, conv);
}

std::optional<Message> check_message(const std::string& body) {
  if (body.empty()) return Message{"Write the message first.", {}};
  if (text::char_count(body) > kMaxMessage)
    return Message{"The message is too long: at most {max} characters.",
                   {{"max", std::to_string(kMaxMessage)}}};
  return std::nullopt;
}

std::int64_t post_message(storage::Connection& c, const Clock& clock, std::int64_t conversation,
                          std::int64_t author, const std::string& body) {
  storage::Transaction tx(c);
  c.run(
      "INSERT INTO messages (conversation_id, author_id, body, created_at) VALUES (?1, ?2, ?3, ?4)",
      conversation, author, body, clock.now());
  std::int64_t id = c.last_insert_id();
  c.run(
      "INSERT INTO conversation_reads (conversation_id, user_id, last_read) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (conversation_id, user_id) DO UPDATE SET last_read = excluded.last_read",
      conversation, author, id);
  tx.commit();
  return id;
}

std::vector<ChatMessage> messages_of(storage::Connection& c, std::int64_t conversation,
                                     std::int64_t before, std::size_t limit) {
  std::vector<ChatMessage> out;
  auto q = c.query(
      "SELECT m.id, m.author_id, m.created_at, u.last_name || ' ' || u.first_name, m.body, "
      "m.removed FROM messages m JOIN users u ON u.id = m.author_id "
      "WHERE m.conversation_id = ?1 AND (?2 = 0 OR m.id < ?2) ORDER BY m.id DESC LIMIT ?3",
      conversation, before, static_cast<std::int64_t>(limit));
  while (q.next()) {
    ChatMessage m{q.integer(0), q.integer(1), q.integer(2),
                  q.text(3),    q.text(4),    q.integer(5) != 0};
    if (m.removed) m.body.clear();
    out.push_back(std::move(m));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

void mark_read(storage::Connection& c, std::int64_t conversation, std::int64_t user_id) {
  auto last = c.scalar("SELECT MAX(id) FROM messages WHERE conversation_id = ?1", conversation);
  if (!last) return;
  auto seen = c.scalar(
      "SELECT last_read FROM conversation_reads WHERE conversation_id = ?1 AND user_id = ?2",
      conversation, user_id);
  if (seen && *seen >= *last) return;  // nothing new: no write on a plain page view
  c.run(
      "INSERT INTO conversation_reads (conversation_id, user_id, last_read) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (conversation_id, user_id) DO UPDATE SET last_read = excluded.last_read",
      conversation, user_id, *last);
}

void set_closed(storage::Connection& c, std::int64_t conversation, bool closed) {
  c.run("UPDATE conversations SET closed = ?1 WHERE id = ?2", closed, conversation);
}

bool remove_message(storage::Connection& c, std::int64_t conversation, std::int64_t message) {
  c.run("UPDATE messages SET removed = 1 WHERE id = ?1 AND conversation_id = ?2", message,
        conversation);
  return c.changes() > 0;
}

std::vector<Conversation> conversations_of(storage::Connection& c, const User& u, std::size_t limit,
                                           std::size_t offset, bool* more) {
  // A student's and a class teacher's class conversations are always there to open: they were
  // made with the class (migration 14's trigger).
  std::vector<Conversation> out;
  // Newest activity first; direct conversations nobody has written in yet are not listed. Each
  // way of belonging is read newest first on its own (the direct ones from an index on the
  // person and the latest message) and SQLite merges them, stopping at the page: a teacher's
  // hundreds of conversations with families are not all looked at. Only the page's
  // conversations are then counted and named.
  auto q =
      c.query(conversation_select(
                  "(SELECT * FROM conversations WHERE user_a = ?1 AND last_message > 0 UNION ALL "
                  "SELECT * FROM conversations WHERE user_b = ?1 AND last_message > 0 UNION ALL "
                  "SELECT * FROM conversations cv WHERE " PARTA_SHARED_MEMBER
                  " ORDER BY last_message DESC, id DESC LIMIT ?2 OFFSET ?3)",
                  "cv.last_message") +
                  "ORDER BY cv.last_message DESC, cv.id DESC",
              u.id, static_cast<std::int64_t>(limit + 1), static_cast<std::int64_t>(offset));
  while (q.next()) out.push_back(from(q));
  if (more) *more = out.size() > limit;
  if (out.size() > limit) out.pop_back();
  return out;
}

int unread_total(storage::Connection& c, const User& u) {
  // Kept up to date by the database's triggers as messages are written, hidden and read and as
  // people join and leave classes and groups (schema migration 12).
  if (auto n = c.scalar("SELECT n FROM unread_counts WHERE user_id = ?1", u.id))
    return static_cast<int>(*n);
  return unread_recount(c, u);
}

int unread_recount(storage::Connection& c, const User& u) {
  return static_cast<int>(
      c.scalar(std::string("SELECT COUNT(*) FROM messages m JOIN conversations cv ON cv.id = "
                           "m.conversation_id LEFT JOIN conversation_reads r ON r.conversation_id "
                           "= cv.id AND r.user_id = ?1 WHERE m.removed = 0 AND m.author_id != ?1 "
                           "AND m.id > COALESCE(r.last_read, 0) AND ") +
                   kMember,
               u.id)
          .value_or(0));
}

}  // namespace parta::domain
