#include "http/response.hpp"

#include <zlib.h>

#include <cctype>
#include <stdexcept>

namespace parta::http {

Response& Response::header(std::string name, std::string value) {
  if (name.find_first_of("\r\n") != std::string::npos ||
      value.find_first_of("\r\n") != std::string::npos)
    throw std::invalid_argument("a response header with CR or LF: " + name);
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

Response& Response::cookie(const std::string& name, const std::string& value, long max_age,
                           const char* same_site) {
  std::string c = name + "=" + value + "; Path=/; HttpOnly; SameSite=" + same_site;
  if (max_age >= 0) c += "; Max-Age=" + std::to_string(max_age);
  return header("Set-Cookie", c);
}

Response Response::html(std::string body, int status) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response Response::json(std::string body, int status) {
  Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

Response Response::text(std::string body, int status) {
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

Response Response::redirect(const std::string& location) {
  Response r;
  r.status = 303;
  r.header("Location", location);
  return r;
}

namespace {
// One deflate stream per worker thread, reset between responses: deflateInit allocates a few
// hundred KB, and doing that per request made malloc/munmap and page faults the top cost under
// load.
struct Deflater {
  z_stream zs{};
  bool ok = false;
  Deflater() {
    // An 8 KB window is plenty for pages under 14 KB and keeps each thread's state near 48 KB.
    ok = deflateInit2(&zs, 6, Z_DEFLATED, 13 + 16, 5, Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~Deflater() {
    if (ok) deflateEnd(&zs);
  }
};
}  // namespace

Response Response::file(std::string path, std::string content_type,
                        const std::string& download_name, bool inline_view, Caching caching) {
  Response r;
  r.file_path = std::move(path);
  r.content_type = std::move(content_type);
  // RFC 6266 / 5987: an ASCII fallback plus the UTF-8 name for Cyrillic filenames.
  std::string ascii;
  std::string encoded;
  static const char* kHex = "0123456789ABCDEF";
  for (char ch : download_name) {
    auto c = static_cast<unsigned char>(ch);
    ascii += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? ch : '_';
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_') {
      encoded += ch;
    } else {
      encoded += '%';
      encoded += kHex[c >> 4];
      encoded += kHex[c & 15];
    }
  }
  r.header("Content-Disposition", std::string(inline_view ? "inline" : "attachment") +
                                      "; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded);
  r.header("Cache-Control",
           caching == Caching::shared ? "private, max-age=86400" : "private, no-store");
  return r;
}

std::string gzip(std::string_view data) {
  thread_local Deflater d;
  if (!d.ok) throw std::runtime_error("deflateInit2 failed");
  z_stream& zs = d.zs;
  deflateReset(&zs);
  std::string out;
  out.resize(deflateBound(&zs, data.size()));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
  out.resize(zs.total_out);
  // Sized for the worst case (the input's size and more): a page kept gzipped in a cache would
  // hold three times what it counts.
  out.shrink_to_fit();
  return out;
}

}  // namespace parta::http
