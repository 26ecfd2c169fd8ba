#pragma once
// The network carrier: when the district hub is reachable the box uploads its bundle with a
// resumable protocol (ask the hub how much it has durably stored, continue from there) and
// downloads its return bundle with HTTP Range, over a link that may be slow, lossy and cut.
// Boost.Asio, with timeouts on every step, exponential backoff with jitter between attempts,
// and an optional bandwidth cap so the school's only link is not saturated.
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "sync/engine.hpp"

namespace parta::sync {

struct NetOptions {
  std::string url;                     // http://host:port of the district hub
  std::uint64_t rate_bytes_per_s = 0;  // 0 = no cap
  int max_attempts = 30;
  double backoff_first_s = 1.0;
  double backoff_max_s = 60.0;
  // No progress for this long = the link is down: reconnect (with backoff) instead of waiting
  // out TCP's own retransmission backoff, which after a cut of a few seconds can idle for
  // half a minute (measured over the emulated 600 ms link).
  int io_timeout_s = 20;
  // Set when partad stops: the backoff and the attempt loops end at once instead of minutes later.
  const std::atomic<bool>* stop = nullptr;
};

struct NetResult {
  bool ok = false;
  std::string error;
  std::uint64_t uploaded = 0;    // bytes of bundle sent
  std::uint64_t resent = 0;      // of those, sent again after a drop
  std::uint64_t downloaded = 0;  // bytes received of the return bundle
  std::uint64_t bundle_bytes = 0;
  int attempts = 0;
  std::optional<ImportResult> imported;
  // Records left for the next parts: this box's (the part sent did not carry them all) and the
  // hub's (its return said so). Either: exchange again at once.
  std::int64_t more_here = 0, more_there = 0;
};

// One exchange: upload this box's pending bundle (resuming one a drop interrupted) or the next
// part of its backlog (n.net_part_bytes), then fetch and import the hub's return bundle.
NetResult sync_over_network(Node& n, const NetOptions& opt);
// Exchanges until neither side has records left for another part (at most `max_parts`), each
// part acknowledged before the next goes. Bytes and attempts summed over the parts, the rest as
// the last part left it; `parts`: how many exchanges ran.
NetResult sync_all_parts(Node& n, const NetOptions& opt, int max_parts, int* parts);

// The request signature a hub checks (Ed25519 over the method, path and offsets).
std::string sign_request(const Identity& id, const std::string& method, const std::string& path,
                         std::uint64_t offset, std::uint64_t length);
bool request_signature_holds(const std::string& sign_pk_hex, const std::string& sig_hex,
                             const std::string& method, const std::string& path,
                             const std::string& device, std::uint64_t offset, std::uint64_t length);

}  // namespace parta::sync
