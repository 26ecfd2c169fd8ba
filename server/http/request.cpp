#include "http/request.hpp"

#include <cctype>

namespace parta::http {

std::string Request::header(std::string_view name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::optional<std::string> Request::cookie(std::string_view name) const {
  if (!cookies_) cookies_ = parse_cookies(header("cookie"));
  auto it = cookies_->find(name);
  if (it == cookies_->end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> Request::query(std::string_view name) const {
  if (!query_) {
    auto r = parse_urlencoded(query_string);
    if (!r.ok()) throw BadRequest(r.error);
    query_ = std::move(r.form);
  }
  const std::string* v = query_->get(name);
  if (!v) return std::nullopt;
  return *v;
}

std::int64_t Request::id(std::string_view name) const {
  auto it = params.find(name);
  if (it == params.end() || it->second.empty() || it->second.size() > 18) throw NotFound();
  std::int64_t v = 0;
  for (char c : it->second) {
    if (!std::isdigit(static_cast<unsigned char>(c))) throw NotFound();
    v = v * 10 + (c - '0');
  }
  if (v <= 0) throw NotFound();
  return v;
}

const Form& Request::form() const {
  if (!form_) {
    std::string type = header("content-type");
    FormParse r;
    if (type.rfind("multipart/form-data", 0) == 0) {
      r = parse_multipart(body, type);
    } else if (type.empty() || type.rfind("application/x-www-form-urlencoded", 0) == 0) {
      r = parse_urlencoded(body);
    } else {
      throw BadRequest("The form was sent in a format the server does not accept.");
    }
    if (!r.ok()) throw BadRequest(r.error);
    form_ = std::move(r.form);
  }
  return *form_;
}

bool Request::accepts_gzip() const {
  return header("accept-encoding").find("gzip") != std::string::npos;
}

}  // namespace parta::http
