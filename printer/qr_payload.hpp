#pragma once
// What a packet page's QR code says: which packet (print run), assignment, student and page it is.
// Short and uppercase so the QR stays small (alphanumeric mode), versioned, and with a CRC so a
// misread can never look like another student's page. No names: a lost page tells nothing.
//   PA1:<assignment>:<student>:<page>/<pages>:<run>:<crc32 hex>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parta::printer {

inline constexpr int kPayloadVersion = 1;

struct PagePayload {
  std::int64_t assignment = 0, student = 0;
  int page = 0, pages = 0;  // 1-based page of the packet, and how many it has
  std::string run;          // the print run: 6 characters of [0-9A-Z]
  bool operator==(const PagePayload&) const = default;
};

std::string encode_payload(const PagePayload& p);
// nullopt for anything that is not exactly a valid payload of a version this build reads.
std::optional<PagePayload> decode_payload(std::string_view text);
// A new print run id.
std::string new_run_id();
// The page's identity for people: "A12 · S345 · 2/6 · K3J9QZ".
std::string human_id(const PagePayload& p);

}  // namespace parta::printer
