#include "domain/quiz_store.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include <nlohmann/json.hpp>

#include "domain/clock.hpp"
#include "domain/paper.hpp"
#include "printer/paper_job.hpp"
#include "storage/database.hpp"

namespace parta::domain {

namespace {

using nlohmann::json;

json question_json(const QuizQuestion& q) {
  json choices = json::array(), numbers = json::array();
  for (const auto& c : q.choices)
    choices.push_back({{"text", c.text}, {"weight", c.weight}, {"feedback", c.feedback}});
  for (const auto& n : q.numbers)
    numbers.push_back({{"value", n.value}, {"tolerance", n.tolerance}, {"weight", n.weight}});
  return {{"kind", quiz_kind_code(q.kind)},
          {"title", q.title},
          {"text", q.text},
          {"true_false", q.true_false},
          {"choices", choices},
          {"numbers", numbers},
          {"points", q.points}};
}

QuizQuestion question_from(const std::string& text) {
  QuizQuestion q;
  auto j = json::parse(text, nullptr, false);
  if (!j.is_object()) return q;
  q.kind = parse_quiz_kind(j.value("kind", "open")).value_or(QuizKind::open);
  q.title = j.value("title", "");
  q.text = j.value("text", "");
  q.true_false = j.value("true_false", false);
  q.points = j.value("points", 1.0);
  for (const auto& c : j.value("choices", json::array()))
    q.choices.push_back({c.value("text", ""), c.value("weight", 0.0), c.value("feedback", "")});
  for (const auto& n : j.value("numbers", json::array()))
    q.numbers.push_back({n.value("value", 0.0), n.value("tolerance", 0.0), n.value("weight", 1.0)});
  return q;
}

// A small, fixed generator (splitmix64): the same student gets the same order on every box and
// in every version, unlike std::shuffle's distributions.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

std::vector<std::size_t> shuffled(std::size_t n, std::uint64_t seed) {
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  for (std::size_t i = n; i > 1; --i) {
    seed = mix(seed);
    std::swap(order[i - 1], order[seed % i]);
  }
  return order;
}

QuizAttempt attempt_from(const storage::Query& q) {
  QuizAttempt a;
  a.id = q.integer(0);
  a.student_id = q.integer(1);
  a.number = static_cast<int>(q.integer(2));
  a.started_at = q.integer(3);
  a.finished_at = q.opt_integer(4);
  a.late = q.integer(5) != 0;
  a.score = q.real(6);
  a.max = q.real(7);
  a.waiting = static_cast<int>(q.integer(8));
  a.assignment_id = q.integer(9);
  return a;
}

constexpr const char* kAttemptSelect =
    "SELECT id, student_id, number, started_at, finished_at, late, score, max, waiting, "
    "assignment_id FROM quiz_attempts ";

// Marks every answer of a finished attempt that can be marked (kept: the teacher's marks of open
// answers), and records the attempt's score.
void score_attempt(storage::Connection& c, const Quiz& q, std::int64_t attempt_id) {
  // The answers, and the teacher's points where the teacher marked one: one read.
  std::map<std::size_t, std::string> answers;
  std::map<std::size_t, double> teacher;
  // Answers from paper: a handwritten one (its crop) is the teacher's to mark, whatever the
  // question's kind; one the page does not say plainly (`doubt`) waits for the teacher's reading.
  std::set<std::size_t> handwritten, doubtful;
  {
    auto r = c.query(
        "SELECT position, answer, share, marked_by IS NOT NULL, crop != '', doubt != '' "
        "FROM quiz_answers WHERE attempt_id = ?1",
        attempt_id);
    while (r.next()) {
      auto i = static_cast<std::size_t>(r.integer(0));
      answers[i] = r.text(1);
      if (r.integer(3) != 0 && !r.is_null(2)) teacher[i] = r.real(2);
      if (r.integer(4) != 0) handwritten.insert(i);
      if (r.integer(5) != 0) doubtful.insert(i);
    }
  }
  double score = 0;
  int waiting = 0;
  for (std::size_t i = 0; i < q.questions.size(); ++i) {
    const auto& question = q.questions[i];
    auto given = answers.find(i);
    std::optional<double> share;
    bool by_teacher = question.kind == QuizKind::open ||
                      (handwritten.count(i) && question.kind != QuizKind::single &&
                       question.kind != QuizKind::multiple);
    // Nothing written (a blank frame on paper): nothing to mark.
    bool nothing = given == answers.end() || (given->second.empty() && !handwritten.count(i));
    if (doubtful.count(i)) {
      share = std::nullopt;
    } else if (by_teacher) {
      if (auto t = teacher.find(i); t != teacher.end()) share = t->second;
      if (nothing) share = 0.0;
    } else {
      share = mark_answer(question, given == answers.end() ? "" : given->second);
    }
    if (!share) ++waiting;
    if (share) score += *share * question.points;
    if (given != answers.end() && share && (!by_teacher || nothing))
      c.run("UPDATE quiz_answers SET share = ?3 WHERE attempt_id = ?1 AND position = ?2",
            attempt_id, static_cast<std::int64_t>(i), *share);
  }
  c.run("UPDATE quiz_attempts SET score = ?2, max = ?3, waiting = ?4 WHERE id = ?1", attempt_id,
        score, q.max_points(), waiting);
}

// The assignment's mark from the student's best finished attempt that nothing waits in.
void grade_from_attempts(storage::Connection& c, const Clock& clock, const Assignment& a,
                         const Quiz& q, std::int64_t student_id) {
  if (a.grading == Grading::none) return;
  std::optional<double> best;
  for (const auto& t : attempts_of(c, a.id, student_id))
    if (t.finished_at && t.waiting == 0 && t.max > 0)
      best = std::max(best.value_or(0.0), 100 * t.score / t.max);
  if (!best) return;
  int mark = scale_mark(q.settings.scale, *best);
  std::string value =
      a.grading == Grading::pass ? (mark >= 3 ? "pass" : "fail") : std::to_string(mark);
  auto now = grade_of(c, a.id, student_id);
  if (now && now->mark == value) return;
  set_grade(c, clock, a.id, student_id, a.teacher_id, value, "");
}

}  // namespace

double Quiz::max_points() const {
  double sum = 0;
  for (const auto& q : questions) sum += q.points;
  return sum;
}

std::optional<Quiz> find_quiz(storage::Connection& c, std::int64_t assignment_id) {
  auto r =
      c.query("SELECT attempts, per_page, five, four, three FROM quizzes WHERE assignment_id = ?1",
              assignment_id);
  if (!r.next()) return std::nullopt;
  Quiz q;
  q.assignment_id = assignment_id;
  q.settings.attempts = static_cast<int>(r.integer(0));
  q.settings.per_page = static_cast<int>(r.integer(1));
  q.settings.scale = {static_cast<int>(r.integer(2)), static_cast<int>(r.integer(3)),
                      static_cast<int>(r.integer(4))};
  auto qs = c.query("SELECT data FROM quiz_questions WHERE assignment_id = ?1 ORDER BY position",
                    assignment_id);
  while (qs.next()) q.questions.push_back(question_from(qs.text(0)));
  return q;
}

bool has_quiz(storage::Connection& c, std::int64_t assignment_id) {
  return c.scalar("SELECT 1 FROM quizzes WHERE assignment_id = ?1", assignment_id).has_value();
}

std::optional<Message> save_quiz(storage::Connection& c, const Clock& clock, const Assignment& a,
                                 const QuizSettings& s, const std::vector<QuizQuestion>& qs) {
  if (s.attempts < 1 || s.attempts > 10) return Message{"Attempts: from 1 to 10.", {}};
  if (s.per_page < 1 || s.per_page > 50) return Message{"Questions a page: from 1 to 50.", {}};
  if (!s.scale.valid())
    return Message{"The scale's percentages go up: for a 3 less than for a 4, less than for a 5.",
                   {}};
  if (qs.empty() || qs.size() > kMaxQuestions) return Message{"The file has no questions.", {}};
  storage::Transaction tx(c);
  auto before = find_quiz(c, a.id);
  bool answered =
      c.scalar("SELECT 1 FROM quiz_attempts WHERE assignment_id = ?1 LIMIT 1", a.id).has_value();
  if (before && answered) {
    bool same = before->questions.size() == qs.size();
    for (std::size_t i = 0; same && i < qs.size(); ++i)
      same = before->questions[i].kind == qs[i].kind &&
             before->questions[i].choices.size() == qs[i].choices.size();
    if (!same)
      return Message{
          "Students have already answered this quiz: you can fix texts, keys and points, but not "
          "add, remove or reorder questions or their options.",
          {}};
  }
  c.run(
      "INSERT INTO quizzes (assignment_id, attempts, per_page, five, four, three, updated_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (assignment_id) DO UPDATE SET "
      "attempts = excluded.attempts, per_page = excluded.per_page, five = excluded.five, "
      "four = excluded.four, three = excluded.three, updated_at = excluded.updated_at",
      a.id, s.attempts, s.per_page, s.scale.five, s.scale.four, s.scale.three, clock.now());
  c.run("DELETE FROM quiz_questions WHERE assignment_id = ?1", a.id);
  for (std::size_t i = 0; i < qs.size(); ++i)
    c.run("INSERT INTO quiz_questions (assignment_id, position, data) VALUES (?1, ?2, ?3)", a.id,
          static_cast<std::int64_t>(i),
          question_json(qs[i]).dump(-1, ' ', false, json::error_handler_t::replace));
  if (answered) {
    // A key fixed: every finished attempt is marked again, and the marks follow.
    const Quiz quiz{a.id, s, qs};
    std::vector<std::pair<std::int64_t, std::int64_t>> finished;
    auto r = c.query(
        "SELECT id, student_id FROM quiz_attempts WHERE assignment_id = ?1 AND finished_at IS "
        "NOT NULL",
        a.id);
    while (r.next()) finished.emplace_back(r.integer(0), r.integer(1));
    std::vector<std::int64_t> students;
    for (const auto& [attempt, student] : finished) {
      score_attempt(c, quiz, attempt);
      students.push_back(student);
    }
    std::sort(students.begin(), students.end());
    students.erase(std::unique(students.begin(), students.end()), students.end());
    for (auto s_id : students) grade_from_attempts(c, clock, a, quiz, s_id);
  }
  tx.commit();
  return std::nullopt;
}

std::vector<std::size_t> question_order(const Assignment& a, std::int64_t student_id,
                                        std::size_t count) {
  return shuffled(count, mix(static_cast<std::uint64_t>(a.id) * 1000003u +
                             static_cast<std::uint64_t>(student_id)));
}

std::vector<std::size_t> option_order(const Assignment& a, std::int64_t student_id,
                                      std::size_t question, const QuizQuestion& q) {
  std::size_t n = q.choices.size();
  if ((q.kind != QuizKind::single && q.kind != QuizKind::multiple) || q.true_false) {
    std::vector<std::size_t> as_written(n);
    for (std::size_t i = 0; i < n; ++i) as_written[i] = i;
    return as_written;
  }
  return shuffled(n, mix(mix(static_cast<std::uint64_t>(a.id) * 1000003u +
                             static_cast<std::uint64_t>(student_id)) +
                         question + 1));
}

std::vector<QuizAttempt> attempts_of(storage::Connection& c, std::int64_t assignment_id,
                                     std::int64_t student_id) {
  std::vector<QuizAttempt> out;
  auto r = c.query(
      std::string(kAttemptSelect) + "WHERE assignment_id = ?1 AND student_id = ?2 ORDER BY number",
      assignment_id, student_id);
  while (r.next()) out.push_back(attempt_from(r));
  return out;
}

std::vector<QuizAttempt> attempts_of_assignment(storage::Connection& c,
                                                std::int64_t assignment_id) {
  std::vector<QuizAttempt> out;
  auto r =
      c.query(std::string(kAttemptSelect) + "WHERE assignment_id = ?1 ORDER BY student_id, number",
              assignment_id);
  while (r.next()) out.push_back(attempt_from(r));
  return out;
}

std::optional<QuizAttempt> find_attempt(storage::Connection& c, std::int64_t attempt_id) {
  auto r = c.query(std::string(kAttemptSelect) + "WHERE id = ?1", attempt_id);
  if (!r.next()) return std::nullopt;
  return attempt_from(r);
}

std::optional<QuizAttempt> start_attempt(storage::Connection& c, const Clock& clock,
                                         const Assignment& a, const Quiz& q,
                                         std::int64_t student_id) {
  storage::Transaction tx(c);
  auto all = attempts_of(c, a.id, student_id);
  for (const auto& t : all)
    if (!t.finished_at) return t;
  if (static_cast<int>(all.size()) >= q.settings.attempts) return std::nullopt;
  std::int64_t now = clock.now();
  c.run(
      "INSERT INTO quiz_attempts (assignment_id, student_id, number, started_at, late) "
      "VALUES (?1, ?2, ?3, ?4, ?5)",
      a.id, student_id, static_cast<std::int64_t>(all.size() + 1), now, now > a.due_at);
  auto id = c.last_insert_id();
  tx.commit();
  return find_attempt(c, id);
}

std::map<std::size_t, std::string> answers_of(storage::Connection& c, std::int64_t attempt_id) {
  std::map<std::size_t, std::string> out;
  auto r = c.query("SELECT position, answer FROM quiz_answers WHERE attempt_id = ?1", attempt_id);
  while (r.next()) out[static_cast<std::size_t>(r.integer(0))] = r.text(1);
  return out;
}

bool save_answers(storage::Connection& c, const Clock& clock, std::int64_t attempt_id,
                  const std::map<std::size_t, std::string>& answers) {
  storage::Transaction tx(c);
  // Read under the write lock: a page sent again after the hand-in changes nothing.
  if (c.scalar("SELECT 1 FROM quiz_attempts WHERE id = ?1 AND finished_at IS NULL", attempt_id) !=
      1)
    return false;
  for (const auto& [position, answer] : answers) {
    if (answer.empty()) {
      c.run("DELETE FROM quiz_answers WHERE attempt_id = ?1 AND position = ?2", attempt_id,
            static_cast<std::int64_t>(position));
      continue;
    }
    c.run(
        "INSERT INTO quiz_answers (attempt_id, position, answer, saved_at) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (attempt_id, position) DO UPDATE SET answer = excluded.answer, "
        "saved_at = excluded.saved_at, share = NULL, marked_by = NULL",
        attempt_id, static_cast<std::int64_t>(position), answer, clock.now());
  }
  tx.commit();
  return true;
}

void finish_attempt(storage::Connection& c, const Clock& clock, const Assignment& a, const Quiz& q,
                    const QuizAttempt& attempt) {
  storage::Transaction tx(c);
  c.run("UPDATE quiz_attempts SET finished_at = ?2 WHERE id = ?1 AND finished_at IS NULL",
        attempt.id, clock.now());
  if (c.changes() == 0) return;  // handed in already (two taps on a slow link): nothing twice
  score_attempt(c, q, attempt.id);
  auto done = find_attempt(c, attempt.id);
  std::string body = "Тест, попытка " + std::to_string(done->number) + ": " +
                     points_text(done->score) + " из " + points_text(done->max) + " баллов" +
                     (done->waiting > 0 ? " (развёрнутые ответы ждут проверки учителем)" : "");
  submit(c, clock, a, attempt.student_id, attempt.student_id, body, {}, "web", "quiz");
  grade_from_attempts(c, clock, a, q, attempt.student_id);
  tx.commit();
}

void mark_open_answer(storage::Connection& c, const Clock& clock, const Assignment& a,
                      const Quiz& q, std::int64_t attempt_id, std::size_t position, double points) {
  auto attempt = find_attempt(c, attempt_id);
  if (!attempt || position >= q.questions.size()) return;
  double max = q.questions[position].points;
  double share = max > 0 ? std::clamp(points / max, 0.0, 1.0) : 0;
  storage::Transaction tx(c);
  c.run(
      "UPDATE quiz_answers SET share = ?3, marked_by = ?4 WHERE attempt_id = ?1 AND position = ?2",
      attempt_id, static_cast<std::int64_t>(position), share, a.teacher_id);
  score_attempt(c, q, attempt_id);
  grade_from_attempts(c, clock, a, q, attempt->student_id);
  tx.commit();
}

std::vector<QuestionStats> question_stats(storage::Connection& c, const Quiz& q) {
  std::vector<QuestionStats> out(q.questions.size());
  for (std::size_t i = 0; i < q.questions.size(); ++i)
    out[i].chosen.assign(q.questions[i].choices.size(), 0);
  auto r = c.query(
      "SELECT a.position, a.answer, a.share FROM quiz_answers a JOIN quiz_attempts t ON t.id = "
      "a.attempt_id WHERE t.assignment_id = ?1 AND t.finished_at IS NOT NULL",
      q.assignment_id);
  while (r.next()) {
    auto i = static_cast<std::size_t>(r.integer(0));
    if (i >= out.size()) continue;
    auto& s = out[i];
    ++s.answered;
    if (r.is_null(2)) {
      ++s.waiting;
    } else {
      double share = r.real(2);
      ++(share >= 1 ? s.right : share > 0 ? s.partly : s.wrong);
    }
    const auto& question = q.questions[i];
    if (question.kind == QuizKind::single || question.kind == QuizKind::multiple) {
      std::string answer = r.text(1);
      for (std::size_t from = 0; from <= answer.size();) {
        auto comma = answer.find(',', from);
        std::string item =
            answer.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
        std::size_t k = 0;
        if (!item.empty() && item.size() < 4 &&
            std::all_of(item.begin(), item.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
          k = std::stoul(item);
        else
          k = s.chosen.size();
        if (k < s.chosen.size()) ++s.chosen[k];
        if (comma == std::string::npos) break;
        from = comma + 1;
      }
    }
  }
  return out;
}

std::vector<OpenAnswer> open_answers_waiting(storage::Connection& c, const Quiz& q) {
  std::vector<OpenAnswer> out;
  auto r = c.query(
      "SELECT t.id, t.student_id, u.last_name || ' ' || u.first_name, a.position, a.answer, "
      "a.crop, a.doubt, t.packet_id FROM quiz_answers a "
      "JOIN quiz_attempts t ON t.id = a.attempt_id JOIN users u ON u.id = t.student_id "
      "WHERE t.assignment_id = ?1 AND t.finished_at IS NOT NULL AND a.share IS NULL "
      "ORDER BY u.last_name, u.first_name, t.number, a.position",
      q.assignment_id);
  std::map<std::int64_t, std::map<int, int>> pages;  // packet → question → page
  while (r.next()) {
    OpenAnswer o{r.integer(0), r.integer(1), r.text(2), static_cast<std::size_t>(r.integer(3)),
                 r.text(4),    r.text(5),    r.text(6), std::nullopt};
    if (auto packet = r.opt_integer(7)) {
      if (!pages.count(*packet)) {
        auto& m = pages[*packet];
        for (const auto& b : paper_layout(c, *packet))
          if (!m.count(b.question)) m[b.question] = b.page;
      }
      if (auto p = pages[*packet].find(static_cast<int>(o.position)); p != pages[*packet].end())
        o.page = p->second;
    }
    out.push_back(std::move(o));
  }
  return out;
}

void record_paper_attempt(storage::Connection& c, const Clock& clock, const Assignment& a,
                          std::int64_t packet_id) {
  auto q = find_quiz(c, a.id);
  if (!q) return;
  auto layout = paper_layout(c, packet_id);
  if (layout.empty()) return;
  storage::Transaction tx(c);
  auto student = c.scalar("SELECT student_id FROM packets WHERE id = ?1", packet_id);
  if (!student) return;
  std::int64_t now = clock.now();
  auto attempt = c.scalar("SELECT id FROM quiz_attempts WHERE packet_id = ?1", packet_id);
  if (!attempt) {
    auto number = c.scalar(
        "SELECT COALESCE(MAX(number), 0) + 1 FROM quiz_attempts WHERE assignment_id = ?1 AND "
        "student_id = ?2",
        a.id, *student);
    c.run(
        "INSERT INTO quiz_attempts (assignment_id, student_id, number, started_at, finished_at, "
        "late, packet_id) VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6)",
        a.id, *student, number.value_or(1), now, now > a.due_at, packet_id);
    attempt = c.last_insert_id();
  }
  // What the packet's pages that came back say, question by question (a question printed across
  // two pages is read from both).
  struct Read {
    bool decided = true, written = false, boxes = false;
    std::vector<int> chosen;
    std::string why, crop;
  };
  std::map<int, Read> read;
  {
    auto r = c.query(
        "SELECT b.boxes FROM scan_pages s JOIN scan_page_boxes b ON b.scan_page_id = s.id "
        "WHERE s.packet_id = ?1 AND s.status = 'filed'",
        packet_id);
    while (r.next()) {
      auto j = nlohmann::json::parse(r.text(0), nullptr, false);
      if (!j.is_object()) continue;
      for (const auto& row : j.value("rows", nlohmann::json::array())) {
        auto& x = read[row.value("q", -1)];
        x.boxes = true;
        if (!row.value("decided", false)) {
          x.decided = false;
          if (x.why.empty()) x.why = row.value("why", "lost");
          if (x.crop.empty()) x.crop = row.value("crop", "");
        }
        for (const auto& k : row.value("chosen", nlohmann::json::array()))
          if (k.is_number_integer()) x.chosen.push_back(k.get<int>());
      }
      for (const auto& w : j.value("writes", nlohmann::json::array())) {
        auto& x = read[w.value("q", -1)];
        if (!w.value("blank", true)) {
          x.written = true;
          x.crop = w.value("crop", "");
        }
      }
    }
  }
  // The packet's pages filed so far: a question on one of them with nothing read from it (the
  // page filed by hand, its boxes never read) is the teacher's to read from the page.
  std::set<int> filed;
  {
    auto r =
        c.query("SELECT page FROM scan_pages WHERE packet_id = ?1 AND status = 'filed'", packet_id);
    while (r.next()) filed.insert(static_cast<int>(r.integer(0)));
  }
  std::map<int, int> page_of;  // question → the page it starts on
  for (const auto& b : layout)
    if (!page_of.count(b.question)) page_of[b.question] = b.page;
  std::map<std::size_t, std::string> kept;  // position → doubt, of answers already there
  {
    auto r = c.query("SELECT position, doubt FROM quiz_answers WHERE attempt_id = ?1", *attempt);
    while (r.next()) kept[static_cast<std::size_t>(r.integer(0))] = r.text(1);
  }
  std::set<int> questions;
  for (const auto& b : layout) questions.insert(b.question);
  for (int position : questions) {
    if (position < 0 || static_cast<std::size_t>(position) >= q->questions.size()) continue;
    auto i = static_cast<std::size_t>(position);
    if (auto k = kept.find(i); k != kept.end() && k->second != "missing" && k->second != "lost")
      continue;
    const auto& question = q->questions[i];
    bool choice = question.kind == QuizKind::single || question.kind == QuizKind::multiple;
    std::string answer, crop, doubt;
    auto x = read.find(position);
    if (x == read.end()) {
      doubt = filed.count(page_of[position]) ? "lost" : "missing";
    } else if (choice) {
      std::sort(x->second.chosen.begin(), x->second.chosen.end());
      for (int k : x->second.chosen) answer += (answer.empty() ? "" : ",") + std::to_string(k);
      if (!x->second.boxes) doubt = "lost";  // printed before the question became a choice
      if (!x->second.decided) {
        doubt = x->second.why.empty() ? "lost" : x->second.why;
        crop = x->second.crop;
      }
    } else if (x->second.written) {
      crop = x->second.crop;
    }
    c.run(
        "INSERT INTO quiz_answers (attempt_id, position, answer, saved_at, crop, doubt) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (attempt_id, position) DO UPDATE SET "
        "answer = excluded.answer, saved_at = excluded.saved_at, crop = excluded.crop, "
        "doubt = excluded.doubt, share = NULL, marked_by = NULL",
        *attempt, position, answer, now, crop, doubt);
  }
  score_attempt(c, *q, *attempt);
  grade_from_attempts(c, clock, a, *q, *student);
  tx.commit();
}

void decide_paper_answer(storage::Connection& c, const Clock& clock, const Assignment& a,
                         const Quiz& q, std::int64_t attempt_id, std::size_t position,
                         const std::string& answer, std::int64_t teacher_id) {
  auto attempt = find_attempt(c, attempt_id);
  if (!attempt || position >= q.questions.size()) return;
  storage::Transaction tx(c);
  c.run(
      "UPDATE quiz_answers SET answer = ?3, doubt = '', share = NULL, marked_by = ?4 "
      "WHERE attempt_id = ?1 AND position = ?2",
      attempt_id, static_cast<std::int64_t>(position), answer, teacher_id);
  score_attempt(c, q, attempt_id);
  grade_from_attempts(c, clock, a, q, attempt->student_id);
  tx.commit();
}

}  // namespace parta::domain
