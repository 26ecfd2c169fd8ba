#pragma once
// The school's structure: its public info, classes, subjects, who teaches what, students with their
// unique IDs, parents linked to children, and who may see whom.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "domain/accounts.hpp"
#include "domain/message.hpp"
#include "domain/validate.hpp"

namespace parta::domain {

struct SchoolInfo {
  std::string name, short_name, address, hotline, email, director, wifi_name, how_to_connect;
};
SchoolInfo school_info(storage::Connection& c);
void save_school_info(storage::Connection& c, const SchoolInfo& s);

struct ClassInfo {
  std::int64_t id = 0;
  std::string name;
  int grade = 0;
  std::optional<std::int64_t> class_teacher_id;
  std::string class_teacher_name;
  int students = 0;
  bool distance = false;  // under distance learning
};
std::vector<ClassInfo> list_classes(storage::Connection& c);
// The given classes (one query), in the school's order.
std::vector<ClassInfo> classes_by_id(storage::Connection& c, const std::vector<std::int64_t>& ids);
std::optional<ClassInfo> find_class(storage::Connection& c, std::int64_t id);
std::optional<ClassInfo> find_class_by_name(storage::Connection& c, const std::string& name);
// Returns the new id, or an error message (bad name, already exists).
std::int64_t create_class(storage::Connection& c, const std::string& normalized_name);
void set_class_teacher(storage::Connection& c, std::int64_t class_id,
                       std::optional<std::int64_t> teacher_id);

struct Subject {
  std::int64_t id = 0;
  std::string name;
};
std::vector<Subject> list_subjects(storage::Connection& c);
std::int64_t create_subject(storage::Connection& c, const std::string& name);

struct Teaching {
  std::int64_t class_id = 0, subject_id = 0, teacher_id = 0;
  std::string class_name, subject_name, teacher_name;
};
std::vector<User> list_users(storage::Connection& c, Role role);
std::vector<Teaching> teaching_of_teacher(storage::Connection& c, std::int64_t teacher_id);
std::vector<Teaching> teaching_of_class(storage::Connection& c, std::int64_t class_id);
void add_teaching(storage::Connection& c, std::int64_t teacher_id, std::int64_t class_id,
                  std::int64_t subject_id);
void remove_teaching(storage::Connection& c, std::int64_t teacher_id, std::int64_t class_id,
                     std::int64_t subject_id);
std::vector<ClassInfo> classes_led_by(storage::Connection& c, std::int64_t teacher_id);
// Every class's teaching, for lists of all teachers (one query, not one per teacher).
std::vector<Teaching> all_teaching(storage::Connection& c);
// The teaching of several classes (a parent's children's), in one query.
std::vector<Teaching> teaching_of_classes(storage::Connection& c,
                                          const std::vector<std::int64_t>& classes);

// The classes user `u` (an SQL expression) belongs to: a student's class, a parent's children's
// classes, the classes a teacher teaches or leads.
#define PARTA_CLASSES_OF(u)                                                                \
  "SELECT class_id FROM students WHERE user_id = " u                                       \
  " UNION SELECT st.class_id FROM "                                                        \
  "parent_child pc JOIN students st ON st.user_id = pc.student_id WHERE pc.parent_id = " u \
  " UNION SELECT class_id FROM teaching WHERE teacher_id = " u                             \
  " UNION SELECT id FROM classes "                                                         \
  "WHERE class_teacher_id = " u
// The classes a user may see the roster of (can_view_class), in one query.
std::vector<ClassInfo> viewable_classes(storage::Connection& c, const User& u);

struct Student {
  User user;
  std::string student_no;
  std::int64_t class_id = 0;
  std::string class_name;
  bool paper = false;
};
// The student columns (users u, students s, classes c) in the order student_from_row() reads them.
#define PARTA_STUDENT_COLUMNS PARTA_USER_COLUMNS("u") ", s.student_no, s.class_id, c.name, s.paper"
Student student_from_row(const storage::Query& q, int first);
std::vector<Student> list_students(storage::Connection& c, std::optional<std::int64_t> class_id);
std::optional<Student> find_student(storage::Connection& c, std::int64_t user_id);
std::optional<Student> find_student_by_no(storage::Connection& c, const std::string& student_no);
std::int64_t create_student(storage::Connection& c, const Clock& clock, const NewUser& u,
                            const std::string& student_no, std::int64_t class_id, bool paper,
                            std::string_view secret);
std::int64_t create_student(storage::Connection& c, const Clock& clock, const NewUser& u,
                            const std::string& student_no, std::int64_t class_id, bool paper,
                            const HashedSecret& secret);
void update_student(storage::Connection& c, std::int64_t user_id, std::int64_t class_id,
                    bool paper);
std::vector<Student> children_of(storage::Connection& c, std::int64_t parent_id);
std::vector<User> parents_of(storage::Connection& c, std::int64_t student_id);
// The parents of several students (student id → parents), in one query.
std::map<std::int64_t, std::vector<User>> parents_of_students(
    storage::Connection& c, const std::vector<std::int64_t>& students);
// Every parent's children (parent id → children), for the list of all parents.
// Parents with a child in the class (every parent when none is given), by name.
std::vector<User> list_parents(storage::Connection& c, std::optional<std::int64_t> class_id);
// Each listed parent's children (of every class), by parent.
std::map<std::int64_t, std::vector<Student>> children_by_parent(
    storage::Connection& c, std::optional<std::int64_t> class_id = std::nullopt);
void link_parent(storage::Connection& c, std::int64_t parent_id, std::int64_t student_id);
void unlink_parent(storage::Connection& c, std::int64_t parent_id, std::int64_t student_id);

// The class teacher of the class (a teacher who leads it).
bool leads_class(storage::Connection& c, const User& u, std::int64_t class_id);
// A parent of the student.
bool is_parent_of(storage::Connection& c, const User& u, std::int64_t student_id);
// Who may see a student's data: admin; the student; the student's parents; a teacher who teaches
// the student's class or leads it.
bool can_view_student(storage::Connection& c, const User& viewer, std::int64_t student_id);
// Who may see a class's roster: admin; a teacher who teaches or leads it.
bool can_view_class(storage::Connection& c, const User& viewer, std::int64_t class_id);

}  // namespace parta::domain
