// District reports (the hub only): the weekly monitoring the ministry's letters ask of schools,
// across all schools — a table per week (schools, then a school's classes), subjects, the schools
// not heard from, charts (inline SVG) and CSV downloads. The figures are the schools' own
// (domain/district_reports): each page reads one week's kept rows.
#include "domain/days.hpp"
#include "domain/district_reports.hpp"
#include "web/app.hpp"
#include "web/charts.hpp"
#include "web/export.hpp"
#include "web/form_fields.hpp"
#include "web/time_format.hpp"

namespace parta::web {

namespace {

constexpr int kTrendWeeks = 8;

std::string chosen_week(Ctx& ctx) {
  std::string today = domain::local_day(ctx.clock.now());
  auto d = ctx.req.query("week");
  return domain::monday_of(d ? parse_day(*d).value_or(today) : today);
}

std::string share(std::int64_t part, std::int64_t whole) {
  return whole ? std::to_string((part * 100 + whole / 2) / whole) + "%" : "—";
}

std::string n(std::int64_t v) { return std::to_string(v); }

mstch::map figures_data(const domain::WeekFigures& f) {
  return mstch::map{{"students", n(f.students)},
                    {"active", n(f.active)},
                    {"active_share", share(f.active, f.students)},
                    {"at_risk", n(f.at_risk)},
                    {"submitted", n(f.submitted)},
                    {"on_paper", n(f.on_paper)},
                    {"paper_students", n(f.paper_students)},
                    {"absences", n(f.absences)}};
}

std::vector<std::string> figures_cells(const domain::WeekFigures& f) {
  return {n(f.students), n(f.active),    share(f.active, f.students),
          n(f.at_risk),  n(f.submitted), n(f.paper_students),
          n(f.on_paper), n(f.absences)};
}

std::vector<std::string> figures_heads(Ctx& ctx) {
  return {ctx.tr("Students"),       ctx.tr("Active"),         ctx.tr("Active, %"),
          ctx.tr("At risk"),        ctx.tr("Work handed in"), ctx.tr("On the paper track"),
          ctx.tr("Paper returned"), ctx.tr("Absences")};
}

std::string week_label(const std::string& monday) {
  return format_day(monday) + " – " + format_day(domain::add_days(monday, 6));
}

mstch::map week_nav(const std::string& monday) {
  return mstch::map{{"week", monday},
                    {"week_label", week_label(monday)},
                    {"prev", domain::add_days(monday, -7)},
                    {"next", domain::add_days(monday, 7)}};
}

std::string last_in(const std::optional<std::int64_t>& t) { return t ? format_datetime(*t) : "—"; }

http::Response reports_page(Ctx& ctx) {
  const std::string monday = chosen_week(ctx);
  auto schools = domain::schools_week(ctx.db, monday);
  mstch::array rows, silent;
  domain::WeekFigures total;
  int reported = 0;
  for (const auto& s : schools) {
    if (!s.reported) {
      silent.push_back(
          mstch::map{{"sid", s.peer}, {"sname", s.name}, {"last_in", last_in(s.last_in_at)}});
      continue;
    }
    ++reported;
    total += s.figures;
    mstch::map row = figures_data(s.figures);
    row["sid"] = s.peer;
    row["sname"] = s.name;
    row["last_in"] = last_in(s.last_in_at);
    rows.push_back(std::move(row));
  }
  mstch::array subjects;
  std::vector<Bar> subject_bars, trend_bars;
  for (const auto& s : domain::subjects_week(ctx.db, monday)) {
    subjects.push_back(mstch::map{{"subject", s.subject},
                                  {"assignments", n(s.assignments)},
                                  {"submitted", n(s.submitted)},
                                  {"marks", n(s.marks)}});
    subject_bars.push_back(Bar{s.subject, static_cast<double>(s.submitted), n(s.submitted)});
  }
  for (const auto& w : domain::district_weeks(ctx.db, monday, kTrendWeeks)) {
    const auto& f = w.figures;
    trend_bars.push_back(Bar{
        format_day(w.monday).substr(0, 5), f.students ? 100.0 * f.active / f.students : 0,
        f.students ? share(f.active, f.students) + " (" + n(f.active) + ")" : std::string("—")});
  }
  mstch::map data = week_nav(monday);
  data["rows"] = rows;
  data["has_rows"] = !rows.empty();
  data["silent"] = silent;
  data["has_silent"] = !silent.empty();
  data["reported"] = n(reported);
  data["schools"] = n(static_cast<std::int64_t>(schools.size()));
  data["total"] = figures_data(total);
  data["subjects"] = subjects;
  data["has_subjects"] = !subjects.empty();
  // Two charts on one page: each under its own key, as {{> bar_chart}} reads `chart`.
  data["trend"] =
      mstch::map{{"chart", bar_chart(trend_bars, ctx.tr("Students active, share by week"))}};
  if (!subject_bars.empty())
    data["subject_chart"] =
        mstch::map{{"chart", bar_chart(subject_bars, ctx.tr("Work handed in by subject"))}};
  return page(ctx, "district_reports", std::move(data), "District reports");
}

http::Response school_report(Ctx& ctx) {
  const std::string monday = chosen_week(ctx);
  const std::string peer = ctx.req.params.at("device");
  auto school = domain::school_of_week(ctx.db, peer, monday);
  if (!school) throw http::NotFound();
  mstch::array classes;
  for (const auto& k : domain::school_classes_week(ctx.db, peer, monday)) {
    mstch::map row = figures_data(k.figures);
    row["class"] = k.class_name;
    classes.push_back(std::move(row));
  }
  mstch::array subjects;
  for (const auto& k : domain::school_subjects_week(ctx.db, peer, monday))
    subjects.push_back(mstch::map{{"class", k.class_name},
                                  {"subject", k.figures.subject},
                                  {"assignments", n(k.figures.assignments)},
                                  {"submitted", n(k.figures.submitted)},
                                  {"marks", n(k.figures.marks)}});
  mstch::map data = week_nav(monday);
  data["subjects"] = subjects;
  data["has_subjects"] = !subjects.empty();
  data["sid"] = peer;
  data["sname"] = school->name;
  data["last_in"] = last_in(school->last_in_at);
  data["reported"] = school->reported;
  data["classes"] = classes;
  data["total"] = figures_data(school->figures);
  return page(ctx, "district_report_school", std::move(data), "District reports");
}

}  // namespace

void register_report_views(App& app) {
  app.route("GET", "/district/reports", kAdmin, [](Ctx& ctx) { return reports_page(ctx); });
  app.route("GET", "/district/reports/schools/{device}", kAdmin,
            [](Ctx& ctx) { return school_report(ctx); });
  // One row per school that sent its week, then the ones not heard from (empty figures).
  app.route("GET", "/district/reports/week.csv", kAdmin, [](Ctx& ctx) {
    const std::string monday = chosen_week(ctx);
    Table t{{ctx.tr("School"), ctx.tr("Figures arrived")}};
    for (auto& h : figures_heads(ctx)) t[0].push_back(h);
    t[0].push_back(ctx.tr("Last bundle"));
    for (const auto& s : domain::schools_week(ctx.db, monday)) {
      std::vector<std::string> row{s.name, s.reported ? ctx.tr("yes") : ctx.tr("no")};
      if (s.reported)
        for (auto& c : figures_cells(s.figures)) row.push_back(c);
      else
        row.resize(row.size() + figures_heads(ctx).size());
      row.push_back(last_in(s.last_in_at));
      t.push_back(std::move(row));
    }
    return csv_download(t, ctx.tr("District") + " " + monday);
  });
  app.route("GET", "/district/reports/subjects.csv", kAdmin, [](Ctx& ctx) {
    const std::string monday = chosen_week(ctx);
    Table t{{ctx.tr("Subject"), ctx.tr("Assignments set"), ctx.tr("Work handed in"),
             ctx.tr("Marks given")}};
    for (const auto& s : domain::subjects_week(ctx.db, monday))
      t.push_back({s.subject, n(s.assignments), n(s.submitted), n(s.marks)});
    return csv_download(t, ctx.tr("Subjects") + " " + monday);
  });
}

}  // namespace parta::web
