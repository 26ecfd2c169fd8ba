#include "printer/qr_payload.hpp"

#include <sodium.h>
#include <zlib.h>

#include <charconv>
#include <cstdio>
#include <vector>

namespace parta::printer {

namespace {

std::string crc_hex(std::string_view s) {
  auto crc = crc32(0L, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size()));
  char b[16];
  std::snprintf(b, sizeof b, "%08lX", static_cast<unsigned long>(crc));
  return b;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  return out;
}

template <typename T>
bool number(std::string_view s, T& out, T min, T max) {
  if (s.empty() || s.size() > 12 || s[0] == '0') return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && out >= min && out <= max;
}

bool run_id(std::string_view s) {
  if (s.size() != 6) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))) return false;
  return true;
}

}  // namespace

std::string encode_payload(const PagePayload& p) {
  std::string body = "PA" + std::to_string(kPayloadVersion) + ":" + std::to_string(p.assignment) +
                     ":" + std::to_string(p.student) + ":" + std::to_string(p.page) + "/" +
                     std::to_string(p.pages) + ":" + p.run;
  return body + ":" + crc_hex(body);
}

std::optional<PagePayload> decode_payload(std::string_view text) {
  if (text.size() > 64) return std::nullopt;
  auto parts = split(text, ':');
  if (parts.size() != 6 || parts[0] != "PA1") return std::nullopt;
  std::string_view body = text.substr(0, text.size() - parts[5].size() - 1);
  if (parts[5] != crc_hex(body)) return std::nullopt;
  PagePayload p;
  auto page = split(parts[3], '/');
  if (page.size() != 2) return std::nullopt;
  if (!number<std::int64_t>(parts[1], p.assignment, 1, 999'999'999'999) ||
      !number<std::int64_t>(parts[2], p.student, 1, 999'999'999'999) ||
      !number<int>(page[0], p.page, 1, 999) || !number<int>(page[1], p.pages, 1, 999) ||
      p.page > p.pages || !run_id(parts[4]))
    return std::nullopt;
  p.run = std::string(parts[4]);
  return p;
}

std::string new_run_id() {
  static const char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::string out;
  for (int i = 0; i < 6; ++i) out += kAlphabet[randombytes_uniform(36)];
  return out;
}

std::string human_id(const PagePayload& p) {
  return "A" + std::to_string(p.assignment) + " · S" + std::to_string(p.student) + " · " +
         std::to_string(p.page) + "/" + std::to_string(p.pages) + " · " + p.run;
}

}  // namespace parta::printer
