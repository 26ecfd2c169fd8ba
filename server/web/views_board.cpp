// The bulletin board and the distance-learning switch.
#include "domain/access.hpp"
#include "domain/announcements.hpp"
#include "web/app.hpp"
#include "web/form_fields.hpp"
#include "web/time_format.hpp"
#include "web/view_data.hpp"

namespace parta::web {

namespace {

using domain::Role;

mstch::map announcement_data(Ctx& ctx, const domain::Announcement& a) {
  return mstch::map{{"id", std::to_string(a.id)},
                    {"title", a.title},
                    {"body", a.body},
                    {"author", a.author_name},
                    {"class_name", a.class_name},
                    {"school_wide", !a.class_id.has_value()},
                    {"pinned", a.pinned},
                    {"distance", a.distance},
                    {"when", format_datetime(a.created_at)},
                    {"can_delete", domain::can_delete(ctx.me(), a)}};
}

http::Response board_page(Ctx& ctx, const std::string& error, int status) {
  mstch::array list, classes;
  for (const auto& a : domain::announcements_for(ctx.db, ctx.me(), 50))
    list.push_back(announcement_data(ctx, a));
  static const http::Form kEmpty;
  const http::Form& f = ctx.req.method == "POST" ? ctx.req.form() : kEmpty;
  // A refused form keeps its audience: it is never posted to the first class in the list.
  std::string audience = f.value("audience");
  for (const auto& k : domain::postable_classes(ctx.db, ctx.me()))
    classes.push_back(mstch::map{{"id", std::to_string(k.id)},
                                 {"name", k.name},
                                 {"selected", audience == std::to_string(k.id)}});
  mstch::map data{{"announcements", list},
                  {"has_announcements", !list.empty()},
                  {"classes", classes},
                  {"can_post", !classes.empty() || domain::can_post_school_wide(ctx.me())},
                  {"school_wide", domain::can_post_school_wide(ctx.me())},
                  {"school_selected", audience == "school"},
                  {"pinned", f.value("pinned") == "1"},
                  {"title", f.value("title")},
                  {"body", f.value("body")}};
  if (!error.empty()) data["error"] = error;
  return page(ctx, "board", std::move(data), "Announcements", status);
}

// The distance switch: the admin's for the school and every class, a class teacher's for hers.
http::Response distance_page(Ctx& ctx, const std::string& error, int status) {
  bool admin = ctx.me().role == Role::admin;
  auto list = admin ? domain::list_classes(ctx.db) : domain::classes_led_by(ctx.db, ctx.me().id);
  if (list.empty() && !admin) throw http::Forbidden();
  auto state = domain::distance_state(ctx.db);
  const auto& from = state.class_from;
  std::string today = iso_date(ctx.clock.now());
  static const http::Form kEmpty;
  const http::Form& f = ctx.req.method == "POST" ? ctx.req.form() : kEmpty;
  mstch::array classes;
  for (const auto& k : list) {
    std::string id = std::to_string(k.id);
    auto it = from.find(k.id);
    bool typed_here = f.value("scope") == id;
    classes.push_back(mstch::map{
        {"id", id},
        {"name", k.name},
        {"on", k.distance},
        {"from", it != from.end() && it->second > today ? format_day(it->second) : std::string()},
        {"message", typed_here ? f.value("message") : std::string()},
        {"start", typed_here && f.has("from") ? f.value("from") : today}});
  }
  const std::string& school_from = state.school_from;
  bool school_typed = f.value("scope") == "school";
  mstch::map data{{"is_admin", admin},
                  {"school_on", state.school},
                  {"school_from", school_from > today ? format_day(school_from) : std::string()},
                  {"school_message", school_typed ? f.value("message") : std::string()},
                  {"school_start", school_typed && f.has("from") ? f.value("from") : today},
                  {"classes", classes}};
  if (!error.empty()) data["error"] = error;
  return page(ctx, "admin_distance", std::move(data), "Distance learning", status);
}

}  // namespace

mstch::map board_data(Ctx& ctx, std::size_t limit) {
  mstch::array list;
  for (const auto& a : domain::announcements_for(ctx.db, ctx.me(), limit))
    list.push_back(announcement_data(ctx, a));
  return mstch::map{{"latest", list}, {"has_latest", !list.empty()}};
}

void register_board_views(App& app) {
  app.route("GET", "/announcements", kSignedIn, [](Ctx& ctx) { return board_page(ctx, "", 200); });

  app.route("POST", "/announcements", kStaff, [](Ctx& ctx) {
    const auto& f = ctx.req.form();
    std::string title = field(ctx, "title", 4000), body = field(ctx, "body", 40000);
    std::optional<std::int64_t> class_id;
    std::string audience = f.value("audience");
    if (audience.empty()) return board_page(ctx, ctx.tr("Choose whom it is for."), 422);
    if (audience == "school") {
      if (!domain::can_post_school_wide(ctx.me())) throw http::Forbidden();
    } else {
      class_id = parse_id(audience);
      if (!class_id) throw http::BadRequest("The form refers to something that does not exist.");
      bool allowed = false;
      for (const auto& k : domain::postable_classes(ctx.db, ctx.me())) allowed |= k.id == *class_id;
      if (!allowed) throw http::Forbidden();
    }
    if (auto err = domain::check_announcement(title, body))
      return board_page(ctx, ctx.tr(*err), 422);
    domain::post_announcement(ctx.db, ctx.clock, ctx.me().id, class_id, title, body,
                              f.value("pinned") == "1", false);
    return http::Response::redirect("/announcements");
  });

  app.route("POST", "/announcements/{id}/delete", kStaff, [](Ctx& ctx) {
    auto a = domain::find_announcement(ctx.db, ctx.req.id("id"));
    if (!a) throw http::NotFound();
    if (!domain::can_delete(ctx.me(), *a)) throw http::Forbidden();
    if (!confirmed(ctx))
      return confirm_page(ctx,
                          ctx.tr(domain::Message{"Delete the announcement «{title}»? It cannot be "
                                                 "brought back.",
                                                 {{"title", a->title}}}),
                          ctx.tr("Delete the announcement"), "/announcements");
    domain::delete_announcement(ctx.db, a->id);
    return http::Response::redirect("/announcements");
  });

  app.route("GET", "/admin/distance", kStaff, [](Ctx& ctx) { return distance_page(ctx, "", 200); });

  // The switch: sets the mode (from a start date) and posts the order as a pinned announcement
  // for those it concerns. The whole school is the admin's and asks for confirmation; a class is
  // also its class teacher's.
  app.route("POST", "/admin/distance", kStaff, [](Ctx& ctx) {
    const auto& f = ctx.req.form();
    bool on = f.value("on") == "1";
    std::string scope = f.value("scope");
    std::optional<std::int64_t> class_id;
    std::string where;
    if (scope == "school") {
      if (ctx.me().role != Role::admin) throw http::Forbidden();
      where = ctx.tr("the whole school");
    } else {
      class_id = parse_id(scope);
      auto k = class_id ? domain::find_class(ctx.db, *class_id) : std::nullopt;
      if (!k) throw http::BadRequest("The form refers to something that does not exist.");
      if (!domain::can_manage_class(ctx.db, ctx.me(), *class_id)) throw http::Forbidden();
      where = k->name;
    }
    std::string text = field(ctx, "message", 4 * domain::kMaxAnnouncementBody);
    std::string today = iso_date(ctx.clock.now());
    std::string from;
    if (on) {
      if (text.empty())
        return distance_page(
            ctx, ctx.tr("Write the message: what the order is, from when, and what to do."), 422);
      std::string typed = field(ctx, "from", 20);
      from = typed.empty() ? today : parse_day(typed).value_or("");
      if (from.empty())
        return distance_page(ctx, ctx.tr("Enter the start date as 03.12.2026."), 422);
      if (from < today)
        return distance_page(ctx, ctx.tr("The start date has passed: choose today or later."), 422);
    }
    if (!class_id && !confirmed(ctx))
      return confirm_page(
          ctx,
          (on ? ctx.tr(domain::Message{
                    "Move the whole school to distance learning from {date}? Everyone gets the "
                    "message as a pinned announcement.",
                    {{"date", format_day(from)}}})
              : ctx.tr("Bring the whole school back to lessons at school? Everyone gets the "
                       "message as a pinned announcement.")) +
              (text.empty() ? std::string() : "\n\n«" + text + "»"),
          on ? ctx.tr("Yes, move the school to distance learning") : ctx.tr("Yes, back to school"),
          "/admin/distance");
    storage::Transaction tx(ctx.db);
    std::string start = from == today ? "" : from;
    if (class_id)
      domain::set_class_distance(ctx.db, *class_id, on, start);
    else
      domain::set_school_distance(ctx.db, on, start);
    std::string title =
        on ? ctx.tr(domain::Message{"Distance learning from {date}", {{"date", format_day(from)}}})
           : ctx.tr("Classes are back at school");
    if (class_id) title += " — " + where;
    domain::post_announcement(ctx.db, ctx.clock, ctx.me().id, class_id, title, text, on, true);
    tx.commit();
    return http::Response::redirect("/admin/distance");
  });
}

}  // namespace parta::web
