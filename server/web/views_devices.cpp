// Device lending: the admin's register of school laptops and tablets lent to students.
#include <set>

#include "domain/access.hpp"
#include "domain/devices.hpp"
#include "web/app.hpp"
#include "web/form_fields.hpp"
#include "web/time_format.hpp"
#include "web/view_data.hpp"

namespace parta::web {

namespace {

// The admin keeps the register; a class teacher lends the free devices to her class's students
// and takes back what they have (issue 16).
http::Response devices_page(Ctx& ctx, const std::string& error, int status) {
  bool admin = ctx.me().role == domain::Role::admin;
  // The students a device is lent to: the admin picks the class first (a school's whole list in
  // every device's menu is thousands of rows); a class teacher sees her class's.
  auto classes = admin ? domain::list_classes(ctx.db) : domain::classes_led_by(ctx.db, ctx.me().id);
  if (!admin && classes.empty()) throw http::Forbidden();
  std::set<std::string> mine;  // a class teacher's classes, by name (names are unique)
  for (const auto& k : classes) mine.insert(k.name);
  ClassPick pick = pick_class(ctx, classes, "/admin/devices");
  std::vector<domain::Student> pupils;
  for (auto& s : domain::list_students(ctx.db, pick.id))  // one query, whatever she leads
    if (admin || mine.count(s.class_name)) pupils.push_back(std::move(s));
  static const http::Form kEmpty;
  const http::Form& f = ctx.req.method == "POST" ? ctx.req.form() : kEmpty;
  mstch::array devices, students;
  int out = 0;
  for (const auto& d : domain::list_devices(ctx.db)) {
    if (!admin && d.loan_id && !mine.count(d.class_name)) continue;
    mstch::map m{{"id", std::to_string(d.id)},
                 {"kind", d.kind},
                 {"model", d.model},
                 {"serial", d.serial},
                 {"note", d.note},
                 {"out", d.loan_id.has_value()},
                 {"student", d.student_name},
                 {"class_name", d.class_name},
                 {"since", d.loan_id ? format_date(d.lent_at) : std::string()}};
    out += d.loan_id.has_value();
    devices.push_back(std::move(m));
  }
  students.reserve(pupils.size());
  for (const auto& s : pupils)
    students.push_back(mstch::map{{"id", std::to_string(s.user.id)},
                                  {"name", s.user.short_name() + " (" + s.class_name + ")"}});
  mstch::map data{{"is_admin", admin},
                  {"kind", f.value("kind")},
                  {"model", f.value("model")},
                  {"serial", f.value("serial")},
                  {"note", f.value("note")},
                  {"devices", devices},
                  {"has_devices", !devices.empty()},
                  {"students", std::move(students)},
                  {"classes", std::move(pick.links)},
                  {"pick", classes.size() > 1},
                  {"count", std::to_string(devices.size())},
                  {"out_count", std::to_string(out)}};
  if (!error.empty()) data["error"] = error;
  return page(ctx, "admin_devices", std::move(data), "Device lending", status);
}

}  // namespace

void register_device_views(App& app) {
  app.route("GET", "/admin/devices", kStaff, [](Ctx& ctx) { return devices_page(ctx, "", 200); });

  app.route("POST", "/admin/devices", kAdmin, [](Ctx& ctx) {
    std::string kind = field(ctx, "kind", 1000), serial = field(ctx, "serial", 1000);
    if (auto err = domain::check_device(ctx.db, kind, serial))
      return devices_page(ctx, ctx.tr(*err), 422);
    domain::add_device(ctx.db, kind, field(ctx, "model", 1000), serial, field(ctx, "note", 1000));
    return http::Response::redirect("/admin/devices");
  });

  app.route("POST", "/admin/devices/{id}/lend", kStaff, [](Ctx& ctx) {
    auto student = parse_id(ctx.req.form().value("student_id"));
    if (!student) throw http::BadRequest("The form refers to something that does not exist.");
    if (!domain::can_lend_to(ctx.db, ctx.me(), *student)) throw http::Forbidden();
    if (auto err = domain::lend(ctx.db, ctx.clock, ctx.req.id("id"), *student, ctx.me().id))
      return devices_page(ctx, ctx.tr(*err), 422);
    return http::Response::redirect("/admin/devices");
  });

  app.route("POST", "/admin/devices/{id}/return", kStaff, [](Ctx& ctx) {
    auto d = domain::find_device(ctx.db, ctx.req.id("id"));
    if (!d) throw http::NotFound();
    if (ctx.me().role != domain::Role::admin &&
        !(d->student_id && domain::can_lend_to(ctx.db, ctx.me(), *d->student_id)))
      throw http::Forbidden();
    if (auto err = domain::give_back(ctx.db, ctx.clock, ctx.req.id("id")))
      return devices_page(ctx, ctx.tr(*err), 422);
    return http::Response::redirect("/admin/devices");
  });
}

}  // namespace parta::web
