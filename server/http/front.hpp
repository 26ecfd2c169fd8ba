#pragma once
// What partad does differently when the box's nginx front stands before it (firmware/config/
// front.conf.in): the front owns the phones' connections, so partad learns a visitor's address
// from the front's X-Real-IP header (trusted only from the front's own address, never from
// anyone else), and lets the front send stored files itself (X-Accel-Redirect) once partad has
// decided who may see them. Without a front, partad serves everything itself.
#include <optional>
#include <string>
#include <vector>

namespace parta::http {

struct FrontOptions {
  std::vector<std::string> trusted;  // the front's addresses as partad sees them ("127.0.0.1")
  std::string accel_prefix;          // the front's internal location for stored files ("" = none)
  std::string accel_root;            // the folder that location aliases (the blob store)
};

// The visitor's address: the front's X-Real-IP when the connection comes from a trusted front and
// the header holds an IP address; otherwise the peer itself. `via_front` says which it was.
std::string client_address(const FrontOptions& front, const std::string& peer,
                           const std::string& real_ip_header, bool* via_front);

// The URI the front should send `file` from, when it lies under accel_root; nullopt otherwise
// (the file is sent by partad itself).
std::optional<std::string> accel_target(const FrontOptions& front, const std::string& file);

// Whether s is an IPv4 or IPv6 address literal (used to check the trusted_front setting).
bool is_ip_address(const std::string& s);

}  // namespace parta::http
