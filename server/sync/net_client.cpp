#include "sync/net_client.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>
#include <utility>  // before asio: std::exchange in Boost 1.74's awaitable.hpp

#include "app/log.hpp"

namespace parta::sync {

namespace fs = std::filesystem;
namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

std::string sign_request(const Identity& id, const std::string& method, const std::string& path,
                         std::uint64_t offset, std::uint64_t length) {
  std::string msg = "parta-sync\n" + method + "\n" + path + "\n" + id.device_id + "\n" +
                    std::to_string(offset) + "\n" + std::to_string(length);
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(msg.data()), msg.size(),
                       id.sign.sk.data());
  return bundle::to_hex(sig, sizeof sig);
}

bool request_signature_holds(const std::string& sign_pk_hex, const std::string& sig_hex,
                             const std::string& method, const std::string& path,
                             const std::string& device, std::uint64_t offset,
                             std::uint64_t length) {
  bundle::Bytes32 pk;
  unsigned char sig[crypto_sign_BYTES];
  if (!bundle::from_hex(sign_pk_hex, pk.data(), pk.size()) ||
      !bundle::from_hex(sig_hex, sig, sizeof sig))
    return false;
  std::string msg = "parta-sync\n" + method + "\n" + path + "\n" + device + "\n" +
                    std::to_string(offset) + "\n" + std::to_string(length);
  return crypto_sign_verify_detached(sig, reinterpret_cast<const unsigned char*>(msg.data()),
                                     msg.size(), pk.data()) == 0;
}

namespace {

struct LinkDown : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Url {
  std::string host, port = "80";
};

std::optional<Url> parse_url(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) return std::nullopt;
  std::string rest = url.substr(scheme.size());
  if (auto slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
  Url u;
  auto colon = rest.rfind(':');
  if (colon != std::string::npos) {
    u.host = rest.substr(0, colon);
    u.port = rest.substr(colon + 1);
  } else {
    u.host = rest;
  }
  if (u.host.empty() || u.port.empty()) return std::nullopt;
  return u;
}

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                            // unless streamed to a sink
};

// Keeps the average send rate under a cap (token bucket, one second of burst).
class RateCap {
 public:
  explicit RateCap(std::uint64_t bytes_per_s) : rate_(bytes_per_s), start_(Clock::now()) {}
  void spend(std::size_t n) {
    if (rate_ == 0) return;
    spent_ += n;
    double due = static_cast<double>(spent_) / static_cast<double>(rate_) - 1.0;
    double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    if (due > elapsed) std::this_thread::sleep_for(std::chrono::duration<double>(due - elapsed));
  }

 private:
  std::uint64_t rate_;
  std::uint64_t spent_ = 0;
  Clock::time_point start_;
};

// An HTTP/1.1 connection, every step under a timeout. The upload asks for the offset and sends
// the rest on one connection (a handshake saved is a second saved on a lossy 600 ms link).
class Conn {
 public:
  Conn(const Url& u, int timeout_s) : sock_(io_), timeout_(timeout_s) {
    tcp::resolver resolver(io_);
    tcp::resolver::results_type endpoints;
    boost::system::error_code ec;
    endpoints = resolver.resolve(u.host, u.port, ec);
    if (ec) throw LinkDown("cannot resolve " + u.host + ": " + ec.message());
    run([&](auto handler) { asio::async_connect(sock_, endpoints, handler); }, "connect");
    sock_.set_option(tcp::no_delay(true));
  }

  void send(const std::string& bytes) {
    run([&](auto handler) { asio::async_write(sock_, asio::buffer(bytes), handler); }, "send");
  }

