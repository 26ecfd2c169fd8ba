#pragma once
// A quiz kept with its assignment (issue 18): its questions and settings, students' attempts and
// their answers saved page by page, the marking (automatic where it can be, the teacher's for open
// answers), and the result as the assignment's mark through the teacher's scale. A finished
// attempt is also a submission of the assignment, so the diary, monitoring and the district see
// it like any handed-in work.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "domain/coursework.hpp"
#include "domain/quiz.hpp"

namespace parta::domain {

struct QuizSettings {
  int attempts = 1;  // 1..10
  int per_page = 5;  // questions a page, 1..50
  MarkScale scale;
};
struct Quiz {
  std::int64_t assignment_id = 0;
  QuizSettings settings;
  std::vector<QuizQuestion> questions;
  double max_points() const;
};

std::optional<Quiz> find_quiz(storage::Connection& c, std::int64_t assignment_id);
bool has_quiz(storage::Connection& c, std::int64_t assignment_id);
// Stores the quiz. Once students have answered, the questions may be fixed (texts, keys, points)
// but not added, removed, reordered or changed in kind: then every answer is marked again and the
// marks follow. Returns why it was refused, or nullopt.
std::optional<Message> save_quiz(storage::Connection& c, const Clock& clock, const Assignment& a,
                                 const QuizSettings& settings, const std::vector<QuizQuestion>& qs);

// The order a student sees: the questions, and each one's options (shuffled once for him, the
// same at every attempt and on paper).
std::vector<std::size_t> question_order(const Assignment& a, std::int64_t student_id,
                                        std::size_t count);
std::vector<std::size_t> option_order(const Assignment& a, std::int64_t student_id,
                                      std::size_t question, const QuizQuestion& q);

struct QuizAttempt {
  std::int64_t id = 0, assignment_id = 0, student_id = 0;
  int number = 0;
  std::int64_t started_at = 0;
  std::optional<std::int64_t> finished_at;
  bool late = false;
  // Set once finished: points so far, and whether open answers wait for the teacher.
  double score = 0, max = 0;
  int waiting = 0;
};
std::vector<QuizAttempt> attempts_of(storage::Connection& c, std::int64_t assignment_id,
                                     std::int64_t student_id);
// Every student's attempts at once (the results page), by student and number.
std::vector<QuizAttempt> attempts_of_assignment(storage::Connection& c, std::int64_t assignment_id);
std::optional<QuizAttempt> find_attempt(storage::Connection& c, std::int64_t attempt_id);
// A new attempt, or the unfinished one; nullopt when every allowed attempt is used.
std::optional<QuizAttempt> start_attempt(storage::Connection& c, const Clock& clock,
                                         const Assignment& a, const Quiz& q,
                                         std::int64_t student_id);
// Answers by question position (the quiz's order); an empty answer clears one. False (nothing
// saved) once the attempt is handed in.
std::map<std::size_t, std::string> answers_of(storage::Connection& c, std::int64_t attempt_id);
bool save_answers(storage::Connection& c, const Clock& clock, std::int64_t attempt_id,
                  const std::map<std::size_t, std::string>& answers);
// Marks what can be marked, records the attempt's score, and when nothing waits for the teacher
// sets the assignment's mark from the best attempt. Also the attempt's submission.
void finish_attempt(storage::Connection& c, const Clock& clock, const Assignment& a, const Quiz& q,
                    const QuizAttempt& attempt);
// The teacher's points for an open answer.
void mark_open_answer(storage::Connection& c, const Clock& clock, const Assignment& a,
                      const Quiz& q, std::int64_t attempt_id, std::size_t position, double points);

struct QuestionStats {
  int answered = 0, right = 0, partly = 0, wrong = 0, waiting = 0;
  // QuizChoice questions: how often each option was chosen in finished attempts.
  std::vector<int> chosen;
};
std::vector<QuestionStats> question_stats(storage::Connection& c, const Quiz& q);

// An answer waiting for the teacher: an open answer typed online, or from paper a handwritten
// answer (`crop`: its picture, a blob) or a question whose boxes the page does not say plainly
// (`doubt`, with the crop of the question and the options read as marked in `answer`).
struct OpenAnswer {
  std::int64_t attempt_id = 0, student_id = 0;
  std::string student_name;
  std::size_t position = 0;
  std::string answer;
  std::string crop, doubt;
  std::optional<int> page;  // paper: the packet's page the question is on
};
std::vector<OpenAnswer> open_answers_waiting(storage::Connection& c, const Quiz& q);

// The quiz on paper (issue 18). The attempt a paper packet makes, from its pages filed so far
// (their readings, kept with the scanned pages) and where its answer places were printed: every
// question read from a page that came back is answered (decided boxes are marked at once,
// handwritten answers and unclear rows wait for the teacher with their crops); a question whose
// page has not come back waits as "missing". Run again when more of the packet comes back: what
// was read or decided before stays. Marks follow as for an attempt online.
void record_paper_attempt(storage::Connection& c, const Clock& clock, const Assignment& a,
                          std::int64_t packet_id);
// The teacher's reading of a question from paper: the options marked ("0,2"; "" none).
void decide_paper_answer(storage::Connection& c, const Clock& clock, const Assignment& a,
                         const Quiz& q, std::int64_t attempt_id, std::size_t position,
                         const std::string& answer, std::int64_t teacher_id);

}  // namespace parta::domain
