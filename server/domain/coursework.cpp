#include "domain/coursework.hpp"

#include <algorithm>
#include <map>

#include "domain/access_sql.hpp"

namespace parta::domain {

namespace {

#define PARTA_ASSIGNMENT_COLUMNS                                                           \
  "a.id, a.class_id, a.subject_id, a.teacher_id, c.name, s.name, "                         \
  "u.last_name || ' ' || u.first_name || ' ' || u.middle_name, a.topic, a.title, a.body, " \
  "a.grading, a.whole_class, a.publish_at, a.due_at, a.created_at "
#define PARTA_ASSIGNMENT_JOINS                                                                  \
  "JOIN classes c ON c.id = a.class_id JOIN subjects s ON s.id = a.subject_id JOIN users u ON " \
  "u.id = a.teacher_id "
constexpr int kAssignmentColumns = 15;
constexpr const char* kAssignmentSelect =
    "SELECT " PARTA_ASSIGNMENT_COLUMNS "FROM assignments a " PARTA_ASSIGNMENT_JOINS;

// A student's work on assignment `a` for the student `sid` (an SQL expression), in the columns
// state_from() reads: how many submissions, whether the latest was late, whether the teacher
// returned the latest, and the grade (the query joins grades g for that student). Every part is
// an index lookup, so a list's rows cost the same in May as in September.
#define PARTA_SUBMISSIONS_OF(sid) \
  "FROM submissions b WHERE b.assignment_id = a.id AND b.student_id = " sid
#define PARTA_RETURNED(sid)                                                                 \
  "EXISTS (SELECT 1 FROM comments m WHERE m.assignment_id = a.id AND m.student_id = " sid   \
  " AND m.kind = 'returned' AND m.submission_id = (SELECT MAX(b.id) " PARTA_SUBMISSIONS_OF( \
      sid) "))"
#define PARTA_WORK_COLUMNS(sid) \
  "(SELECT COUNT(*) " PARTA_SUBMISSIONS_OF(sid) "), (SELECT b.late " PARTA_SUBMISSIONS_OF(sid) \
  " ORDER BY b.id DESC LIMIT 1), " PARTA_RETURNED(sid) ", g.mark, g.comment, g.graded_at, "    \
  "g.teacher_id "
// Work still to do: not graded, and nothing handed in or the latest returned.
#define PARTA_UNFINISHED(sid)                                                                    \
  "(g.mark IS NULL AND (NOT EXISTS (SELECT 1 " PARTA_SUBMISSIONS_OF(sid) ") OR " PARTA_RETURNED( \
      sid) "))"
// What teacher `t` may see of a student's work: the subjects they teach in the class, and all of
// the class they lead (t = 0: no limit).
#define PARTA_TEACHER_SEES(t)                                                               \
  "(" t " = 0 OR EXISTS (SELECT 1 FROM teaching t WHERE t.teacher_id = " t                  \
  " AND t.class_id = a.class_id AND t.subject_id = a.subject_id) OR EXISTS (SELECT 1 FROM " \
  "classes k WHERE k.id = a.class_id AND k.class_teacher_id = " t "))"

Assignment assignment_from(const storage::Query& q, int o = 0) {
  Assignment a;
  a.id = q.integer(o);
  a.class_id = q.integer(o + 1);
  a.subject_id = q.integer(o + 2);
  a.teacher_id = q.integer(o + 3);
  a.class_name = q.text(o + 4);
  a.subject_name = q.text(o + 5);
  a.teacher_name = q.text(o + 6);
  a.topic = q.text(o + 7);
  a.title = q.text(o + 8);
  a.body = q.text(o + 9);
  a.grading = parse_grading(q.text(o + 10)).value_or(Grading::none);
  a.whole_class = q.integer(o + 11) != 0;
  a.publish_at = q.integer(o + 12);
  a.due_at = q.integer(o + 13);
  a.created_at = q.integer(o + 14);
  return a;
}

std::optional<Grade> grade_from(const storage::Query& q, int o) {
  if (q.is_null(o)) return std::nullopt;
  return Grade{q.text(o), q.text(o + 1), q.integer(o + 2), q.integer(o + 3)};
}

// Reads PARTA_WORK_COLUMNS at column o; the status as state_of defines it.
WorkState state_from(const storage::Query& q, int o, std::int64_t due_at, std::int64_t now) {
  WorkState st;
  st.submissions = static_cast<int>(q.integer(o));
  st.grade = grade_from(q, o + 3);
  if (st.grade)
    st.status = WorkStatus::graded;
  else if (st.submissions == 0)
    st.status = now > due_at ? WorkStatus::overdue : WorkStatus::none;
  else
    st.status = q.integer(o + 2) != 0   ? WorkStatus::returned
                : q.integer(o + 1) != 0 ? WorkStatus::late
                                        : WorkStatus::submitted;
  return st;
}

template <class... A>
std::vector<Assignment> assignments_where(storage::Connection& c, const std::string& where,
                                          const A&... args) {
  std::vector<Assignment> out;
  auto q = c.query(std::string(kAssignmentSelect) + where, args...);
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

void update_assignment(storage::Connection& c, std::int64_t id, const NewAssignment& a) {
  c.run(
      "UPDATE assignments SET topic = ?2, title = ?3, body = ?4, publish_at = ?5, due_at = ?6 "
      "WHERE id = ?1",
      id, a.topic, a.title, a.body, a.publish_at, a.due_at);
}

AssignmentWork work_on(storage::Connection& c, std::int64_t assignment_id) {
  auto q = c.query(
      "SELECT (SELECT COUNT(*) FROM submissions WHERE assignment_id = ?1), "
      "(SELECT COUNT(*) FROM comments WHERE assignment_id = ?1), "
      "(SELECT COUNT(*) FROM grades WHERE assignment_id = ?1), "
      "(SELECT COUNT(*) FROM print_runs WHERE assignment_id = ?1)",
      assignment_id);
  AssignmentWork w;
  if (q.next()) {
    w.submissions = static_cast<int>(q.integer(0));
    w.comments = static_cast<int>(q.integer(1));
    w.grades = static_cast<int>(q.integer(2));
    w.print_runs = static_cast<int>(q.integer(3));
  }
  return w;
}

void delete_assignment(storage::Connection& c, std::int64_t id) {
  std::string uid;
  {
    auto q = c.query("SELECT COALESCE(uid, '') FROM assignments WHERE id = ?1", id);
    if (q.next()) uid = q.text(0);
  }
  c.run("DELETE FROM assignments WHERE id = ?1", id);
  if (uid.empty()) return;
  // The record of its creation may have travelled already: the deletion travels under the same
  // uid, its payload written now (the record builder would find no row to name it by).
  c.run(
      "INSERT INTO sync_outbox (epoch, kind, ref) SELECT epoch, 'assignment', ?1 FROM sync_self "
      "WHERE role = 'school'",
      std::to_string(id));
  if (c.changes() == 0) return;
  c.run(
      "UPDATE sync_outbox SET payload = json_object('seq', seq, 'kind', 'assignment', 'rid', ?1, "
      "'deleted', json('true')) WHERE seq = ?2",
      uid, c.last_insert_id());
}

void remove_attachment(storage::Connection& c, std::int64_t assignment_id,
                       std::int64_t attachment_id) {
  c.run("DELETE FROM attachments WHERE id = ?1 AND assignment_id = ?2 AND student_id IS NULL",
        attachment_id, assignment_id);
}

std::optional<Assignment> find_assignment(storage::Connection& c, std::int64_t id) {
  auto v = assignments_where(c, "WHERE a.id = ?1", id);
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
  std::vector<Student> out;
  auto q = c.query(
      "SELECT " PARTA_STUDENT_COLUMNS
      " FROM students s JOIN users u ON u.id = s.user_id JOIN classes c ON c.id = s.class_id "
      "WHERE s.class_id = ?1 AND (?2 OR EXISTS (SELECT 1 FROM assignment_students x WHERE "
      "x.assignment_id = ?3 AND x.student_id = s.user_id)) "
      "ORDER BY u.last_name, u.first_name, u.middle_name",
      a.class_id, a.whole_class, a.id);
  while (q.next()) out.push_back(student_from_row(q, 0));
  return out;
}

std::vector<Assignment> assignments_for_student(storage::Connection& c, std::int64_t student_id,
                                                std::int64_t now) {
  std::vector<Assignment> out;
  for (auto& w : work_of_student(c, student_id, now, {})) out.push_back(std::move(w.assignment));
  return out;
}

std::vector<Assignment> assignments_of_teacher(storage::Connection& c, std::int64_t teacher_id,
                                               Period due) {
  // Only what the teacher still oversees (can_oversee: teaches it, or leads the class): an
  // assignment of a subject handed to someone else is theirs now.
  return assignments_where(c,
                           "WHERE a.teacher_id = ?1 AND a.due_at >= ?2 AND a.due_at < ?3 AND " +
                               sql::oversees("a.class_id", "a.subject_id", 1) +
                               " ORDER BY a.due_at DESC, a.id DESC",
                           teacher_id, due.from, due.to);
}

std::vector<Assignment> assignments_of_class(storage::Connection& c, std::int64_t class_id,
                                             std::int64_t subject_id, Period due) {
  return assignments_where(c,
                           "WHERE a.class_id = ?1 AND a.subject_id = ?2 AND a.due_at >= ?3 AND "
                           "a.due_at < ?4 ORDER BY a.due_at, a.id",
                           class_id, subject_id, due.from, due.to);
}

std::optional<std::int64_t> first_due(storage::Connection& c, std::int64_t class_id) {
  return c.scalar("SELECT MIN(due_at) FROM assignments WHERE class_id = ?1", class_id);
}

std::optional<std::int64_t> first_due_of_teacher(storage::Connection& c, std::int64_t teacher_id) {
  return c.scalar("SELECT MIN(due_at) FROM assignments WHERE teacher_id = ?1", teacher_id);
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
  // The files of all of them at once, in submission and page order.
  auto f = c.query(
      "SELECT f.submission_id, f.id, f.sha256, f.filename, f.content_type, f.size FROM "
      "submissions b JOIN submission_files f ON f.submission_id = b.id WHERE b.assignment_id = ?1 "
      "AND b.student_id = ?2 ORDER BY f.submission_id, f.position",
      assignment_id, student_id);
  auto it = out.begin();
  while (f.next()) {
    while (it != out.end() && it->id < f.integer(0)) ++it;
    if (it == out.end()) break;
    it->files.push_back(
        {f.integer(1), f.text(2), f.text(3), f.text(4), static_cast<std::uint64_t>(f.integer(5))});
  }
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
  return grade_from(q, 0);
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
  auto q = c.query("SELECT " PARTA_WORK_COLUMNS("?2") "FROM assignments a LEFT JOIN grades g ON "
                   "g.assignment_id = a.id AND g.student_id = ?2 WHERE a.id = ?1",
                   a.id, student_id);
  if (!q.next()) return {};
  return state_from(q, 0, a.due_at, now);
}

std::vector<StudentWork> work_of_student(storage::Connection& c, std::int64_t student_id,
                                         std::int64_t now, const WorkQuery& w) {
  std::vector<StudentWork> out;
  // The student's class's whole-class assignments due in the period (an index range), and the
  // ones set for them by name (a handful a year).
  auto q = c.query("SELECT " PARTA_ASSIGNMENT_COLUMNS ", " PARTA_WORK_COLUMNS(
                       "?1") "FROM assignments a " PARTA_ASSIGNMENT_JOINS
                             "LEFT JOIN grades g ON g.assignment_id = a.id AND g.student_id = ?1 "
                             "WHERE a.id IN (SELECT x.id FROM assignments x WHERE x.class_id = "
                             "(SELECT class_id FROM "
                             "students WHERE user_id = ?1) AND x.whole_class = 1 AND x.due_at >= "
                             "?3 AND x.due_at < ?4 "
                             "UNION ALL SELECT y.assignment_id FROM assignment_students y WHERE "
                             "y.student_id = ?1) "
                             "AND a.publish_at <= ?2 AND a.due_at >= ?3 AND a.due_at < ?4 "
                             "AND " PARTA_TEACHER_SEES("?5") " AND (?6 = 0 OR " PARTA_UNFINISHED(
                                 "?1") ") ORDER BY a.due_at, a.id LIMIT ?7",
                   student_id, now, w.due.from, w.due.to, w.teacher, w.unfinished,
                   w.limit ? static_cast<std::int64_t>(w.limit) : std::int64_t{-1});
  while (q.next()) {
    StudentWork sw{assignment_from(q), {}};
    sw.state = state_from(q, kAssignmentColumns, sw.assignment.due_at, now);
    out.push_back(std::move(sw));
  }
  return out;
}

std::vector<AssignedStudent> work_of_assignment(storage::Connection& c, const Assignment& a,
                                                std::int64_t now) {
  std::vector<AssignedStudent> out;
  auto q = c.query(
      "SELECT " PARTA_STUDENT_COLUMNS ", " PARTA_WORK_COLUMNS("s.user_id") ", "
      "COALESCE(x.variant, '') != '' FROM assignments a JOIN students s ON s.class_id = "
      "a.class_id JOIN users u ON u.id = s.user_id JOIN classes c ON c.id = s.class_id "
      "LEFT JOIN assignment_students x ON x.assignment_id = a.id AND x.student_id = s.user_id "
      "LEFT JOIN grades g ON g.assignment_id = a.id AND g.student_id = s.user_id "
      "WHERE a.id = ?1 AND (a.whole_class OR x.student_id IS NOT NULL) "
      "ORDER BY u.last_name, u.first_name, u.middle_name",
      a.id);
  constexpr int kWork = 13;  // PARTA_STUDENT_COLUMNS
  while (q.next())
    out.push_back(
        {student_from_row(q, 0), state_from(q, kWork, a.due_at, now), q.integer(kWork + 7) != 0});
  return out;
}

bool teaches(storage::Connection& c, const User& u, std::int64_t class_id,
             std::int64_t subject_id) {
  if (u.role == Role::admin) return true;
  if (u.role != Role::teacher) return false;
  return c.scalar("SELECT " + sql::teaches("?2", "?3", 1), u.id, class_id, subject_id) == 1;
}

bool can_view_gradebook(storage::Connection& c, const User& u, std::int64_t class_id,
                        std::int64_t subject_id) {
  if (u.role == Role::admin) return true;
  if (u.role != Role::teacher) return false;
  return c.scalar("SELECT " + sql::oversees("?2", "?3", 1), u.id, class_id, subject_id) == 1;
}

Gradebook gradebook(storage::Connection& c, std::int64_t class_id, std::int64_t subject_id,
                    Period due) {
  Gradebook g;
  for (auto& a : assignments_of_class(c, class_id, subject_id, due))
    if (a.grading != Grading::none) g.columns.push_back(std::move(a));
  std::map<std::pair<std::int64_t, std::int64_t>, std::string> marks;
  auto q = c.query(
      "SELECT g.assignment_id, g.student_id, g.mark FROM assignments a JOIN grades g ON "
      "g.assignment_id = a.id WHERE a.class_id = ?1 AND a.subject_id = ?2 AND a.due_at >= ?3 "
      "AND a.due_at < ?4",
      class_id, subject_id, due.from, due.to);
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

std::vector<DiaryEntry> diary(storage::Connection& c, std::int64_t student_id, Period given,
                              std::int64_t teacher) {
  std::vector<DiaryEntry> out;
  auto q = c.query(
      "SELECT " PARTA_ASSIGNMENT_COLUMNS
      ", g.mark, g.comment, g.graded_at, g.teacher_id "
      "FROM grades g JOIN assignments a ON a.id = g.assignment_id " PARTA_ASSIGNMENT_JOINS
      "WHERE g.student_id = ?1 AND g.graded_at >= ?2 AND g.graded_at < ?3 AND " PARTA_TEACHER_SEES(
          "?4") " ORDER BY s.name, a.due_at, a.id",
      student_id, given.from, given.to, teacher);
  while (q.next()) out.push_back({assignment_from(q), *grade_from(q, kAssignmentColumns)});
  return out;
}

}  // namespace parta::domain
