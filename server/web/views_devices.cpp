// Device lending: the admin's register of school laptops and tablets lent to students.
#include "domain/devices.hpp"
#include "web/app.hpp"
#include "web/form_fields.hpp"
#include "web/time_format.hpp"
#include "web/view_data.hpp"

namespace parta::web {

namespace {

http::Response devices_page(Ctx& ctx, const std::string& error, int status) {
  mstch::array devices, students;
  int out = 0;
  for (const auto& d : domain::list_devices(ctx.db)) {
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
    devices.push_back(m);
  }
  for (const auto& s : domain::list_students(ctx.db, std::nullopt))
    students.push_back(mstch::map{{"id", std::to_string(s.user.id)},
                                  {"name", s.user.short_name() + " (" + s.class_name + ")"}});
  mstch::map data{{"devices", devices},
                  {"has_devices", !devices.empty()},
                  {"students", students},
                  {"count", std::to_string(devices.size())},
                  {"out_count", std::to_string(out)}};
  if (!error.empty()) data["error"] = error;
  return page(ctx, "admin_devices", std::move(data), "Device lending", status);
}

}  // namespace

void register_device_views(App& app) {
  app.route("GET", "/admin/devices", kAdmin, [](Ctx& ctx) { return devices_page(ctx, "", 200); });

  app.route("POST", "/admin/devices", kAdmin, [](Ctx& ctx) {
    std::string kind = field(ctx, "kind", 1000), serial = field(ctx, "serial", 1000);
    if (auto err = domain::check_device(ctx.db, kind, serial))
      return devices_page(ctx, ctx.tr(*err), 422);
    domain::add_device(ctx.db, kind, field(ctx, "model", 1000), serial, field(ctx, "note", 1000));
    return http::Response::redirect("/admin/devices");
  });

  app.route("POST", "/admin/devices/{id}/lend", kAdmin, [](Ctx& ctx) {
    auto student = parse_id(ctx.req.form().value("student_id"));
    if (!student) throw http::BadRequest("The form refers to something that does not exist.");
    if (auto err = domain::lend(ctx.db, ctx.clock, ctx.req.id("id"), *student, ctx.me().id))
      return devices_page(ctx, ctx.tr(*err), 422);
    return http::Response::redirect("/admin/devices");
  });

  app.route("POST", "/admin/devices/{id}/return", kAdmin, [](Ctx& ctx) {
    if (auto err = domain::give_back(ctx.db, ctx.clock, ctx.req.id("id")))
      return devices_page(ctx, ctx.tr(*err), 422);
    return http::Response::redirect("/admin/devices");
  });
}

}  // namespace parta::web
