// The calendar: a month of events the user is invited to (school-wide, their classes', their
// groups'), as a grid and a list; the staff add events for those they may address.
#include <cstdio>
#include <ctime>

#include "domain/announcements.hpp"
#include "domain/events.hpp"
#include "domain/groups.hpp"
#include "domain/schedule.hpp"
#include "web/app.hpp"
#include "web/form_fields.hpp"
#include "web/time_format.hpp"

namespace parta::web {

namespace {

using domain::Role;

struct Month {
  int year = 2026, month = 1;  // month 1..12
  std::string code() const {
    char b[16];
    std::snprintf(b, sizeof b, "%04d-%02d", year % 10000, month % 100);
    return b;
  }
  std::string day(int d) const {
    char b[16];
    std::snprintf(b, sizeof b, "%04d-%02d-%02d", year % 10000, month % 100, d % 100);
    return b;
  }
  Month shifted(int by) const {
    int m = year * 12 + (month - 1) + by;
    return Month{m / 12, m % 12 + 1};
  }
  int days() const {
    static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : kDays[month - 1];
  }
  int first_weekday() const {  // 0 = Monday
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = 1;
    tm.tm_hour = 12;
    std::mktime(&tm);
    return (tm.tm_wday + 6) % 7;
  }
};

std::optional<Month> parse_month(const std::string& s) {
  int y, m;
  char tail;
  if (s.size() != 7 || std::sscanf(s.c_str(), "%4d-%2d%c", &y, &m, &tail) != 2) return std::nullopt;
  if (y < 2000 || y > 2200 || m < 1 || m > 12) return std::nullopt;
  return Month{y, m};
}

const char* kMonthNames[] = {"January", "February", "March",     "April",   "May",      "June",
                             "July",    "August",   "September", "October", "November", "December"};

http::Response calendar_page(Ctx& ctx, const std::string& error, int status) {
  std::string today = iso_date(ctx.clock.now());
  Month month = parse_month(today.substr(0, 7)).value_or(Month{});
  if (auto q = ctx.req.query("month"))
    if (auto m = parse_month(*q)) month = *m;
  auto events = domain::events_for(ctx.db, ctx.me(), month.day(1), month.day(month.days()));

  mstch::array weeks, week, days;
  for (int i = 0; i < month.first_weekday(); ++i) week.push_back(mstch::map{{"blank", true}});
  std::size_t e = 0;
  for (int d = 1; d <= month.days(); ++d) {
    std::string day = month.day(d);
    mstch::array list;
    for (; e < events.size() && events[e].day == day; ++e) {
      const auto& ev = events[e];
      list.push_back(mstch::map{
          {"id", std::to_string(ev.id)},
          {"title", ev.title},
          {"starts", ev.starts},
          {"ends", ev.ends},
          {"place", ev.place},
          {"link", ev.link},
          {"note", ev.note},
          {"author", ev.author_name},
          {"audience", ev.audience_name.empty() ? ctx.tr("whole school") : ev.audience_name},
          {"can_delete", domain::can_delete(ctx.me(), ev)}});
    }
    week.push_back(mstch::map{
        {"n", std::to_string(d)}, {"day", day}, {"busy", !list.empty()}, {"today", day == today}});
    if (!list.empty())
      days.push_back(mstch::map{{"day", day}, {"label", format_day(day)}, {"events", list}});
    if (week.size() == 7) {
      weeks.push_back(mstch::map{{"cells", week}});
      week.clear();
    }
  }
  if (!week.empty()) weeks.push_back(mstch::map{{"cells", week}});

  mstch::map data{
      {"month_name", ctx.tr(kMonthNames[month.month - 1]) + " " + std::to_string(month.year)},
      {"prev", month.shifted(-1).code()},
      {"next", month.shifted(1).code()},
      {"weeks", weeks},
      {"days", days},
      {"has_days", !days.empty()}};
  const auto& me = ctx.me();
  if (me.role == Role::admin || me.role == Role::teacher) {
    mstch::array audiences;
    if (domain::can_post_school_wide(me))
      audiences.push_back(mstch::map{{"value", "school"}, {"label", ctx.tr("whole school")}});
    for (const auto& k : domain::postable_classes(ctx.db, me))
      audiences.push_back(mstch::map{{"value", "class:" + std::to_string(k.id)},
                                     {"label", ctx.tr("class") + " " + k.name}});
    for (const auto& g : domain::groups_of(ctx.db, me))
      if (domain::can_manage(me, g))
        audiences.push_back(
            mstch::map{{"value", "group:" + std::to_string(g.id)}, {"label", g.name}});
    static const http::Form kEmpty;
    const http::Form& f = ctx.req.method == "POST" ? ctx.req.form() : kEmpty;
    data["can_add"] = mstch::map{{"audiences", audiences},
                                 {"title", f.value("title")},
                                 {"day", f.value("day").empty() ? today : f.value("day")},
                                 {"starts", f.value("starts")},
                                 {"ends", f.value("ends")},
                                 {"place", f.value("place")},
                                 {"link", f.value("link")},
                                 {"note", f.value("note")}};
  }
  if (!error.empty()) data["error"] = error;
  return page(ctx, "calendar", std::move(data), "Calendar", status);
}

}  // namespace

void register_calendar_views(App& app) {
  app.route("GET", "/calendar", kSignedIn, [](Ctx& ctx) { return calendar_page(ctx, "", 200); });

  app.route("POST", "/calendar/events", kStaff, [](Ctx& ctx) {
    const auto& me = ctx.me();
    domain::NewEvent e;
    e.title = field(ctx, "title", 1000);
    e.day = field(ctx, "day", 20);
    e.day = parse_day(e.day).value_or(e.day);  // 03.12.2026 as well
    e.starts = field(ctx, "starts", 20);
    e.ends = field(ctx, "ends", 20);
    e.place = field(ctx, "place", 1000);
    e.link = field(ctx, "link", 1000);
    e.note = field(ctx, "note", 10000);
    std::string audience = ctx.req.form().value("audience");
    bool allowed = false;
    if (audience == "school") {
      allowed = domain::can_post_school_wide(me);
    } else if (audience.rfind("class:", 0) == 0) {
      e.class_id = parse_id(audience.substr(6));
      for (const auto& k : domain::postable_classes(ctx.db, me)) allowed |= k.id == e.class_id;
    } else if (audience.rfind("group:", 0) == 0) {
      e.group_id = parse_id(audience.substr(6));
      auto g = e.group_id ? domain::find_group(ctx.db, *e.group_id) : std::nullopt;
      allowed = g && domain::can_manage(me, *g);
    }
    if (!allowed) throw http::Forbidden();
    if (auto err = domain::check_event(e)) return calendar_page(ctx, ctx.tr(*err), 422);
    domain::add_event(ctx.db, me.id, e);
    return http::Response::redirect("/calendar?month=" + e.day.substr(0, 7) + "#d" + e.day);
  });

  app.route("POST", "/calendar/events/{id}/delete", kStaff, [](Ctx& ctx) {
    auto e = domain::find_event(ctx.db, ctx.req.id("id"));
    if (!e) throw http::NotFound();
    if (!domain::can_delete(ctx.me(), *e)) throw http::Forbidden();
    domain::delete_event(ctx.db, e->id);
    return http::Response::redirect("/calendar?month=" + e->day.substr(0, 7));
  });
}

}  // namespace parta::web
