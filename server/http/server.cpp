#include "http/server.hpp"

#include <civetweb.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>

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

int on_request(mg_connection* conn, void* cbdata) {
  return static_cast<Server*>(cbdata)->handle(conn);
}

int on_log(const mg_connection*, const char* message) {
  log::warning(std::string("civetweb: ") + message);
  return 1;
}

}  // namespace

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
    req.remote_addr = ri->remote_addr;
    for (int i = 0; i < ri->num_headers; ++i) {
      std::string name = ri->http_headers[i].name;
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      req.headers[name] = ri->http_headers[i].value;
    }
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
  return resp.status;
}

void Server::write(mg_connection* conn, const Request& req, Response& resp) {
  if (!resp.file_path.empty()) {
    std::string extra;
    for (const auto& [k, v] : resp.headers) extra += k + ": " + v + "\r\n";
    // Files people uploaded are never run as a page of ours.
    extra +=
        "X-Content-Type-Options: nosniff\r\n"
        "Content-Security-Policy: sandbox; default-src 'none'; img-src 'self'; media-src 'self'";
    mg_send_mime_file2(conn, resp.file_path.c_str(), resp.content_type.c_str(), extra.c_str());
    return;
  }
  bool has_type = !resp.body.empty() || resp.status == 200;
  if (!resp.body.empty() && resp.body.size() > 256 && compressible(resp.content_type) &&
      req.accepts_gzip()) {
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
  if (!has_cache) head += "Cache-Control: no-store\r\n";
  head +=
      "X-Content-Type-Options: nosniff\r\n"
      "X-Frame-Options: DENY\r\n"
      "Referrer-Policy: same-origin\r\n"
      "Content-Security-Policy: default-src 'self'; img-src 'self' data:; "
      "frame-ancestors 'none'; form-action 'self'\r\n"
      "\r\n";
  mg_write(conn, head.data(), head.size());
  if (req.method != "HEAD" && !resp.body.empty())
    mg_write(conn, resp.body.data(), resp.body.size());
}

}  // namespace parta::http
