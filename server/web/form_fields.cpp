#include "web/form_fields.hpp"

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

}  // namespace parta::web
