#pragma once
// What a handler returns. The server adds compression and writes it; handlers never write to the
// connection themselves.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace parta::http {

// How long a browser may keep a stored file: a child's work and anything naming a person is
// `personal` (private, no-store: nothing stays in a shared family phone's cache after sign-out);
// the school's library is `shared` material and may be kept a day.
enum class Caching { personal, shared };

struct Response {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the server streams this file instead of body (Range, ETag, Last-Modified and 304
  // handled there) as content_type; headers go along.
  std::string file_path;
  // A Content-Security-Policy other than the portal's own (archive pages: no script at all, their
  // own inline styles); "" = the portal's.
  std::string csp;
  // false: the body goes as it is (a byte range, data compressed already).
  bool compress = true;

  // CR or LF in a name or value would start a header (or a body) of someone else's: refused.
  Response& header(std::string name, std::string value);
  // Set-Cookie with the safe defaults: HttpOnly, SameSite=Lax (or "Strict"), Path=/.
  Response& cookie(const std::string& name, const std::string& value, long max_age_seconds = -1,
                   const char* same_site = "Lax");

  static Response html(std::string body, int status = 200);
  static Response json(std::string body, int status = 200);
  static Response text(std::string body, int status = 200);
  // 303 See Other: the browser follows with a GET, so a refresh never re-posts a form.
  static Response redirect(const std::string& location);
  // A stored file; `download_name` is what the browser saves it as; inline = shown in the page.
  static Response file(std::string path, std::string content_type, const std::string& download_name,
                       bool inline_view, Caching caching = Caching::personal);
};

std::string gzip(std::string_view data);

struct ByteRange {
  std::uint64_t first = 0, last = 0;
};
// One range of "bytes=a-b", "bytes=a-" or "bytes=-n" within `size`; nullopt for anything else
// (several ranges, another unit: the whole file is sent). `unsatisfiable` for a range past the end.
std::optional<ByteRange> parse_range(const std::string& h, std::uint64_t size, bool* unsatisfiable);

}  // namespace parta::http
