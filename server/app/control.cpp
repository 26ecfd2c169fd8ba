#include "app/control.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "app/log.hpp"
#include "content/durable.hpp"

namespace parta::app::control {

namespace {

using json = nlohmann::json;
constexpr std::size_t kMaxReply = 256u << 20;

sockaddr_un address(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.size() >= sizeof a.sun_path)
    throw std::runtime_error("the control socket's path is too long: " + path);
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  return a;
}

void set_timeout(int fd, int option, int seconds) {
  timeval tv{seconds, 0};
  ::setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv);
}

std::uint32_t le32(const unsigned char* b) {
  return b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<std::uint32_t>(b[3]) << 24);
}

void put_le32(unsigned char* b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));
}

// Sends u32 length | bytes, the descriptors riding with the first byte.
bool send_message(int fd, const std::string& bytes, const std::vector<int>& fds) {
  unsigned char head[4];
  put_le32(head, static_cast<std::uint32_t>(bytes.size()));
  iovec iov{head, sizeof head};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<char> control(CMSG_SPACE(sizeof(int) * kMaxFds));
  if (!fds.empty()) {
    msg.msg_control = control.data();
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(cm), fds.data(), sizeof(int) * fds.size());
  }
  ssize_t n;
  do n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof head)) return false;
  return content::write_all(fd, bytes.data(), bytes.size());
}

// Receives u32 length | bytes and any descriptors (close-on-exec). False on a short read or a
// message over `max`.
bool receive_message(int fd, std::size_t max, std::string* bytes, std::vector<int>* fds) {
  unsigned char head[4];
  iovec iov{head, sizeof head};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<char> control(CMSG_SPACE(sizeof(int) * kMaxFds));
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  ssize_t n;
  do n = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_WAITALL);
  while (n < 0 && errno == EINTR);
  for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
    if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
    std::size_t count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const int* p = reinterpret_cast<const int*>(CMSG_DATA(cm));
    for (std::size_t i = 0; i < count; ++i) fds->push_back(p[i]);
  }
  if (n != static_cast<ssize_t>(sizeof head) || (msg.msg_flags & MSG_CTRUNC)) return false;
  std::size_t len = le32(head);
  if (len > max) return false;
  bytes->resize(len);
  return content::read_all(fd, bytes->data(), len);
}

void close_all(const std::vector<int>& fds) {
  for (int f : fds) ::close(f);
}

}  // namespace

std::string socket_path(const std::string& data_dir) { return data_dir + "/control.sock"; }

std::optional<Request> parse_request(const std::string& text, std::size_t fds, std::string* why) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    *why = "not a JSON object";
    return std::nullopt;
  }
  if (!j.contains("v") || !j["v"].is_number_integer() || j["v"].get<int>() != kVersion) {
    *why = "unknown protocol version (this partad speaks " + std::to_string(kVersion) + ")";
    return std::nullopt;
  }
  Request r;
  if (!j.contains("args") || !j["args"].is_array() || j["args"].size() > 64) {
    *why = "args must be an array of at most 64 strings";
    return std::nullopt;
  }
  for (const auto& a : j["args"]) {
    if (!a.is_string() || a.get_ref<const std::string&>().size() > 4096) {
      *why = "args must be strings of at most 4096 bytes";
      return std::nullopt;
    }
    r.args.push_back(a.get<std::string>());
  }
  if (j.contains("lang")) {
    if (!j["lang"].is_string()) {
      *why = "lang must be a string";
      return std::nullopt;
    }
    r.lang = j["lang"].get<std::string>();
  }
  if (j.contains("fd_args")) {
    if (!j["fd_args"].is_array()) {
      *why = "fd_args must be an array";
      return std::nullopt;
    }
    for (const auto& i : j["fd_args"]) {
      if (!i.is_number_unsigned() || i.get<std::size_t>() >= r.args.size()) {
        *why = "fd_args must index args";
        return std::nullopt;
      }
      r.fd_args.push_back(i.get<std::size_t>());
    }
  }
  if (r.fd_args.size() != fds) {
    *why = "the request names " + std::to_string(r.fd_args.size()) + " descriptors but carries " +
           std::to_string(fds);
    return std::nullopt;
  }
  return r;
}

std::string request_json(const Request& r) {
  return json{{"v", kVersion}, {"args", r.args}, {"lang", r.lang}, {"fd_args", r.fd_args}}.dump();
}

