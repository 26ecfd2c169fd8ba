#pragma once
// UTF-8 decoding and encoding for the parsers of untrusted text (forms, rosters, names, packs).
// It lives in the lowest library, parta_content, so that every other library can use it.
#include <cstddef>
#include <string>
#include <string_view>

namespace parta::text {

inline constexpr char32_t kBadCodePoint = 0xFFFFFFFF;

// Decodes the code point at s[i] and advances i. Malformed input (overlong, surrogate, truncated,
// past U+10FFFF) yields kBadCodePoint and advances one byte.
char32_t next_code_point(std::string_view s, std::size_t& i);
bool is_valid_utf8(std::string_view s);
void append_utf8(std::string& out, char32_t cp);
std::u32string to_code_points(std::string_view s);
std::size_t char_count(std::string_view s);
// The first `max` characters of s, with "…" when something was cut (previews).
std::string truncate_chars(std::string_view s, std::size_t max);

}  // namespace parta::text
