// Surveys: made by the admin or a class teacher (from scratch or from the seeds' two templates),
// answered by a class's students or parents, counted in a table and a chart, exported to CSV.
#include "domain/surveys.hpp"
#include "web/app.hpp"
#include "web/charts.hpp"
#include "web/export.hpp"
#include "web/form_fields.hpp"
#include "web/time_format.hpp"

namespace parta::web {

namespace {

using domain::QuestionKind;
using domain::Role;

constexpr std::size_t kSlots = 8;  // question slots on the form (no JavaScript to add more)

domain::Survey load(Ctx& ctx) {
  auto s = domain::find_survey(ctx.db, ctx.req.id("id"));
  if (!s) throw http::Forbidden();
  return *s;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = trim(text.substr(start, end - start));
    if (!line.empty()) out.push_back(line);
    start = end + 1;
  }
  return out;
}

std::string join_lines(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : "\n") + s;
  return out;
}

// The form as the author filled it (or a template), with empty slots to add questions.
http::Response new_survey_page(Ctx& ctx, const domain::NewSurvey& s, const std::string& error,
                               int status) {
  mstch::array slots, classes;
  for (std::size_t i = 0; i < std::max(kSlots, s.questions.size()); ++i) {
    domain::NewQuestion q;
    if (i < s.questions.size()) q = s.questions[i];
    slots.push_back(mstch::map{{"n", std::to_string(i + 1)},
                               {"text", q.text},
                               {"single", q.kind == QuestionKind::single},
                               {"multi", q.kind == QuestionKind::multi},
                               {"is_text", q.kind == QuestionKind::text && !q.text.empty()},
                               {"options", join_lines(q.options)}});
  }
  for (const auto& k : domain::surveyable_classes(ctx.db, ctx.me()))
    classes.push_back(mstch::map{
        {"id", std::to_string(k.id)}, {"name", k.name}, {"selected", s.class_id == k.id}});
  mstch::map data{{"title", s.title},
                  {"intro", s.intro},
                  {"slots", slots},
                  {"classes", classes},
                  {"whole_school", ctx.me().role == Role::admin},
                  {"for_parents", s.audience == Role::parent}};
  if (!error.empty()) data["error"] = error;
  return page(ctx, "survey_new", std::move(data), "New survey", status);
}

domain::NewSurvey read_survey_form(Ctx& ctx) {
  const auto& f = ctx.req.form();
  domain::NewSurvey s;
  s.title = field(ctx, "title", 2000);
  s.intro = field(ctx, "intro", 20000);
  s.audience = f.value("audience") == "students" ? Role::student : Role::parent;
  std::string cls = f.value("class");
  if (cls != "all") s.class_id = parse_id(cls);
  for (std::size_t i = 1; i <= domain::kMaxQuestions; ++i) {
    std::string n = std::to_string(i);
    std::string text = field(ctx, ("q" + n + "_text").c_str(), 3000);
    std::string options = field(ctx, ("q" + n + "_options").c_str(), 20000);
    if (text.empty() && options.empty()) continue;  // an unused slot
    auto kind = domain::parse_question_kind(f.value("q" + n + "_kind"));
    if (!kind) throw http::BadRequest("The form refers to something that does not exist.");
    s.questions.push_back(domain::NewQuestion{*kind, text, lines(options)});
  }
  return s;
}

