#include "domain/news.hpp"

namespace parta::domain {

namespace {

// The reader's read mark of a thread (the submissions or comments row's own thread).
#define PARTA_READ_MARK(row, column)               \
  "COALESCE((SELECT r." column                     \
  " FROM thread_reads r WHERE r.user_id = ?2 AND " \
  "r.assignment_id = " row ".assignment_id AND r.student_id = " row ".student_id), 0)"

// Several assignments as one bound parameter: a JSON array that SQL reads with json_each().
std::string json_ids(const std::vector<std::int64_t>& ids) {
  std::string out = "[";
  for (auto id : ids) out += (out.size() > 1 ? "," : "") + std::to_string(id);
  return out + "]";
}

}  // namespace

std::map<std::int64_t, ThreadNews> news_of_assignments(storage::Connection& c, std::int64_t reader,
                                                       const std::vector<std::int64_t>& assignments,
                                                       std::int64_t student) {
  std::map<std::int64_t, ThreadNews> out;
  if (assignments.empty()) return out;
  // Both counts come from the threads' own indexes (assignment, student, id).
  auto q = c.query(
      "SELECT j.value, "
      "(SELECT COUNT(DISTINCT s.student_id) FROM submissions s WHERE s.assignment_id = j.value "
      " AND (?3 = 0 OR s.student_id = ?3) AND s.submitted_by != ?2 AND s.student_id != ?2 AND "
      " s.id > " PARTA_READ_MARK("s", "submission_seen") "), "
      "(SELECT COUNT(*) FROM comments m WHERE m.assignment_id = j.value "
      " AND (?3 = 0 OR m.student_id = ?3) AND m.author_id != ?2 AND "
      " m.id > " PARTA_READ_MARK("m", "comment_seen") ") "
      "FROM json_each(?1) j",
      json_ids(assignments), reader, student);
  while (q.next()) {
    ThreadNews n{static_cast<int>(q.integer(1)), static_cast<int>(q.integer(2))};
    if (n.any()) out[q.integer(0)] = n;
  }
  return out;
}

std::map<std::int64_t, ThreadNews> news_of_threads(storage::Connection& c, std::int64_t reader,
                                                   std::int64_t assignment) {
  std::map<std::int64_t, ThreadNews> out;
  auto q = c.query(
      "SELECT s.student_id, 1, 0 FROM submissions s WHERE s.assignment_id = ?1 AND "
      "s.submitted_by != ?2 AND s.id > " PARTA_READ_MARK("s", "submission_seen") " "
      "UNION ALL SELECT m.student_id, 0, 1 FROM comments m WHERE m.assignment_id = ?1 AND "
      "m.author_id != ?2 AND m.id > " PARTA_READ_MARK("m", "comment_seen"),
      assignment, reader);
  while (q.next()) {
    auto& n = out[q.integer(0)];
    n.hand_ins = q.integer(1) ? 1 : n.hand_ins;  // one student's work counts once
    n.comments += static_cast<int>(q.integer(2));
  }
  return out;
}

bool mark_thread_seen(storage::Connection& c, std::int64_t reader, std::int64_t assignment,
                      std::int64_t student, std::int64_t last_submission, std::int64_t last_comment,
                      std::int64_t graded_at) {
  // The WHERE keeps a plain page view from writing when nothing moved on.
  return c.run_if_free(
      "INSERT INTO thread_reads (user_id, assignment_id, student_id, submission_seen, "
      "comment_seen, grade_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
      "ON CONFLICT (user_id, assignment_id, student_id) DO UPDATE SET "
      "submission_seen = MAX(submission_seen, excluded.submission_seen), "
      "comment_seen = MAX(comment_seen, excluded.comment_seen), grade_seen = excluded.grade_seen "
      "WHERE excluded.submission_seen > submission_seen OR "
      "excluded.comment_seen > comment_seen OR excluded.grade_seen != grade_seen",
      reader, assignment, student, last_submission, last_comment, graded_at);
}

std::vector<NewMark> new_marks(storage::Connection& c, std::int64_t reader, std::int64_t student,
                               std::int64_t since, std::size_t limit) {
  std::vector<NewMark> out;
  auto q = c.query(
      "SELECT a.id, g.graded_at, a.title, sj.name, g.mark FROM grades g "
      "JOIN assignments a ON a.id = g.assignment_id JOIN subjects sj ON sj.id = a.subject_id "
      "WHERE g.student_id = ?1 AND g.graded_at > MAX(?3, COALESCE((SELECT seen_at FROM "
      "marks_seen WHERE user_id = ?2), 0)) AND g.teacher_id != ?2 AND NOT EXISTS (SELECT 1 FROM "
      "thread_reads r WHERE r.user_id = ?2 AND r.assignment_id = g.assignment_id AND "
      "r.student_id = g.student_id AND r.grade_seen = g.graded_at) "
      "ORDER BY g.graded_at DESC LIMIT ?4",
      student, reader, since, static_cast<std::int64_t>(limit));
  while (q.next()) out.push_back({q.integer(0), q.integer(1), q.text(2), q.text(3), q.text(4)});
  return out;
}

bool mark_marks_seen(storage::Connection& c, std::int64_t reader, std::int64_t now) {
  return c.run_if_free(
      "INSERT INTO marks_seen (user_id, seen_at) VALUES (?1, ?2) ON CONFLICT (user_id) DO "
      "UPDATE SET seen_at = excluded.seen_at WHERE excluded.seen_at > seen_at",
      reader, now);
}

}  // namespace parta::domain
