#include "domain/translit.hpp"

#include <array>
#include <cctype>

namespace parta::domain {

namespace {
// Indexed by code point - 0x430 (а..я), then ё (0x451) handled separately.
constexpr std::array<const char*, 32> kLower = {
    "a", "b", "v", "g", "d", "e",  "zh", "z",  "i",  "i",    "k", "l", "m", "n", "o",  "p",
    "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "",  "y", "",  "e", "iu", "ia"};
}  // namespace

std::string translit(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (std::isalnum(c)) out += static_cast<char>(std::tolower(c));
      ++i;
      continue;
    }
    if ((c & 0xe0) == 0xc0 && i + 1 < s.size()) {
      std::uint32_t cp = ((c & 0x1fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3fu);
      i += 2;
      if (cp >= 0x410 && cp <= 0x42f) cp += 0x20;  // upper → lower
      if (cp == 0x401 || cp == 0x451) {
        out += "e";
      } else if (cp >= 0x430 && cp <= 0x44f) {
        out += kLower[cp - 0x430];
      }
      continue;
    }
    ++i;  // other multi-byte sequences: skip lead byte, continuation bytes fall through as >=0x80
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xc0) == 0x80) ++i;
  }
  return out;
}

}  // namespace parta::domain