  HttpResponse read_response(
      const std::function<void(const HttpResponse&, const char*, std::size_t)>& sink = {}) {
    HttpResponse r;
    std::size_t head_len = 0;
    run([&](auto handler) { asio::async_read_until(sock_, buf_, "\r\n\r\n", handler); }, "read",
        &head_len);
    std::string head(asio::buffers_begin(buf_.data()),
                     asio::buffers_begin(buf_.data()) + static_cast<long>(head_len));
    buf_.consume(head_len);
    std::istringstream in(head);
    std::string line, version;
    std::getline(in, line);
    std::istringstream status_line(line);
    status_line >> version >> r.status;
    while (std::getline(in, line) && line != "\r") {
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon), value = line.substr(colon + 1);
      for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
      while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
      r.headers[name] = value;
    }
    std::uint64_t remaining = r.headers.count("content-length")
                                  ? std::stoull(r.headers["content-length"])
                                  : std::numeric_limits<std::uint64_t>::max();
    auto deliver = [&](const char* p, std::size_t n) {
      if (sink)
        sink(r, p, n);
      else
        r.body.append(p, n);
    };
    while (remaining > 0) {
      if (buf_.size() == 0) {
        std::size_t got = 0;
        boost::system::error_code ec = try_run(
            [&](auto handler) { sock_.async_read_some(buf_.prepare(64 * 1024), handler); }, &got);
        if (ec == asio::error::eof && remaining == std::numeric_limits<std::uint64_t>::max()) break;
        if (ec) throw LinkDown("the link dropped while receiving: " + ec.message());
        buf_.commit(got);
      }
      std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf_.size(), remaining));
      deliver(static_cast<const char*>(buf_.data().data()), n);
      buf_.consume(n);
      if (remaining != std::numeric_limits<std::uint64_t>::max()) remaining -= n;
    }
    return r;
  }

 private:
  template <class Op>
  boost::system::error_code try_run(Op op, std::size_t* bytes = nullptr) {
    boost::system::error_code result = asio::error::would_block;
    std::size_t n = 0;
    op([&](const boost::system::error_code& ec, auto&& r) {
      result = ec;
      if constexpr (std::is_convertible_v<decltype(r), std::size_t>) n = r;
    });
    io_.restart();
    io_.run_for(std::chrono::seconds(timeout_));
    if (result == asio::error::would_block) {
      boost::system::error_code ignored;
      sock_.close(ignored);
      io_.restart();
      io_.run();
      return asio::error::timed_out;
    }
    if (bytes) *bytes = n;
    return result;
  }
  template <class Op>
  void run(Op op, const char* what, std::size_t* bytes = nullptr) {
    auto ec = try_run(op, bytes);
    if (ec) throw LinkDown(std::string(what) + " failed: " + ec.message());
  }

  asio::io_context io_;
  tcp::socket sock_;
  asio::streambuf buf_;
  int timeout_;
};

std::string request_head(const std::string& method, const std::string& path, const Url& u,
                         const Identity& id, std::uint64_t offset, std::uint64_t length,
                         const std::vector<std::pair<std::string, std::string>>& extra,
                         bool keep_alive = false) {
  std::string h = method + " " + path + " HTTP/1.1\r\nHost: " + u.host + ":" + u.port +
                  "\r\nConnection: " + std::string(keep_alive ? "keep-alive" : "close") +
                  "\r\nUser-Agent: parta-sync/1\r\nX-Parta-Device: " + id.device_id +
                  "\r\nX-Parta-Offset: " + std::to_string(offset) +
                  "\r\nX-Parta-Length: " + std::to_string(length) +
                  "\r\nX-Parta-Sig: " + sign_request(id, method, path, offset, length) + "\r\n";
  for (const auto& [k, v] : extra) h += k + ": " + v + "\r\n";
  return h + "\r\n";
}

void sleep_backoff(const NetOptions& opt, int failures) {
  static thread_local std::mt19937 rng(std::random_device{}());
  double cap = std::min(opt.backoff_max_s, opt.backoff_first_s * std::pow(2.0, failures - 1));
  // "Full jitter" halves: between half and all of the step, so many boxes don't retry in step.
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  auto until = std::chrono::steady_clock::now() +
               std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                   std::chrono::duration<double>(cap * jitter(rng)));
  while (std::chrono::steady_clock::now() < until && !(opt.stop && *opt.stop))
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

bool stopping(const NetOptions& opt) { return opt.stop && *opt.stop; }

std::optional<fs::path> pending_outgoing(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return std::nullopt;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".ptb") return e.path();
  return std::nullopt;
}

void fsync_fd(std::FILE* f) {
  std::fflush(f);
  ::fsync(fileno(f));
}

}  // namespace

