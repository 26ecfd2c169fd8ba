// The bulletin board and the distance-learning switch.
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
  for (const auto& k : domain::postable_classes(ctx.db, ctx.me()))
    classes.push_back(mstch::map{{"id", std::to_string(k.id)}, {"name", k.name}});
  static const http::Form kEmpty;
  const http::Form& f = ctx.req.method == "POST" ? ctx.req.form() : kEmpty;
  mstch::map data{{"announcements", list},
                  {"has_announcements", !list.empty()},
                  {"classes", classes},
                  {"can_post", !classes.empty() || domain::can_post_school_wide(ctx.me())},
                  {"school_wide", domain::can_post_school_wide(ctx.me())},
                  {"title", f.value("title")},
                  {"body", f.value("body")}};
  if (!error.empty()) data["error"] = error;
  return page(ctx, "board", std::move(data), "Announcements", status);
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
    domain::delete_announcement(ctx.db, a->id);
    return http::Response::redirect("/announcements");
  });

  app.route("GET", "/admin/distance", kAdmin, [](Ctx& ctx) {
    mstch::array classes;
    for (const auto& k : domain::list_classes(ctx.db))
      classes.push_back(
          mstch::map{{"id", std::to_string(k.id)}, {"name", k.name}, {"on", k.distance}});
    mstch::map data{{"school_on", domain::school_distance(ctx.db)}, {"classes", classes}};
    return page(ctx, "admin_distance", std::move(data), "Distance learning");
  });

  // The switch: sets the mode and posts the order as a pinned announcement for those it concerns.
  app.route("POST", "/admin/distance", kAdmin, [](Ctx& ctx) {
    const auto& f = ctx.req.form();
    bool on = f.value("on") == "1";
    std::string scope = f.value("scope");
    std::optional<std::int64_t> class_id;
    if (scope != "school") {
      class_id = parse_id(scope);
      if (!class_id || !domain::find_class(ctx.db, *class_id))
        throw http::BadRequest("The form refers to something that does not exist.");
    }
    std::string text = field(ctx, "message", 4 * domain::kMaxAnnouncementBody);
    storage::Transaction tx(ctx.db);
    if (class_id)
      domain::set_class_distance(ctx.db, *class_id, on);
    else
      domain::set_school_distance(ctx.db, on);
    std::string title = ctx.tr(on ? "Distance learning starts" : "Classes are back at school");
    domain::post_announcement(ctx.db, ctx.clock, ctx.me().id, class_id, title, text, on, true);
    tx.commit();
    return http::Response::redirect("/admin/distance");
  });
}

}  // namespace parta::web
