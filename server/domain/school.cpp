#include "domain/school.hpp"

namespace parta::domain {

Student student_from_row(const storage::Query& q, int o) {
  Student s;
  s.user = user_from_row(q, o);
  s.student_no = q.text(o + 9);
  s.class_id = q.integer(o + 10);
  s.class_name = q.text(o + 11);
  s.paper = q.integer(o + 12) != 0;
  return s;
}

namespace {

Student student_from(storage::Query& q) { return student_from_row(q, 0); }
constexpr const char* kStudentSelect =
    "SELECT " PARTA_STUDENT_COLUMNS
    " FROM students s JOIN users u ON u.id = s.user_id JOIN classes c ON c.id = s.class_id ";

}  // namespace

SchoolInfo school_info(storage::Connection& c) {
  auto q = c.query(
      "SELECT name, short_name, address, hotline, email, director, wifi_name, how_to_connect "
      "FROM school WHERE id = 1");
  SchoolInfo s;
  if (q.next()) {
    s = {q.text(0), q.text(1), q.text(2), q.text(3), q.text(4), q.text(5), q.text(6), q.text(7)};
  }
  return s;
}

void save_school_info(storage::Connection& c, const SchoolInfo& s) {
  c.run(
      "INSERT INTO school (id, name, short_name, address, hotline, email, director, wifi_name, "
      "how_to_connect) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(id) DO UPDATE SET "
      "name = ?1, short_name = ?2, address = ?3, hotline = ?4, email = ?5, director = ?6, "
      "wifi_name = ?7, how_to_connect = ?8",
      s.name, s.short_name, s.address, s.hotline, s.email, s.director, s.wifi_name,
      s.how_to_connect);
}

namespace {
std::vector<ClassInfo> classes_where(storage::Connection& c, const char* where,
                                     std::optional<std::int64_t> id, const std::string& name) {
  std::vector<ClassInfo> out;
  auto q = c.query(
      std::string("SELECT c.id, c.name, c.grade, c.class_teacher_id, "
                  "COALESCE(u.last_name || ' ' || u.first_name || ' ' || u.middle_name, ''), "
                  "(SELECT COUNT(*) FROM students s WHERE s.class_id = c.id), c.distance "
                  "FROM classes c LEFT JOIN users u ON u.id = c.class_teacher_id ") +
          where + " ORDER BY c.grade, c.name",
      id, name);
  while (q.next())
    out.push_back({q.integer(0), q.text(1), static_cast<int>(q.integer(2)), q.opt_integer(3),
                   q.text(4), static_cast<int>(q.integer(5)), q.integer(6) != 0});
  return out;
}

std::optional<ClassInfo> first(std::vector<ClassInfo> v) {
  if (v.empty()) return std::nullopt;
  return std::move(v.front());
}
}  // namespace

std::vector<ClassInfo> list_classes(storage::Connection& c) {
  return classes_where(c, "WHERE ?1 IS NULL AND ?2 = ''", std::nullopt, "");
}

std::optional<ClassInfo> find_class(storage::Connection& c, std::int64_t id) {
  return first(classes_where(c, "WHERE c.id = ?1 AND ?2 = ''", id, ""));
}

std::optional<ClassInfo> find_class_by_name(storage::Connection& c, const std::string& name) {
  return first(classes_where(c, "WHERE ?1 IS NULL AND c.name = ?2", std::nullopt, name));
}

std::vector<ClassInfo> classes_led_by(storage::Connection& c, std::int64_t teacher_id) {
  return classes_where(c, "WHERE c.class_teacher_id = ?1 AND ?2 = ''", teacher_id, "");
}

std::vector<ClassInfo> viewable_classes(storage::Connection& c, const User& u) {
  if (u.role == Role::admin) return list_classes(c);
  if (u.role != Role::teacher) return {};
  return classes_where(c,
                       "WHERE c.id IN (SELECT id FROM classes WHERE class_teacher_id = ?1 UNION "
                       "SELECT class_id FROM teaching WHERE teacher_id = ?1) AND ?2 = ''",
                       u.id, "");
}

std::int64_t create_class(storage::Connection& c, const std::string& name) {
  int grade = std::stoi(name);
  c.run("INSERT INTO classes (name, grade) VALUES (?1, ?2)", name, grade);
  return c.last_insert_id();
}

void set_class_teacher(storage::Connection& c, std::int64_t class_id,
                       std::optional<std::int64_t> teacher_id) {
  c.run("UPDATE classes SET class_teacher_id = ?1 WHERE id = ?2", teacher_id, class_id);
}

std::vector<Subject> list_subjects(storage::Connection& c) {
  std::vector<Subject> out;
  auto q = c.query("SELECT id, name FROM subjects ORDER BY name");
  while (q.next()) out.push_back({q.integer(0), q.text(1)});
  return out;
}

std::int64_t create_subject(storage::Connection& c, const std::string& name) {
  c.run("INSERT INTO subjects (name) VALUES (?1)", name);
  return c.last_insert_id();
}

std::vector<User> list_users(storage::Connection& c, Role role) {
  std::vector<User> out;
  auto q = c.query("SELECT " PARTA_USER_COLUMNS("u") " FROM users u WHERE u.role = ?1 "
                   "ORDER BY u.last_name, u.first_name, u.middle_name",
                   role_code(role));
  while (q.next()) out.push_back(user_from_row(q, 0));
  return out;
}

namespace {
std::vector<Teaching> teaching_where(storage::Connection& c, const char* where, std::int64_t id) {
  std::vector<Teaching> out;
  auto q = c.query(std::string("SELECT t.class_id, t.subject_id, t.teacher_id, c.name, s.name, "
                               "u.last_name || ' ' || u.first_name || ' ' || u.middle_name "
                               "FROM teaching t JOIN classes c ON c.id = t.class_id "
                               "JOIN subjects s ON s.id = t.subject_id "
                               "JOIN users u ON u.id = t.teacher_id WHERE ") +
                       where + " ORDER BY c.grade, c.name, s.name",
                   id);
  while (q.next())
    out.push_back({q.integer(0), q.integer(1), q.integer(2), q.text(3), q.text(4), q.text(5)});
  return out;
}
}  // namespace

std::vector<Teaching> teaching_of_teacher(storage::Connection& c, std::int64_t teacher_id) {
  return teaching_where(c, "t.teacher_id = ?1", teacher_id);
}
std::vector<Teaching> teaching_of_class(storage::Connection& c, std::int64_t class_id) {
  return teaching_where(c, "t.class_id = ?1", class_id);
}
std::vector<Teaching> all_teaching(storage::Connection& c) {
  return teaching_where(c, "?1 = 0", 0);
}

namespace {
std::string json_ids(const std::vector<std::int64_t>& ids) {
  std::string out = "[";
  for (auto id : ids) out += (out.size() > 1 ? "," : "") + std::to_string(id);
  return out + "]";
}
}  // namespace

std::vector<ClassInfo> classes_by_id(storage::Connection& c, const std::vector<std::int64_t>& ids) {
  return classes_where(c, "WHERE ?1 IS NULL AND c.id IN (SELECT value FROM json_each(?2))",
                       std::nullopt, json_ids(ids));
}

std::vector<Teaching> teaching_of_classes(storage::Connection& c,
                                          const std::vector<std::int64_t>& classes) {
  std::vector<Teaching> out;
  auto q = c.query(
      "SELECT t.class_id, t.subject_id, t.teacher_id, c.name, s.name, "
      "u.last_name || ' ' || u.first_name || ' ' || u.middle_name FROM teaching t JOIN classes c "
      "ON c.id = t.class_id JOIN subjects s ON s.id = t.subject_id JOIN users u ON u.id = "
      "t.teacher_id WHERE t.class_id IN (SELECT value FROM json_each(?1)) "
      "ORDER BY c.grade, c.name, s.name",
      json_ids(classes));
  while (q.next())
    out.push_back({q.integer(0), q.integer(1), q.integer(2), q.text(3), q.text(4), q.text(5)});
  return out;
}

void add_teaching(storage::Connection& c, std::int64_t teacher_id, std::int64_t class_id,
                  std::int64_t subject_id) {
  c.run("INSERT OR IGNORE INTO teaching (teacher_id, class_id, subject_id) VALUES (?1, ?2, ?3)",
        teacher_id, class_id, subject_id);
}

void remove_teaching(storage::Connection& c, std::int64_t teacher_id, std::int64_t class_id,
                     std::int64_t subject_id) {
  c.run("DELETE FROM teaching WHERE teacher_id = ?1 AND class_id = ?2 AND subject_id = ?3",
        teacher_id, class_id, subject_id);
}

std::vector<Student> list_students(storage::Connection& c, std::optional<std::int64_t> class_id) {
  std::vector<Student> out;
  auto q = c.query(std::string(kStudentSelect) +
                       "WHERE ?1 IS NULL OR s.class_id = ?1 "
                       "ORDER BY c.grade, c.name, u.last_name, u.first_name, u.middle_name",
                   class_id);
  while (q.next()) out.push_back(student_from(q));
  return out;
}

std::optional<Student> find_student(storage::Connection& c, std::int64_t user_id) {
  auto q = c.query(std::string(kStudentSelect) + "WHERE s.user_id = ?1", user_id);
  if (!q.next()) return std::nullopt;
  return student_from(q);
}

std::optional<Student> find_student_by_no(storage::Connection& c, const std::string& no) {
  auto q = c.query(std::string(kStudentSelect) + "WHERE s.student_no = ?1", no);
  if (!q.next()) return std::nullopt;
  return student_from(q);
}

std::int64_t create_student(storage::Connection& c, const Clock& clock, const NewUser& u,
                            const std::string& student_no, std::int64_t class_id, bool paper,
                            std::string_view secret) {
  return create_student(c, clock, u, student_no, class_id, paper,
                        HashedSecret{std::string(secret), hash_secret(secret)});
}

std::int64_t create_student(storage::Connection& c, const Clock& clock, const NewUser& u,
                            const std::string& student_no, std::int64_t class_id, bool paper,
                            const HashedSecret& secret) {
  std::int64_t id = create_user(c, clock, u, secret);
  c.run("INSERT INTO students (user_id, student_no, class_id, paper) VALUES (?1, ?2, ?3, ?4)", id,
        student_no, class_id, paper);
  return id;
}

void update_student(storage::Connection& c, std::int64_t user_id, std::int64_t class_id,
                    bool paper) {
  c.run("UPDATE students SET class_id = ?1, paper = ?2 WHERE user_id = ?3", class_id, paper,
        user_id);
}

std::vector<Student> children_of(storage::Connection& c, std::int64_t parent_id) {
  std::vector<Student> out;
  auto q = c.query(std::string(kStudentSelect) +
                       "JOIN parent_child pc ON pc.student_id = s.user_id WHERE pc.parent_id = ?1 "
                       "ORDER BY u.first_name",
                   parent_id);
  while (q.next()) out.push_back(student_from(q));
  return out;
}

std::vector<User> parents_of(storage::Connection& c, std::int64_t student_id) {
  std::vector<User> out;
  auto q = c.query("SELECT " PARTA_USER_COLUMNS("u") " FROM users u JOIN parent_child pc "
                   "ON pc.parent_id = u.id WHERE pc.student_id = ?1 ORDER BY u.last_name",
                   student_id);
  while (q.next()) out.push_back(user_from_row(q, 0));
  return out;
}

std::map<std::int64_t, std::vector<User>> parents_of_students(
    storage::Connection& c, const std::vector<std::int64_t>& students) {
  std::map<std::int64_t, std::vector<User>> out;
  auto q = c.query("SELECT pc.student_id, " PARTA_USER_COLUMNS("u") " FROM parent_child pc JOIN "
                   "users u ON u.id = pc.parent_id WHERE pc.student_id IN (SELECT value FROM "
                   "json_each(?1)) ORDER BY u.last_name",
                   json_ids(students));
  while (q.next()) out[q.integer(0)].push_back(user_from_row(q, 1));
  return out;
}

namespace {
// The parents with a child in class ?1 (every parent when ?1 is NULL), as a condition on p.id.
constexpr const char* kParentInClass =
    "(?1 IS NULL OR p.id IN (SELECT pc1.parent_id FROM parent_child pc1 JOIN students s1 "
    "ON s1.user_id = pc1.student_id WHERE s1.class_id = ?1))";
}  // namespace

std::vector<User> list_parents(storage::Connection& c, std::optional<std::int64_t> class_id) {
  std::vector<User> out;
  auto q = c.query(std::string("SELECT " PARTA_USER_COLUMNS("p") " FROM users p WHERE p.role = ") +
                       "'parent' AND " + kParentInClass +
                       " ORDER BY p.last_name, p.first_name, p.middle_name",
                   class_id);
  while (q.next()) out.push_back(user_from_row(q, 0));
  return out;
}

std::map<std::int64_t, std::vector<Student>> children_by_parent(
    storage::Connection& c, std::optional<std::int64_t> class_id) {
  std::map<std::int64_t, std::vector<Student>> out;
  auto q = c.query(std::string("SELECT pc.parent_id, " PARTA_STUDENT_COLUMNS
                               " FROM parent_child pc JOIN users p ON p.id = pc.parent_id JOIN "
                               "students s ON s.user_id = pc.student_id JOIN users u ON u.id = "
                               "s.user_id JOIN classes c ON c.id = s.class_id WHERE ") +
                       kParentInClass + " ORDER BY u.first_name",
                   class_id);
  while (q.next()) out[q.integer(0)].push_back(student_from_row(q, 1));
  return out;
}

void link_parent(storage::Connection& c, std::int64_t parent_id, std::int64_t student_id) {
  c.run("INSERT OR IGNORE INTO parent_child (parent_id, student_id) VALUES (?1, ?2)", parent_id,
        student_id);
}

void unlink_parent(storage::Connection& c, std::int64_t parent_id, std::int64_t student_id) {
  c.run("DELETE FROM parent_child WHERE parent_id = ?1 AND student_id = ?2", parent_id, student_id);
}

bool leads_class(storage::Connection& c, const User& u, std::int64_t class_id) {
  return u.role == Role::teacher &&
         c.scalar("SELECT 1 FROM classes WHERE id = ?1 AND class_teacher_id = ?2", class_id, u.id)
             .has_value();
}

bool is_parent_of(storage::Connection& c, const User& u, std::int64_t student_id) {
  return u.role == Role::parent &&
         c.scalar("SELECT 1 FROM parent_child WHERE parent_id = ?1 AND student_id = ?2", u.id,
                  student_id)
             .has_value();
}

bool can_view_class(storage::Connection& c, const User& viewer, std::int64_t class_id) {
  switch (viewer.role) {
    case Role::admin:
      return true;
    case Role::teacher:
      return c
          .scalar(
              "SELECT 1 FROM classes WHERE id = ?1 AND class_teacher_id = ?2 UNION "
              "SELECT 1 FROM teaching WHERE class_id = ?1 AND teacher_id = ?2",
              class_id, viewer.id)
          .has_value();
    default:
      return false;
  }
}

bool can_view_student(storage::Connection& c, const User& viewer, std::int64_t student_id) {
  switch (viewer.role) {
    case Role::admin:
      return true;
    case Role::student:
      return viewer.id == student_id;
    case Role::parent:
      return is_parent_of(c, viewer, student_id);
    case Role::teacher: {
      auto cls = c.scalar("SELECT class_id FROM students WHERE user_id = ?1", student_id);
      return cls && can_view_class(c, viewer, *cls);
    }
  }
  return false;
}

}  // namespace parta::domain