NetResult sync_over_network(Node& n, const NetOptions& opt) {
  NetResult out;
  auto url = parse_url(opt.url);
  if (!url) {
    out.error = "the district address must look like http://host:port";
    return out;
  }
  fs::path sync_dir = fs::path(n.data_dir) / "sync";
  fs::path outgoing = sync_dir / "outgoing";
  fs::create_directories(outgoing);
  // A bundle a drop interrupted is finished first: starting a new one would send it all again.
  fs::path bundle_path;
  bool resumed = false;
  if (auto p = pending_outgoing(outgoing)) {
    bundle_path = *p;
    resumed = true;
  } else {
    PartBound bound;
    bound.want = n.net_part_bytes;
    auto part = export_bundle(n, "", outgoing.string(), bound);
    bundle_path = part.path;
    out.more_here = part.more;
  }
  std::string bundle_id = bundle_path.stem().string();
  std::uint64_t total = fs::file_size(bundle_path);
  out.bundle_bytes = total;
  std::string upload_path = "/sync/v1/upload/" + bundle_id;

  int failures = 0;
  std::optional<std::uint64_t> first_offset;
  bool uploaded = false;
  std::string import_code;
  while (!uploaded) {
    if (stopping(opt)) {
      out.error = "stopped: partad is shutting down";
      return out;
    }
    if (out.attempts >= opt.max_attempts) {
      out.error = "gave up after " + std::to_string(out.attempts) + " attempts: the link is down";
      return out;
    }
    ++out.attempts;
    try {
      std::uint64_t offset = 0;
      auto conn = std::make_unique<Conn>(*url, opt.io_timeout_s);
      {
        conn->send(request_head("GET", upload_path, *url, n.id, 0, total, {}, true));
        auto r = conn->read_response();
        auto c = r.headers.find("connection");
        if (c != r.headers.end() && c->second == "close")
          conn = std::make_unique<Conn>(*url, opt.io_timeout_s);
        if (r.status == 200) {
          auto j = nlohmann::json::parse(r.body, nullptr, false);
          if (j.is_object()) offset = j.value("offset", std::uint64_t{0});
          if (j.is_object() && j.value("complete", false)) {
            import_code = j.value("import", std::string());
            uploaded = true;
            break;
          }
        } else if (r.status != 404) {
          out.error = "the hub refused the upload (" + std::to_string(r.status) + "): " + r.body;
          return out;
        }
      }
      if (offset > total) offset = 0;
      if (!first_offset) first_offset = offset;
      conn->send(request_head("POST", upload_path, *url, n.id, offset, total,
                              {{"Content-Type", "application/octet-stream"},
                               {"Content-Length", std::to_string(total - offset)}}));
      std::ifstream in(bundle_path, std::ios::binary);
      in.seekg(static_cast<std::streamoff>(offset));
      RateCap cap(opt.rate_bytes_per_s);
      std::vector<char> buf(16 * 1024);
      std::uint64_t pos = offset;
      while (pos < total) {
        std::size_t want =
            static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), total - pos));
        in.read(buf.data(), static_cast<std::streamsize>(want));
        if (in.gcount() != static_cast<std::streamsize>(want))
          throw std::runtime_error("cannot read " + bundle_path.string());
        cap.spend(want);
        conn->send(std::string(buf.data(), want));
        pos += want;
        out.uploaded += want;
      }
      auto r = conn->read_response();
      if (r.status != 200) {
        if (r.status >= 500 || r.status == 409)
          throw LinkDown("hub answered " + std::to_string(r.status));
        out.error = "the hub refused the upload (" + std::to_string(r.status) + "): " + r.body;
        return out;
      }
      auto j = nlohmann::json::parse(r.body, nullptr, false);
      if (j.is_object() && j.value("complete", false)) {
        import_code = j.value("import", std::string());
        uploaded = true;
      }
      failures = 0;
    } catch (const LinkDown& e) {
      log::info(std::string("sync: ") + e.what() + "; trying again");
      sleep_backoff(opt, ++failures);
    }
  }
  // Written to the socket beyond the bundle's own bytes: sent again after drops (some of it may
  // have sat in the send buffer and never crossed the link).
  std::uint64_t needed = total - first_offset.value_or(0);
  out.resent = out.uploaded > needed ? out.uploaded - needed : 0;
  // A refused bundle is not sent again as it is; the return bundle still comes, because it may
  // say why (an epoch the district saw reused), and the box acts on that.
  std::string refused;
  if (import_code != "ok" && import_code != "already")
    refused = "the district refused this box's bundle: " + import_code;
  std::error_code ec;
  fs::remove(bundle_path, ec);

  // The return bundle, resumed with Range from where a drop left it.
  fs::path incoming = sync_dir / "incoming";
  fs::create_directories(incoming);
  // return.id names the bundle the part belongs to: a resumed download appends only to the same
  // bundle (the hub makes a new one when something new is queued).
  fs::path part = incoming / "return.part", etag_file = incoming / "return.id";
  std::string return_path = "/sync/v1/return/" + n.id.device_id;
  failures = 0;
  while (true) {
    if (stopping(opt)) {
      out.error = "stopped: partad is shutting down";
      return out;
    }
    if (out.attempts >= opt.max_attempts) {
      out.error = "gave up after " + std::to_string(out.attempts) + " attempts: the link is down";
      return out;
    }
    ++out.attempts;
    try {
      std::uint64_t have = fs::exists(part) ? fs::file_size(part) : 0;
      std::string etag;
      if (fs::exists(etag_file)) std::getline(std::ifstream(etag_file) >> std::ws, etag);
      if (etag.empty()) have = 0;
      Conn conn(*url, opt.io_timeout_s);
      std::vector<std::pair<std::string, std::string>> extra;
      if (have > 0) extra.emplace_back("Range", "bytes=" + std::to_string(have) + "-");
      conn.send(request_head("GET", return_path, *url, n.id, have, 0, extra));
      std::FILE* f = nullptr;
      std::uint64_t since_sync = 0;
      HttpResponse r;
      struct Closer {
        std::FILE*& f;
        ~Closer() {
          if (f) {
            fsync_fd(f);
            std::fclose(f);
          }
        }
      } closer{f};
      bool started = false, stale = false;
      auto sink = [&](const HttpResponse& head, const char* p, std::size_t len) {
        if (head.status != 200 && head.status != 206) return;  // an error page, not the bundle
        if (stale) return;
        if (!started) {
          started = true;
          auto it = head.headers.find("x-parta-bundle");
          std::string id = it == head.headers.end() ? "" : it->second;
          auto range = head.headers.find("content-range");
          bool continues = head.status == 206 && !id.empty() && id == etag &&
                           range != head.headers.end() &&
                           range->second.rfind("bytes " + std::to_string(have) + "-", 0) == 0;
          if (head.status == 206 && !continues) {
            stale = true;  // another bundle's tail: drop it and fetch the new one whole
            return;
          }
          if (continues) {
            f = std::fopen(part.c_str(), "ab");
          } else {
            f = std::fopen(part.c_str(), "wb");
            std::ofstream(etag_file) << id << "\n";
          }
          if (!f) throw std::runtime_error("cannot write " + part.string());
        }
        std::fwrite(p, 1, len, f);
        out.downloaded += len;
        since_sync += len;
        if (since_sync >= 64 * 1024) {
          fsync_fd(f);
          since_sync = 0;
        }
      };
      // The headers are known before the first body byte reaches the sink.
      r = conn.read_response(sink);
      if (f) {
        fsync_fd(f);
        std::fclose(f);
        f = nullptr;
      }
      if (r.status == 404) {
        out.ok = refused.empty();
        out.error = refused;
        return out;
      }
      if (stale || r.status == 416) {  // a part of another bundle, or too long: start over
        fs::remove(part, ec);
        fs::remove(etag_file, ec);
        continue;
      }
      if (r.status != 200 && r.status != 206) {
        out.error = "the hub answered " + std::to_string(r.status);
        return out;
      }
      break;
    } catch (const LinkDown& e) {
      log::info(std::string("sync: ") + e.what() + "; trying again");
      sleep_backoff(opt, ++failures);
    }
  }
  fs::path complete = incoming / "return.ptb";
  fs::rename(part, complete);
  fs::remove(etag_file, ec);
  out.imported = import_bundle(n, complete.string(), "network");
  fs::remove(complete, ec);
  out.more_there = out.imported->ok ? out.imported->more : 0;
  if (resumed) {
    // What the resumed bundle left for later is not known: whatever still waits.
    auto c = n.db.acquire();
    out.more_here = outbox_backlog(*c, "");
  }
  out.ok = out.imported->ok && refused.empty();
  if (!refused.empty())
    out.error = refused;
  else if (!out.ok)
    out.error = out.imported->code;
  return out;
}

NetResult sync_all_parts(Node& n, const NetOptions& opt, int max_parts, int* parts) {
  NetResult total;
  *parts = 0;
  while (*parts < max_parts) {
    NetResult r = sync_over_network(n, opt);
    ++*parts;
    total.ok = r.ok;
    total.error = r.error;
    total.uploaded += r.uploaded;
    total.resent += r.resent;
    total.downloaded += r.downloaded;
    total.bundle_bytes += r.bundle_bytes;
    total.attempts += r.attempts;
    total.more_here = r.more_here;
    total.more_there = r.more_there;
    if (r.imported) total.imported = r.imported;  // the last part's
    if (!r.ok || (r.more_here <= 0 && r.more_there <= 0) || stopping(opt)) break;
  }
  return total;
}

}  // namespace parta::sync
