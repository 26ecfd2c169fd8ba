// Monitoring pages for the admin and class teachers: the classes today, a class's day (with the
// absence register), its weekly report with a chart, and the students at risk; CSV exports.
#include "domain/days.hpp"
#include "domain/monitoring.hpp"
#include "domain/schedule.hpp"
#include "web/app.hpp"
#include "web/charts.hpp"
#include "web/export.hpp"
#include "web/form_fields.hpp"
#include "web/time_format.hpp"

namespace parta::web {

namespace {

const char* reason_label(const std::string& r) {
  if (r == "ill") return "ill";
  if (r == "family") return "family reasons";
  if (r == "other") return "other reason";
  return "";
}

domain::ClassInfo load_class(Ctx& ctx) {
  auto k = domain::find_class(ctx.db, ctx.req.id("id"));
  if (!k || !domain::can_monitor(ctx.db, ctx.me(), k->id)) throw http::Forbidden();
  return *k;
}

std::string chosen_day(Ctx& ctx, const char* param) {
  std::string today = domain::local_day(ctx.clock.now());
  auto d = ctx.req.query(param);
  return d ? parse_day(*d).value_or(today) : today;  // 2026-12-03 or 03.12.2026
}

int idle_days_param(Ctx& ctx) {
  if (auto d = ctx.req.query("days"))
    if (auto n = parse_id(*d); n && *n <= 60) return static_cast<int>(*n);
  return domain::kDefaultIdleDays;
}

mstch::map class_head(const domain::ClassInfo& k) {
  return mstch::map{{"class_id", std::to_string(k.id)}, {"class_name", k.name}};
}

http::Response day_page(Ctx& ctx, const domain::ClassInfo& k, const std::string& day,
                        const std::string& error, int status) {
  mstch::array rows;
  int active = 0, absent = 0;
  for (const auto& r : domain::class_day(ctx.db, k.id, day)) {
    std::string reason = r.absence ? r.absence->reason : "";
    mstch::array reasons{mstch::map{
        {"value", std::string()}, {"label", ctx.tr("present")}, {"selected", reason.empty()}}};
    for (const char* x : domain::kAbsenceReasons)
      reasons.push_back(mstch::map{{"value", std::string(x)},
                                   {"label", ctx.tr(reason_label(x))},
                                   {"selected", reason == x}});
    active += r.active();
    absent += r.absence.has_value();
    rows.push_back(mstch::map{{"sid", std::to_string(r.student.user.id)},
                              {"name", r.student.user.short_name()},
                              {"paper", r.student.paper},
                              {"opened", r.opened},
                              {"active", r.active()},
                              {"submitted", r.submitted ? std::to_string(r.submitted) : ""},
                              {"on_paper", r.on_paper ? std::to_string(r.on_paper) : ""},
                              {"reasons", reasons},
                              {"note", r.absence ? r.absence->note : ""}});
  }
  mstch::map data = class_head(k);
  data["day"] = day;
  data["day_label"] = format_day(day);
  data["prev"] = domain::add_days(day, -1);
  data["next"] = domain::add_days(day, 1);
  data["week"] = domain::monday_of(day);
  data["rows"] = rows;
  data["count"] = std::to_string(rows.size());
  data["active"] = std::to_string(active);
  data["absent"] = std::to_string(absent);
  if (!error.empty()) data["error"] = error;
  return page(ctx, "monitor_day", std::move(data), "Class day", status);
}

std::string percent(int part, int whole) {
  return whole ? std::to_string((part * 100 + whole / 2) / whole) + "%" : "—";
}

Table week_table(Ctx& ctx, const domain::WeekReport& r) {
  Table t{{ctx.tr("Day"), ctx.tr("Active"), ctx.tr("Handed in"), ctx.tr("Absent")}};
  for (const auto& d : r.days)
    t.push_back({format_day(d.day), std::to_string(d.active), std::to_string(d.submitted),
                 std::to_string(d.absent)});
  t.push_back({});
  t.push_back(
      {ctx.tr("Subject"), ctx.tr("Teacher"), ctx.tr("Assignments set"), ctx.tr("Marks given")});
  for (const auto& s : r.subjects)
    t.push_back({s.subject, s.teacher, std::to_string(s.assignments), std::to_string(s.marks)});
  t.push_back({});
  t.push_back(
      {ctx.tr("Students active this week"), std::to_string(r.active), std::to_string(r.students)});
  t.push_back({ctx.tr("Families reached"), std::to_string(r.reached), std::to_string(r.families)});
  return t;
}

Table risk_table(Ctx& ctx, const std::vector<domain::AtRisk>& list) {
  Table t{{ctx.tr("Student"), ctx.tr("Last active"), ctx.tr("Overdue"), ctx.tr("Why")}};
  for (const auto& r : list) {
    std::string why;
    for (const auto& m : r.reasons) why += (why.empty() ? "" : "; ") + ctx.tr(m);
    t.push_back({r.student.user.full_name(),
                 r.last_active.empty() ? ctx.tr("never") : format_day(r.last_active),
                 std::to_string(r.overdue), why});
  }
  return t;
}

}  // namespace

void register_monitoring_views(App& app) {
  app.route("GET", "/monitoring", kStaff, [](Ctx& ctx) {
    auto classes = domain::monitored_classes(ctx.db, ctx.me());
    if (classes.empty()) throw http::Forbidden();
    std::int64_t now = ctx.clock.now();
    std::string today = domain::local_day(now);
    mstch::array rows;
    std::vector<Bar> bars;
    // Every class at once: today's figures (a day's rows), and the at-risk counts kept between
    // views until the classes' data changes.
    std::vector<std::int64_t> ids;
    for (const auto& k : classes) ids.push_back(k.id);
    auto day = domain::classes_day(ctx.db, ids, today);
    auto risk = domain::at_risk_counts(ctx.db, ids, now, domain::kDefaultIdleDays, ctx.risk);
    for (const auto& k : classes) {
      const auto& d = day[k.id];
      int active = d.active, n = d.students;
      rows.push_back(mstch::map{{"id", std::to_string(k.id)},
                                {"name", k.name},
                                {"students", std::to_string(n)},
                                {"active", std::to_string(active)},
                                {"share", percent(active, n)},
                                {"absent", std::to_string(d.absent)},
                                {"risk", std::to_string(risk[k.id])}});
      bars.push_back(Bar{k.name, n ? 100.0 * active / n : 0, percent(active, n)});
    }
    mstch::map data{{"rows", rows},
                    {"today", format_day(today)},
                    {"chart", bar_chart(bars, ctx.tr("Active today"))}};
    return page(ctx, "monitoring", std::move(data), "Monitoring");
  });

  app.route("GET", "/monitoring/classes/{id}", kStaff, [](Ctx& ctx) {
    auto k = load_class(ctx);
    return day_page(ctx, k, chosen_day(ctx, "day"), "", 200);
  });

  // The absence register for one day: the whole class in one form, saved all or nothing.
  app.route("POST", "/monitoring/classes/{id}/absences", kStaff, [](Ctx& ctx) {
    auto k = load_class(ctx);
    const auto& f = ctx.req.form();
    std::string day = parse_day(f.value("day")).value_or("");
    if (day.empty()) throw http::BadRequest("Enter a real date.");
    storage::Transaction tx(ctx.db);
    for (const auto& s : domain::list_students(ctx.db, k.id)) {
      std::string id = std::to_string(s.user.id);
      if (!f.has("a" + id)) continue;
      if (auto err = domain::set_absence(ctx.db, ctx.clock, s.user.id, day, f.value("a" + id),
                                         field(ctx, ("n" + id).c_str(), 2000), ctx.me().id))
        return day_page(ctx, k, day, ctx.tr(*err), 422);  // the transaction rolls back
    }
    tx.commit();
    return http::Response::redirect("/monitoring/classes/" + std::to_string(k.id) + "?day=" + day);
  });

  app.route("GET", "/monitoring/classes/{id}/week", kStaff, [](Ctx& ctx) {
    auto k = load_class(ctx);
    std::string monday = domain::monday_of(chosen_day(ctx, "week"));
    auto r = domain::week_report(ctx.db, k.id, monday);
    static const char* kDays[] = {"Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"};
    mstch::array days, subjects;
    std::vector<Bar> bars;
    for (std::size_t i = 0; i < r.days.size(); ++i) {
      const auto& d = r.days[i];
      std::string label = ctx.tr(kDays[i]) + " " + format_day(d.day).substr(0, 5);
      days.push_back(mstch::map{{"day", d.day},
                                {"label", label},
                                {"active", std::to_string(d.active)},
                                {"submitted", std::to_string(d.submitted)},
                                {"absent", std::to_string(d.absent)}});
      bars.push_back(Bar{label, static_cast<double>(d.active),
                         std::to_string(d.active) + " / " + std::to_string(r.students)});
    }
    for (const auto& s : r.subjects)
      subjects.push_back(mstch::map{{"subject", s.subject},
                                    {"teacher", s.teacher},
                                    {"assignments", std::to_string(s.assignments)},
                                    {"marks", std::to_string(s.marks)},
                                    {"empty", s.marks == 0}});
    mstch::map data = class_head(k);
    data["week"] = monday;
    data["week_label"] = format_day(monday) + " – " + format_day(domain::add_days(monday, 6));
    data["prev"] = domain::add_days(monday, -7);
    data["next"] = domain::add_days(monday, 7);
    data["days"] = days;
    data["subjects"] = subjects;
    data["students"] = std::to_string(r.students);
    data["active"] = std::to_string(r.active);
    data["active_share"] = percent(r.active, r.students);
    data["families"] = std::to_string(r.families);
    data["reached"] = std::to_string(r.reached);
    data["reached_share"] = percent(r.reached, r.families);
    data["submitted"] = std::to_string(r.submitted);
    data["absences"] = std::to_string(r.absences);
    data["chart"] = bar_chart(bars, ctx.tr("Students active per day"));
    return page(ctx, "monitor_week", std::move(data), "Weekly report");
  });

  app.route("GET", "/monitoring/classes/{id}/week.csv", kStaff, [](Ctx& ctx) {
    auto k = load_class(ctx);
    std::string monday = domain::monday_of(chosen_day(ctx, "week"));
    return csv_download(week_table(ctx, domain::week_report(ctx.db, k.id, monday)),
                        k.name + " " + monday);
  });

  app.route("GET", "/monitoring/classes/{id}/risk", kStaff, [](Ctx& ctx) {
    auto k = load_class(ctx);
    int idle = idle_days_param(ctx);
    mstch::array rows;
    for (const auto& r : domain::at_risk(ctx.db, k.id, ctx.clock.now(), idle, ctx.risk)) {
      mstch::array why;
      for (const auto& m : r.reasons) why.push_back(mstch::map{{"text", ctx.tr(m)}});
      rows.push_back(
          mstch::map{{"sid", std::to_string(r.student.user.id)},
                     {"name", r.student.user.full_name()},
                     {"paper", r.student.paper},
                     {"last", r.last_active.empty() ? ctx.tr("never") : format_day(r.last_active)},
                     {"why", why}});
    }
    mstch::map data = class_head(k);
    data["rows"] = rows;
    data["has_rows"] = !rows.empty();
    data["days"] = std::to_string(idle);
    data["overdue_limit"] = std::to_string(domain::kOverdueLimit);
    data["overdue_days"] = std::to_string(domain::kOverdueWindowDays);
    return page(ctx, "monitor_risk", std::move(data), "Students at risk");
  });

  app.route("GET", "/monitoring/classes/{id}/risk.csv", kStaff, [](Ctx& ctx) {
    auto k = load_class(ctx);
    auto list = domain::at_risk(ctx.db, k.id, ctx.clock.now(), idle_days_param(ctx), ctx.risk);
    return csv_download(risk_table(ctx, list), k.name + " at risk");
  });
}

}  // namespace parta::web
