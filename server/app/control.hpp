#pragma once
// The admin CLI's way into a running partad, so partad stays the only writer of its data folder
// (as systemctl talks to PID 1). partad listens on DATA/control.sock (mode 0660); only root, its
// own user and processes of its group may ask (SO_PEERCRED). One request per connection: a
// length-prefixed JSON message with the command line, and the files and folders the command names
// passed as open descriptors (SCM_RIGHTS), so partad reads and writes exactly what the caller
// opened, whatever partad's own sandbox can see; partad runs the command and answers with its exit
// code and output.
#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace parta::app::control {

inline constexpr int kVersion = 1;
inline constexpr std::size_t kMaxFds = 8;
inline constexpr std::size_t kMaxMessage = 1u << 20;

struct Request {
  std::vector<std::string> args;  // the command line after the global options
  std::string lang = "ru";
  // Indexes into args of the arguments whose descriptors travel along, in the same order.
  std::vector<std::size_t> fd_args;
};

struct Reply {
  int rc = 0;
  std::string out, err;
};

std::string socket_path(const std::string& data_dir);

// Parses and checks a request message (untrusted bytes, fuzzed). nullopt + *why when refused.
std::optional<Request> parse_request(const std::string& json, std::size_t fds, std::string* why);
std::string request_json(const Request& r);
std::optional<Reply> parse_reply(const std::string& json);
std::string reply_json(const Reply& r);

class Server {
 public:
  // The handler gets the request and one open descriptor per fd_args entry (closed after it
  // returns). Requests are handled one at a time, in arrival order.
  using Handler = std::function<Reply(const Request&, const std::vector<int>& fds)>;
  Server(std::string socket_path, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void start();  // binds (replacing a stale socket file) and serves on a thread of its own
  void stop();

 private:
  void serve();
  void serve_one(int fd);
  std::string path_;
  Handler handler_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};  // stop() writes here to end poll()
  std::thread thread_;
};

enum class CallStatus { ok, no_server, failed };
// Sends the request with the descriptors; `no_server` when nobody listens on the socket.
CallStatus call(const std::string& socket_path, const Request& req, const std::vector<int>& fds,
                Reply* reply, std::string* error);

}  // namespace parta::app::control