std::optional<Reply> parse_reply(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("rc") || !j["rc"].is_number_integer())
    return std::nullopt;
  Reply r;
  r.rc = j["rc"].get<int>();
  if (j.contains("out") && j["out"].is_string()) r.out = j["out"].get<std::string>();
  if (j.contains("err") && j["err"].is_string()) r.err = j["err"].get<std::string>();
  return r;
}

std::string reply_json(const Reply& r) {
  // Output is shown as it is; invalid UTF-8 (a file name from a stick) must not break the JSON.
  return json{{"v", kVersion}, {"rc", r.rc}, {"out", r.out}, {"err", r.err}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
}

Server::Server(std::string socket_path, Handler handler)
    : path_(std::move(socket_path)), handler_(std::move(handler)) {}

Server::~Server() { stop(); }

void Server::start() {
  sockaddr_un a = address(path_);
  struct stat st;
  // A socket file left by a partad that lost power; never remove anything else under that name.
  if (::lstat(path_.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      throw std::runtime_error(path_ + " exists and is not a socket: remove it by hand");
    ::unlink(path_.c_str());
  }
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  // Created 0660 from the start (no window in which anyone else could connect).
  mode_t old = ::umask(0117);
  int rc = ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::umask(old);
  if (rc != 0 || ::listen(listen_fd_, 16) != 0) {
    int e = errno;
    ::close(listen_fd_);
    listen_fd_ = -1;
    throw std::runtime_error("cannot listen on " + path_ + ": " + std::strerror(e));
  }
  if (::pipe2(wake_, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  thread_ = std::thread([this] { serve(); });
}

void Server::stop() {
  if (thread_.joinable()) {
    char b = 1;
    ssize_t n = ::write(wake_[1], &b, 1);
    (void)n;
    thread_.join();
  }
  for (int* fd : {&listen_fd_, &wake_[0], &wake_[1]})
    if (*fd >= 0) {
      ::close(*fd);
      *fd = -1;
    }
  ::unlink(path_.c_str());
}

void Server::serve() {
  while (true) {
    pollfd p[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      log::error(std::string("control socket: poll: ") + std::strerror(errno));
      return;
    }
    if (p[1].revents) return;
    if (!(p[0].revents & POLLIN)) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    try {
      serve_one(fd);
    } catch (const std::exception& e) {
      log::error(std::string("control socket: ") + e.what());
    }
    ::close(fd);
  }
}

void Server::serve_one(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
      (cred.uid != 0 && cred.uid != ::geteuid() && cred.gid != ::getegid())) {
    log::warning("control socket: refused a client with uid " + std::to_string(cred.uid));
    send_message(
        fd, reply_json({2, "", "partad: only root and the box's user and group may ask\n"}), {});
    return;
  }
  // A client that stops sending must not hold the socket (requests are served one at a time).
  set_timeout(fd, SO_RCVTIMEO, 10);
  std::string bytes;
  std::vector<int> fds;
  if (!receive_message(fd, kMaxMessage, &bytes, &fds)) {
    close_all(fds);
    return;
  }
  std::string why;
  auto req = parse_request(bytes, fds.size(), &why);
  Reply reply;
  if (!req) {
    reply = {2, "", "partad: bad request: " + why + "\n"};
  } else {
    try {
      reply = handler_(*req, fds);
    } catch (const std::exception& e) {
      reply = {1, "", std::string("partad: ") + e.what() + "\n"};
    }
  }
  close_all(fds);
  set_timeout(fd, SO_SNDTIMEO, 60);
  send_message(fd, reply_json(reply), {});
}

CallStatus call(const std::string& path, const Request& req, const std::vector<int>& fds,
                Reply* reply, std::string* error) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return CallStatus::failed;
  }
  sockaddr_un a = address(path);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    int e = errno;
    ::close(fd);
    if (e == ENOENT || e == ECONNREFUSED) return CallStatus::no_server;
    *error = "cannot reach partad at " + path + ": " + std::strerror(e);
    return CallStatus::failed;
  }
  std::string bytes;
  std::vector<int> none;
  bool ok =
      send_message(fd, request_json(req), fds) && receive_message(fd, kMaxReply, &bytes, &none);
  close_all(none);
  ::close(fd);
  if (!ok) {
    *error = "partad closed the control socket without an answer (see its log)";
    return CallStatus::failed;
  }
  auto r = parse_reply(bytes);
  if (!r) {
    *error = "partad's answer could not be read";
    return CallStatus::failed;
  }
  *reply = std::move(*r);
  return CallStatus::ok;
}

}  // namespace parta::app::control
