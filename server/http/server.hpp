#pragma once
// The only file that knows CivetWeb. It turns a CivetWeb connection into a Request, calls the
// dispatcher, and writes the Response (gzip when the client takes it). Exceptions never cross into
// CivetWeb: anything escaping the dispatcher becomes a logged 500.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "http/front.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

struct mg_context;
struct mg_connection;

namespace parta::http {

struct ServerOptions {
  std::string listen = "127.0.0.1:8080";  // CivetWeb syntax: "ADDR:PORT", "PORT", comma-separated
  int threads = 64;                       // one per connection: a classroom of phones at once
  std::size_t max_form = 1024 * 1024;     // URL-encoded forms
  std::uint64_t max_upload = 200ull * 1024 * 1024;  // multipart uploads (recordings are large)
  std::string temp_dir;                             // where uploads stream to ("" = memory)
  FrontOptions front;                               // the nginx front before partad, if any
  std::uint64_t disk_reserve = 0;  // uploads never take temp_dir's disk below this many bytes
};

class WorkerPool;

using Dispatcher = std::function<Response(Request&)>;
// Renders the page for an HttpError or an unexpected failure (status 500).
using ErrorRenderer = std::function<Response(const Request&, int status, const std::string& msgid)>;

class Server {
 public:
  Server(ServerOptions options, Dispatcher dispatch, ErrorRenderer render_error);
  ~Server();  // defined where WorkerPool is complete
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void start();  // throws std::runtime_error when the port cannot be bound
  void stop();
  int port() const;  // the bound port (useful with port 0)

  // Internal: called from the CivetWeb callback.
  int handle(mg_connection* conn);

 private:
  int handle_here(mg_connection* conn);
  void write(mg_connection* conn, const Request& req, Response& resp);
  void write_accel(mg_connection* conn, const Response& resp, const std::string& target);
  std::unique_ptr<WorkerPool> pool_;
  ServerOptions options_;
  Dispatcher dispatch_;
  ErrorRenderer render_error_;
  mg_context* ctx_ = nullptr;
};

}  // namespace parta::http
