// Quizzes (issue 18): the teacher puts a quiz on an assignment (a GIFT file or text, the number
// of attempts and the scale), a student answers it page by page in plain forms (each page saved
// as it is left, so a dropped Wi-Fi loses at most the page on the screen), and the teacher sees
// the results, each question's statistics and the open answers to mark.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "content/blob_store.hpp"
#include "domain/access.hpp"
#include "domain/coursework.hpp"
#include "domain/quiz_store.hpp"
#include "web/app.hpp"
#include "web/form_fields.hpp"
#include "web/time_format.hpp"

namespace parta::web {

namespace {

using domain::Assignment;
using domain::QuizKind;

constexpr std::size_t kMaxAnswer = 2000;  // characters of a typed answer

std::string quiz_url(const Assignment& a) {
  return "/assignments/" + std::to_string(a.id) + "/quiz";
}

Assignment load_assignment(Ctx& ctx) {
  auto a = domain::find_assignment(ctx.db, ctx.req.id("id"));
  if (!a) throw http::NotFound();
  return *a;
}

// The quiz's teacher (one who teaches its class and subject) or 403.
Assignment teacher_access(Ctx& ctx) {
  Assignment a = load_assignment(ctx);
  if (!domain::teaches(ctx.db, ctx.me(), a.class_id, a.subject_id)) throw http::Forbidden();
  return a;
}

// A student the assignment is for, once it is published.
Assignment student_access(Ctx& ctx) {
  Assignment a = load_assignment(ctx);
  if (!domain::can_read_thread(ctx.db, ctx.me(), a, ctx.me().id, ctx.clock.now()))
    throw http::Forbidden();
  return a;
}

std::string choice_text(Ctx& ctx, const domain::QuizQuestion& q, std::size_t i) {
  if (q.true_false) return ctx.tr(q.choices[i].text == "true" ? "True" : "False");
  return q.choices[i].text;
}

mstch::map attempt_data(Ctx& ctx, const domain::QuizAttempt& t) {
  auto points_text = [&](double v) {
    return domain::points_text(v, ctx.lang == Lang::ru ? ',' : '.');
  };
  double percent = t.max > 0 ? 100 * t.score / t.max : 0;
  return mstch::map{{"number", std::to_string(t.number)},
                    {"finished", t.finished_at.has_value()},
                    {"score", points_text(t.score)},
                    {"max", points_text(t.max)},
                    {"percent", std::to_string(static_cast<int>(std::floor(percent + 1e-9)))},
                    {"waiting", t.waiting > 0},
                    {"late", t.late},
                    {"when", t.finished_at ? format_datetime(*t.finished_at) : std::string()}};
}

http::Response edit_page(Ctx& ctx, const Assignment& a, const std::string& gift,
                         const domain::QuizSettings& s, const std::vector<domain::Message>& errors,
                         int status) {
  mstch::array errs;
  for (const auto& e : errors) errs.push_back(mstch::map{{"text", ctx.tr(e)}});
  mstch::map data{{"id", std::to_string(a.id)},
                  {"title", a.title},
                  {"gift", gift},
                  {"attempts", std::to_string(s.attempts)},
                  {"per_page", std::to_string(s.per_page)},
                  {"five", std::to_string(s.scale.five)},
                  {"four", std::to_string(s.scale.four)},
                  {"three", std::to_string(s.scale.three)},
                  {"errors", errs},
                  {"has_errors", !errs.empty()}};
  return page(ctx, "quiz_edit", std::move(data), "Quiz", status);
}

// "0", "1", … "999": an option's or a question's index as a form sends it.
std::optional<std::size_t> parse_index(const std::string& v) {
  std::size_t out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || v.size() > 3 || ec != std::errc() || p != v.data() + v.size())
    return std::nullopt;
  return out;
}

// The options a form chose for a choice question, as an answer is kept ("0,2"): each value an
// option's index; `none_ok`: an empty value ("no answer") is skipped rather than refused.
std::string chosen_options(const std::vector<std::string>& values,
                           const domain::QuizQuestion& question, bool none_ok = false) {
  std::set<std::size_t> chosen;
  for (const auto& v : values) {
    if (v.empty() && none_ok) continue;
    auto index = parse_index(v);
    if (!index || *index >= question.choices.size())
      throw http::BadRequest("The form refers to something that does not exist.");
    chosen.insert(*index);
  }
  if (question.kind == QuizKind::single && chosen.size() > 1)
    throw http::BadRequest("The form refers to something that does not exist.");
  std::string joined;
  for (auto k : chosen) joined += (joined.empty() ? "" : ",") + std::to_string(k);
  return joined;
}

// An answer the teacher marks or decides: the route's assignment (its teacher's), quiz, attempt
// and question (`n`, 1-based); 404 for anything that is not of this quiz.
struct AnswerAt {
  Assignment a;
  domain::Quiz q;
  domain::QuizAttempt t;
  std::size_t position = 0;
};
AnswerAt answer_at(Ctx& ctx) {
  Assignment a = teacher_access(ctx);
  auto q = domain::find_quiz(ctx.db, a.id);
  auto t = domain::find_attempt(ctx.db, ctx.req.id("aid"));
  std::size_t position = static_cast<std::size_t>(ctx.req.id("n")) - 1;
  if (!q || !t || t->assignment_id != a.id || position >= q->questions.size())
    throw http::NotFound();
  return {std::move(a), std::move(*q), *t, position};
}

int int_field(Ctx& ctx, const char* name, int fallback) {
  std::string v = ctx.req.form().value(name);
  int out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc() && p == v.data() + v.size() ? out : fallback;
}

}  // namespace