http::Response survey_page(Ctx& ctx, const domain::Survey& s, const domain::Answers& given,
                           const std::string& notice, const std::string& error, int status) {
  mstch::array questions;
  for (std::size_t i = 0; i < s.questions.size(); ++i) {
    const auto& q = s.questions[i];
    mstch::array options;
    auto chosen = given.chosen.find(q.id);
    for (const auto& o : q.options) {
      bool on =
          chosen != given.chosen.end() &&
          std::find(chosen->second.begin(), chosen->second.end(), o.id) != chosen->second.end();
      options.push_back(
          mstch::map{{"oid", std::to_string(o.id)}, {"text", o.text}, {"checked", on}});
    }
    auto text = given.text.find(q.id);
    questions.push_back(mstch::map{{"qid", std::to_string(q.id)},
                                   {"n", std::to_string(i + 1)},
                                   {"text", q.text},
                                   {"single", q.kind == QuestionKind::single},
                                   {"multi", q.kind == QuestionKind::multi},
                                   {"free", q.kind == QuestionKind::text},
                                   {"answer", text == given.text.end() ? "" : text->second},
                                   {"options", options}});
  }
  bool addressed = domain::is_addressed_to(ctx.db, ctx.me(), s);
  mstch::map data{{"id", std::to_string(s.id)},
                  {"title", s.title},
                  {"intro", s.intro},
                  {"questions", questions},
                  {"can_answer", addressed && s.open},
                  {"closed", !s.open},
                  {"results", domain::can_see_results(ctx.db, ctx.me(), s)}};
  // A parent of children in several classes is told which child the answers are about.
  if (addressed && ctx.me().role == Role::parent) {
    auto kids = domain::survey_children(ctx.db, s, ctx.me().id);
    std::string about;
    for (const auto& k : kids) about += (about.empty() ? "" : "; ") + k;
    if (kids.size() == 1)
      data["about"] = ctx.tr(
          domain::Message{"The questions are about your child {child}.", {{"child", about}}});
    else if (kids.size() > 1)
      data["about"] = ctx.tr(domain::Message{
          "The questions are about your children {children}: answer for all of them, and name "
          "the child in a written answer where it differs.",
          {{"children", about}}});
  }
  if (!notice.empty()) data["notice"] = notice;
  if (!error.empty()) data["error"] = error;
  return page(ctx, "survey", std::move(data), "Survey", status);
}

std::string audience_label(Ctx& ctx, const domain::Survey& s) {
  std::string who = ctx.tr(s.audience == Role::student ? "students" : "parents");
  return who + ", " + (s.class_id ? s.class_name : ctx.tr("all classes"));
}

}  // namespace

mstch::array surveys_waiting(Ctx& ctx) {
  mstch::array out;
  for (const auto& s : domain::surveys_for(ctx.db, ctx.me()))
    if (s.open && !s.answered)
      out.push_back(mstch::map{{"id", std::to_string(s.id)}, {"title", s.title}});
  return out;
}

