#include "http/front.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace parta::http {

namespace {

// An address in a comparable form: "::ffff:127.0.0.1" and "127.0.0.1" are the same peer.
std::optional<std::array<unsigned char, 16>> parse_ip(const std::string& s) {
  std::array<unsigned char, 16> a{};
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    a[10] = a[11] = 0xff;
    std::memcpy(a.data() + 12, &v4, 4);
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.data()) == 1) return a;
  return std::nullopt;
}

}  // namespace

bool is_ip_address(const std::string& s) { return parse_ip(s).has_value(); }

std::string client_address(const FrontOptions& front, const std::string& peer,
                           const std::string& real_ip_header, bool* via_front) {
  *via_front = false;
  if (front.trusted.empty() || real_ip_header.empty()) return peer;
  auto p = parse_ip(peer);
  if (!p) return peer;
  bool trusted = std::any_of(front.trusted.begin(), front.trusted.end(),
                             [&](const std::string& t) { return parse_ip(t) == p; });
  // Anyone else's X-Real-IP is a claim anyone can make: it would let one phone pose as many
  // and dodge the per-address sign-in limits.
  if (!trusted || !parse_ip(real_ip_header)) return peer;
  *via_front = true;
  return real_ip_header;
}

std::optional<std::string> accel_target(const FrontOptions& front, const std::string& file) {
  if (front.accel_prefix.empty() || front.accel_root.empty()) return std::nullopt;
  std::string root = front.accel_root;
  if (root.back() != '/') root += '/';
  if (file.size() <= root.size() || file.compare(0, root.size(), root) != 0) return std::nullopt;
  std::string rest = file.substr(root.size());
  // Blob names are hex under two-letter folders; anything else (a path with "..", a space or a
  // character the front would read as part of a URI) is sent by partad itself.
  if (rest.find("..") != std::string::npos ||
      rest.find_first_not_of("0123456789abcdefABCDEF/._-") != std::string::npos)
    return std::nullopt;
  return front.accel_prefix + rest;
}

}  // namespace parta::http
