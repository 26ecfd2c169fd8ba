#include "http/server.hpp"

#include <civetweb.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <optional>
#include <stdexcept>
#include <vector>

#include "app/log.hpp"
#include "http/worker_pool.hpp"

namespace parta::http {

namespace {

const char* status_text(int s) {
  switch (s) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 416:
      return "Range Not Satisfiable";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    case 507:
      return "Insufficient Storage";
    default:
      return "Unknown";
  }
}

bool compressible(const std::string& type) {
  return type.rfind("text/", 0) == 0 || type.rfind("application/json", 0) == 0 ||
         type.rfind("image/svg+xml", 0) == 0;
}

std::string http_date(std::time_t t) {
  char buf[64];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

// Sends a stored file with exactly our headers. (CivetWeb's own file sender adds a Cache-Control
// of its own, so a child's photo went out as "max-age=3600" beside our "no-store".) ETag and
// Last-Modified answer 304; one byte range answers 206 (resumed downloads, seeking in recordings).
void send_file(mg_connection* conn, const Request& req, const Response& resp) {
  int fd = ::open(resp.file_path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    if (fd >= 0) ::close(fd);
    static const char kGone[] =
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Length: 10\r\nCache-Control: private, no-store\r\n\r\nNot found\n";
    mg_write(conn, kGone, sizeof kGone - 1);
    return;
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  char etag[64];
  std::snprintf(etag, sizeof etag, "\"%lx.%llu\"", static_cast<unsigned long>(st.st_mtime),
                static_cast<unsigned long long>(size));
  const std::string modified = http_date(st.st_mtime);
  std::string inm = req.header("if-none-match");
  bool not_modified = inm.empty() ? req.header("if-modified-since") == modified
                                  : inm.find(etag) != std::string::npos;
  bool unsatisfiable = false;
  std::optional<ByteRange> range;
  if (!not_modified && !req.header("range").empty() &&
      (req.header("if-range").empty() || req.header("if-range") == etag))
    range = parse_range(req.header("range"), size, &unsatisfiable);
  int status = not_modified ? 304 : unsatisfiable ? 416 : range ? 206 : 200;
  std::uint64_t first = range ? range->first : 0;
  std::uint64_t length = status == 200 ? size : range ? range->last - range->first + 1 : 0;

  std::string head = "HTTP/1.1 " + std::to_string(status) + " " + status_text(status) + "\r\n";
  if (status != 304) head += "Content-Type: " + resp.content_type + "\r\n";
  if (status != 304) head += "Content-Length: " + std::to_string(length) + "\r\n";
  head += "Accept-Ranges: bytes\r\nETag: " + std::string(etag) + "\r\nLast-Modified: " + modified +
          "\r\nDate: " + http_date(std::time(nullptr)) + "\r\n";
  if (status == 206)
    head += "Content-Range: bytes " + std::to_string(range->first) + "-" +
            std::to_string(range->last) + "/" + std::to_string(size) + "\r\n";
  if (status == 416) head += "Content-Range: bytes */" + std::to_string(size) + "\r\n";
  for (const auto& [k, v] : resp.headers) head += k + ": " + v + "\r\n";
  // Files people uploaded are never run as a page of ours.
  head +=
      "X-Content-Type-Options: nosniff\r\n"
      "Content-Security-Policy: sandbox; default-src 'none'; img-src 'self'; media-src 'self'\r\n"
      "\r\n";
  mg_write(conn, head.data(), head.size());
  if (req.method != "HEAD" && (status == 200 || status == 206)) {
    std::vector<char> buf(64 * 1024);
    auto offset = static_cast<off_t>(first);
    while (length > 0) {
      ssize_t n = ::pread(fd, buf.data(), std::min<std::uint64_t>(buf.size(), length), offset);
      if (n <= 0) break;  // the file shrank: the client sees a short body and retries
      if (mg_write(conn, buf.data(), static_cast<std::size_t>(n)) <= 0) break;  // client gone
      offset += n;
      length -= static_cast<std::uint64_t>(n);
    }
  }
  ::close(fd);
}

int on_request(mg_connection* conn, void* cbdata) {
  return static_cast<Server*>(cbdata)->handle(conn);
}

int on_log(const mg_connection*, const char* message) {
  log::warning(std::string("civetweb: ") + message);
  return 1;
}

}  // namespace

std::optional<ByteRange> parse_range(const std::string& h, std::uint64_t size,
                                     bool* unsatisfiable) {
  *unsatisfiable = false;
  if (h.rfind("bytes=", 0) != 0 || h.find(',') != std::string::npos) return std::nullopt;
  std::string spec = h.substr(6);
  auto dash = spec.find('-');
  if (dash == std::string::npos) return std::nullopt;
  auto number = [](const std::string& s) -> std::optional<std::uint64_t> {
    if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    return std::stoull(s);
  };
  auto a = number(spec.substr(0, dash)), b = number(spec.substr(dash + 1));
  ByteRange r;
  if (!a && b) {  // the last n bytes
    if (*b == 0) return std::nullopt;
    r.first = *b >= size ? 0 : size - *b;
    r.last = size - 1;
  } else if (a && spec.size() == dash + 1) {
    r.first = *a;
    r.last = size - 1;
  } else if (a && b && *a <= *b) {
    r.first = *a;
    r.last = std::min(*b, size - 1);
  } else {
    return std::nullopt;
  }
  if (size == 0 || r.first >= size) {
    *unsatisfiable = true;
    return std::nullopt;
  }
  return r;
}

Server::Server(ServerOptions options, Dispatcher dispatch, ErrorRenderer render_error)
    : options_(std::move(options)),
      dispatch_(std::move(dispatch)),
      render_error_(std::move(render_error)) {}

Server::~Server() { stop(); }

void Server::start() {
  if (!pool_) pool_ = std::make_unique<WorkerPool>(options_.threads);
  mg_init_library(0);
  std::string threads = std::to_string(options_.threads);
  const char* opts[] = {"listening_ports",
                        options_.listen.c_str(),
                        "num_threads",
                        threads.c_str(),
                        "tcp_nodelay",
                        "1",  // without it small dynamic responses crawl (~44 ms each)
                        "enable_keep_alive",
                        "yes",
                        "keep_alive_timeout_ms",
                        "15000",
                        "request_timeout_ms",
                        "30000",
                        "decode_url",
                        "yes",
                        nullptr};
  mg_callbacks cb{};
  cb.log_message = on_log;
  ctx_ = mg_start(&cb, this, opts);
  if (!ctx_) throw std::runtime_error("cannot listen on " + options_.listen);
  mg_set_request_handler(ctx_, "/", on_request, this);
}

void Server::stop() {
  if (ctx_) {
    mg_stop(ctx_);
    ctx_ = nullptr;
  }
}

int Server::port() const {
  if (!ctx_) return 0;
  mg_server_port ports[4];
  int n = mg_get_server_ports(ctx_, 4, ports);
  return n > 0 ? ports[0].port : 0;
}

int Server::handle(mg_connection* conn) {
  int status = 500;
  std::function<void()> job = [&] { status = handle_here(conn); };
  pool_->run(job);
  return status;
}

int Server::handle_here(mg_connection* conn) {
  const mg_request_info* ri = mg_get_request_info(conn);
  Request req;
  Response resp;
  try {
    req.method = ri->request_method ? ri->request_method : "GET";
    req.path = ri->local_uri ? ri->local_uri : "/";
    req.query_string = ri->query_string ? ri->query_string : "";
    for (int i = 0; i < ri->num_headers; ++i) {
      std::string name = ri->http_headers[i].name;
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      req.headers[name] = ri->http_headers[i].value;
    }
    req.remote_addr =
        client_address(options_.front, ri->remote_addr, req.header("x-real-ip"), &req.via_front);
    req.body_reader = [conn](char* buf, std::size_t cap) -> long {
      return mg_read(conn, buf, cap);
    };
    req.max_form = options_.max_form;
    req.upload_limits.temp_dir = options_.temp_dir;
    req.upload_limits.max_total = options_.max_upload;
    req.upload_limits.max_text = options_.max_form;
    req.upload_limits.disk_reserve = options_.disk_reserve;
    if (ri->content_length > 0)
      req.upload_limits.expected = static_cast<std::uint64_t>(ri->content_length);
    bool declared_too_large =
        ri->content_length > 0 &&
        static_cast<unsigned long long>(ri->content_length) > options_.max_upload + 64 * 1024;
    if (declared_too_large) {
      // Refused before a byte is read: nothing of it reaches the disk.
      resp = render_error_(req, 413, "The file or form is too large.");
      resp.header("Connection", "close");
    } else {
      try {
        resp = dispatch_(req);
      } catch (const HttpError& e) {
        resp = render_error_(req, e.status(), e.msgid());
        if (e.retry_after() > 0) resp.header("Retry-After", std::to_string(e.retry_after()));
      } catch (const std::exception& e) {
        log::error(std::string("500 on ") + req.method + " " + req.path + ": " + e.what());
        resp = render_error_(req, 500, "Something went wrong on the server.");
      }
      // A body the handler did not read would be taken for the next request: close instead.
      bool has_body = ri->content_length > 0 || ri->content_length < 0;
      if (has_body && !req.body_consumed() && std::string(req.method) != "GET")
        resp.header("Connection", "close");
      if (resp.status == 413) resp.header("Connection", "close");
    }
  } catch (const std::exception& e) {
    // Even the error page failed: answer with plain text, never let it reach CivetWeb.
    log::error(std::string("error page failed on ") + req.path + ": " + e.what());
    resp = Response::text("500 Internal Server Error", 500);
  } catch (...) {
    log::error("unknown exception on " + req.path);
    resp = Response::text("500 Internal Server Error", 500);
  }
  req.discard_uploads();
  try {
    write(conn, req, resp);
  } catch (...) {
    log::error("failed writing the response for " + req.path);
  }
  // The box's front keeps no access log (the SD card); this one says who asked, when wanted.
  if (log::enabled(log::Level::debug))
    log::debug(req.method + " " + req.path + " " + std::to_string(resp.status) + " for " +
               req.remote_addr + (req.via_front ? " via the front" : ""));
  return resp.status;
}

void Server::write(mg_connection* conn, const Request& req, Response& resp) {
  if (!resp.file_path.empty() && req.via_front) {
    std::string path = resp.file_path;
    // A stored file's gzipped twin is the same name + ".gz": the front's gzip_static finds it by
    // itself for phones that take gzip, so the front is pointed at the plain file.
    bool twin = std::any_of(resp.headers.begin(), resp.headers.end(), [](const auto& h) {
      return h.first == "Content-Encoding" && h.second == "gzip";
    });
    if (twin && path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0)
      path.resize(path.size() - 3);
    if (auto target = accel_target(options_.front, path)) {
      write_accel(conn, resp, *target);
      return;
    }
  }
  if (!resp.file_path.empty()) {
    send_file(conn, req, resp);
    return;
  }
  bool has_type = !resp.body.empty() || resp.status == 200;
  // Pages are compressed here, once; the front passes them on as they are (its gzip is off).
  if (resp.compress && !resp.body.empty() && resp.body.size() > 256 &&
      compressible(resp.content_type) && req.accepts_gzip()) {
    bool already = std::any_of(resp.headers.begin(), resp.headers.end(),
                               [](const auto& h) { return h.first == "Content-Encoding"; });
    if (!already) {
      resp.body = gzip(resp.body);
      resp.header("Content-Encoding", "gzip");
    }
    resp.header("Vary", "Accept-Encoding");
  }
  std::string head =
      "HTTP/1.1 " + std::to_string(resp.status) + " " + status_text(resp.status) + "\r\n";
  if (has_type && resp.status != 304) head += "Content-Type: " + resp.content_type + "\r\n";
  head += "Content-Length: " + std::to_string(resp.body.size()) + "\r\n";
  bool has_cache = false;
  for (const auto& [k, v] : resp.headers) {
    head += k + ": " + v + "\r\n";
    if (k == "Cache-Control") has_cache = true;
  }
  // Signed-in pages must not stay in a shared family phone's cache.
  if (!has_cache) head += "Cache-Control: private, no-store\r\n";
  head +=
      "X-Content-Type-Options: nosniff\r\n"
      "X-Frame-Options: DENY\r\n"
      "Referrer-Policy: same-origin\r\n";
  head += resp.csp.empty() ? "Content-Security-Policy: default-src 'self'; img-src 'self' data:; "
                             "frame-ancestors 'none'; form-action 'self'\r\n"
                           : "Content-Security-Policy: " + resp.csp + "\r\n";
  head += "\r\n";
  mg_write(conn, head.data(), head.size());
  if (req.method != "HEAD" && !resp.body.empty())
    mg_write(conn, resp.body.data(), resp.body.size());
}

void Server::write_accel(mg_connection* conn, const Response& resp, const std::string& target) {
  // An empty answer the front replaces with the file: it sends it from its internal location
  // (Range, ETag, If-None-Match and Last-Modified are its business then) and keeps these headers.
  std::string head = "HTTP/1.1 200 OK\r\nX-Accel-Redirect: " + target +
                     "\r\nContent-Type: " + resp.content_type + "\r\nContent-Length: 0\r\n";
  for (const auto& [k, v] : resp.headers)
    if (k != "Content-Encoding" && k != "Vary") head += k + ": " + v + "\r\n";
  head += "\r\n";
  mg_write(conn, head.data(), head.size());
}

}  // namespace parta::http
