// The timetable: the admin edits and publishes it day by day; students, parents and teachers see
// the published days from today on, today and tomorrow first.
#include <map>

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
                    {"online", l.mode == "online"},
                    {"link", l.link}};
}

std::string day_label(Ctx& ctx, const std::string& day, const std::string& today,
                      const std::string& tomorrow) {
  std::string d = format_day(day);
  if (day == today) return ctx.tr("Today") + ", " + d;
  if (day == tomorrow) return ctx.tr("Tomorrow") + ", " + d;
  return d;
}

// The published days from today on (the next two weeks, at most seven days per class) of several
// classes, with their lessons: one query for all of them.
std::map<std::int64_t, mstch::array> class_days(Ctx& ctx,
                                                const std::vector<std::int64_t>& classes) {
  std::int64_t now = ctx.clock.now();
  std::string today = iso_date(now), tomorrow = iso_date(now + 24 * 3600);
  std::map<std::int64_t, mstch::array> out;
  std::map<std::int64_t, int> days_of;
  std::int64_t klass = 0;
  std::string day;
  mstch::array lessons;
  auto flush = [&] {
    if (!day.empty() && days_of[klass]++ < 7)
      out[klass].push_back(
          mstch::map{{"label", day_label(ctx, day, today, tomorrow)}, {"lessons", lessons}});
    lessons = {};
  };
  for (const auto& l :
       domain::published_lessons(ctx.db, classes, today, domain::add_days(today, 14))) {
    if (l.class_id != klass || l.day != day) {
      flush();
      klass = l.class_id;
      day = l.day;
    }
    lessons.push_back(lesson_data(ctx, l));
  }
  flush();
  return out;
}

http::Response admin_page(Ctx& ctx, std::int64_t class_id, const std::string& day,
                          const std::string& error, int status,
                          const std::vector<domain::Message>& import_errors = {},
                          const std::string& notice = "") {
  mstch::array classes, subjects, teachers, lessons;
  for (const auto& k : domain::list_classes(ctx.db))
    classes.push_back(
        mstch::map{{"id", std::to_string(k.id)}, {"name", k.name}, {"selected", k.id == class_id}});
  for (const auto& s : domain::list_subjects(ctx.db))
    subjects.push_back(mstch::map{{"id", std::to_string(s.id)}, {"name", s.name}});
  for (const auto& t : domain::list_users(ctx.db, Role::teacher))
    teachers.push_back(mstch::map{{"id", std::to_string(t.id)}, {"name", t.short_name()}});
  for (const auto& l : domain::lessons_of(ctx.db, class_id, day))
    lessons.push_back(lesson_data(ctx, l));
  mstch::map data{{"classes", classes},
                  {"subjects", subjects},
                  {"teachers", teachers},
                  {"lessons", lessons},
                  {"has_lessons", !lessons.empty()},
                  {"class_id", std::to_string(class_id)},
                  {"day", day},
                  {"published", domain::day_published(ctx.db, class_id, day)},
                  {"next_number", std::to_string(lessons.size() + 1)}};
  if (!error.empty()) data["error"] = error;
  if (!notice.empty()) data["notice"] = notice;
  mstch::array problems;
  for (const auto& m : import_errors) problems.push_back(mstch::map{{"text", ctx.tr(m)}});
  data["has_import_errors"] = !problems.empty();
  data["import_errors"] = problems;
  return page(ctx, "admin_schedule", std::move(data), "Schedule", status);
}

}  // namespace

void register_schedule_views(App& app) {
  app.route("GET", "/schedule", kSignedIn, [](Ctx& ctx) {
    const auto& me = ctx.me();
    if (me.role == Role::admin) return http::Response::redirect("/admin/schedule");
    // Whose timetables, titled: the student's class, each child's, the classes a teacher leads
    // then those they teach.
    std::vector<std::pair<std::int64_t, std::string>> classes;
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
      for (const auto& k : domain::classes_led_by(ctx.db, me.id)) add(k.id, k.name);
      for (const auto& t : domain::teaching_of_teacher(ctx.db, me.id))
        add(t.class_id, t.class_name);
    }
    std::vector<std::int64_t> ids;
    for (const auto& c : classes) ids.push_back(c.first);
    auto days = class_days(ctx, ids);
    mstch::array groups;
    for (const auto& [id, title] : classes)
      groups.push_back(mstch::map{{"title", title}, {"days", days[id]}});
    mstch::map data{{"groups", groups}};
    return page(ctx, "schedule", std::move(data), "Schedule");
  });

  app.route("GET", "/admin/schedule", kAdmin, [](Ctx& ctx) {
    auto classes = domain::list_classes(ctx.db);
    auto cls = parse_id(ctx.req.query("class").value_or(""));
    std::int64_t class_id = cls ? *cls : (classes.empty() ? 0 : classes.front().id);
    std::string day = ctx.req.query("day").value_or(iso_date(ctx.clock.now()));
    if (!domain::valid_day(day)) day = iso_date(ctx.clock.now());
    return admin_page(ctx, class_id, day, "", 200);
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

  app.route("POST", "/admin/schedule/lessons", kAdmin, [](Ctx& ctx) {
    const auto& f = ctx.req.form();
    auto cls = parse_id(f.value("class_id"));
    auto subject = parse_id(f.value("subject_id"));
    if (!cls || !subject || !domain::find_class(ctx.db, *cls))
      throw http::BadRequest("The form refers to something that does not exist.");
    domain::NewLesson l;
    l.class_id = *cls;
    l.subject_id = *subject;
    if (!f.value("teacher_id").empty()) {
      l.teacher_id = parse_id(f.value("teacher_id"));
      if (!l.teacher_id)
        throw http::BadRequest("The form refers to something that does not exist.");
    }
    l.day = f.value("day");
    l.starts = f.value("starts");
    l.ends = f.value("ends");
    l.mode = f.value("mode");
    l.link = f.value("link");
    std::string number = f.value("number");
    if (number.empty() || number.size() > 2 ||
        number.find_first_not_of("0123456789") != std::string::npos)
      l.number = -1;
    else
      l.number = std::stoi(number);
    std::string day = domain::valid_day(l.day) ? l.day : iso_date(ctx.clock.now());
    if (auto err = domain::check_lesson(ctx.db, l))
      return admin_page(ctx, *cls, day, ctx.tr(*err), 422);
    domain::add_lesson(ctx.db, l);
    return http::Response::redirect("/admin/schedule?class=" + std::to_string(*cls) +
                                    "&day=" + day);
  });

  app.route("POST", "/admin/schedule/lessons/{id}/delete", kAdmin, [](Ctx& ctx) {
    auto l = domain::find_lesson(ctx.db, ctx.req.id("id"));
    if (!l) throw http::NotFound();
    domain::delete_lesson(ctx.db, l->id);
    return http::Response::redirect("/admin/schedule?class=" + std::to_string(l->class_id) +
                                    "&day=" + l->day);
  });

  app.route("POST", "/admin/schedule/publish", kAdmin, [](Ctx& ctx) {
    const auto& f = ctx.req.form();
    auto cls = parse_id(f.value("class_id"));
    std::string day = f.value("day");
    if (!cls || !domain::find_class(ctx.db, *cls) || !domain::valid_day(day))
      throw http::BadRequest("The form refers to something that does not exist.");
    domain::publish_day(ctx.db, *cls, day, f.value("on") == "1");
    return http::Response::redirect("/admin/schedule?class=" + std::to_string(*cls) +
                                    "&day=" + day);
  });
}

}  // namespace parta::web
