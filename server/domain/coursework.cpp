#include "domain/coursework.hpp"

#include <algorithm>
#include <map>

namespace parta::domain {

namespace {

constexpr const char* kAssignmentSelect =
    "SELECT a.id, a.class_id, a.subject_id, a.teacher_id, c.name, s.name, "
    "u.last_name || ' ' || u.first_name || ' ' || u.middle_name, a.topic, a.title, a.body, "
    "a.grading, a.whole_class, a.publish_at, a.due_at, a.created_at "
    "FROM assignments a JOIN classes c ON c.id = a.class_id JOIN subjects s ON s.id = a.subject_id "
    "JOIN users u ON u.id = a.teacher_id ";

Assignment assignment_from(const storage::Query& q) {
  Assignment a;
  a.id = q.integer(0);
  a.class_id = q.integer(1);
  a.subject_id = q.integer(2);
  a.teacher_id = q.integer(3);
  a.class_name = q.text(4);
  a.subject_name = q.text(5);
  a.teacher_name = q.text(6);
  a.topic = q.text(7);
  a.title = q.text(8);
  a.body = q.text(9);
  a.grading = parse_grading(q.text(10)).value_or(Grading::none);
  a.whole_class = q.integer(11) != 0;
  a.publish_at = q.integer(12);
  a.due_at = q.integer(13);
  a.created_at = q.integer(14);
  return a;
}

std::vector<Assignment> assignments_where(storage::Connection& c, const std::string& where,
                                          std::int64_t p1, std::int64_t p2) {
  std::vector<Assignment> out;
  auto q = c.query(std::string(kAssignmentSelect) + where, p1, p2);
  while (q.next()) out.push_back(assignment_from(q));
  return out;
}

std::vector<FileRef> files_where(storage::Connection& c, const char* sql, std::int64_t p1,
                                 std::int64_t p2) {
  std::vector<FileRef> out;
  auto q = c.query(sql, p1, p2);
  while (q.next())
    out.push_back(
        {q.integer(0), q.text(1), q.text(2), q.text(3), static_cast<std::uint64_t>(q.integer(4))});
  return out;
}

Message msg(const char* id) { return Message{id, {}}; }

}  // namespace

const char* grading_code(Grading g) {
  switch (g) {
    case Grading::mark:
      return "mark";
    case Grading::pass:
      return "pass";
    case Grading::none:
      return "none";
  }
  return "none";
}

std::optional<Grading> parse_grading(std::string_view s) {
  if (s == "mark") return Grading::mark;
  if (s == "pass") return Grading::pass;
  if (s == "none") return Grading::none;
  return std::nullopt;
}

std::optional<Message> check_assignment(storage::Connection& c, const NewAssignment& a,
                                        std::int64_t now) {
  if (a.title.empty()) return msg("Enter the assignment's title.");
  if (a.title.size() > kMaxTitle) return msg("The title is too long.");
  if (a.topic.size() > kMaxTitle) return msg("The topic is too long.");
  if (a.body.size() > kMaxText) return msg("The text is too long.");
  if (a.due_at <= now) return msg("The due date is in the past.");
  if (a.publish_at > a.due_at) return msg("The assignment must be published before it is due.");
  for (std::int64_t s : a.students) {
    if (!c.scalar("SELECT 1 FROM students WHERE user_id = ?1 AND class_id = ?2", s, a.class_id))
      return msg("A chosen student is not in this class.");
  }
  return std::nullopt;
}

std::int64_t create_assignment(storage::Connection& c, const Clock& clock, std::int64_t teacher_id,
                               const NewAssignment& a) {
  c.run(
      "INSERT INTO assignments (class_id, subject_id, teacher_id, topic, title, body, grading, "
      "whole_class, publish_at, due_at, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
      a.class_id, a.subject_id, teacher_id, a.topic, a.title, a.body, grading_code(a.grading),
      a.students.empty(), a.publish_at, a.due_at, clock.now());
  std::int64_t id = c.last_insert_id();
  for (std::int64_t s : a.students)
    c.run("INSERT OR IGNORE INTO assignment_students (assignment_id, student_id) VALUES (?1, ?2)",
          id, s);
  return id;
}

std::optional<Assignment> find_assignment(storage::Connection& c, std::int64_t id) {
  auto v = assignments_where(c, "WHERE a.id = ?1 AND ?2 = 0", id, 0);
  if (v.empty()) return std::nullopt;
  return v.front();
}

void record_blob(storage::Connection& c, const Clock& clock, const std::string& sha256,
                 std::uint64_t size) {
  c.run("INSERT OR IGNORE INTO blobs (sha256, size, created_at) VALUES (?1, ?2, ?3)", sha256,
        static_cast<std::int64_t>(size), clock.now());
}

std::int64_t add_attachment(storage::Connection& c, std::int64_t assignment_id,
                            std::optional<std::int64_t> student_id, const FileRef& f) {
  c.run(
      "INSERT INTO attachments (assignment_id, student_id, sha256, filename, content_type, size) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
      assignment_id, student_id, f.sha256, f.filename, f.content_type,
      static_cast<std::int64_t>(f.size));
  return c.last_insert_id();
}

void set_variant(storage::Connection& c, std::int64_t assignment_id, std::int64_t student_id,
                 const std::string& text) {
  c.run(
      "INSERT INTO assignment_students (assignment_id, student_id, variant) VALUES (?1, ?2, ?3) "
      "ON CONFLICT(assignment_id, student_id) DO UPDATE SET variant = ?3",
      assignment_id, student_id, text);
}

bool assigned_to(storage::Connection& c, const Assignment& a, std::int64_t student_id) {
  if (a.whole_class)
    return c
        .scalar("SELECT 1 FROM students WHERE user_id = ?1 AND class_id = ?2", student_id,
                a.class_id)
        .has_value();
  return c
      .scalar("SELECT 1 FROM assignment_students WHERE assignment_id = ?1 AND student_id = ?2",
              a.id, student_id)
      .has_value();
}

std::vector<Student> students_of(storage::Connection& c, const Assignment& a) {
  auto all = list_students(c, a.class_id);
  if (a.whole_class) return all;
  std::vector<Student> out;
  for (auto& s : all)
    if (assigned_to(c, a, s.user.id)) out.push_back(std::move(s));
  return out;
}

std::vector<Assignment> assignments_for_student(storage::Connection& c, std::int64_t student_id,
                                                std::int64_t now) {
  return assignments_where(
      c,
      "WHERE a.publish_at <= ?2 AND ((a.whole_class = 1 AND a.class_id = "
      "(SELECT class_id FROM students WHERE user_id = ?1)) OR EXISTS (SELECT 1 FROM "
      "assignment_students x WHERE x.assignment_id = a.id AND x.student_id = ?1)) "
      "ORDER BY a.due_at, a.id",
      student_id, now);
}

std::vector<Assignment> assignments_of_teacher(storage::Connection& c, std::int64_t teacher_id) {
  return assignments_where(
      c, "WHERE a.teacher_id = ?1 AND ?2 = 0 ORDER BY a.due_at DESC, a.id DESC", teacher_id, 0);
}

std::vector<Assignment> assignments_of_class(storage::Connection& c, std::int64_t class_id,
                                             std::int64_t subject_id) {
  return assignments_where(c, "WHERE a.class_id = ?1 AND a.subject_id = ?2 ORDER BY a.due_at, a.id",
                           class_id, subject_id);
}

std::vector<FileRef> attachments_for(storage::Connection& c, std::int64_t assignment_id,
                                     std::int64_t student_id) {
  return files_where(c,
                     "SELECT id, sha256, filename, content_type, size FROM attachments "
                     "WHERE assignment_id = ?1 AND (student_id IS NULL OR student_id = ?2) "
                     "ORDER BY student_id IS NOT NULL, id",
                     assignment_id, student_id);
}

std::string variant_for(storage::Connection& c, std::int64_t assignment_id,
                        std::int64_t student_id) {
  auto q = c.query(
      "SELECT variant FROM assignment_students WHERE assignment_id = ?1 AND student_id = ?2",
      assignment_id, student_id);
  return q.next() ? q.text(0) : "";
}

std::int64_t submit(storage::Connection& c, const Clock& clock, const Assignment& a,
                    std::int64_t student_id, std::int64_t submitted_by, const std::string& body,
                    const std::vector<FileRef>& files, const std::string& via,
                    const std::string& client) {
  std::int64_t now = clock.now();
  c.run(
      "INSERT INTO submissions (assignment_id, student_id, submitted_by, body, created_at, late, "
      "via, client) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
      a.id, student_id, submitted_by, body, now, now > a.due_at, via, client.substr(0, 200));
  std::int64_t id = c.last_insert_id();
  int pos = 0;
  for (const auto& f : files) {
    record_blob(c, clock, f.sha256, f.size);
    c.run(
        "INSERT INTO submission_files (submission_id, position, sha256, filename, content_type, "
        "size) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        id, ++pos, f.sha256, f.filename, f.content_type, static_cast<std::int64_t>(f.size));
  }
  return id;
}

std::vector<Submission> submissions_of(storage::Connection& c, std::int64_t assignment_id,
                                       std::int64_t student_id) {
  std::vector<Submission> out;
  auto q = c.query(
      "SELECT id, student_id, submitted_by, body, via, client, created_at, late FROM submissions "
      "WHERE assignment_id = ?1 AND student_id = ?2 ORDER BY id",
      assignment_id, student_id);
  while (q.next()) {
    Submission s;
    s.id = q.integer(0);
    s.student_id = q.integer(1);
    s.submitted_by = q.integer(2);
    s.body = q.text(3);
    s.via = q.text(4);
    s.client = q.text(5);
    s.created_at = q.integer(6);
    s.late = q.integer(7) != 0;
    out.push_back(std::move(s));
  }
  for (auto& s : out)
    s.files = files_where(c,
                          "SELECT id, sha256, filename, content_type, size FROM submission_files "
                          "WHERE submission_id = ?1 AND ?2 = 0 ORDER BY position",
                          s.id, 0);
  return out;
}

std::uint64_t hand_in_bytes(storage::Connection& c, std::int64_t student_id) {
  return static_cast<std::uint64_t>(
      c.scalar("SELECT COALESCE(SUM(f.size), 0) FROM submission_files f JOIN submissions s "
               "ON s.id = f.submission_id WHERE s.student_id = ?1",
               student_id)
          .value_or(0));
}

void add_comment(storage::Connection& c, const Clock& clock, std::int64_t assignment_id,
                 std::int64_t student_id, std::int64_t author_id, const std::string& kind,
                 const std::string& body) {
  c.run(
      "INSERT INTO comments (assignment_id, student_id, author_id, kind, body, created_at, "
      "submission_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, (SELECT MAX(id) FROM submissions "
      "WHERE assignment_id = ?1 AND student_id = ?2))",
      assignment_id, student_id, author_id, kind, body, clock.now());
}

std::vector<Comment> comments_of(storage::Connection& c, std::int64_t assignment_id,
                                 std::int64_t student_id) {
  std::vector<Comment> out;
  auto q = c.query(
      "SELECT m.id, m.author_id, u.last_name || ' ' || u.first_name, m.kind, m.body, m.created_at "
      "FROM comments m JOIN users u ON u.id = m.author_id "
      "WHERE m.assignment_id = ?1 AND m.student_id = ?2 ORDER BY m.id",
      assignment_id, student_id);
  while (q.next())
    out.push_back({q.integer(0), q.integer(1), q.text(2), q.text(3), q.text(4), q.integer(5)});
  return out;
}

std::optional<std::string> normalize_mark(Grading g, std::string_view raw) {
  std::string m;
  for (char ch : raw)
    if (ch != ' ') m += ch;
  if (g == Grading::pass) {
    if (m == "pass" || m == "fail") return m;
    return std::nullopt;
  }
  if (g != Grading::mark || m.empty() || m.size() > 2) return std::nullopt;
  if (m[0] < '2' || m[0] > '5') return std::nullopt;
  if (m.size() == 2 && m[1] != '+' && m[1] != '-') return std::nullopt;
  if (m == "5+" || m == "2-") return std::nullopt;  // off the scale
  return m;
}

std::optional<int> mark_value(std::string_view mark) {
  if (mark.empty() || mark[0] < '2' || mark[0] > '5') return std::nullopt;
  return mark[0] - '0';
}

void set_grade(storage::Connection& c, const Clock& clock, std::int64_t assignment_id,
               std::int64_t student_id, std::int64_t teacher_id, const std::string& mark,
               const std::string& comment) {
  c.run(
      "INSERT INTO grades (assignment_id, student_id, mark, comment, teacher_id, graded_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(assignment_id, student_id) DO UPDATE SET "
      "mark = ?3, comment = ?4, teacher_id = ?5, graded_at = ?6",
      assignment_id, student_id, mark, comment, teacher_id, clock.now());
}

std::vector<GradeConflict> grade_conflicts_of(storage::Connection& c, std::int64_t assignment_id,
                                              std::int64_t student_id) {
  std::vector<GradeConflict> out;
  auto q = c.query(
      "SELECT mark, comment, by_name, noticed_at FROM grade_conflicts WHERE assignment_id = ?1 "
      "AND student_id = ?2 ORDER BY id DESC LIMIT 5",
      assignment_id, student_id);
  while (q.next()) out.push_back({q.text(0), q.text(1), q.text(2), q.integer(3)});
  return out;
}

std::optional<Grade> grade_of(storage::Connection& c, std::int64_t assignment_id,
                              std::int64_t student_id) {
  auto q = c.query(
      "SELECT mark, comment, graded_at, teacher_id FROM grades "
      "WHERE assignment_id = ?1 AND student_id = ?2",
      assignment_id, student_id);
  if (!q.next()) return std::nullopt;
  return Grade{q.text(0), q.text(1), q.integer(2), q.integer(3)};
}

const char* status_code(WorkStatus s) {
  switch (s) {
    case WorkStatus::none:
      return "none";
    case WorkStatus::overdue:
      return "overdue";
    case WorkStatus::submitted:
      return "submitted";
    case WorkStatus::late:
      return "late";
    case WorkStatus::returned:
      return "returned";
    case WorkStatus::graded:
      return "graded";
  }
  return "none";
}

WorkState state_of(storage::Connection& c, const Assignment& a, std::int64_t student_id,
                   std::int64_t now) {
  WorkState st;
  auto q = c.query(
      "SELECT COUNT(*), MAX(id) FROM submissions WHERE assignment_id = ?1 AND student_id = ?2",
      a.id, student_id);
  q.next();
  st.submissions = static_cast<int>(q.integer(0));
  std::optional<std::int64_t> last = q.opt_integer(1);
  st.grade = grade_of(c, a.id, student_id);
  if (st.grade) {
    st.status = WorkStatus::graded;
    return st;
  }
  if (!last) {
    st.status = now > a.due_at ? WorkStatus::overdue : WorkStatus::none;
    return st;
  }
  bool returned = c.scalar(
                       "SELECT 1 FROM comments WHERE assignment_id = ?1 AND student_id = ?2 "
                       "AND kind = 'returned' AND submission_id = ?3",
                       a.id, student_id, *last)
                      .has_value();
  bool late = c.scalar("SELECT late FROM submissions WHERE id = ?1", *last).value_or(0) != 0;
  st.status = returned ? WorkStatus::returned : late ? WorkStatus::late : WorkStatus::submitted;
  return st;
}

bool teaches(storage::Connection& c, const User& u, std::int64_t class_id,
             std::int64_t subject_id) {
  if (u.role == Role::admin) return true;
  if (u.role != Role::teacher) return false;
  return c
      .scalar(
          "SELECT 1 FROM teaching WHERE teacher_id = ?1 AND class_id = ?2 AND "
          "subject_id = ?3",
          u.id, class_id, subject_id)
      .has_value();
}

bool can_view_gradebook(storage::Connection& c, const User& u, std::int64_t class_id,
                        std::int64_t subject_id) {
  return teaches(c, u, class_id, subject_id) || leads_class(c, u, class_id);
}

Gradebook gradebook(storage::Connection& c, std::int64_t class_id, std::int64_t subject_id) {
  Gradebook g;
  for (auto& a : assignments_of_class(c, class_id, subject_id))
    if (a.grading != Grading::none) g.columns.push_back(std::move(a));
  std::map<std::pair<std::int64_t, std::int64_t>, std::string> marks;
  auto q = c.query(
      "SELECT g.assignment_id, g.student_id, g.mark FROM grades g JOIN assignments a "
      "ON a.id = g.assignment_id WHERE a.class_id = ?1 AND a.subject_id = ?2",
      class_id, subject_id);
  while (q.next()) marks[{q.integer(0), q.integer(1)}] = q.text(2);
  for (auto& s : list_students(c, class_id)) {
    GradebookRow row{std::move(s), {}, std::nullopt};
    int sum = 0, n = 0;
    for (const auto& a : g.columns) {
      auto it = marks.find({a.id, row.student.user.id});
      std::string m = it == marks.end() ? "" : it->second;
      if (auto v = mark_value(m)) {
        sum += *v;
        ++n;
      }
      row.marks.push_back(m);
    }
    if (n) row.average = static_cast<double>(sum) / n;
    g.rows.push_back(std::move(row));
  }
  return g;
}

std::vector<DiaryEntry> diary(storage::Connection& c, std::int64_t student_id) {
  std::vector<DiaryEntry> out;
  std::vector<std::pair<std::int64_t, Grade>> grades;
  auto q = c.query(
      "SELECT assignment_id, mark, comment, graded_at, teacher_id FROM grades "
      "WHERE student_id = ?1",
      student_id);
  while (q.next())
    grades.push_back({q.integer(0), {q.text(1), q.text(2), q.integer(3), q.integer(4)}});
  for (auto& [aid, g] : grades)
    if (auto a = find_assignment(c, aid)) out.push_back({std::move(*a), std::move(g)});
  std::sort(out.begin(), out.end(), [](const DiaryEntry& x, const DiaryEntry& y) {
    if (x.assignment.subject_name != y.assignment.subject_name)
      return x.assignment.subject_name < y.assignment.subject_name;
    return x.assignment.due_at < y.assignment.due_at;
  });
  return out;
}

}  // namespace parta::domain
