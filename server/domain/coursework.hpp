#pragma once
// Coursework: assignments (whole class, a group, or individual variants), immutable submissions
// with files, the teacher–student thread, grades on the Russian 5-point scale or pass/fail, the
// gradebook and the student's diary. No HTTP here.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "domain/message.hpp"
#include "domain/school.hpp"

namespace parta::domain {

enum class Grading { mark, pass, none };
const char* grading_code(Grading g);
std::optional<Grading> parse_grading(std::string_view s);

struct Assignment {
  std::int64_t id = 0, class_id = 0, subject_id = 0, teacher_id = 0;
  std::string class_name, subject_name, teacher_name;
  std::string topic, title, body;  // body: Markdown
  Grading grading = Grading::mark;
  bool whole_class = true;
  std::int64_t publish_at = 0, due_at = 0, created_at = 0;
};

struct NewAssignment {
  std::int64_t class_id = 0, subject_id = 0;
  std::string topic, title, body;
  Grading grading = Grading::mark;
  std::int64_t publish_at = 0, due_at = 0;
  std::vector<std::int64_t> students;  // empty: the whole class
};

// A stored file as a submission or an assignment refers to it.
struct FileRef {
  std::int64_t id = 0;
  std::string sha256, filename, content_type;
  std::uint64_t size = 0;
};

inline constexpr std::size_t kMaxTitle = 200;
inline constexpr std::size_t kMaxText = 20000;

// What is wrong with a new assignment (nullopt: fine). `now` is the server's time.
std::optional<Message> check_assignment(storage::Connection& c, const NewAssignment& a,
                                        std::int64_t now);
std::int64_t create_assignment(storage::Connection& c, const Clock& clock, std::int64_t teacher_id,
                               const NewAssignment& a);
std::optional<Assignment> find_assignment(storage::Connection& c, std::int64_t id);
// A published assignment's teacher fixes it: title, topic, text, dates (its class, subject,
// students and grading stay). Travels to the district as an edit.
void update_assignment(storage::Connection& c, std::int64_t id, const NewAssignment& a);
// What hangs on an assignment: students' work and marks, and paper packets.
struct AssignmentWork {
  int submissions = 0, comments = 0, grades = 0, print_runs = 0;
  bool any() const { return submissions || comments || grades || print_runs; }
};
AssignmentWork work_on(storage::Connection& c, std::int64_t assignment_id);
// Deletes an assignment with its files' links; only when work_on() is empty (students' work and
// marks are never deleted with a task: the teacher edits it instead). A school box that sends
// its work tells the district with a deleted record under the assignment's uid.
void delete_assignment(storage::Connection& c, std::int64_t id);
// Removes one general file of an assignment (a student's variant files stay).
void remove_attachment(storage::Connection& c, std::int64_t assignment_id,
                       std::int64_t attachment_id);
// Records a blob (idempotent) so files can refer to it.
void record_blob(storage::Connection& c, const Clock& clock, const std::string& sha256,
                 std::uint64_t size);
std::int64_t add_attachment(storage::Connection& c, std::int64_t assignment_id,
                            std::optional<std::int64_t> student_id, const FileRef& f);
void set_variant(storage::Connection& c, std::int64_t assignment_id, std::int64_t student_id,
                 const std::string& text);

// Whether the assignment is for this student (whole class, or listed).
bool assigned_to(storage::Connection& c, const Assignment& a, std::int64_t student_id);
std::vector<Student> students_of(storage::Connection& c, const Assignment& a);
// Published assignments for a student, due soonest first (all of them, old ones too).
std::vector<Assignment> assignments_for_student(storage::Connection& c, std::int64_t student_id,
                                                std::int64_t now);
// Work due in the last four weeks and not done yet is still "to do" on a student's start page
// and list; older work is on the pages of its month.
inline constexpr int kRecentDays = 28;
// Times as [from, to): what a page shows of a year, a month or a term.
struct Period {
  std::int64_t from = std::numeric_limits<std::int64_t>::min(),
               to = std::numeric_limits<std::int64_t>::max();
};
// The teacher's assignments due in the period, latest due first.
std::vector<Assignment> assignments_of_teacher(storage::Connection& c, std::int64_t teacher_id,
                                               Period due = {});
// The class's assignments in a subject due in the period, due order.
std::vector<Assignment> assignments_of_class(storage::Connection& c, std::int64_t class_id,
                                             std::int64_t subject_id, Period due = {});
// When the class's first assignment was due (nullopt: none yet): where the links to earlier
// months and terms start.
std::optional<std::int64_t> first_due(storage::Connection& c, std::int64_t class_id);
std::optional<std::int64_t> first_due_of_teacher(storage::Connection& c, std::int64_t teacher_id);
// General attachments plus the student's own variant files (student_id 0: general only).
std::vector<FileRef> attachments_for(storage::Connection& c, std::int64_t assignment_id,
                                     std::int64_t student_id);
std::string variant_for(storage::Connection& c, std::int64_t assignment_id,
                        std::int64_t student_id);

struct Submission {
  std::int64_t id = 0, student_id = 0, submitted_by = 0;
  std::string body, via, client;
  std::int64_t created_at = 0;
  bool late = false;
  std::vector<FileRef> files;
};
// Records a new (immutable) submission; files must already be blobs. Late if after the due time.
std::int64_t submit(storage::Connection& c, const Clock& clock, const Assignment& a,
                    std::int64_t student_id, std::int64_t submitted_by, const std::string& body,
                    const std::vector<FileRef>& files, const std::string& via,
                    const std::string& client);
std::vector<Submission> submissions_of(storage::Connection& c, std::int64_t assignment_id,
                                       std::int64_t student_id);
// Bytes the student's handed-in files take (what their quota on the box counts).
std::uint64_t hand_in_bytes(storage::Connection& c, std::int64_t student_id);

struct Comment {
  std::int64_t id = 0, author_id = 0;
  std::string author_name, kind, body;
  std::int64_t created_at = 0;
};
void add_comment(storage::Connection& c, const Clock& clock, std::int64_t assignment_id,
                 std::int64_t student_id, std::int64_t author_id, const std::string& kind,
                 const std::string& body);
std::vector<Comment> comments_of(storage::Connection& c, std::int64_t assignment_id,
                                 std::int64_t student_id);

// "5", "4-", "3+", "2" for marks; "pass"/"fail" for pass/fail. nullopt: not on the scale.
std::optional<std::string> normalize_mark(Grading g, std::string_view raw);
// The number a mark counts as in averages (the digit; +/- do not move it), or nullopt.
std::optional<int> mark_value(std::string_view mark);

struct Grade {
  std::string mark, comment;
  std::int64_t graded_at = 0, teacher_id = 0;
};
void set_grade(storage::Connection& c, const Clock& clock, std::int64_t assignment_id,
               std::int64_t student_id, std::int64_t teacher_id, const std::string& mark,
               const std::string& comment);
// A grade edited both here and at the district: the value that lost (the winner is the grade).
struct GradeConflict {
  std::string mark, comment, by;  // by: who set it ("" = this school)
  std::int64_t noticed_at = 0;
};
std::vector<GradeConflict> grade_conflicts_of(storage::Connection& c, std::int64_t assignment_id,
                                              std::int64_t student_id);
std::optional<Grade> grade_of(storage::Connection& c, std::int64_t assignment_id,
                              std::int64_t student_id);

enum class WorkStatus { none, overdue, submitted, late, returned, graded };
const char* status_code(WorkStatus s);
struct WorkState {
  WorkStatus status = WorkStatus::none;
  int submissions = 0;
  std::optional<Grade> grade;
};
WorkState state_of(storage::Connection& c, const Assignment& a, std::int64_t student_id,
                   std::int64_t now);

// Lists with each row's work state read in the same statement (no query per row, however long
// the year): a student's assignments, and an assignment's students.
struct StudentWork {
  Assignment assignment;
  WorkState state;
};
struct WorkQuery {
  Period due;                // only assignments due in this period
  bool unfinished = false;   // only work still to do: nothing handed in, or returned
  std::size_t limit = 0;     // at most this many (0: all)
  std::int64_t teacher = 0;  // a teacher's view: only what they teach or their class's work
};
// A student's published assignments with their states, due soonest first.
std::vector<StudentWork> work_of_student(storage::Connection& c, std::int64_t student_id,
                                         std::int64_t now, const WorkQuery& q);
struct AssignedStudent {
  Student student;
  WorkState state;
  bool has_variant = false;
};
// The assignment's students (the class, or those it is for) with their states.
std::vector<AssignedStudent> work_of_assignment(storage::Connection& c, const Assignment& a,
                                                std::int64_t now);

// Who may do what.
bool teaches(storage::Connection& c, const User& u, std::int64_t class_id, std::int64_t subject_id);
// Who may read an assignment, a thread and their files: domain/access.hpp.
bool can_view_gradebook(storage::Connection& c, const User& u, std::int64_t class_id,
                        std::int64_t subject_id);

struct GradebookRow {
  Student student;
  std::vector<std::string> marks;  // one per column; "" = no mark
  std::optional<double> average;
};
struct Gradebook {
  std::vector<Assignment> columns;  // graded assignments in due order
  std::vector<GradebookRow> rows;
};
// The marks of the class's assignments in a subject due in the period (a term, on the page).
Gradebook gradebook(storage::Connection& c, std::int64_t class_id, std::int64_t subject_id,
                    Period due = {});

struct DiaryEntry {
  Assignment assignment;
  Grade grade;
};
// A student's marks given in the period, by subject then due date; for a teacher (`teacher` != 0)
// only those of subjects they teach or of the class they lead.
std::vector<DiaryEntry> diary(storage::Connection& c, std::int64_t student_id, Period given = {},
                              std::int64_t teacher = 0);

}  // namespace parta::domain
