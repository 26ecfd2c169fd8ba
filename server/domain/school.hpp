#pragma once
// The school's structure: its public info, classes, subjects, who teaches what, students with their
// unique IDs, parents linked to children, and who may see whom.
#include <cstdint>
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
};
std::vector<ClassInfo> list_classes(storage::Connection& c);
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

struct Student {
  User user;
  std::string student_no;
  std::int64_t class_id = 0;
  std::string class_name;
  bool paper = false;
};
std::vector<Student> list_students(storage::Connection& c, std::optional<std::int64_t> class_id);
std::optional<Student> find_student(storage::Connection& c, std::int64_t user_id);
std::optional<Student> find_student_by_no(storage::Connection& c, const std::string& student_no);
std::int64_t create_student(storage::Connection& c, const Clock& clock, const NewUser& u,
                            const std::string& student_no, std::int64_t class_id, bool paper,
                            std::string_view secret);
void update_student(storage::Connection& c, std::int64_t user_id, std::int64_t class_id,
                    bool paper);
std::vector<Student> children_of(storage::Connection& c, std::int64_t parent_id);
std::vector<User> parents_of(storage::Connection& c, std::int64_t student_id);
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