void register_survey_views(App& app) {
  app.route("GET", "/surveys", kSignedIn, [](Ctx& ctx) {
    mstch::array list;
    bool staff = ctx.me().role == Role::admin || ctx.me().role == Role::teacher;
    for (const auto& s : domain::surveys_for(ctx.db, ctx.me())) {
      mstch::map m{{"id", std::to_string(s.id)},
                   {"title", s.title},
                   {"open", s.open},
                   {"audience", audience_label(ctx, s)},
                   {"when", format_date(s.created_at)},
                   {"responses", std::to_string(s.responses)}};
      if (!staff) m["answered"] = s.answered;
      list.push_back(m);
    }
    mstch::map data{{"surveys", list},
                    {"has_surveys", !list.empty()},
                    {"staff", staff},
                    {"can_make", !domain::surveyable_classes(ctx.db, ctx.me()).empty()}};
    return page(ctx, "surveys", std::move(data), "Surveys");
  });

  app.route("GET", "/surveys/new", kStaff, [](Ctx& ctx) {
    if (domain::surveyable_classes(ctx.db, ctx.me()).empty()) throw http::Forbidden();
    domain::NewSurvey s;
    if (auto t = ctx.req.query("template"))
      if (auto made = domain::survey_template(*t)) s = *made;
    return new_survey_page(ctx, s, "", 200);
  });

  app.route("POST", "/surveys", kStaff, [](Ctx& ctx) {
    auto s = read_survey_form(ctx);
    bool allowed = false;
    if (!s.class_id) {
      allowed = ctx.me().role == Role::admin && ctx.req.form().value("class") == "all";
    } else {
      for (const auto& k : domain::surveyable_classes(ctx.db, ctx.me()))
        allowed |= k.id == *s.class_id;
    }
    if (!allowed) throw http::Forbidden();
    if (auto err = domain::check_survey(s)) return new_survey_page(ctx, s, ctx.tr(*err), 422);
    auto id = domain::create_survey(ctx.db, ctx.clock, ctx.me().id, s);
    return http::Response::redirect("/surveys/" + std::to_string(id) + "/results");
  });

  app.route("GET", "/surveys/{id}", kSignedIn, [](Ctx& ctx) {
    auto s = load(ctx);
    if (!domain::is_addressed_to(ctx.db, ctx.me(), s) &&
        !domain::can_see_results(ctx.db, ctx.me(), s))
      throw http::Forbidden();
    auto given = domain::answers_of(ctx.db, s, ctx.me().id);
    return survey_page(ctx, s, given.value_or(domain::Answers{}),
                       given ? ctx.tr("Thank you: your answers are saved. You can change them "
                                      "while the survey is open.")
                             : "",
                       "", 200);
  });

  app.route("POST", "/surveys/{id}", kStudent | kParent, [](Ctx& ctx) {
    auto s = load(ctx);
    if (!domain::is_addressed_to(ctx.db, ctx.me(), s)) throw http::Forbidden();
    const auto& f = ctx.req.form();
    domain::Answers a;
    for (const auto& q : s.questions) {
      std::string name = "q" + std::to_string(q.id);
      if (q.kind == QuestionKind::text) {
        a.text[q.id] = field(ctx, name.c_str(), 10000);
        continue;
      }
      for (const auto& v : f.all(name)) {
        auto o = parse_id(v);
        if (!o) throw http::BadRequest("The form refers to something that does not exist.");
        a.chosen[q.id].push_back(*o);
      }
    }
    if (!s.open) return survey_page(ctx, s, a, "", ctx.tr("The survey is closed."), 422);
    if (auto err = domain::check_answers(s, a))
      return survey_page(ctx, s, a, "", ctx.tr(*err), 422);
    domain::save_answers(ctx.db, ctx.clock, s, ctx.me().id, a);
    return http::Response::redirect("/surveys/" + std::to_string(s.id));
  });

  app.route("GET", "/surveys/{id}/results", kStaff, [](Ctx& ctx) {
    auto s = load(ctx);
    if (!domain::can_see_results(ctx.db, ctx.me(), s)) throw http::Forbidden();
    auto results = domain::survey_results(ctx.db, s);
    mstch::array questions;
    for (std::size_t i = 0; i < s.questions.size(); ++i) {
      const auto& q = s.questions[i];
      const auto& r = results[i];
      mstch::array rows, texts;
      std::vector<Bar> bars;
      for (std::size_t j = 0; j < q.options.size(); ++j) {
        int pct = r.answered ? (r.counts[j] * 100 + r.answered / 2) / r.answered : 0;
        rows.push_back(mstch::map{{"text", q.options[j].text},
                                  {"count", std::to_string(r.counts[j])},
                                  {"pct", std::to_string(pct)}});
        bars.push_back(Bar{q.options[j].text, static_cast<double>(r.counts[j]),
                           std::to_string(r.counts[j]) + " · " + std::to_string(pct) + "%"});
      }
      for (const auto& t : r.texts) texts.push_back(mstch::map{{"answer", t}});
      mstch::map m{{"n", std::to_string(i + 1)},
                   {"text", q.text},
                   {"answered", std::to_string(r.answered)},
                   {"rows", rows},
                   {"texts", texts},
                   {"free", q.kind == QuestionKind::text},
                   {"multi", q.kind == QuestionKind::multi}};
      if (!bars.empty()) m["chart"] = bar_chart(bars, q.text);
      questions.push_back(m);
    }
    // Who has not answered, and each person's answers (who needs a tablet, who works on paper).
    mstch::array waiting, people;
    for (const auto& p : domain::survey_people(ctx.db, s)) {
      std::string who = p.children.empty() ? p.name : p.children + " — " + p.name;
      if (!p.answered) {
        waiting.push_back(mstch::map{{"who", who}});
        continue;
      }
      mstch::array cells;
      for (const auto& q : s.questions) {
        std::string cell;
        if (q.kind == QuestionKind::text) {
          auto t = p.answers.text.find(q.id);
          if (t != p.answers.text.end()) cell = t->second;
        } else if (auto c = p.answers.chosen.find(q.id); c != p.answers.chosen.end()) {
          for (const auto& o : q.options)
            if (std::find(c->second.begin(), c->second.end(), o.id) != c->second.end())
              cell += (cell.empty() ? "" : ", ") + o.text;
        }
        cells.push_back(mstch::map{{"question", q.text}, {"text", cell}});
      }
      people.push_back(mstch::map{{"who", who}, {"cells", cells}});
    }
    bool manage = ctx.me().role == Role::admin || ctx.me().id == s.author_id;
    mstch::map data{{"waiting", waiting},
                    {"has_waiting", !waiting.empty()},
                    {"waiting_count", std::to_string(waiting.size())},
                    {"people", people},
                    {"has_people", !people.empty()},
                    {"id", std::to_string(s.id)},
                    {"title", s.title},
                    {"audience", audience_label(ctx, s)},
                    {"author", s.author_name},
                    {"responses", std::to_string(s.responses)},
                    {"of", std::to_string(domain::audience_size(ctx.db, s))},
                    {"questions", questions},
                    {"open", s.open},
                    {"manage", manage}};
    return page(ctx, "survey_results", std::move(data), "Survey results");
  });

  app.route("GET", "/surveys/{id}/results.csv", kStaff, [](Ctx& ctx) {
    auto s = load(ctx);
    if (!domain::can_see_results(ctx.db, ctx.me(), s)) throw http::Forbidden();
    auto results = domain::survey_results(ctx.db, s);
    Table t{{ctx.tr("Question"), ctx.tr("Answer"), ctx.tr("How many"), ctx.tr("Answered")}};
    for (std::size_t i = 0; i < s.questions.size(); ++i) {
      const auto& q = s.questions[i];
      const auto& r = results[i];
      for (std::size_t j = 0; j < q.options.size(); ++j)
        t.push_back(
            {q.text, q.options[j].text, std::to_string(r.counts[j]), std::to_string(r.answered)});
      for (const auto& a : r.texts) t.push_back({q.text, a, "", std::to_string(r.answered)});
    }
    return csv_download(t, s.title);
  });

  app.route("POST", "/surveys/{id}/open", kStaff, [](Ctx& ctx) {
    auto s = load(ctx);
    if (ctx.me().role != Role::admin && ctx.me().id != s.author_id) throw http::Forbidden();
    domain::set_survey_open(ctx.db, s.id, ctx.req.form().value("open") == "1");
    return http::Response::redirect("/surveys/" + std::to_string(s.id) + "/results");
  });

  app.route("POST", "/surveys/{id}/delete", kStaff, [](Ctx& ctx) {
    auto s = load(ctx);
    if (ctx.me().role != Role::admin && ctx.me().id != s.author_id) throw http::Forbidden();
    if (s.responses > 0 && !confirmed(ctx))
      return confirm_page(
          ctx,
          ctx.tr(domain::Message{"Delete the survey «{title}» with the {count} answers given? They "
                                 "cannot be brought back.",
                                 {{"title", s.title}, {"count", std::to_string(s.responses)}}}),
          ctx.tr("Delete the survey and its answers"),
          "/surveys/" + std::to_string(s.id) + "/results");
    domain::delete_survey(ctx.db, s.id);
    return http::Response::redirect("/surveys");
  });
}

}  // namespace parta::web
