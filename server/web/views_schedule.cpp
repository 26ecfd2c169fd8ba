// The timetable: the admin edits and publishes it day by day; students, parents and teachers see
// the published days from today on, today and tomorrow first.
#include <algorithm>
#include <map>
#include <set>

#include "domain/access.hpp"
#include "domain/days.hpp"
#include "domain/schedule.hpp"
#include "domain/schedule_csv.hpp"
#include "web/app.hpp"
#include "web/form_fields.hpp"
#include "web/time_format.hpp"
#include "web/view_data.hpp"

namespace parta::web {

namespace {

using domain::Role;

std::string mode_label(Ctx& ctx, const std::string& mode) {
  if (mode == "online") return ctx.tr("online lesson");
  if (mode == "materials") return ctx.tr("work from materials");
  return ctx.tr("at school");
}

mstch::map lesson_data(Ctx& ctx, const domain::Lesson& l) {
  return mstch::map{{"id", std::to_string(l.id)},
                    {"number", std::to_string(l.number)},
                    {"time", l.starts + "–" + l.ends},
                    {"subject", l.subject},
                    {"teacher", l.teacher},
                    {"class_name", l.class_name},
                    {"mode", mode_label(ctx, l.mode)},
                    {"online", l.mode == "online" && !l.link.empty()},
                    {"link_later", l.mode == "online" && l.link.empty()},
                    {"link", l.link}};
}

std::string day_label(Ctx& ctx, const std::string& day, const std::string& today,
                      const std::string& tomorrow) {
  std::string d = format_day(day);
  if (day == today) return ctx.tr("Today") + ", " + d;
  if (day == tomorrow) return ctx.tr("Tomorrow") + ", " + d;
  return d;
}

// The published days from today on (the next two weeks, at most seven days per key) with their
// lessons, grouped by `key` (a class, or one key for a teacher's own lessons). `who` is what a
// lesson's row names besides the subject: the teacher in a class's timetable, the class in a
// teacher's own.
template <class Key, class Who>
std::map<std::int64_t, mstch::array> days_of(Ctx& ctx, const std::vector<domain::Lesson>& all,
                                             Key key, Who who) {
  std::int64_t now = ctx.clock.now();
  std::string today = iso_date(now), tomorrow = iso_date(now + 24 * 3600);
  std::map<std::int64_t, mstch::array> out;
  std::map<std::int64_t, int> days_of;
  std::int64_t current = 0;
  std::string day;
  mstch::array lessons;
  auto flush = [&] {
    if (!day.empty() && days_of[current]++ < 7)
      out[current].push_back(mstch::map{{"label", day_label(ctx, day, today, tomorrow)},
                                        {"lessons", std::move(lessons)}});
    lessons = {};
  };
  for (const auto& l : all) {
    if (key(l) != current || l.day != day) {
      flush();
      current = key(l);
      day = l.day;
    }
    mstch::map m = lesson_data(ctx, l);
    m["who"] = who(l);
    lessons.push_back(std::move(m));
  }
  flush();
  return out;
}

// The classes whose timetable this user edits: the admin all, a class teacher hers.
std::vector<domain::ClassInfo> editable_classes(Ctx& ctx) {
  if (ctx.me().role == Role::admin) return domain::list_classes(ctx.db);
  return domain::classes_led_by(ctx.db, ctx.me().id);
}

void require_class(Ctx& ctx, std::int64_t class_id) {
  if (!domain::find_class(ctx.db, class_id))
    throw http::BadRequest("The form refers to something that does not exist.");
  if (!domain::can_manage_class(ctx.db, ctx.me(), class_id)) throw http::Forbidden();
}

// The lesson form's fields: the lesson's values, or what was typed when the form was refused.
mstch::map lesson_fields(Ctx& ctx, const domain::NewLesson& l, const std::string& number) {
  mstch::array subjects, teachers, modes;
  for (const auto& s : domain::list_subjects(ctx.db))
    subjects.push_back(mstch::map{
        {"id", std::to_string(s.id)}, {"name", s.name}, {"selected", s.id == l.subject_id}});
  for (const auto& t : domain::list_users(ctx.db, Role::teacher))
    teachers.push_back(mstch::map{{"id", std::to_string(t.id)},
                                  {"name", t.short_name()},
                                  {"selected", l.teacher_id == t.id}});
  for (const char* m : {"school", "online", "materials"})
    modes.push_back(mstch::map{
        {"value", std::string(m)}, {"label", mode_label(ctx, m)}, {"selected", l.mode == m}});
  return mstch::map{{"number", number}, {"starts", l.starts},   {"ends", l.ends},
                    {"link", l.link},   {"subjects", subjects}, {"teachers", teachers},
                    {"modes", modes},   {"day", l.day}};
}

// Reads the lesson form (the number as typed, for showing it again).
domain::NewLesson read_lesson(Ctx& ctx, std::int64_t class_id, std::string* number) {
  const auto& f = ctx.req.form();
  domain::NewLesson l;
  l.class_id = class_id;
  auto subject = parse_id(f.value("subject_id"));
  if (!subject) throw http::BadRequest("The form refers to something that does not exist.");
  l.subject_id = *subject;
  if (!f.value("teacher_id").empty()) {
    l.teacher_id = parse_id(f.value("teacher_id"));
    if (!l.teacher_id) throw http::BadRequest("The form refers to something that does not exist.");
  }
  l.day = parse_day(f.value("day")).value_or(f.value("day"));
  l.starts = field(ctx, "starts", 10);
  l.ends = field(ctx, "ends", 10);
  l.mode = f.value("mode");
  l.link = field(ctx, "link", 1000);
  *number = field(ctx, "number", 10);
  if (number->empty() || number->size() > 2 ||
      number->find_first_not_of("0123456789") != std::string::npos)
    l.number = -1;
  else
    l.number = std::stoi(*number);
  return l;
}

http::Response admin_page(Ctx& ctx, std::int64_t class_id, const std::string& day,
                          const std::string& error, int status,
                          const std::vector<domain::Message>& import_errors = {},
                          const std::string& notice = "", const domain::NewLesson* typed = nullptr,
                          const std::string& typed_number = "") {
  mstch::array classes, lessons;
  for (const auto& k : editable_classes(ctx))
    classes.push_back(
        mstch::map{{"id", std::to_string(k.id)}, {"name", k.name}, {"selected", k.id == class_id}});
  for (const auto& l : domain::lessons_of(ctx.db, class_id, day))
    lessons.push_back(lesson_data(ctx, l));
  domain::NewLesson blank;
  blank.day = day;
  blank.starts = "08:30";
  blank.ends = "09:10";
  mstch::map data{
      {"classes", classes},
      {"lessons", lessons},
      {"has_lessons", !lessons.empty()},
      {"class_id", std::to_string(class_id)},
      {"day", day},
      {"day_label", format_day(day)},
      {"next_day", domain::add_days(day, 1)},
      {"is_admin", ctx.me().role == Role::admin},
      {"published", domain::day_published(ctx.db, class_id, day)},
      {"lesson", lesson_fields(ctx, typed ? *typed : blank,
                               typed ? typed_number : std::to_string(lessons.size() + 1))}};
  if (!error.empty()) data["error"] = error;
  if (!notice.empty()) data["notice"] = notice;
  mstch::array problems;
  for (const auto& m : import_errors) problems.push_back(mstch::map{{"text", ctx.tr(m)}});
  data["has_import_errors"] = !problems.empty();
  data["import_errors"] = problems;
  return page(ctx, "admin_schedule", std::move(data), "Schedule", status);
}

http::Response edit_lesson_page(Ctx& ctx, const domain::Lesson& l, const domain::NewLesson& typed,
                                const std::string& number, const std::string& error, int status) {
  mstch::map data{{"id", std::to_string(l.id)},
                  {"class_name", l.class_name},
                  {"class_id", std::to_string(l.class_id)},
                  {"back", "/admin/schedule?class=" + std::to_string(l.class_id) + "&day=" + l.day},
                  {"lesson", lesson_fields(ctx, typed, number)}};
  if (!error.empty()) data["error"] = error;
  return page(ctx, "lesson_edit", std::move(data), "Edit the lesson", status);
}

std::string schedule_url(std::int64_t class_id, const std::string& day) {
  return "/admin/schedule?class=" + std::to_string(class_id) + "&day=" + day;
}

}  // namespace

void register_schedule_views(App& app) {
  app.route("GET", "/schedule", kSignedIn, [](Ctx& ctx) {
    const auto& me = ctx.me();
    if (me.role == Role::admin) return http::Response::redirect("/admin/schedule");
    // Whose timetables, titled: the student's class, each child's, the classes a teacher leads
    // then those they teach.
    std::vector<std::pair<std::int64_t, std::string>> classes;
    std::set<std::int64_t> led;  // a class teacher edits her class's timetable from here
    auto add = [&](std::int64_t id, const std::string& title) {
      for (const auto& c : classes)
        if (c.first == id && me.role == Role::teacher) return;
      classes.emplace_back(id, title);
    };
    if (me.role == Role::student) {
      if (auto s = domain::find_student(ctx.db, me.id)) add(s->class_id, s->class_name);
    } else if (me.role == Role::parent) {
      for (const auto& s : domain::children_of(ctx.db, me.id))
        add(s.class_id, s.user.short_name() + ", " + s.class_name);
    } else {
      for (const auto& k : domain::classes_led_by(ctx.db, me.id)) {
        add(k.id, k.name);
        led.insert(k.id);
      }
      for (const auto& t : domain::teaching_of_teacher(ctx.db, me.id))
        add(t.class_id, t.class_name);
    }
    // A teacher sees her own lessons first and her class's timetable (the class teacher); the
    // timetable of any other class she teaches is one tap away (?class=). Everyone else sees
    // each of their classes'.
    bool teacher = me.role == Role::teacher;
    auto wanted = parse_id(ctx.req.query("class").value_or(""));
    if (!ctx.req.query("class").value_or("").empty()) {
      bool known = false;
      for (const auto& c : classes) known |= wanted == c.first;
      if (!known) throw http::NotFound();
    }
    mstch::array groups, picks;
    std::string today = iso_date(ctx.clock.now()), end = domain::add_days(today, 14);
    if (teacher && !wanted) {
      auto mine = days_of(
          ctx, domain::published_lessons_of_teacher(ctx.db, me.id, today, end),
          [](const domain::Lesson&) { return std::int64_t{0}; },
          [](const domain::Lesson& l) { return l.class_name; });
      groups.push_back(mstch::map{{"title", ctx.tr("My lessons")},
                                  {"days", std::move(mine[0])},
                                  {"mine", true},
                                  {"edit", std::string()}});
    }
    std::vector<std::int64_t> ids;
    for (const auto& c : classes)
      if (wanted ? c.first == *wanted : !teacher || led.count(c.first)) ids.push_back(c.first);
    auto days = days_of(
        ctx, domain::published_lessons(ctx.db, ids, today, end),
        [](const domain::Lesson& l) { return l.class_id; },
        [](const domain::Lesson& l) { return l.teacher; });
    for (const auto& [id, title] : classes) {
      bool shown = std::find(ids.begin(), ids.end(), id) != ids.end();
      if (teacher)
        picks.push_back(mstch::map{{"name", title},
                                   {"href", "/schedule?class=" + std::to_string(id)},
                                   {"current", wanted == id}});
      if (!shown) continue;
      groups.push_back(mstch::map{
          {"title", title},
          {"days", days[id]},  // a copy: a parent of two in one class sees it twice
          {"edit", led.count(id) ? "/admin/schedule?class=" + std::to_string(id) : std::string()}});
    }
    if (teacher)
      picks.insert(picks.begin(), mstch::map{{"name", ctx.tr("My lessons")},
                                             {"href", std::string("/schedule")},
                                             {"current", !wanted.has_value()}});
    mstch::map data{{"groups", std::move(groups)},
                    {"picks", std::move(picks)},
                    {"has_picks", teacher && !classes.empty()}};
    return page(ctx, "schedule", std::move(data), "Schedule");
  });

  app.route("GET", "/admin/schedule", kStaff, [](Ctx& ctx) {
    auto classes = editable_classes(ctx);
    if (classes.empty()) throw http::Forbidden();
    auto cls = parse_id(ctx.req.query("class").value_or(""));
    std::int64_t class_id = classes.front().id;
    if (cls) {
      bool mine = false;  // one of the classes this user edits (can_manage_class, in the list)
      for (const auto& k : classes) mine |= k.id == *cls;
      if (!mine) throw http::Forbidden();
      class_id = *cls;
    }
    std::string day = parse_day(ctx.req.query("day").value_or("")).value_or("");
    std::string error;
    if (day.empty()) {
      if (!ctx.req.query("day").value_or("").empty())
        error = ctx.tr("Enter the date as 03.12.2026.");
      day = iso_date(ctx.clock.now());
    }
    return admin_page(ctx, class_id, day, error, 200);
  });

  // A week's timetable from CSV: every line checked, replaced all-or-nothing.
  app.route("POST", "/admin/schedule/import", kAdmin, [](Ctx& ctx) {
    auto classes = domain::list_classes(ctx.db);
    std::int64_t first = classes.empty() ? 0 : classes.front().id;
    std::string today = iso_date(ctx.clock.now());
    const http::UploadedFile* f = ctx.req.form().file("file");
    if (!f || f->size == 0)
      return admin_page(ctx, first, today, ctx.tr("Choose a CSV file with the timetable."), 422);
    if (f->size > domain::kMaxScheduleBytes) throw http::PayloadTooLarge();
    auto parsed = domain::parse_schedule_csv(f->read());
    if (!parsed.ok()) return admin_page(ctx, first, today, "", 422, parsed.errors);
    auto done = domain::import_schedule(ctx.db, parsed.rows);
    if (!done.errors.empty()) return admin_page(ctx, first, today, "", 422, done.errors);
    const auto& r = parsed.rows.front();
    auto k = domain::find_class_by_name(ctx.db, r.class_name);
    return admin_page(
        ctx, k ? k->id : first, r.day, "", 200, {},
        ctx.tr(domain::Message{
            "Imported {lessons} lessons for {days} class-days. Check them and "
            "publish each day.",
            {{"lessons", std::to_string(done.lessons)}, {"days", std::to_string(done.days)}}}));
  });

  app.route("POST", "/admin/schedule/lessons", kStaff, [](Ctx& ctx) {
    auto cls = parse_id(ctx.req.form().value("class_id"));
    if (!cls) throw http::BadRequest("The form refers to something that does not exist.");
    require_class(ctx, *cls);
    std::string number;
    domain::NewLesson l = read_lesson(ctx, *cls, &number);
    std::string day = domain::valid_day(l.day) ? l.day : iso_date(ctx.clock.now());
    if (auto err = domain::check_lesson(ctx.db, l))
      return admin_page(ctx, *cls, day, ctx.tr(*err), 422, {}, "", &l, number);
    domain::add_lesson(ctx.db, l);
    return http::Response::redirect(schedule_url(*cls, day));
  });

  app.route("GET", "/admin/schedule/lessons/{id}", kStaff, [](Ctx& ctx) {
    auto l = domain::find_lesson(ctx.db, ctx.req.id("id"));
    if (!l) throw http::NotFound();
    if (!domain::can_manage_class(ctx.db, ctx.me(), l->class_id)) throw http::Forbidden();
    domain::NewLesson n{l->class_id, l->subject_id, l->teacher_id, l->day,   l->starts,
                        l->ends,     l->mode,       l->link,       l->number};
    return edit_lesson_page(ctx, *l, n, std::to_string(l->number), "", 200);
  });

  app.route("POST", "/admin/schedule/lessons/{id}", kStaff, [](Ctx& ctx) {
    auto l = domain::find_lesson(ctx.db, ctx.req.id("id"));
    if (!l) throw http::NotFound();
    if (!domain::can_manage_class(ctx.db, ctx.me(), l->class_id)) throw http::Forbidden();
    std::string number;
    domain::NewLesson n = read_lesson(ctx, l->class_id, &number);
    if (auto err = domain::check_lesson(ctx.db, n, l->id))
      return edit_lesson_page(ctx, *l, n, number, ctx.tr(*err), 422);
    domain::update_lesson(ctx.db, l->id, n);
    return http::Response::redirect(schedule_url(l->class_id, n.day));
  });

  app.route("POST", "/admin/schedule/lessons/{id}/delete", kStaff, [](Ctx& ctx) {
    auto l = domain::find_lesson(ctx.db, ctx.req.id("id"));
    if (!l) throw http::NotFound();
    if (!domain::can_manage_class(ctx.db, ctx.me(), l->class_id)) throw http::Forbidden();
    if (!confirmed(ctx))
      return confirm_page(
          ctx,
          ctx.tr(domain::Message{"Delete lesson {number} ({subject}, {time}) of {class} on {day}?",
                                 {{"number", std::to_string(l->number)},
                                  {"subject", l->subject},
                                  {"time", l->starts + "–" + l->ends},
                                  {"class", l->class_name},
                                  {"day", format_day(l->day)}}}),
          ctx.tr("Delete the lesson"), schedule_url(l->class_id, l->day));
    domain::delete_lesson(ctx.db, l->id);
    return http::Response::redirect(schedule_url(l->class_id, l->day));
  });

  // Copying a day to another day, or a week to the next one: the copies are not published.
  app.route("POST", "/admin/schedule/copy", kStaff, [](Ctx& ctx) {
    const auto& f = ctx.req.form();
    auto cls = parse_id(f.value("class_id"));
    if (!cls) throw http::BadRequest("The form refers to something that does not exist.");
    require_class(ctx, *cls);
    auto day = parse_day(f.value("day"));
    if (!day) throw http::BadRequest("The form refers to something that does not exist.");
    bool week = f.value("what") == "week";
    std::string from = week ? domain::monday_of(*day) : *day;
    std::string to = week ? domain::add_days(from, 7) : parse_day(f.value("to")).value_or("");
    if (to.empty())
      return admin_page(ctx, *cls, *day, ctx.tr("Enter the day to copy to, as 03.12.2026."), 422);
    if (to == from) return admin_page(ctx, *cls, *day, ctx.tr("Choose another day."), 422);
    storage::Transaction tx(ctx.db);
    auto r = domain::copy_lessons(ctx.db, *cls, from, to, week ? 7 : 1);
    if (r.error)
      return admin_page(ctx, *cls, *day, format_day(r.error_day) + ": " + ctx.tr(*r.error), 422);
    tx.commit();
    std::string notice = ctx.tr(domain::Message{
        "Copied {lessons} lessons to {days} days. They are not published yet.",
        {{"lessons", std::to_string(r.lessons)}, {"days", std::to_string(r.days)}}});
    if (r.skipped)
      notice += " " + ctx.tr(domain::Message{
                          "{skipped} days already had lessons and were left as they were.",
                          {{"skipped", std::to_string(r.skipped)}}});
    if (r.lessons == 0 && r.skipped == 0) notice = ctx.tr("There was nothing to copy.");
    return admin_page(ctx, *cls, to, "", 200, {}, notice);
  });

  app.route("POST", "/admin/schedule/publish", kStaff, [](Ctx& ctx) {
    const auto& f = ctx.req.form();
    auto cls = parse_id(f.value("class_id"));
    if (!cls) throw http::BadRequest("The form refers to something that does not exist.");
    require_class(ctx, *cls);
    std::string day = f.value("day");
    if (!domain::valid_day(day))
      throw http::BadRequest("The form refers to something that does not exist.");
    domain::publish_day(ctx.db, *cls, day, f.value("on") == "1");
    return http::Response::redirect(schedule_url(*cls, day));
  });
}

}  // namespace parta::web
