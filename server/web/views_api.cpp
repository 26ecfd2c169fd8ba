// The JSON API under /api/v1/: the same objects as the pages, for district tools and tests.
// Auth: the session cookie, or "Authorization: Bearer <token>" (tokens from `parta token create`).
#include <map>

#include <nlohmann/json.hpp>

#include "domain/school.hpp"
#include "web/app.hpp"

namespace parta::web {

namespace {

using nlohmann::json;

json user_json(const domain::User& u) {
  return {{"id", u.id},
          {"login", u.login},
          {"last_name", u.last_name},
          {"first_name", u.first_name},
          {"middle_name", u.middle_name},
          {"role", domain::role_code(u.role)}};
}

json student_json(const domain::Student& s) {
  json j = user_json(s.user);
  j["student_no"] = s.student_no;
  j["class_id"] = s.class_id;
  j["class_name"] = s.class_name;
  j["paper"] = s.paper;
  return j;
}

json class_json(const domain::ClassInfo& k) {
  json j = {{"id", k.id}, {"name", k.name}, {"grade", k.grade}, {"students", k.students}};
  j["class_teacher_id"] = k.class_teacher_id ? json(*k.class_teacher_id) : json(nullptr);
  return j;
}

http::Response ok(const json& j) { return http::Response::json(j.dump()); }

}  // namespace

void register_api_views(App& app) {
  app.route("GET", "/api/v1/school", kPublic, [](Ctx& ctx) {
    auto s = domain::school_info(ctx.db);
    return ok({{"name", s.name},
               {"short_name", s.short_name},
               {"address", s.address},
               {"hotline", s.hotline},
               {"email", s.email},
               {"wifi_name", s.wifi_name}});
  });

  app.route("GET", "/api/v1/me", kSignedIn, [](Ctx& ctx) {
    json j = user_json(ctx.me());
    if (auto s = domain::find_student(ctx.db, ctx.me().id)) j = student_json(*s);
    return ok(j);
  });

  app.route("GET", "/api/v1/classes", kStaff, [](Ctx& ctx) {
    json a = json::array();
    for (const auto& k : domain::list_classes(ctx.db))
      if (domain::can_view_class(ctx.db, ctx.me(), k.id)) a.push_back(class_json(k));
    return ok(a);
  });

  app.route("GET", "/api/v1/classes/{id}/students", kStaff, [](Ctx& ctx) {
    std::int64_t id = ctx.req.id("id");
    if (!domain::can_view_class(ctx.db, ctx.me(), id)) throw http::Forbidden();
    json a = json::array();
    for (const auto& s : domain::list_students(ctx.db, id)) a.push_back(student_json(s));
    return ok(a);
  });

  app.route("GET", "/api/v1/students/{id}", kSignedIn, [](Ctx& ctx) {
    std::int64_t id = ctx.req.id("id");
    if (!domain::can_view_student(ctx.db, ctx.me(), id)) throw http::Forbidden();
    auto s = domain::find_student(ctx.db, id);
    if (!s) throw http::NotFound();
    json j = student_json(*s);
    j["parents"] = json::array();
    for (const auto& p : domain::parents_of(ctx.db, id)) j["parents"].push_back(user_json(p));
    return ok(j);
  });

  app.route("GET", "/api/v1/children", kParent, [](Ctx& ctx) {
    json a = json::array();
    for (const auto& s : domain::children_of(ctx.db, ctx.me().id)) a.push_back(student_json(s));
    return ok(a);
  });

  app.route("GET", "/api/v1/teachers", kAdmin, [](Ctx& ctx) {
    json a = json::array();
    std::map<std::int64_t, json> teaching;
    for (const auto& x : domain::all_teaching(ctx.db))
      teaching[x.teacher_id].push_back(
          {{"class_id", x.class_id}, {"subject_id", x.subject_id}, {"subject", x.subject_name}});
    for (const auto& t : domain::list_users(ctx.db, domain::Role::teacher)) {
      json j = user_json(t);
      auto it = teaching.find(t.id);
      j["teaching"] = it == teaching.end() ? json::array() : it->second;
      a.push_back(j);
    }
    return ok(a);
  });
}

}  // namespace parta::web
