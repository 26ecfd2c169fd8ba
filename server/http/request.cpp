#include "http/request.hpp"

#include <algorithm>
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

const std::string& Request::text_body() const {
  if (!body_loaded_) {
    body_loaded_ = true;
    if (body_reader) {
      char buf[16384];
      while (true) {
        long n = body_reader(buf, sizeof buf);
        if (n <= 0) break;
        if (body_.size() + static_cast<std::size_t>(n) > max_form) throw PayloadTooLarge();
        body_.append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  return body_;
}

void Request::set_body(std::string body) {
  body_ = std::move(body);
  body_loaded_ = true;
}

const Form& Request::form() const {
  if (!form_) {
    std::string type = header("content-type");
    FormParse r;
    if (type.rfind("multipart/form-data", 0) == 0) {
      std::size_t pos = 0;
      auto from_memory = [this, &pos](char* buf, std::size_t cap) -> long {
        std::size_t n = std::min(cap, body_.size() - pos);
        std::copy_n(body_.data() + pos, n, buf);
        pos += n;
        return static_cast<long>(n);
      };
      const bool streaming = !body_loaded_ && body_reader;
      body_loaded_ = true;
      MultipartLimits limits = upload_limits;
      limits.max_text = std::min(limits.max_text, max_form);
      r = streaming ? read_multipart(body_reader, type, limits)
                    : read_multipart(from_memory, type, limits);
      switch (r.problem) {
        case FormProblem::none:
        case FormProblem::malformed:
          break;
        case FormProblem::too_large:
        case FormProblem::over_quota:
          throw HttpError(413, r.error);
        case FormProblem::disk_full:
          throw InsufficientStorage();
        case FormProblem::csrf:
          throw Forbidden(r.error);
      }
    } else if (type.empty() || type.rfind("application/x-www-form-urlencoded", 0) == 0) {
      r = parse_urlencoded(text_body());
    } else {
      throw UnsupportedMediaType();
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