void register_quiz_views(App& app) {
  // ---- the teacher: the quiz's questions and settings ----
  app.route("GET", "/assignments/{id}/quiz/edit", kTeacher, [](Ctx& ctx) {
    Assignment a = teacher_access(ctx);
    auto q = domain::find_quiz(ctx.db, a.id);
    return edit_page(ctx, a, q ? domain::to_gift(q->questions) : std::string(),
                     q ? q->settings : domain::QuizSettings{}, {}, 200);
  });

  app.route("POST", "/assignments/{id}/quiz/edit", kTeacher, [](Ctx& ctx) {
    Assignment a = teacher_access(ctx);
    domain::QuizSettings s;
    s.attempts = int_field(ctx, "attempts", 0);
    s.per_page = int_field(ctx, "per_page", 0);
    s.scale = {int_field(ctx, "five", 0), int_field(ctx, "four", 0), int_field(ctx, "three", 0)};
    // A .gift file chosen, or the text typed or pasted.
    std::string gift = ctx.req.form().value("gift");
    if (const http::UploadedFile* f = ctx.req.form().file("file"); f && f->size > 0) {
      if (f->size > domain::kMaxGiftBytes) throw http::PayloadTooLarge();
      gift = f->read();
    }
    auto parsed = domain::parse_gift(gift);
    if (!parsed.ok()) return edit_page(ctx, a, gift, s, parsed.errors, 422);
    if (auto err = domain::save_quiz(ctx.db, ctx.clock, a, s, parsed.questions))
      return edit_page(ctx, a, gift, s, {*err}, 422);
    return http::Response::redirect(quiz_url(a) + "/results");
  });

  app.route("GET", "/assignments/{id}/quiz.gift", kTeacher, [](Ctx& ctx) {
    Assignment a = teacher_access(ctx);
    auto q = domain::find_quiz(ctx.db, a.id);
    if (!q) throw http::NotFound();
    auto r = http::Response::text(domain::to_gift(q->questions));
    r.header("Content-Disposition",
             "attachment; filename=\"quiz-" + std::to_string(a.id) + ".gift\"");
    return r;
  });

  // ---- the teacher: results, each question's statistics, open answers to mark ----
  app.route("GET", "/assignments/{id}/quiz/results", kTeacher, [](Ctx& ctx) {
    auto points_text = [&](double v) {
      return domain::points_text(v, ctx.lang == Lang::ru ? ',' : '.');
    };
    Assignment a = teacher_access(ctx);
    auto q = domain::find_quiz(ctx.db, a.id);
    if (!q) return http::Response::redirect(quiz_url(a) + "/edit");
    // Three reads whatever the class: the students with their marks, every attempt, the answers.
    std::map<std::int64_t, std::vector<domain::QuizAttempt>> by_student;
    for (auto& t : domain::attempts_of_assignment(ctx.db, a.id))
      by_student[t.student_id].push_back(std::move(t));
    mstch::array students;
    for (const auto& w : domain::work_of_assignment(ctx.db, a, ctx.clock.now())) {
      const auto& attempts = by_student[w.student.user.id];
      std::optional<domain::QuizAttempt> best;
      for (const auto& t : attempts)
        if (t.finished_at && (!best || t.score > best->score)) best = t;
      mstch::map m{{"name", w.student.user.last_name + " " + w.student.user.first_name},
                   {"attempts", std::to_string(attempts.size())},
                   {"mark", w.state.grade ? w.state.grade->mark : std::string()}};
      if (best) m["best"] = attempt_data(ctx, *best);
      students.push_back(m);
    }
    auto stats = domain::question_stats(ctx.db, *q);
    mstch::array questions;
    for (std::size_t i = 0; i < q->questions.size(); ++i) {
      const auto& question = q->questions[i];
      const auto& st = stats[i];
      mstch::map m{{"n", std::to_string(i + 1)},
                   {"text", question.title.empty() ? question.text : question.title},
                   {"points", points_text(question.points)},
                   {"answered", std::to_string(st.answered)},
                   {"right", std::to_string(st.right)},
                   {"partly", std::to_string(st.partly)},
                   {"wrong", std::to_string(st.wrong)},
                   {"waiting", std::to_string(st.waiting)}};
      // The wrong option chosen most: what the class misunderstood.
      int most = 0;
      std::size_t which = 0;
      for (std::size_t k = 0; k < st.chosen.size(); ++k)
        if (question.choices[k].weight <= 0 && st.chosen[k] > most) most = st.chosen[k], which = k;
      if (most > 0) {
        m["trap"] = choice_text(ctx, question, which);
        m["trap_count"] = std::to_string(most);
      }
      questions.push_back(m);
    }
    mstch::array open;
    for (const auto& o : domain::open_answers_waiting(ctx.db, *q)) {
      const auto& question = q->questions[o.position];
      std::string action = quiz_url(a) + "/attempts/" + std::to_string(o.attempt_id) + "/answers/" +
                           std::to_string(o.position + 1);
      mstch::map m{{"student", o.student_name},
                   {"n", std::to_string(o.position + 1)},
                   {"question", question.text},
                   {"answer", o.answer},
                   {"max", points_text(question.points)},
                   {"action", action},
                   {"paper", !o.crop.empty() || !o.doubt.empty()},
                   {"page", o.page ? std::to_string(*o.page) : std::string()}};
      if (!o.crop.empty()) m["crop"] = quiz_url(a) + "/crops/" + o.crop + ".jpg";
      if (!o.doubt.empty()) {
        // The teacher reads the question from its crop: one tap per option, numbered as the
        // student's sheet numbers them.
        static const std::map<std::string, const char*> kWhy{
            {"faint", "A faint or half-erased mark: look at the boxes."},
            {"full", "A box is filled in whole: on the sheet that takes a mark back."},
            {"beside", "A mark beside a box, not in it."},
            {"two", "Two boxes are marked where one answer is asked."},
            {"lost", "The boxes could not be found on the scan: look at the page."},
            {"missing", "The page with this question has not come back."}};
        auto why = kWhy.find(o.doubt);
        m["why"] = ctx.tr(why != kWhy.end() ? why->second : "Look at the boxes.");
        m["decide"] = action + "/decide";
        bool choice = question.kind == QuizKind::single || question.kind == QuizKind::multiple;
        m["single"] = question.kind == QuizKind::single;
        m["multiple"] = question.kind == QuizKind::multiple;
        m["missing"] = o.doubt == "missing";
        if (choice) {
          mstch::array options;
          std::size_t number = 0;
          for (auto k : domain::option_order(a, o.student_id, o.position, question))
            options.push_back(mstch::map{{"value", std::to_string(k)},
                                         {"number", std::to_string(++number)},
                                         {"text", choice_text(ctx, question, k)}});
          m["options"] = options;
        }
      } else {
        m["points_form"] = true;
        // A number or a word written on paper: right or wrong in one tap (points in between
        // by the field below it).
        if (!o.crop.empty() &&
            (question.kind == QuizKind::number || question.kind == QuizKind::short_answer)) {
          m["quick"] = true;
          m["max_value"] = domain::points_text(question.points, '.');
        }
      }
      open.push_back(m);
    }
    mstch::map data{{"id", std::to_string(a.id)},
                    {"title", a.title},
                    {"students", students},
                    {"questions", questions},
                    {"open", open},
                    {"has_open", !open.empty()},
                    {"max", points_text(q->max_points())},
                    {"count", std::to_string(q->questions.size())}};
    return page(ctx, "quiz_results", std::move(data), "Quiz results");
  });

  app.route("POST", "/assignments/{id}/quiz/attempts/{aid}/answers/{n}", kTeacher, [](Ctx& ctx) {
    auto [a, q, t, position] = answer_at(ctx);
    auto in = domain::parse_typed_number(ctx.req.form().value("points"));
    if (!in || *in < 0 || *in > q.questions[position].points)
      throw http::BadRequest("The points are a number from 0 to the question's points.");
    domain::mark_open_answer(ctx.db, ctx.clock, a, q, t.id, position, *in);
    return http::Response::redirect(quiz_url(a) + "/results");
  });

  // A question read from paper that the page does not say plainly: the teacher's reading.
  app.route(
      "POST", "/assignments/{id}/quiz/attempts/{aid}/answers/{n}/decide", kTeacher, [](Ctx& ctx) {
        auto [a, q, t, position] = answer_at(ctx);
        std::string joined =
            chosen_options(ctx.req.form().all("answer"), q.questions[position], true);
        domain::decide_paper_answer(ctx.db, ctx.clock, a, q, t.id, position, joined, ctx.me().id);
        return http::Response::redirect(quiz_url(a) + "/results");
      });

  // The crop of a question or a handwritten answer read from paper, for the quiz's teacher.
  app.route("GET", "/assignments/{id}/quiz/crops/{file}", kTeacher, [](Ctx& ctx) {
    Assignment a = teacher_access(ctx);
    std::string file = ctx.req.params.at("file");
    if (file.size() != 68 || !file.ends_with(".jpg")) throw http::NotFound();
    std::string sha = file.substr(0, 64);
    if (!content::BlobStore::valid_hash(sha) || !ctx.blobs->has(sha) ||
        !ctx.db
             .scalar("SELECT 1 FROM quiz_answers x JOIN quiz_attempts t ON t.id = x.attempt_id "
                     "WHERE t.assignment_id = ?1 AND x.crop = ?2 LIMIT 1",
                     a.id, sha)
             .has_value())
      throw http::NotFound();
    return http::Response::file(ctx.blobs->path_of(sha), "image/jpeg", file, true);
  });

  // ---- the student: the quiz, its attempts, and its pages ----
  app.route("GET", "/assignments/{id}/quiz", kSignedIn, [](Ctx& ctx) {
    auto points_text = [&](double v) {
      return domain::points_text(v, ctx.lang == Lang::ru ? ',' : '.');
    };
    Assignment a = load_assignment(ctx);
    if (ctx.me().role != domain::Role::student) {
      // Its teacher reads the results; staff who oversee the assignment, the assignment.
      if (ctx.me().role == domain::Role::teacher &&
          domain::teaches(ctx.db, ctx.me(), a.class_id, a.subject_id))
        return http::Response::redirect(quiz_url(a) + "/results");
      if (!domain::can_oversee(ctx.db, ctx.me(), a)) throw http::Forbidden();
      return http::Response::redirect("/assignments/" + std::to_string(a.id));
    }
    a = student_access(ctx);
    auto q = domain::find_quiz(ctx.db, a.id);
    if (!q) throw http::NotFound();
    mstch::array attempts;
    bool open = false;
    for (const auto& t : domain::attempts_of(ctx.db, a.id, ctx.me().id)) {
      attempts.push_back(attempt_data(ctx, t));
      open |= !t.finished_at;
    }
    int left = q->settings.attempts - static_cast<int>(attempts.size());
    mstch::map data{{"id", std::to_string(a.id)},
                    {"title", a.title},
                    {"count", std::to_string(q->questions.size())},
                    {"max", points_text(q->max_points())},
                    {"allowed", std::to_string(q->settings.attempts)},
                    {"attempts", attempts},
                    {"has_attempts", !attempts.empty()},
                    {"can_continue", open},
                    {"can_start", !open && left > 0},
                    {"late", ctx.clock.now() > a.due_at},
                    {"due", format_datetime(a.due_at)}};
    return page(ctx, "quiz", std::move(data), "Quiz");
  });

  app.route("POST", "/assignments/{id}/quiz/start", kStudent, [](Ctx& ctx) {
    Assignment a = student_access(ctx);
    auto q = domain::find_quiz(ctx.db, a.id);
    if (!q) throw http::NotFound();
    auto t = domain::start_attempt(ctx.db, ctx.clock, a, *q, ctx.me().id);
    if (!t) return http::Response::redirect(quiz_url(a));
    return http::Response::redirect(quiz_url(a) + "/attempts/" + std::to_string(t->id) + "/1");
  });

  // One page of the attempt: GET shows it with what was saved; POST saves it, then goes on.
  auto attempt_page = [](Ctx& ctx) {
    auto points_text = [&](double v) {
      return domain::points_text(v, ctx.lang == Lang::ru ? ',' : '.');
    };
    Assignment a = student_access(ctx);
    auto q = domain::find_quiz(ctx.db, a.id);
    auto t = domain::find_attempt(ctx.db, ctx.req.id("aid"));
    if (!q || !t || t->student_id != ctx.me().id) throw http::NotFound();
    if (t->finished_at) return http::Response::redirect(quiz_url(a));
    const std::size_t per = static_cast<std::size_t>(q->settings.per_page);
    const std::size_t pages = (q->questions.size() + per - 1) / per;
    std::size_t page_no = static_cast<std::size_t>(ctx.req.id("page"));
    if (page_no < 1 || page_no > pages) throw http::NotFound();
    auto order = domain::question_order(a, ctx.me().id, q->questions.size());
    std::vector<std::size_t> here(
        order.begin() + static_cast<std::ptrdiff_t>((page_no - 1) * per),
        order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), page_no * per)));
    if (ctx.req.method == std::string("POST")) {
      const auto& f = ctx.req.form();
      std::map<std::size_t, std::string> answers;
      for (auto i : here) {
        const auto& question = q->questions[i];
        std::string name = "q" + std::to_string(i);
        if (question.kind == QuizKind::single || question.kind == QuizKind::multiple) {
          answers[i] = chosen_options(f.all(name), question);
        } else {
          answers[i] = field(ctx, name.c_str(),
                             question.kind == QuizKind::open ? domain::kMaxText : kMaxAnswer);
        }
      }
      if (!domain::save_answers(ctx.db, ctx.clock, t->id, answers))
        return http::Response::redirect(quiz_url(a));  // handed in meanwhile (another tab)
      std::string go = f.value("go");
      std::string base = quiz_url(a) + "/attempts/" + std::to_string(t->id) + "/";
      if (go == "finish") {
        domain::finish_attempt(ctx.db, ctx.clock, a, *q, *t);
        return http::Response::redirect(quiz_url(a));
      }
      if (go == "back" && page_no > 1)
        return http::Response::redirect(base + std::to_string(page_no - 1));
      if (go == "next" && page_no < pages)
        return http::Response::redirect(base + std::to_string(page_no + 1));
      return http::Response::redirect(base + std::to_string(page_no));
    }
    auto saved = domain::answers_of(ctx.db, t->id);
    mstch::array questions;
    for (std::size_t n = 0; n < here.size(); ++n) {
      std::size_t i = here[n];
      const auto& question = q->questions[i];
      std::string given = saved.count(i) ? saved[i] : std::string();
      std::set<std::string> ticked;
      for (std::size_t from = 0; from < given.size();) {
        auto comma = given.find(',', from);
        ticked.insert(
            given.substr(from, comma == std::string::npos ? std::string::npos : comma - from));
        if (comma == std::string::npos) break;
        from = comma + 1;
      }
      mstch::array options;
      for (auto k : domain::option_order(a, ctx.me().id, i, question))
        options.push_back(mstch::map{{"value", std::to_string(k)},
                                     {"text", choice_text(ctx, question, k)},
                                     {"checked", ticked.count(std::to_string(k)) > 0}});
      questions.push_back(mstch::map{
          {"n", std::to_string((page_no - 1) * per + n + 1)},
          {"name", "q" + std::to_string(i)},
          {"text", question.text},
          {"points", points_text(question.points)},
          {"single", question.kind == QuizKind::single},
          {"multiple", question.kind == QuizKind::multiple},
          {"typed", question.kind == QuizKind::number || question.kind == QuizKind::short_answer},
          {"number", question.kind == QuizKind::number},
          {"open", question.kind == QuizKind::open},
          {"answer", given},
          {"options", options}});
    }
    std::size_t answered = 0;
    for (const auto& [i, v] : saved) answered += v.empty() ? 0 : 1;
    mstch::map data{{"id", std::to_string(a.id)},
                    {"title", a.title},
                    {"action", quiz_url(a) + "/attempts/" + std::to_string(t->id) + "/" +
                                   std::to_string(page_no)},
                    {"page", std::to_string(page_no)},
                    {"pages", std::to_string(pages)},
                    {"questions", questions},
                    {"has_back", page_no > 1},
                    {"has_next", page_no < pages},
                    {"answered", std::to_string(answered)},
                    {"count", std::to_string(q->questions.size())}};
    return page(ctx, "quiz_page", std::move(data), "Quiz");
  };
  app.route("GET", "/assignments/{id}/quiz/attempts/{aid}/{page}", kStudent, attempt_page);
  app.route("POST", "/assignments/{id}/quiz/attempts/{aid}/{page}", kStudent, attempt_page);
}

}  // namespace parta::web
