// Start pages per role, the public school page, a student's card and a class's roster.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>

#include "content/utf8.hpp"
#include "domain/access.hpp"
#include "domain/coursework.hpp"
#include "domain/days.hpp"
#include "domain/news.hpp"
#include "domain/school.hpp"
#include "web/app.hpp"
#include "web/time_format.hpp"
#include "web/view_data.hpp"

namespace parta::web {

namespace {

// A new mark stays on the student's start page this long unless it was seen before.
constexpr int kNewMarkDays = 14;

std::string mark_text(Ctx& ctx, const std::string& mark) {
  return mark == "pass" || mark == "fail" ? ctx.tr(mark) : mark;
}

// parta-usb's "2026-11-22T20:33:19Z" in the school's time ("22.11.2026 23:33"); as written when
// it is not that shape.
std::string usb_status_time(const std::string& utc) {
  std::tm tm{};
  char z = 0;
  if (std::sscanf(utc.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z) != 7 ||
      z != 'Z')
    return utc;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return format_datetime(static_cast<std::int64_t>(timegm(&tm)));
}

http::Response school_page(Ctx& ctx) {
  auto s = domain::school_info(ctx.db);
  mstch::map data{{"info", school_data(s)}, {"signed_in", ctx.user.has_value()}};
  return page(ctx, "school", std::move(data), "School");
}

http::Response admin_home(Ctx& ctx) {
  auto count = [&](const char* sql) { return std::to_string(ctx.db.scalar(sql).value_or(0)); };
  mstch::map data{
      {"classes", count("SELECT COUNT(*) FROM classes")},
      {"teachers", count("SELECT COUNT(*) FROM users WHERE role = 'teacher'")},
      {"students", count("SELECT COUNT(*) FROM students")},
      {"paper", count("SELECT COUNT(*) FROM students WHERE paper = 1")},
      {"parents", count("SELECT COUNT(*) FROM users WHERE role = 'parent'")},
      {"no_teacher", count("SELECT COUNT(*) FROM classes WHERE class_teacher_id IS NULL")},
  };
  data["board"] = board_data(ctx, 3);
  // The password `parta firstboot` gave the box's first admin, until it is changed in the profile.
  if (ctx.settings && !ctx.settings->first_admin_password_file.empty()) {
    std::ifstream in(ctx.settings->first_admin_password_file);
    std::string pw;
    if (std::getline(in, pw) && !pw.empty() && pw.size() <= 64) data["first_password"] = pw;
  }
  // The trace of where that password went: the one stick that got it, when.
  if (ctx.settings && !ctx.settings->first_admin_delivery_file.empty() &&
      data.count("first_password")) {
    std::ifstream in(ctx.settings->first_admin_delivery_file);
    std::string line;
    if (std::getline(in, line)) {
      auto tab = line.find('\t');
      std::int64_t at = 0;
      try {
        at = std::stoll(line.substr(0, tab));
      } catch (const std::exception&) {
      }
      std::string stick = tab == std::string::npos ? "?" : line.substr(tab + 1);
      data["first_password_given"] = ctx.tr(domain::Message{
          "This password was written on {when} to the USB stick \"{stick}\", and to no other.",
          {{"when", format_datetime(at)}, {"stick", text::truncate_chars(stick, 64)}}});
    }
  }
  // The last USB stick's result, written by firmware/bin/parta-usb as tab-separated fields:
  // UTC time, state (working, done, error), packs imported, packs refused, details and a note on
  // the first admin's password file on the stick (a word, see parta-usb; older lines have none).
  if (ctx.settings && !ctx.settings->usb_status_file.empty()) {
    std::ifstream in(ctx.settings->usb_status_file);
    std::string line;
    std::vector<std::string> f;
    if (std::getline(in, line))
      for (std::size_t start = 0; start <= line.size() && f.size() < 6;) {
        std::size_t tab = f.size() == 5 ? line.size() : line.find('\t', start);
        if (tab == std::string::npos) tab = line.size();
        f.push_back(line.substr(start, tab - start));
        start = tab + 1;
      }
    if (f.size() >= 5) {
      const char* msgid = f[1] == "working" ? "Reading the stick now ({when})."
                          : f[1] == "syncing"
                              ? "Finishing with the stick ({when}): do not pull it out yet."
                          : f[1] == "error" ? "The stick could not be read ({when}). {details}"
                                            : "Stick done ({when}): packs imported {imported}, "
                                              "refused {refused}. {details} It can be removed.";
      std::string shown = ctx.tr(domain::Message{msgid,
                                                 {{"when", usb_status_time(f[0])},
                                                  {"imported", f[2]},
                                                  {"refused", f[3]},
                                                  {"details", text::truncate_chars(f[4], 500)}}});
      const std::string note = f.size() == 6 ? f[5] : "";
      const char* note_msgid =
          note == "admin-password-written"
              ? "The administrator's password was written to the stick as "
                "PARTA-ADMIN-PASSWORD.txt: change the password in your profile and delete that "
                "file from the stick."
          : note == "admin-password-not-written"
              ? "The administrator's password could not be written to the stick (is it "
                "write-protected?)."
          : note == "admin-password-deleted"
              ? "The old PARTA-ADMIN-PASSWORD.txt was deleted from the stick."
          : note == "admin-password-not-deleted"
              ? "The old PARTA-ADMIN-PASSWORD.txt could not be deleted from the stick: delete it "
                "yourself."
          : note == "admin-password-not-given"
              ? "The administrator's password was not written to this stick: only the first "
                "stick plugged in within 30 minutes of the first start gets it, once. At the "
                "box's console, `parta user reset admin` makes a new one."
              : nullptr;
      if (note_msgid) shown += " " + ctx.tr(note_msgid);
      data["usb_status"] = shown;
    }
  }
  return page(ctx, "home_admin", std::move(data), "Home");
}

http::Response teacher_home(Ctx& ctx) {
  mstch::array led, teaching;
  for (const auto& k : domain::classes_led_by(ctx.db, ctx.me().id)) led.push_back(class_data(k));
  for (const auto& t : domain::teaching_of_teacher(ctx.db, ctx.me().id))
    teaching.push_back(mstch::map{{"class_id", std::to_string(t.class_id)},
                                  {"subject_id", std::to_string(t.subject_id)},
                                  {"class_name", t.class_name},
                                  {"subject", t.subject_name}});
  mstch::map data{{"led", led},
                  {"has_led", !led.empty()},
                  {"teaching", teaching},
                  {"has_teaching", !teaching.empty()}};
  // New work and comments on the teacher's assignments of the last four weeks and later: two
  // queries, whatever the year holds.
  std::int64_t now = ctx.clock.now();
  domain::Period recent{now - std::int64_t{domain::kRecentDays} * 24 * 3600};
  auto mine = domain::assignments_of_teacher(ctx.db, ctx.me().id, recent);
  std::vector<std::int64_t> ids;
  for (const auto& a : mine) ids.push_back(a.id);
  auto news = domain::news_of_assignments(ctx.db, ctx.me().id, ids);
  mstch::array fresh;
  int hand_ins = 0, comments = 0;
  for (const auto& a : mine) {
    auto n = news.find(a.id);
    if (n == news.end()) continue;
    hand_ins += n->second.hand_ins;
    comments += n->second.comments;
    if (fresh.size() >= 10) continue;
    mstch::map m{{"url", "/assignments/" + std::to_string(a.id)},
                 {"title", a.title},
                 {"class_name", a.class_name},
                 {"subject", a.subject_name}};
    if (n->second.hand_ins)
      m["new_work"] =
          ctx.tr(domain::Message{"new work: {n}", {{"n", std::to_string(n->second.hand_ins)}}});
    if (n->second.comments)
      m["new_comments"] =
          ctx.tr(domain::Message{"new comments: {n}", {{"n", std::to_string(n->second.comments)}}});
    fresh.push_back(std::move(m));
  }
  data["fresh"] = fresh;
  data["has_fresh"] = !fresh.empty();
  data["fresh_summary"] = ctx.tr(domain::Message{
      "New work: {work}, new comments: {comments}.",
      {{"work", std::to_string(hand_ins)}, {"comments", std::to_string(comments)}}});
  data["board"] = board_data(ctx, 3);
  return page(ctx, "home_teacher", std::move(data), "Home");
}

// Students' cards (class teacher, subjects with their teachers, parents): three queries however
// many children a parent has.
// How much of a student a card shows: the student's page everything (subjects with their
// teachers, parents with their phones); the student's start page the subjects; a parent's start
// page only who and where. A card has only what its page shows: the start pages are the most
// viewed, and each field is copied as the template renders it.
enum class Card { full, home, brief };

std::vector<mstch::map> student_cards(Ctx& ctx, const std::vector<domain::Student>& students,
                                      Card card) {
  std::vector<std::int64_t> classes, ids;
  for (const auto& s : students) {
    classes.push_back(s.class_id);
    ids.push_back(s.user.id);
  }
  std::map<std::int64_t, std::string> class_teacher;  // of their own classes only
  for (const auto& k : domain::classes_by_id(ctx.db, classes))
    if (k.class_teacher_id) class_teacher[k.id] = k.class_teacher_name;
  std::map<std::int64_t, mstch::array> subjects;
  if (card != Card::brief)
    for (const auto& t : domain::teaching_of_classes(ctx.db, classes))
      subjects[t.class_id].push_back(
          mstch::map{{"subject", t.subject_name}, {"teacher", t.teacher_name}});
  std::map<std::int64_t, std::vector<domain::User>> parents_of;
  if (card == Card::full) parents_of = domain::parents_of_students(ctx.db, ids);
  std::vector<mstch::map> out;
  for (const auto& s : students) {
    mstch::map m = card == Card::full
                       ? student_data(s)
                       : mstch::map{{"id", std::to_string(s.user.id)}, {"name", s.user.full_name()},
                                    {"first_name", s.user.first_name}, {"class_name", s.class_name},
                                    {"student_no", s.student_no},      {"paper", s.paper}};
    if (auto it = class_teacher.find(s.class_id); it != class_teacher.end())
      m["class_teacher"] = it->second;
    if (card != Card::brief) m["subjects"] = subjects[s.class_id];
    if (card == Card::full) {
      mstch::array parents;
      for (const auto& p : parents_of[s.user.id])
        parents.push_back(
            mstch::map{{"name", p.full_name()}, {"phone", p.phone}, {"tel", tel_href(p.phone)}});
      m["has_parents"] = !parents.empty();
      m["parents"] = std::move(parents);
    }
    out.push_back(std::move(m));
  }
  return out;
}

mstch::map student_card(Ctx& ctx, const domain::Student& s, Card card = Card::full) {
  return student_cards(ctx, {s}, card).front();
}

mstch::map student_home_data(Ctx& ctx, const domain::Student& s, std::int64_t& valid_through) {
  mstch::map data{{"student", student_card(ctx, s, Card::home)}};
  // What is due next, soonest first: the first thing a student needs. Work still to do from the
  // last four weeks on, in one query; older work is on the list's month pages.
  mstch::array due;
  std::int64_t now = ctx.clock.now();
  domain::WorkQuery w;
  w.due.from = now - std::int64_t{domain::kRecentDays} * 24 * 3600;
  w.unfinished = true;
  w.limit = 8;
  auto work = domain::work_of_student(ctx.db, s.user.id, now, w);
  // Comments the student has not read yet, on the same assignments: one query.
  std::vector<std::int64_t> ids;
  for (const auto& [a, st] : work) ids.push_back(a.id);
  auto news = domain::news_of_assignments(ctx.db, ctx.me().id, ids, s.user.id);
  // The deadlines read "today" and "tomorrow" until midnight; a to-do turns overdue after its
  // deadline.
  valid_through =
      std::min(valid_through, domain::day_start(domain::add_days(domain::local_day(now), 1)) - 1);
  for (const auto& [a, st] : work) {
    if (a.due_at >= now) valid_through = std::min(valid_through, a.due_at);
    auto n = news.find(a.id);
    due.push_back(mstch::map{{"title", a.title},
                             {"subject", a.subject_name},
                             {"due_at", format_deadline(ctx.lang, a.due_at, now)},
                             {"overdue", now > a.due_at},
                             {"returned", st.status == domain::WorkStatus::returned},
                             {"new_comments", n == news.end() || n->second.comments == 0
                                                  ? std::string()
                                                  : std::to_string(n->second.comments)},
                             {"url", "/assignments/" + std::to_string(a.id) + "/students/" +
                                         std::to_string(s.user.id)}});
  }
  data["due"] = due;
  data["has_due"] = !due.empty();
  // Marks given in the last two weeks that the student has not looked at yet.
  mstch::array marks;
  for (const auto& m : domain::new_marks(ctx.db, ctx.me().id, s.user.id,
                                         now - std::int64_t{kNewMarkDays} * 24 * 3600, 5))
    marks.push_back(mstch::map{{"mark", mark_text(ctx, m.mark)},
                               {"title", m.title},
                               {"subject", m.subject},
                               {"url", "/assignments/" + std::to_string(m.assignment_id) +
                                           "/students/" + std::to_string(s.user.id)}});
  data["new_marks"] = marks;
  data["has_new_marks"] = !marks.empty();
  data["board"] = board_data(ctx, 3);
  data["waiting"] = surveys_waiting(ctx);
  return data;
}

// The most viewed page of all: kept rendered until something it shows may have changed (see
// PageCache).
http::Response student_home(Ctx& ctx) {
  return cached_page(
      ctx, "home_student",
      [&](std::int64_t& valid_through) {
        // Looked up only when the page is built: a student removed since is a content change.
        auto s = domain::find_student(ctx.db, ctx.me().id);
        if (!s) throw http::NotFound();
        return student_home_data(ctx, *s, valid_through);
      },
      "Home");
}

http::Response parent_home(Ctx& ctx) {
  mstch::array children;
  for (auto& card : student_cards(ctx, domain::children_of(ctx.db, ctx.me().id), Card::brief))
    children.push_back(std::move(card));
  mstch::map data{{"children", children}, {"has_children", !children.empty()}};
  data["board"] = board_data(ctx, 3);
  data["waiting"] = surveys_waiting(ctx);
  return page(ctx, "home_parent", std::move(data), "Home");
}

}  // namespace

void register_home_views(App& app) {
  app.route("GET", "/", kPublic, [](Ctx& ctx) {
    if (!ctx.user) return school_page(ctx);
    switch (ctx.me().role) {
      case domain::Role::admin:
        return admin_home(ctx);
      case domain::Role::teacher:
        return teacher_home(ctx);
      case domain::Role::student:
        return student_home(ctx);
      case domain::Role::parent:
        return parent_home(ctx);
    }
    throw http::NotFound();
  });

  app.route("GET", "/school", kPublic, school_page);

  app.route("GET", "/students/{id}", kSignedIn, [](Ctx& ctx) {
    std::int64_t id = ctx.req.id("id");
    // Same answer for "no such student" and "not yours": IDs cannot be probed.
    if (!domain::can_view_student(ctx.db, ctx.me(), id)) throw http::Forbidden();
    auto s = domain::find_student(ctx.db, id);
    if (!s) throw http::NotFound();  // only an admin gets here for an unknown ID
    mstch::map data{{"student", student_card(ctx, *s)},
                    {"is_admin", ctx.me().role == domain::Role::admin}};
    return page(ctx, "student", std::move(data), "Student");
  });

  app.route("GET", "/classes/{id}", kStaff, [](Ctx& ctx) {
    std::int64_t id = ctx.req.id("id");
    if (!domain::can_view_class(ctx.db, ctx.me(), id)) throw http::Forbidden();
    auto k = domain::find_class(ctx.db, id);
    if (!k) throw http::NotFound();
    // The admin and the class teacher run the class: its gradebooks, diaries, timetable, distance
    // mode, devices and login cards are linked from here (issue 16).
    bool manages = ctx.me().role == domain::Role::admin || k->class_teacher_id == ctx.me().id;
    std::string cls = std::to_string(id);
    mstch::array students, teaching;
    for (const auto& s : domain::list_students(ctx.db, id)) {
      mstch::map m = student_data(s);
      m["manages"] = manages;
      students.push_back(m);
    }
    for (const auto& t : domain::teaching_of_class(ctx.db, id))
      teaching.push_back(
          mstch::map{{"subject", t.subject_name},
                     {"teacher", t.teacher_name},
                     {"gradebook", manages || t.teacher_id == ctx.me().id
                                       ? "/gradebook/" + cls + "/" + std::to_string(t.subject_id)
                                       : std::string()}});
    mstch::map data{{"class", class_data(*k)},
                    {"students", students},
                    {"teaching", teaching},
                    {"manages", manages},
                    {"is_admin", ctx.me().role == domain::Role::admin},
                    {"has_students", !students.empty()}};
    return page(ctx, "class", std::move(data), "Class");
  });
}

}  // namespace parta::web
