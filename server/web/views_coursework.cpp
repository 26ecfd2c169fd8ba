// Coursework pages: teachers post assignments and grade; students submit and talk to the teacher
// in a thread per assignment; parents read along; gradebook (with CSV/XLSX export) and diary.
#include <xlsxwriter.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>

#include "domain/access.hpp"
#include "domain/coursework.hpp"
#include "domain/library.hpp"
#include "domain/news.hpp"
#include "domain/quiz_store.hpp"
#include "web/app.hpp"
#include "web/export.hpp"
#include "web/form_fields.hpp"
#include "web/markdown.hpp"
#include "web/periods.hpp"
#include "web/time_format.hpp"
#include "web/uploads.hpp"
#include "web/view_data.hpp"

namespace parta::web {

namespace {

using domain::Assignment;
using domain::Role;

std::string mark_label(Ctx& ctx, const std::string& mark) {
  if (mark == "pass") return ctx.tr("pass");
  if (mark == "fail") return ctx.tr("fail");
  return mark;
}

std::string status_label(Ctx& ctx, domain::WorkStatus s) {
  switch (s) {
    case domain::WorkStatus::none:
      return ctx.tr("not submitted");
    case domain::WorkStatus::overdue:
      return ctx.tr("overdue");
    case domain::WorkStatus::submitted:
      return ctx.tr("submitted");
    case domain::WorkStatus::late:
      return ctx.tr("submitted late");
    case domain::WorkStatus::returned:
      return ctx.tr("returned for corrections");
    case domain::WorkStatus::graded:
      return ctx.tr("graded");
  }
  return "";
}

mstch::map assignment_data(Ctx& ctx, const Assignment& a) {
  std::int64_t now = ctx.clock.now();
  mstch::map m{{"id", std::to_string(a.id)},
               {"title", a.title},
               {"topic", a.topic},
               {"class_name", a.class_name},
               {"class_id", std::to_string(a.class_id)},
               {"subject", a.subject_name},
               {"subject_id", std::to_string(a.subject_id)},
               {"teacher", a.teacher_name},
               {"due", format_deadline(ctx.lang, a.due_at, now)},
               {"published", format_datetime(a.publish_at)},
               {"overdue", now > a.due_at},
               {"scheduled", a.publish_at > now},
               {"whole_class", a.whole_class}};
  m["grading"] = ctx.tr(a.grading == domain::Grading::mark   ? "5-point mark"
                        : a.grading == domain::Grading::pass ? "pass/fail"
                                                             : "not graded");
  return m;
}

mstch::array files_data(Ctx& ctx, const std::vector<domain::FileRef>& files,
                        const std::string& prefix) {
  mstch::array out;
  for (const auto& f : files)
    out.push_back(mstch::map{{"url", prefix + std::to_string(f.id)},
                             {"name", f.filename.empty() ? std::string("file") : f.filename},
                             {"size", format_size(ctx.lang, f.size)},
                             {"image", f.content_type.rfind("image/", 0) == 0}});
  return out;
}

mstch::array materials_data(Ctx& ctx, std::int64_t assignment_id) {
  mstch::array out;
  for (const auto& i : domain::materials_of(ctx.db, assignment_id))
    out.push_back(mstch::map{{"url", "/library/" + std::to_string(i.id)},
                             {"name", i.title},
                             {"size", format_size(ctx.lang, i.size)}});
  return out;
}

// ---- pages ----

// What a reader has not seen of an assignment, as the lists show it.
void news_data(Ctx& ctx, const domain::ThreadNews& n, mstch::map& m) {
  if (n.hand_ins > 0)
    m["new_work"] = ctx.tr(domain::Message{"new work: {n}", {{"n", std::to_string(n.hand_ins)}}});
  if (n.comments > 0)
    m["new_comments"] =
        ctx.tr(domain::Message{"new comments: {n}", {{"n", std::to_string(n.comments)}}});
}

std::string thread_url(const Assignment& a, std::int64_t sid) {
  return "/assignments/" + std::to_string(a.id) + "/students/" + std::to_string(sid);
}

// The refused form had files attached (they are not kept: they must be chosen again).
bool files_were_chosen(Ctx& ctx) {
  if (ctx.req.method != "POST") return false;
  for (const auto& f : ctx.req.form().files)
    if (f.size > 0) return true;
  return false;
}

// A published assignment's edit form: as stored, or as typed when refused.
http::Response edit_assignment_page(Ctx& ctx, const Assignment& a, const std::string& error,
                                    int status) {
  static const http::Form kEmpty;
  const http::Form& f = ctx.req.method == "POST" ? ctx.req.form() : kEmpty;
  auto typed = [&](const char* name, const std::string& stored) {
    return f.has(name) ? f.value(name) : stored;
  };
  std::string due = format_datetime(a.due_at), pub = format_datetime(a.publish_at);
  std::int64_t now = ctx.clock.now();
  mstch::map data = assignment_data(ctx, a);
  data["title"] = typed("title", a.title);
  data["topic"] = typed("topic", a.topic);
  data["body"] = typed("body", a.body);
  data["due_date"] = typed("due_date", iso_date(a.due_at));
  data["due_time"] = typed("due_time", due.substr(due.size() - 5));
  data["can_schedule"] = a.publish_at > now;
  data["publish_date"] = typed("publish_date", iso_date(a.publish_at));
  data["publish_time"] = typed("publish_time", pub.substr(pub.size() - 5));
  std::vector<std::string> removing = f.all("remove_file");
  mstch::array files;
  for (const auto& file : domain::attachments_for(ctx.db, a.id, 0)) {
    std::string id = std::to_string(file.id);
    files.push_back(
        mstch::map{{"fid", id},
                   {"name", file.filename},
                   {"size", format_size(ctx.lang, file.size)},
                   {"checked", std::find(removing.begin(), removing.end(), id) != removing.end()}});
  }
  data["files"] = files;
  data["has_files"] = !files.empty();
  if (files_were_chosen(ctx)) data["files_lost"] = true;
  if (!error.empty()) data["error"] = error;
  return page(ctx, "assignment_edit", std::move(data), "Edit the assignment", status);
}

http::Response new_assignment_page(Ctx& ctx, std::int64_t class_id, std::int64_t subject_id,
                                   const std::string& error, int status) {
  auto k = domain::find_class(ctx.db, class_id);
  if (!k || !domain::teaches(ctx.db, ctx.me(), class_id, subject_id)) throw http::Forbidden();
  std::string subject;
  for (const auto& s : domain::list_subjects(ctx.db))
    if (s.id == subject_id) subject = s.name;
  static const http::Form kEmpty;
  const http::Form& f = ctx.req.method == "POST" ? ctx.req.form() : kEmpty;
  std::vector<std::string> picked = f.all("student");
  mstch::array students;
  for (const auto& s : domain::list_students(ctx.db, class_id)) {
    mstch::map m = student_data(s);
    m["checked"] =
        std::find(picked.begin(), picked.end(), std::to_string(s.user.id)) != picked.end();
    students.push_back(m);
  }
  std::int64_t tomorrow = ctx.clock.now() + 24 * 3600;
  mstch::map data{{"class_id", std::to_string(class_id)},
                  {"subject_id", std::to_string(subject_id)},
                  {"class_name", k->name},
                  {"subject", subject},
                  {"students", students},
                  {"title", f.value("title")},
                  {"topic", f.value("topic")},
                  {"body", f.value("body")},
                  {"due_date", f.has("due_date") ? f.value("due_date") : iso_date(tomorrow)},
                  {"due_time", f.has("due_time") ? f.value("due_time") : std::string("18:00")},
                  {"publish_date", f.value("publish_date")},
                  {"publish_time", f.value("publish_time")}};
  std::string grading = f.has("grading") ? f.value("grading") : "mark";
  data["g_" + grading] = true;
  if (!error.empty()) data["error"] = error;
  // A browser cannot be given files back: say so instead of dropping them silently.
  if (files_were_chosen(ctx)) data["files_lost"] = true;
  return page(ctx, "assignment_new", std::move(data), "New assignment", status);
}

// From a thread, the teacher's way on: the next student after this one whose work or comments
// they have not seen yet (round the list), else simply the next student. Two queries, however
// long the class.
void next_student(Ctx& ctx, const Assignment& a, std::int64_t student_id, mstch::map& data) {
  auto students = domain::students_of(ctx.db, a);
  auto news = domain::news_of_threads(ctx.db, ctx.me().id, a.id);
  auto here = std::find_if(students.begin(), students.end(),
                           [&](const domain::Student& s) { return s.user.id == student_id; });
  if (students.size() < 2 || here == students.end()) return;
  const std::size_t at = static_cast<std::size_t>(here - students.begin());
  const domain::Student* next = &students[(at + 1) % students.size()];
  bool is_new = false;
  for (std::size_t i = 1; i < students.size(); ++i) {
    const auto& s = students[(at + i) % students.size()];
    if (news.count(s.user.id)) {
      next = &s;
      is_new = true;
      break;
    }
  }
  data["next_url"] = thread_url(a, next->user.id);
  data["next_name"] = next->user.short_name();
  data["next_new"] = is_new;
}

http::Response thread_page(Ctx& ctx, const Assignment& a, std::int64_t student_id,
                           const std::string& error, int status) {
  auto student = domain::find_student(ctx.db, student_id);
  if (!student) throw http::NotFound();
  bool is_teacher = domain::teaches(ctx.db, ctx.me(), a.class_id, a.subject_id);
  bool is_student = ctx.me().id == student_id;
  mstch::map data = assignment_data(ctx, a);
  data["body_html"] = markdown_to_html(a.body);
  std::string variant = domain::variant_for(ctx.db, a.id, student_id);
  if (!variant.empty()) data["variant_html"] = markdown_to_html(variant);
  data["attachments"] =
      files_data(ctx, domain::attachments_for(ctx.db, a.id, student_id), "/files/attachment/");
  data["materials"] = materials_data(ctx, a.id);
  data["articles"] = articles_data(ctx, a.id);
  data["student"] = student_data(*student);
  auto state = domain::state_of(ctx.db, a, student_id, ctx.clock.now());
  data["status"] = status_label(ctx, state.status);
  data["status_code"] = std::string(domain::status_code(state.status));
  if (state.grade) {
    data["mark"] = mark_label(ctx, state.grade->mark);
    data["mark_comment"] = state.grade->comment;
  }
  if (is_teacher) {
    // The mark was changed both here and at the district: say which value did not stay.
    mstch::array lost;
    for (const auto& g : domain::grade_conflicts_of(ctx.db, a.id, student_id))
      lost.push_back(mstch::map{{"lost_mark", mark_label(ctx, g.mark)},
                                {"lost_by", g.by.empty()         ? ctx.tr("this school")
                                            : g.by == "district" ? ctx.tr("the district")
                                                                 : g.by},
                                {"lost_when", format_datetime(g.noticed_at)}});
    data["has_lost_marks"] = !lost.empty();
    data["lost_marks"] = lost;
  }
  // The thread: submissions and comments in the order they were made.
  struct Item {
    std::int64_t at;
    int order;
    mstch::map m;
  };
  std::vector<Item> items;
  int n = 0;
  std::int64_t last_submission = 0, last_comment = 0;
  for (const auto& s : domain::submissions_of(ctx.db, a.id, student_id)) {
    last_submission = std::max(last_submission, s.id);
    mstch::map m{{"submission", true},
                 {"number", std::to_string(++n)},
                 {"when", format_datetime(s.created_at)},
                 {"late", s.late},
                 {"paper", s.via == "paper"},
                 {"text", s.body},
                 {"files", files_data(ctx, s.files, "/files/submission/")}};
    items.push_back({s.created_at, n * 2, m});
  }
  int k = 0;
  for (const auto& c : domain::comments_of(ctx.db, a.id, student_id)) {
    last_comment = std::max(last_comment, c.id);
    mstch::map m{{"comment", true},
                 {"author", c.author_name},
                 {"when", format_datetime(c.created_at)},
                 {"returned", c.kind == "returned"},
                 {"text", c.body}};
    items.push_back({c.created_at, ++k * 2 + 1, m});
  }
  std::stable_sort(items.begin(), items.end(),
                   [](const Item& x, const Item& y) { return x.at < y.at; });
  mstch::array thread;
  for (auto& i : items) thread.push_back(i.m);
  data["thread"] = thread;
  data["has_thread"] = !thread.empty();
  data["can_submit"] = is_student;
  // A quiz on the assignment: the student takes it from here, the teacher sees its results.
  if ((is_student || is_teacher) && domain::has_quiz(ctx.db, a.id))
    data["quiz_url"] = "/assignments/" + std::to_string(a.id) + "/quiz";
  data["can_comment"] = is_student || is_teacher;
  data["can_grade"] = is_teacher && a.grading != domain::Grading::none;
  data["is_teacher"] = is_teacher;
  data["pass_fail"] = a.grading == domain::Grading::pass;
  // The grade form opens on the mark given (a «5-» stays «5-», not the list's first «5»).
  mstch::array options;
  const std::string given = state.grade ? state.grade->mark : std::string();
  static const char* const kMarks[] = {"5", "5-", "4+", "4", "4-", "3+", "3", "3-", "2+", "2"};
  static const char* const kPassFail[] = {"pass", "fail"};
  auto add_options = [&](const auto& values) {
    for (const char* v : values)
      options.push_back(mstch::map{
          {"value", std::string(v)}, {"label", mark_label(ctx, v)}, {"selected", given == v}});
  };
  if (a.grading == domain::Grading::pass)
    add_options(kPassFail);
  else
    add_options(kMarks);
  data["mark_options"] = options;
  data["thread_url"] =
      "/assignments/" + std::to_string(a.id) + "/students/" + std::to_string(student_id);
  const bool staff = ctx.me().role == Role::teacher || ctx.me().role == Role::admin;
  if (staff && (is_teacher || domain::can_oversee(ctx.db, ctx.me(), a)))
    next_student(ctx, a, student_id, data);
  if (!error.empty()) data["error"] = error;
  // A refused hand-in or comment comes back with what was typed.
  if (ctx.req.method == "POST") {
    const std::string& path = ctx.req.path;
    auto ends = [&](std::string_view tail) {
      return path.size() >= tail.size() &&
             path.compare(path.size() - tail.size(), tail.size(), tail.data(), tail.size()) == 0;
    };
    if (ends("/submit")) data["typed_answer"] = ctx.req.form().value("text");
    if (ends("/comment")) data["typed_comment"] = ctx.req.form().value("text");
  }
  // The reader has now seen the thread as it is: their own read mark, the one write a GET makes.
  if (ctx.req.method == "GET")
    note_seen(ctx, [&] {
      domain::mark_thread_seen(ctx.db, ctx.me().id, a.id, student_id, last_submission, last_comment,
                               state.grade ? state.grade->graded_at : 0);
    });
  return page(ctx, "thread", std::move(data), "Assignment", status);
}

// The assignment as `ctx` may see it for `student_id`, or 403/404.
Assignment thread_access(Ctx& ctx, std::int64_t& student_id) {
  auto a = domain::find_assignment(ctx.db, ctx.req.id("id"));
  student_id = ctx.req.id("sid");
  if (!a) throw http::NotFound();
  if (!domain::can_read_thread(ctx.db, ctx.me(), *a, student_id, ctx.clock.now()))
    throw http::Forbidden();
  return *a;
}

// A stored coursework file, once the policy said yes: a child's work and a teacher's task are
// personal, so they never stay in a shared phone's cache.
http::Response stored_file(Ctx& ctx, const std::string& sha, const std::string& type,
                           const std::string& name) {
  bool view = type.rfind("image/", 0) == 0 || type == "application/pdf" ||
              type.rfind("audio/", 0) == 0 || type.rfind("video/", 0) == 0;
  return http::Response::file(ctx.blobs->path_of(sha), type, name, view);
}

// The class and subject of a gradebook the user may see (404 / 403 otherwise).
struct GradebookOf {
  std::string class_name, subject;
};
GradebookOf gradebook_access(Ctx& ctx, std::int64_t class_id, std::int64_t subject_id) {
  auto k = domain::find_class(ctx.db, class_id);
  if (!k) throw http::NotFound();
  if (!domain::can_view_gradebook(ctx.db, ctx.me(), class_id, subject_id)) throw http::Forbidden();
  for (const auto& s : domain::list_subjects(ctx.db))
    if (s.id == subject_id) return {k->name, s.name};
  throw http::NotFound();
}

// An average as the journal writes it: two decimals, a decimal comma in Russian.
std::string format_average(Ctx& ctx, std::optional<double> avg) {
  if (!avg) return "";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.2f", *avg);
  std::string a = buf;
  if (ctx.lang == Lang::ru) std::replace(a.begin(), a.end(), '.', ',');
  return a;
}

// A gradebook shows one term (the current one unless ?term= asks for another).
struct GradebookTerm {
  domain::Term term;
  mstch::array links;
};
GradebookTerm gradebook_term(Ctx& ctx, std::int64_t class_id, const std::string& base) {
  GradebookTerm t{term_param(ctx), {}};
  auto today = domain::term_of(domain::local_day(ctx.clock.now()));
  auto first = domain::first_due(ctx.db, class_id);
  t.links = term_links(
      ctx, base, first ? domain::term_of(domain::local_day(*first)) : today,
      std::max(today, t.term, [](const auto& a, const auto& b) { return a.first < b.first; }),
      t.term);
  return t;
}

http::Response gradebook_page(Ctx& ctx, std::int64_t class_id, std::int64_t subject_id) {
  GradebookOf of = gradebook_access(ctx, class_id, subject_id);
  std::string base = "/gradebook/" + std::to_string(class_id) + "/" + std::to_string(subject_id);
  auto term = gradebook_term(ctx, class_id, base);
  auto g = domain::gradebook(ctx.db, class_id, subject_id, term_period(term.term));
  mstch::array columns, rows;
  for (const auto& a : g.columns)
    columns.push_back(mstch::map{{"id", std::to_string(a.id)},
                                 {"date", format_date(a.due_at).substr(0, 5)},
                                 {"title", a.title}});
  for (const auto& r : g.rows) {
    mstch::array marks;
    for (std::size_t i = 0; i < r.marks.size(); ++i)
      marks.push_back(mstch::map{{"mark", mark_label(ctx, r.marks[i])},
                                 {"url", thread_url(g.columns[i], r.student.user.id)}});
    rows.push_back(mstch::map{{"name", r.student.user.short_name()},
                              {"marks", marks},
                              {"avg", format_average(ctx, r.average)}});
  }
  mstch::map data{{"class_name", of.class_name},
                  {"subject", of.subject},
                  {"columns", columns},
                  {"has_columns", !columns.empty()},
                  {"rows", rows},
                  {"period", term_label(ctx, term.term)},
                  {"periods", term.links},
                  {"has_periods", true},
                  {"export", base + "/export"},
                  {"term", term.term.code()}};
  return page(ctx, "gradebook", std::move(data), "Gradebook");
}

// Rows of the export: a header, then one row per student (marks as in the journal).
std::vector<std::vector<std::string>> gradebook_table(Ctx& ctx, std::int64_t class_id,
                                                      std::int64_t subject_id, std::string* name) {
  GradebookOf of = gradebook_access(ctx, class_id, subject_id);
  auto term = term_param(ctx);
  *name = of.class_name + " " + of.subject + " " + term_label(ctx, term);
  auto g = domain::gradebook(ctx.db, class_id, subject_id, term_period(term));
  std::vector<std::vector<std::string>> t;
  std::vector<std::string> head{ctx.tr("Student"), ctx.tr("Student ID")};
  for (const auto& a : g.columns) head.push_back(format_date(a.due_at) + " " + a.title);
  head.push_back(ctx.tr("Average"));
  t.push_back(head);
  for (const auto& r : g.rows) {
    std::vector<std::string> row{r.student.user.full_name(), r.student.student_no};
    for (const auto& m : r.marks) row.push_back(mark_label(ctx, m));
    row.push_back(format_average(ctx, r.average));
    t.push_back(row);
  }
  return t;
}

}  // namespace

void register_coursework_views(App& app) {
  // ---- teacher: list and create ----
  app.route("GET", "/assignments", kStaff, [](Ctx& ctx) {
    mstch::array list, teaching, periods;
    // This month's and later assignments; earlier months one link away.
    std::string this_month = domain::month_of(domain::local_day(ctx.clock.now()));
    auto month = month_param(ctx);
    domain::Period shown = month ? month_period(*month) : month_period(this_month);
    if (!month) shown.to = std::numeric_limits<std::int64_t>::max();
    std::vector<Assignment> mine;
    if (ctx.me().role != Role::admin) {
      mine = domain::assignments_of_teacher(ctx.db, ctx.me().id, shown);
      auto first = domain::first_due_of_teacher(ctx.db, ctx.me().id);
      periods = month_links(ctx, "/assignments", ctx.tr("This month and later"),
                            domain::month_of(domain::local_day(first.value_or(shown.from))),
                            domain::add_months(this_month, -1), month.value_or(""));
    }
    // What came in that the teacher has not seen: one query for the whole list.
    std::vector<std::int64_t> ids;
    for (const auto& a : mine) ids.push_back(a.id);
    auto news = domain::news_of_assignments(ctx.db, ctx.me().id, ids);
    for (const auto& a : mine) {
      mstch::map m = assignment_data(ctx, a);
      if (auto n = news.find(a.id); n != news.end()) news_data(ctx, n->second, m);
      list.push_back(std::move(m));
    }
    for (const auto& t : domain::teaching_of_teacher(ctx.db, ctx.me().id))
      teaching.push_back(mstch::map{{"class_id", std::to_string(t.class_id)},
                                    {"subject_id", std::to_string(t.subject_id)},
                                    {"class_name", t.class_name},
                                    {"subject", t.subject_name}});
    mstch::map data{{"assignments", list},
                    {"has_assignments", !list.empty()},
                    {"teaching", teaching},
                    {"is_teacher", ctx.me().role == Role::teacher},
                    {"period", month ? month_label(ctx, *month) : ctx.tr("This month and later")},
                    {"periods", periods},
                    {"has_periods", periods.size() > 1}};
    return page(ctx, "assignments", std::move(data), "Assignments");
  });

  app.route("GET", "/assignments/new", kTeacher, [](Ctx& ctx) {
    auto cls = parse_id(ctx.req.query("class").value_or(""));
    auto subj = parse_id(ctx.req.query("subject").value_or(""));
    if (!cls || !subj) throw http::NotFound();
    return new_assignment_page(ctx, *cls, *subj, "", 200);
  });

  app.route("POST", "/assignments", kTeacher, [](Ctx& ctx) {
    const auto& f = ctx.req.form();
    auto cls = parse_id(f.value("class_id"));
    auto subj = parse_id(f.value("subject_id"));
    if (!cls || !subj) throw http::BadRequest("The form refers to something that does not exist.");
    if (!domain::teaches(ctx.db, ctx.me(), *cls, *subj)) throw http::Forbidden();
    domain::NewAssignment a;
    a.class_id = *cls;
    a.subject_id = *subj;
    a.title = field(ctx, "title", 1000);
    a.topic = field(ctx, "topic", 1000);
    a.body = field(ctx, "body", 100000);
    auto grading = domain::parse_grading(f.value("grading"));
    if (!grading) throw http::BadRequest("The form refers to something that does not exist.");
    a.grading = *grading;
    std::int64_t now = ctx.clock.now();
    auto due = parse_local(f.value("due_date"), f.value("due_time"));
    if (!due)
      return new_assignment_page(ctx, *cls, *subj,
                                 ctx.tr("Enter the due date (as 03.12.2026) and time."), 422);
    a.due_at = *due;
    a.publish_at = now;
    if (!f.value("publish_date").empty()) {
      auto pub = parse_local(f.value("publish_date"),
                             f.value("publish_time").empty() ? "08:00" : f.value("publish_time"));
      if (!pub)
        return new_assignment_page(ctx, *cls, *subj, ctx.tr("Enter a real publish date."), 422);
      a.publish_at = std::max(now, *pub);
    }
    for (const auto& s : f.all("student")) {
      auto id = parse_id(s);
      if (!id) throw http::BadRequest("The form refers to something that does not exist.");
      a.students.push_back(*id);
    }
    if (auto err = domain::check_assignment(ctx.db, a, now))
      return new_assignment_page(ctx, *cls, *subj, ctx.tr(*err), 422);
    std::string upload_error;
    auto files = take_uploads(ctx, "files", &upload_error);
    if (!upload_error.empty()) return new_assignment_page(ctx, *cls, *subj, upload_error, 422);
    storage::Transaction tx(ctx.db);
    std::int64_t id = domain::create_assignment(ctx.db, ctx.clock, ctx.me().id, a);
    for (const auto& file : files) {
      domain::record_blob(ctx.db, ctx.clock, file.sha256, file.size);
      domain::add_attachment(ctx.db, id, std::nullopt, file);
    }
    tx.commit();
    return http::Response::redirect("/assignments/" + std::to_string(id));
  });

  // ---- teacher: one assignment, everybody's status ----
  app.route("GET", "/assignments/{id}", kSignedIn, [](Ctx& ctx) {
    auto a = domain::find_assignment(ctx.db, ctx.req.id("id"));
    if (!a) throw http::NotFound();
    const auto& me = ctx.me();
    if (me.role == Role::student) {
      if (!domain::can_read_thread(ctx.db, me, *a, me.id, ctx.clock.now())) throw http::Forbidden();
      return http::Response::redirect(thread_url(*a, me.id));
    }
    if (!domain::can_oversee(ctx.db, me, *a)) throw http::Forbidden();
    mstch::map data = assignment_data(ctx, *a);
    data["body_html"] = markdown_to_html(a->body);
    data["attachments"] =
        files_data(ctx, domain::attachments_for(ctx.db, a->id, 0), "/files/attachment/");
    data["materials"] = materials_data(ctx, a->id);
    data["articles"] = articles_data(ctx, a->id);
    mstch::array rows;
    int submitted = 0, late = 0, nothing = 0;
    std::int64_t now = ctx.clock.now();
    auto news = domain::news_of_threads(ctx.db, me.id, a->id);
    for (const auto& [s, st, variant] : domain::work_of_assignment(ctx.db, *a, now)) {
      if (st.status == domain::WorkStatus::late) ++late;
      if (st.submissions > 0) ++submitted;
      if (st.submissions == 0) ++nothing;
      mstch::map m = student_data(s);
      m["status"] = status_label(ctx, st.status);
      m["status_code"] = std::string(domain::status_code(st.status));
      m["mark"] = st.grade ? mark_label(ctx, st.grade->mark) : std::string();
      m["thread"] = thread_url(*a, s.user.id);
      m["variant"] = variant;
      if (auto n = news.find(s.user.id); n != news.end()) {
        m["new_work"] = n->second.hand_ins > 0;
        m["new_comments"] = n->second.comments > 0;
      }
      rows.push_back(m);
    }
    data["rows"] = rows;
    data["count_submitted"] = std::to_string(submitted);
    data["count_late"] = std::to_string(late);
    data["count_nothing"] = std::to_string(nothing);
    data["can_edit"] = domain::teaches(ctx.db, me, a->class_id, a->subject_id);
    data["can_paper"] = domain::can_manage_paper(ctx.db, me, *a);
    data["has_quiz"] = domain::has_quiz(ctx.db, a->id);
    return page(ctx, "assignment", std::move(data), "Assignment");
  });

  // ---- the teacher fixes or deletes a published assignment ----
  app.route("GET", "/assignments/{id}/edit", kTeacher, [](Ctx& ctx) {
    auto a = domain::find_assignment(ctx.db, ctx.req.id("id"));
    if (!a) throw http::NotFound();
    if (!domain::teaches(ctx.db, ctx.me(), a->class_id, a->subject_id)) throw http::Forbidden();
    return edit_assignment_page(ctx, *a, "", 200);
  });

  app.route("POST", "/assignments/{id}/edit", kTeacher, [](Ctx& ctx) {
    auto a = domain::find_assignment(ctx.db, ctx.req.id("id"));
    if (!a) throw http::NotFound();
    if (!domain::teaches(ctx.db, ctx.me(), a->class_id, a->subject_id)) throw http::Forbidden();
    const auto& f = ctx.req.form();
    std::int64_t now = ctx.clock.now();
    domain::NewAssignment n;
    n.class_id = a->class_id;
    n.subject_id = a->subject_id;
    n.grading = a->grading;
    n.title = field(ctx, "title", 1000);
    n.topic = field(ctx, "topic", 1000);
    n.body = field(ctx, "body", 100000);
    auto due = parse_local(f.value("due_date"), f.value("due_time"));
    if (!due)
      return edit_assignment_page(ctx, *a, ctx.tr("Enter the due date (as 03.12.2026) and time."),
                                  422);
    n.due_at = *due;
    n.publish_at = a->publish_at;
    if (a->publish_at > now && !f.value("publish_date").empty()) {
      auto pub = parse_local(f.value("publish_date"),
                             f.value("publish_time").empty() ? "08:00" : f.value("publish_time"));
      if (!pub) return edit_assignment_page(ctx, *a, ctx.tr("Enter a real publish date."), 422);
      n.publish_at = std::max(now, *pub);
    }
    // A due date left as it was may be past already: fixing a typo in an old task is allowed.
    if (auto err = domain::check_assignment(ctx.db, n, n.due_at == a->due_at ? 0 : now))
      return edit_assignment_page(ctx, *a, ctx.tr(*err), 422);
    std::vector<std::int64_t> remove;
    for (const auto& v : f.all("remove_file")) {
      auto id = parse_id(v);
      if (!id) throw http::BadRequest("The form refers to something that does not exist.");
      remove.push_back(*id);
    }
    std::string upload_error;
    auto files = take_uploads(ctx, "files", &upload_error);
    if (!upload_error.empty()) return edit_assignment_page(ctx, *a, upload_error, 422);
    storage::Transaction tx(ctx.db);
    domain::update_assignment(ctx.db, a->id, n);
    for (auto id : remove) domain::remove_attachment(ctx.db, a->id, id);
    for (const auto& file : files) {
      domain::record_blob(ctx.db, ctx.clock, file.sha256, file.size);
      domain::add_attachment(ctx.db, a->id, std::nullopt, file);
    }
    tx.commit();
    return http::Response::redirect("/assignments/" + std::to_string(a->id));
  });

  // Deleting: only an assignment no student has worked on and nobody has marked (the work and the
  // marks are never deleted with a task; the teacher edits it instead). Asks first.
  app.route("POST", "/assignments/{id}/delete", kTeacher, [](Ctx& ctx) {
    auto a = domain::find_assignment(ctx.db, ctx.req.id("id"));
    if (!a) throw http::NotFound();
    if (!domain::teaches(ctx.db, ctx.me(), a->class_id, a->subject_id)) throw http::Forbidden();
    std::string back = "/assignments/" + std::to_string(a->id);
    auto w = domain::work_on(ctx.db, a->id);
    if (w.any()) {
      mstch::map data{
          {"title", a->title},
          {"back", back},
          {"edit", back + "/edit"},
          {"why", ctx.tr(domain::Message{
                      "Students' work belongs to it: {submissions} hand-ins, {comments} "
                      "comments, {grades} marks, {runs} paper print runs. They are never deleted "
                      "with the assignment.",
                      {{"submissions", std::to_string(w.submissions)},
                       {"comments", std::to_string(w.comments)},
                       {"grades", std::to_string(w.grades)},
                       {"runs", std::to_string(w.print_runs)}}})}};
      return page(ctx, "assignment_kept", std::move(data), "The assignment is kept", 409);
    }
    if (!confirmed(ctx))
      return confirm_page(ctx,
                          ctx.tr(domain::Message{"Delete the assignment «{title}» with its files? "
                                                 "Nobody has handed anything in yet.",
                                                 {{"title", a->title}}}),
                          ctx.tr("Delete the assignment"), back);
    storage::Transaction tx(ctx.db);
    domain::delete_assignment(ctx.db, a->id);
    tx.commit();
    return http::Response::redirect("/assignments");
  });

  // Individual variant: text and files for one student.
  app.route("POST", "/assignments/{id}/variants", kTeacher, [](Ctx& ctx) {
    auto a = domain::find_assignment(ctx.db, ctx.req.id("id"));
    if (!a) throw http::NotFound();
    if (!domain::teaches(ctx.db, ctx.me(), a->class_id, a->subject_id)) throw http::Forbidden();
    auto sid = parse_id(ctx.req.form().value("student_id"));
    if (!sid || !domain::assigned_to(ctx.db, *a, *sid))
      throw http::BadRequest("The form refers to something that does not exist.");
    std::string text = field(ctx, "variant", domain::kMaxText);
    std::string upload_error;
    auto files = take_uploads(ctx, "files", &upload_error);
    if (!upload_error.empty()) return thread_page(ctx, *a, *sid, upload_error, 422);
    storage::Transaction tx(ctx.db);
    domain::set_variant(ctx.db, a->id, *sid, text);
    for (const auto& file : files) {
      domain::record_blob(ctx.db, ctx.clock, file.sha256, file.size);
      domain::add_attachment(ctx.db, a->id, *sid, file);
    }
    tx.commit();
    return http::Response::redirect(thread_url(*a, *sid));
  });

  // ---- the thread ----
  app.route("GET", "/assignments/{id}/students/{sid}", kSignedIn, [](Ctx& ctx) {
    std::int64_t sid = 0;
    Assignment a = thread_access(ctx, sid);
    return thread_page(ctx, a, sid, "", 200);
  });

  app.route("POST", "/assignments/{id}/students/{sid}/submit", kStudent, [](Ctx& ctx) {
    std::int64_t sid = 0;
    Assignment a = thread_access(ctx, sid);
    if (ctx.me().id != sid) throw http::Forbidden();
    std::string text = field(ctx, "text", domain::kMaxText);
    std::string upload_error;
    auto files = take_uploads(ctx, "files", &upload_error);
    if (!upload_error.empty()) return thread_page(ctx, a, sid, upload_error, 422);
    if (text.empty() && files.empty())
      return thread_page(ctx, a, sid, ctx.tr("Write an answer or attach at least one file."), 422);
    storage::Transaction tx(ctx.db);
    domain::submit(ctx.db, ctx.clock, a, sid, ctx.me().id, text, files, "web",
                   ctx.req.header("user-agent"));
    tx.commit();
    return http::Response::redirect(thread_url(a, sid));
  });

  app.route("POST", "/assignments/{id}/students/{sid}/comment", kTeacher | kStudent, [](Ctx& ctx) {
    std::int64_t sid = 0;
    Assignment a = thread_access(ctx, sid);
    bool teacher = domain::teaches(ctx.db, ctx.me(), a.class_id, a.subject_id);
    if (!teacher && ctx.me().id != sid) throw http::Forbidden();
    std::string text = field(ctx, "text", domain::kMaxText);
    bool returned = teacher && ctx.req.form().value("return") == "1";
    if (text.empty()) return thread_page(ctx, a, sid, ctx.tr("The comment is empty."), 422);
    domain::add_comment(ctx.db, ctx.clock, a.id, sid, ctx.me().id,
                        returned ? "returned" : "comment", text);
    return http::Response::redirect(thread_url(a, sid));
  });

  app.route("POST", "/assignments/{id}/students/{sid}/grade", kTeacher, [](Ctx& ctx) {
    std::int64_t sid = 0;
    Assignment a = thread_access(ctx, sid);
    if (!domain::teaches(ctx.db, ctx.me(), a.class_id, a.subject_id)) throw http::Forbidden();
    auto mark = domain::normalize_mark(a.grading, ctx.req.form().value("mark"));
    if (!mark)
      return thread_page(ctx, a, sid,
                         ctx.tr(a.grading == domain::Grading::pass
                                    ? "Choose pass or fail."
                                    : "A mark is 2, 3, 4 or 5, optionally with + or -."),
                         422);
    std::string comment = field(ctx, "comment", domain::kMaxText);
    storage::Transaction tx(ctx.db);
    domain::set_grade(ctx.db, ctx.clock, a.id, sid, ctx.me().id, *mark, comment);
    if (!comment.empty())
      domain::add_comment(ctx.db, ctx.clock, a.id, sid, ctx.me().id, "comment", comment);
    tx.commit();
    return http::Response::redirect(thread_url(a, sid));
  });

  // ---- files ----
  app.route("GET", "/files/attachment/{id}", kSignedIn, [](Ctx& ctx) {
    auto f = domain::find_attachment(ctx.db, ctx.req.id("id"));
    if (!f) throw http::NotFound();
    if (!domain::can_read(ctx.db, ctx.me(), *f, ctx.clock.now())) throw http::Forbidden();
    return stored_file(ctx, f->sha256, f->content_type, f->filename);
  });

  app.route("GET", "/files/submission/{id}", kSignedIn, [](Ctx& ctx) {
    auto f = domain::find_submission_file(ctx.db, ctx.req.id("id"));
    if (!f) throw http::NotFound();
    if (!domain::can_read(ctx.db, ctx.me(), *f, ctx.clock.now())) throw http::Forbidden();
    return stored_file(ctx, f->sha256, f->content_type, f->filename);
  });

  // ---- gradebook ----
  app.route("GET", "/gradebook/{class}/{subject}", kStaff, [](Ctx& ctx) {
    return gradebook_page(ctx, ctx.req.id("class"), ctx.req.id("subject"));
  });
  app.route("GET", "/gradebook/{class}/{subject}/export.csv", kStaff, [](Ctx& ctx) {
    std::string name;
    auto t = gradebook_table(ctx, ctx.req.id("class"), ctx.req.id("subject"), &name);
    return csv_download(t, name);
  });
  app.route("GET", "/gradebook/{class}/{subject}/export.xlsx", kStaff, [](Ctx& ctx) {
    std::string name;
    auto t = gradebook_table(ctx, ctx.req.id("class"), ctx.req.id("subject"), &name);
    std::string path = (std::filesystem::temp_directory_path() /
                        ("parta-xlsx-" + domain::random_token() + ".xlsx"))
                           .string();
    lxw_workbook* wb = workbook_new(path.c_str());
    if (!wb) throw std::runtime_error("cannot create workbook");
    lxw_worksheet* ws = workbook_add_worksheet(wb, nullptr);
    lxw_format* bold = workbook_add_format(wb);
    format_set_bold(bold);
    for (std::size_t r = 0; r < t.size(); ++r) {
      for (std::size_t c = 0; c < t[r].size(); ++c) {
        const std::string& v = t[r][c];
        auto mv = domain::mark_value(v);
        if (r > 0 && c >= 2 && mv && v.size() == 1) {
          worksheet_write_number(ws, static_cast<lxw_row_t>(r), static_cast<lxw_col_t>(c), *mv,
                                 nullptr);
        } else {
          worksheet_write_string(ws, static_cast<lxw_row_t>(r), static_cast<lxw_col_t>(c),
                                 v.c_str(), r == 0 ? bold : nullptr);
        }
      }
    }
    worksheet_set_column(ws, 0, 0, 32, nullptr);
    if (workbook_close(wb) != LXW_NO_ERROR) throw std::runtime_error("cannot write workbook");
    http::Response r;
    {
      std::ifstream in(path, std::ios::binary);
      r.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    std::filesystem::remove(path);
    r.content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    r.header("Content-Disposition", "attachment; filename=\"gradebook.xlsx\"; filename*=UTF-8''" +
                                        http::url_encode(name + ".xlsx"));
    return r;
  });

  // ---- a student's assignments (student, parents, staff) and diary ----
  app.route("GET", "/students/{id}/assignments", kSignedIn, [](Ctx& ctx) {
    std::int64_t sid = ctx.req.id("id");
    if (!domain::can_view_student(ctx.db, ctx.me(), sid)) throw http::Forbidden();
    auto s = domain::find_student(ctx.db, sid);
    if (!s) throw http::NotFound();
    std::int64_t now = ctx.clock.now();
    // Now: the work still to do from the last four weeks on, and what is done this month. Or one
    // month, all of it (?month=). One query either way.
    std::string this_month = domain::month_of(domain::local_day(now));
    auto month = month_param(ctx);
    const std::int64_t recent = now - std::int64_t{domain::kRecentDays} * 24 * 3600;
    const std::int64_t month_start = month_period(this_month).from;
    domain::WorkQuery w;
    if (month)
      w.due = month_period(*month);
    else
      w.due.from = std::min(recent, month_start);
    if (ctx.me().role == Role::teacher) w.teacher = ctx.me().id;
    mstch::array current, done;
    auto work = domain::work_of_student(ctx.db, sid, now, w);
    // What the reader has not seen in these threads: one query for the list.
    std::vector<std::int64_t> ids;
    for (const auto& [a, st] : work) ids.push_back(a.id);
    auto news = domain::news_of_assignments(ctx.db, ctx.me().id, ids, sid);
    for (const auto& [a, st] : work) {
      bool finished = st.status == domain::WorkStatus::graded ||
                      (a.grading == domain::Grading::none && st.submissions > 0);
      if (!month && (finished ? a.due_at < month_start : a.due_at < recent)) continue;
      mstch::map m = assignment_data(ctx, a);
      if (auto n = news.find(a.id); n != news.end()) {
        domain::ThreadNews shown = n->second;
        if (ctx.me().role != Role::teacher && ctx.me().role != Role::admin) shown.hand_ins = 0;
        news_data(ctx, shown, m);
      }
      m["status"] = status_label(ctx, st.status);
      m["status_code"] = std::string(domain::status_code(st.status));
      m["mark"] = st.grade ? mark_label(ctx, st.grade->mark) : std::string();
      m["thread"] = thread_url(a, sid);
      (finished ? done : current).push_back(m);
    }
    auto first = domain::first_due(ctx.db, s->class_id);
    std::string base = "/students/" + std::to_string(sid) + "/assignments";
    auto periods = month_links(ctx, base, ctx.tr("Now"),
                               domain::month_of(domain::local_day(first.value_or(now))), this_month,
                               month.value_or(""));
    mstch::map data{{"student", student_data(*s)},
                    {"current", current},
                    {"done", done},
                    {"has_current", !current.empty()},
                    {"has_done", !done.empty()},
                    {"month", month.has_value()},
                    {"period", month ? month_label(ctx, *month) : ctx.tr("Now")},
                    {"periods", periods},
                    {"has_periods", periods.size() > 1}};
    return page(ctx, "student_assignments", std::move(data), "Assignments");
  });

  app.route("GET", "/students/{id}/diary", kSignedIn, [](Ctx& ctx) {
    std::int64_t sid = ctx.req.id("id");
    if (!domain::can_view_student(ctx.db, ctx.me(), sid)) throw http::Forbidden();
    auto s = domain::find_student(ctx.db, sid);
    if (!s) throw http::NotFound();
    mstch::array subjects;
    std::string current;
    mstch::array entries;
    int sum = 0, n = 0;
    auto flush = [&] {
      if (current.empty()) return;
      std::optional<double> avg;
      if (n) avg = static_cast<double>(sum) / n;
      subjects.push_back(mstch::map{
          {"subject", current}, {"entries", entries}, {"avg", format_average(ctx, avg)}});
      entries = {};
      sum = n = 0;
    };
    // One term (the current one unless ?term= asks for another): its averages are the term's.
    std::string base = "/students/" + std::to_string(sid) + "/diary";
    auto term = gradebook_term(ctx, s->class_id, base);
    for (const auto& e : domain::diary(ctx.db, sid, term_period(term.term),
                                       ctx.me().role == Role::teacher ? ctx.me().id : 0)) {
      if (e.assignment.subject_name != current) {
        flush();
        current = e.assignment.subject_name;
      }
      if (auto v = domain::mark_value(e.grade.mark)) {
        sum += *v;
        ++n;
      }
      entries.push_back(mstch::map{{"date", format_date(e.grade.graded_at)},
                                   {"title", e.assignment.title},
                                   {"mark", mark_label(ctx, e.grade.mark)},
                                   {"comment", e.grade.comment},
                                   {"thread", thread_url(e.assignment, sid)}});
    }
    flush();
    // The reader has looked at the marks: the start page's "new marks" note is cleared.
    if (ctx.me().role == Role::student || ctx.me().role == Role::parent)
      note_seen(ctx, [&] { domain::mark_marks_seen(ctx.db, ctx.me().id, ctx.clock.now()); });
    mstch::map data{{"student", student_data(*s)},
                    {"subjects", subjects},
                    {"has_subjects", !subjects.empty()},
                    {"period", term_label(ctx, term.term)},
                    {"periods", term.links},
                    {"has_periods", true}};
    return page(ctx, "diary", std::move(data), "Diary");
  });
}

}  // namespace parta::web
