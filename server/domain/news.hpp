#pragma once
// What is new for a reader of coursework: read marks per assignment thread (the reader's own,
// written when they open it), and from them the hand-ins a teacher has not seen, the comments
// either side has not read, and the marks a student has not looked at. Each list is one query
// over a bounded set of assignments, never a query per row.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "storage/database.hpp"

namespace parta::domain {

struct ThreadNews {
  int hand_ins = 0;  // students whose latest work the reader has not seen (theirs excluded)
  int comments = 0;  // comments by someone else the reader has not seen
  bool any() const { return hand_ins > 0 || comments > 0; }
};

// Per assignment of `assignments`, what `reader` has not seen in its threads (only the thread of
// `student` when it is not 0: a student's or a parent's view).
std::map<std::int64_t, ThreadNews> news_of_assignments(storage::Connection& c, std::int64_t reader,
                                                       const std::vector<std::int64_t>& assignments,
                                                       std::int64_t student = 0);
// Per student of one assignment, what `reader` has not seen in that student's thread.
std::map<std::int64_t, ThreadNews> news_of_threads(storage::Connection& c, std::int64_t reader,
                                                   std::int64_t assignment);

// The reader was shown the thread up to these items (0: none); a write only when it moves on.
// Returns false when the database was busy (the mark waits for the next view).
bool mark_thread_seen(storage::Connection& c, std::int64_t reader, std::int64_t assignment,
                      std::int64_t student, std::int64_t last_submission, std::int64_t last_comment,
                      std::int64_t graded_at);

struct NewMark {
  std::int64_t assignment_id = 0, graded_at = 0;
  std::string title, subject, mark;
};
// Marks of `student` given since `since` that `reader` has seen neither in the thread nor on the
// diary page, newest first, at most `limit`.
std::vector<NewMark> new_marks(storage::Connection& c, std::int64_t reader, std::int64_t student,
                               std::int64_t since, std::size_t limit);
// The reader looked at the student's marks (the diary) at `now`.
bool mark_marks_seen(storage::Connection& c, std::int64_t reader, std::int64_t now);

}  // namespace parta::domain
