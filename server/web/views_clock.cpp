// The box's clock for the admin: what time the box thinks it is, whether that is confirmed, and a
// form to set it (the box has no real-time clock; the time never goes backwards).
#include <algorithm>

#include "domain/accounts.hpp"
#include "domain/box_clock.hpp"
#include "web/app.hpp"
#include "web/form_fields.hpp"
#include "web/time_format.hpp"

namespace parta::web {

namespace {

const char* source_label(const std::string& s) {
  if (s == "admin") return "set by the admin";
  if (s == "district") return "from the district";
  if (s == "saved") return "the last time saved before the box was switched off";
  return "the system clock (network or battery clock)";
}

http::Response clock_page(Ctx& ctx, const std::string& error, int status) {
  domain::BoxClock* c = ctx.settings ? ctx.settings->box_clock : nullptr;
  std::int64_t now = ctx.clock.now();
  mstch::map data{{"now", format_datetime(now)},
                  {"date", iso_date(now)},
                  {"zone", time_zone_label(now)},
                  {"zone_words", moscow_time_label(ctx.lang, now)},
                  {"time", format_datetime(now).substr(11)},
                  {"has_box_clock", c != nullptr},
                  {"certain", c ? c->certain() : true},
                  {"source", ctx.tr(source_label(c ? c->source() : "system"))}};
  if (auto o = domain::clock_offer(ctx.db)) {
    // What the district's time would be now, and how far ahead of the box's.
    std::int64_t theirs = o->offered + std::max<std::int64_t>(0, now - o->box_time);
    data["offer"] = ctx.tr(domain::Message{
        "A bundle from the district says it is {time}: {ahead} ahead of this box's confirmed "
        "clock. One of the two clocks is wrong: the box keeps its own time until you decide.",
        {{"time", format_datetime(theirs)}, {"ahead", format_duration(ctx.lang, theirs - now)}}});
  }
  if (!error.empty()) data["error"] = error;
  return page(ctx, "admin_clock", std::move(data), "Clock", status);
}

}  // namespace

void register_clock_views(App& app) {
  app.route("GET", "/admin/clock", kAdmin, [](Ctx& ctx) { return clock_page(ctx, "", 200); });

  // The district's time, offered when it was far ahead of a confirmed clock: taken or dismissed.
  app.route("POST", "/admin/clock/district", kAdmin, [](Ctx& ctx) {
    domain::BoxClock* c = ctx.settings ? ctx.settings->box_clock : nullptr;
    if (!c) return clock_page(ctx, ctx.tr("This box's clock is set by the system."), 409);
    std::int64_t before = c->now();
    if (field(ctx, "take", 4) == "1") {
      if (auto err = domain::take_clock_offer(ctx.db, *c))
        return clock_page(ctx, ctx.tr(*err), 422);
      domain::keep_sessions_across_jump(ctx.db, before, c->now());
    } else {
      domain::drop_clock_offer(ctx.db);
    }
    return http::Response::redirect("/admin/clock");
  });
  app.route("POST", "/admin/clock", kAdmin, [](Ctx& ctx) {
    domain::BoxClock* c = ctx.settings ? ctx.settings->box_clock : nullptr;
    if (!c) return clock_page(ctx, ctx.tr("This box's clock is set by the system."), 409);
    auto t = parse_local(field(ctx, "date", 20), field(ctx, "time", 20));
    if (!t) return clock_page(ctx, ctx.tr("Enter a real date and time."), 422);
    std::int64_t before = c->now();
    if (auto err = c->set(*t, "admin")) return clock_page(ctx, ctx.tr(*err), 422);
    domain::keep_sessions_across_jump(ctx.db, before, c->now());
    return http::Response::redirect("/admin/clock");
  });
}

}  // namespace parta::web
