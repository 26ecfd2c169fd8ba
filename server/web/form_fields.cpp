#include "web/form_fields.hpp"

#include <cstdio>

#include "domain/schedule.hpp"

namespace parta::web {

std::string trim(std::string s) {
  auto sp = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && sp(s.back())) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && sp(s[i])) ++i;
  return s.substr(i);
}

std::string field(Ctx& ctx, const char* name, std::size_t max_len) {
  std::string v = trim(ctx.req.form().value(name));
  if (v.size() > max_len) throw http::BadRequest("A field in the form is too long.");
  return v;
}

std::optional<std::int64_t> parse_id(const std::string& v) {
  if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  std::int64_t id = std::stoll(v);
  if (id <= 0) return std::nullopt;
  return id;
}

bool confirmed(Ctx& ctx) { return ctx.req.form().value("confirm") == "1"; }

http::Response confirm_page(Ctx& ctx, const std::string& question, const std::string& button,
                            const std::string& back,
                            const std::vector<std::pair<std::string, std::string>>& set) {
  mstch::array fields;
  auto replaced = [&](const std::string& name) {
    for (const auto& s : set)
      if (s.first == name) return true;
    return false;
  };
  for (const auto& [name, value] : ctx.req.form().fields)
    if (name != "csrf" && name != "confirm" && !replaced(name))
      fields.push_back(mstch::map{{"name", name}, {"value", value}});
  for (const auto& [name, value] : set)
    fields.push_back(mstch::map{{"name", name}, {"value", value}});
  mstch::map data{{"question", question},
                  {"button", button},
                  {"back", back},
                  {"action", ctx.req.path},
                  {"fields", fields}};
  return page(ctx, "confirm", std::move(data), "Are you sure?");
}

std::optional<std::string> parse_day(const std::string& text) {
  std::string t = trim(text);
  int y = 0, m = 0, d = 0;
  char tail;
  std::string iso;
  if (std::sscanf(t.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 ||
      std::sscanf(t.c_str(), "%2d.%2d.%4d%c", &d, &m, &y, &tail) == 3 ||
      std::sscanf(t.c_str(), "%2d/%2d/%4d%c", &d, &m, &y, &tail) == 3) {
    char buf[32];
    if (y < 1000 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
    iso = buf;
  }
  if (iso.empty() || !domain::valid_day(iso)) return std::nullopt;
  return iso;
}

ClassPick pick_class(Ctx& ctx, const std::vector<domain::ClassInfo>& classes,
                     const std::string& base, const char* form_field) {
  ClassPick pick;
  std::string q = ctx.req.query("class").value_or("");
  // A refused form shows the class it was adding to.
  bool typed = q.empty() && ctx.req.method == "POST" && form_field;
  if (typed) q = ctx.req.form().value(form_field);
  auto id = parse_id(q);
  bool known = false;
  for (const auto& k : classes) known |= id == k.id;
  if (q == "all") {
    // every class
  } else if (known) {
    pick.id = id;
  } else if (!q.empty() && !typed) {
    throw http::NotFound();
  } else if (!classes.empty()) {
    pick.id = classes.front().id;
  }
  for (const auto& k : classes)
    pick.links.push_back(mstch::map{{"name", k.name},
                                    {"href", base + "?class=" + std::to_string(k.id)},
                                    {"current", pick.id == k.id}});
  pick.links.push_back(mstch::map{{"name", ctx.tr("All classes")},
                                  {"href", base + "?class=all"},
                                  {"current", !pick.id.has_value()}});
  return pick;
}

}  // namespace parta::web
