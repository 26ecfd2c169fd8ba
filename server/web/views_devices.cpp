// Device lending: the admin's register of school laptops and tablets lent to students.
#include "domain/devices.hpp"
#include "web/app.hpp"
#include "web/time_format.hpp"
#include "web/view_data.hpp"

namespace parta::web {

namespace {

std::optional<std::int64_t> parse_id(const std::string& v) {
  if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return std::stoll(v);
}

std::string field(Ctx& ctx, const char* name) {
  std::string v = ctx.req.form().value(name);
  while (!v.empty() && v.back() == ' ') v.pop_back();
  std::size_t i = 0;
  while (i < v.size() && v[i] == ' ') ++i;
  if (v.size() > 1000) throw http::BadRequest("A field in the form is too long.");
  return v.substr(i);
}

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
    std::string kind = field(ctx, "kind"), serial = field(ctx, "serial");
    if (auto err = domain::check_device(ctx.db, kind, serial))
      return devices_page(ctx, ctx.tr(*err), 422);
    domain::add_device(ctx.db, kind, field(ctx, "model"), serial, field(ctx, "note"));
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
