#pragma once
// The one request type handlers see: typed getters over what CivetWeb parsed. No CivetWeb types
// leak past http/server.cpp.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "http/errors.hpp"
#include "http/form.hpp"

namespace parta::http {

class Request {
 public:
  std::string method;
  std::string path;          // decoded path, without the query string
  std::string query_string;  // raw
  std::string remote_addr;   // the visitor's address (from the front's X-Real-IP behind it)
  bool via_front = false;    // came through the box's nginx front (http/front.hpp)
  std::map<std::string, std::string, std::less<>> headers;  // lower-case names
  std::map<std::string, std::string, std::less<>> params;   // from the route pattern

  // The body is read only when a handler asks for it (form(), text_body()), so an upload can
  // stream to disk. Set by the server; tests may set `body` directly instead.
  std::function<long(char*, std::size_t)> body_reader;
  std::size_t max_form = 1024 * 1024;  // URL-encoded forms and other small bodies
  MultipartLimits upload_limits;       // multipart: where files go and how large they may be

  // The whole body as text, up to max_form (PayloadTooLarge beyond).
  const std::string& text_body() const;
  bool body_consumed() const { return body_loaded_; }
  std::string header(std::string_view name) const;
  std::optional<std::string> cookie(std::string_view name) const;
  // Query-string parameter; a malformed query throws BadRequest.
  std::optional<std::string> query(std::string_view name) const;
  // A numeric route parameter such as {id}; anything but a positive integer is a 404.
  std::int64_t id(std::string_view name) const;
  // The parsed body (URL-encoded or multipart). Malformed bodies throw BadRequest.
  const Form& form() const;
  bool accepts_gzip() const;

  // Drops the parsed form, removing upload temp files no handler took. Called before the response
  // goes out, so the client never sees an answer while a refused upload is still on disk.
  void discard_uploads() { form_.reset(); }

  // For tests: a request whose body is the given bytes.
  void set_body(std::string body);

 private:
  mutable std::string body_;
  mutable bool body_loaded_ = false;
  mutable std::optional<Form> form_;
  mutable std::optional<std::map<std::string, std::string, std::less<>>> cookies_;
  mutable std::optional<Form> query_;
};

}  // namespace parta::http
