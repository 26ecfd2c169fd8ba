// Groups: the staff make them, add members from the people they work with (a whole class's
// students or parents at once, or ticked one by one), and members see them with their conversation.
#include "domain/conversations.hpp"
#include "domain/groups.hpp"
#include "web/app.hpp"
#include "web/form_fields.hpp"
#include "web/view_data.hpp"

namespace parta::web {

namespace {

using domain::Role;

domain::Group load(Ctx& ctx, bool manage) {
  auto g = domain::find_group(ctx.db, ctx.req.id("id"));
  if (!g) throw http::Forbidden();
  bool ok =
      domain::can_manage(ctx.me(), *g) || (!manage && domain::is_in_group(ctx.db, ctx.me(), *g));
  if (!ok) throw http::Forbidden();
  return *g;
}

http::Response groups_page(Ctx& ctx, const std::string& error, int status) {
  mstch::array list;
  for (const auto& g : domain::groups_of(ctx.db, ctx.me()))
    list.push_back(mstch::map{{"id", std::to_string(g.id)},
                              {"name", g.name},
                              {"owner", g.owner_name},
                              {"members", std::to_string(g.members)}});
  bool staff = ctx.me().role == Role::admin || ctx.me().role == Role::teacher;
  mstch::map data{{"groups", list}, {"has_groups", !list.empty()}, {"staff", staff}};
  if (!error.empty()) data["error"] = error;
  return page(ctx, "groups", std::move(data), "Groups", status);
}

http::Response group_page(Ctx& ctx, const domain::Group& g, const std::string& notice) {
  bool manage = domain::can_manage(ctx.me(), g);
  mstch::array members;
  for (const auto& u : domain::group_members(ctx.db, g.id))
    members.push_back(mstch::map{{"uid", std::to_string(u.id)},
                                 {"name", u.full_name()},
                                 {"role", ctx.tr(role_msgid(u.role))}});
  mstch::map data{{"id", std::to_string(g.id)},
                  {"name", g.name},
                  {"owner", g.owner_name},
                  {"members", members},
                  {"count", std::to_string(members.size())},
                  {"manage", manage}};
  if (!notice.empty()) data["notice"] = notice;
  if (manage) {
    std::optional<std::int64_t> class_id;
    if (auto k = ctx.req.query("class")) class_id = parse_id(*k);
    mstch::array classes, people;
    for (const auto& k : domain::viewable_classes(ctx.db, ctx.me()))
      classes.push_back(mstch::map{
          {"cid", std::to_string(k.id)}, {"name", k.name}, {"current", class_id == k.id}});
    // People to tick: a class's students and parents, or the staff.
    for (const auto& c : domain::contacts(ctx.db, ctx.me(), class_id.value_or(0)))
      people.push_back(mstch::map{{"uid", std::to_string(c.user.id)},
                                  {"name", c.user.full_name()},
                                  {"role", ctx.tr(role_msgid(c.user.role))},
                                  {"note", c.note}});
    if (!class_id && ctx.me().role == Role::teacher)
      for (const auto& t : domain::list_users(ctx.db, Role::teacher))
        if (t.active && t.id != ctx.me().id)
          people.push_back(mstch::map{{"uid", std::to_string(t.id)},
                                      {"name", t.full_name()},
                                      {"role", ctx.tr("teacher")},
                                      {"note", std::string()}});
    data["classes"] = classes;
    data["people"] = people;
    data["all"] = !class_id;
    if (class_id) data["class_id"] = std::to_string(*class_id);
  }
  return page(ctx, "group", std::move(data), "Group");
}

}  // namespace

void register_group_views(App& app) {
  app.route("GET", "/groups", kSignedIn, [](Ctx& ctx) { return groups_page(ctx, "", 200); });

  app.route("POST", "/groups", kStaff, [](Ctx& ctx) {
    std::string name = field(ctx, "name", 1000);
    if (auto err = domain::check_group_name(name)) return groups_page(ctx, ctx.tr(*err), 422);
    auto id = domain::create_group(ctx.db, ctx.clock, ctx.me().id, name);
    return http::Response::redirect("/groups/" + std::to_string(id));
  });

  app.route("GET", "/groups/{id}", kSignedIn,
            [](Ctx& ctx) { return group_page(ctx, load(ctx, false), ""); });

  app.route("POST", "/groups/{id}/members", kStaff, [](Ctx& ctx) {
    auto g = load(ctx, true);
    storage::Transaction tx(ctx.db);
    for (const auto& v : ctx.req.form().all("user_id")) {
      auto uid = parse_id(v);
      if (!uid || !domain::add_member(ctx.db, ctx.me(), g.id, *uid)) throw http::Forbidden();
    }
    tx.commit();
    return http::Response::redirect("/groups/" + std::to_string(g.id));
  });

  app.route("POST", "/groups/{id}/class", kStaff, [](Ctx& ctx) {
    auto g = load(ctx, true);
    const auto& f = ctx.req.form();
    auto class_id = parse_id(f.value("class_id"));
    std::string who = f.value("who");
    if (!class_id || (who != "students" && who != "parents"))
      throw http::BadRequest("The form refers to something that does not exist.");
    if (!domain::can_view_class(ctx.db, ctx.me(), *class_id)) throw http::Forbidden();
    domain::add_class(ctx.db, g.id, *class_id, who == "students" ? Role::student : Role::parent);
    return http::Response::redirect("/groups/" + std::to_string(g.id));
  });

  app.route("POST", "/groups/{id}/remove/{user}", kStaff, [](Ctx& ctx) {
    auto g = load(ctx, true);
    domain::remove_member(ctx.db, g.id, ctx.req.id("user"));
    return http::Response::redirect("/groups/" + std::to_string(g.id));
  });

  app.route("POST", "/groups/{id}/delete", kStaff, [](Ctx& ctx) {
    auto g = load(ctx, true);
    domain::delete_group(ctx.db, g.id);
    return http::Response::redirect("/groups");
  });
}

}  // namespace parta::web
