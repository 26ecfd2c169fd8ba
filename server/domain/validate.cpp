#include "domain/validate.hpp"

#include <utility>

#include "content/utf8.hpp"

namespace parta::domain {

namespace {

bool is_cyrillic(char32_t c) { return c >= 0x0400 && c <= 0x052F; }

// Letters of the alphabets a Russian school meets: Latin (with accents) and Cyrillic, including
// the letters of Russia's other languages (ә, ө, ү, ...).
bool is_letter(char32_t c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) return true;
  if (c >= 0x00C0 && c <= 0x024F) return c != 0x00D7 && c != 0x00F7;
  if (c >= 0x0482 && c <= 0x0489) return false;  // Cyrillic signs and combining marks
  return is_cyrillic(c);
}

bool is_space(char32_t c) { return c == ' ' || c == 0x00A0; }  // Excel writes no-break spaces

char32_t to_upper_cyrillic(char32_t c) {
  if (c >= 0x0430 && c <= 0x044F) return c - 0x20;
  if (c == 0x0451) return 0x0401;
  return c;
}

}  // namespace

std::optional<std::string> normalize_class_name(std::string_view raw) {
  std::u32string cps = text::to_code_points(raw);
  std::size_t i = 0;
  while (i < cps.size() && is_space(cps[i])) ++i;
  while (!cps.empty() && is_space(cps.back())) cps.pop_back();
  int number = 0, digits = 0;
  for (; i < cps.size() && cps[i] >= '0' && cps[i] <= '9'; ++i, ++digits) {
    number = number * 10 + static_cast<int>(cps[i] - '0');
    if (digits == 2) return std::nullopt;
  }
  if (digits == 0 || number < 1 || number > 11) return std::nullopt;
  while (i < cps.size() && (is_space(cps[i]) || cps[i] == '-')) ++i;
  if (i + 1 != cps.size()) return std::nullopt;
  char32_t letter = cps[i];
  static constexpr std::pair<char32_t, char32_t> kLookAlikes[] = {
      {'A', 0x0410}, {'B', 0x0412}, {'E', 0x0415}, {'K', 0x041A}, {'M', 0x041C}, {'H', 0x041D},
      {'O', 0x041E}, {'P', 0x0420}, {'C', 0x0421}, {'T', 0x0422}, {'X', 0x0425}, {'a', 0x0410},
      {'e', 0x0415}, {'o', 0x041E}, {'p', 0x0420}, {'c', 0x0421}, {'x', 0x0425}};
  for (auto [latin, cyrillic] : kLookAlikes) {
    if (letter == latin) letter = cyrillic;
  }
  letter = to_upper_cyrillic(letter);
  if (!((letter >= 0x0410 && letter <= 0x042F) || letter == 0x0401)) return std::nullopt;
  std::string out = std::to_string(number);
  text::append_utf8(out, letter);
  return out;
}

bool valid_person_name(std::string_view value) {
  bool has_letter = false;
  for (std::size_t i = 0; i < value.size();) {
    char32_t c = text::next_code_point(value, i);
    if (is_letter(c)) {
      has_letter = true;
    } else if (!(c == '-' || c == ' ' || c == '\'' || c == 0x2019 || c == 0x02BC)) {
      return false;
    }
  }
  return has_letter;
}

bool valid_student_no(std::string_view value) {
  if (value.empty() || text::char_count(value) > 32) return false;
  for (std::size_t i = 0; i < value.size();) {
    char32_t c = text::next_code_point(value, i);
    if (!(is_letter(c) || (c >= '0' && c <= '9') || c == '-' || c == '/')) return false;
  }
  return true;
}

bool valid_login(std::string_view value) {
  if (value.size() < 3 || value.size() > 32) return false;
  for (char c : value) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
      return false;
  }
  return true;
}

}  // namespace parta::domain
