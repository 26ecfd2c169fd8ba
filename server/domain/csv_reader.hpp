#pragma once
// Reading the CSV files staff export from Excel or the district journal (rosters, timetables):
// bytes in UTF-8 (with or without a BOM) or Windows-1251 to UTF-8 text, ';' or ',' detected,
// records tokenised by libcsv with the line each starts on, and a capped list of problems that
// names lines. What the columns mean is the caller's business.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/message.hpp"

namespace parta::domain::csv {

using Args = std::vector<std::pair<std::string, std::string>>;

// Fields past this are counted but not stored: a line of 4 MB of ";" must not become millions
// of strings.
inline constexpr std::size_t kMaxColumns = 200;

struct Record {
  int line = 0;                     // physical line the record starts on
  std::vector<std::string> fields;  // the first kMaxColumns of them
  std::size_t field_count = 0;      // all of them
};

// Every problem found, up to a cap, then one "and N more".
class Problems {
 public:
  void add(const char* msgid, Args args);
  // For a problem that stopped the reading: it must be seen even past the cap, so it takes the
  // place of the last shown one.
  void add_fatal(const char* msgid, Args args);
  std::size_t count() const { return errors_.size() + hidden_; }
  std::vector<Message> take();

 private:
  std::vector<Message> errors_;
  std::size_t hidden_ = 0;
};

struct Text {
  std::string utf8;
  std::string encoding;  // "UTF-8" or "Windows-1251": what the bytes looked like
  bool ok = false;       // false: a problem was added (too big, UTF-16, undecodable)
};
Text decode(std::string_view bytes, std::size_t max_bytes, Problems& problems);
// The header's delimiter: whichever of ';' and ',' it has more of outside quotes.
char detect_delimiter(std::string_view text);
// Hands each record to `take` in order (false from it stops the reading). A misplaced or unclosed
// quote is added as a fatal problem. Returns whether the whole text was read.
bool read_records(std::string_view text, char delimiter, Problems& problems,
                  const std::function<bool(const Record&)>& take);

// Text helpers for cell values.
bool is_space(char32_t c);    // ' ' and the no-break space Excel writes
bool is_control(char32_t c);  // invisible characters that make equal-looking values differ
bool is_cyrillic(char32_t c);
// Trims spaces (including no-break ones) and collapses inner runs into one ' '.
std::string squeeze_spaces(std::string_view s);
// A value as quoted back to the user: short, and without characters that would garble the page.
std::string shown(std::string_view s);
// Lowercase, ё → е, spaces trimmed and collapsed: how people's spellings of one word differ.
std::string fold_case(std::string_view s, bool underscore_is_space = false);
// Also folds "last_name" into "last name" and drops a trailing '.', ':' or '*' ("Класс*").
std::string header_key(std::string_view cell);
// A record of nothing but spaces.
bool is_blank(const Record& record);

}  // namespace parta::domain::csv
