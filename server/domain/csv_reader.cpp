#include "domain/csv_reader.hpp"

#include <csv.h>
#include <iconv.h>

#include <cerrno>
#include <exception>
#include <new>
#include <stdexcept>

#include "content/utf8.hpp"

namespace parta::domain::csv {
namespace {

// The msgids, one place: server/i18n/roster.ru.po must translate each of them.
constexpr char kMsgTooBig[] = "The file is larger than {max_mb} MB";
constexpr char kMsgUtf16[] =
    "The file is saved as UTF-16 (\"Unicode text\"); save it as \"CSV UTF-8\" instead";
constexpr char kMsgBadEncoding[] =
    "Line {line}: the text is neither UTF-8 nor Windows-1251; save the file as \"CSV UTF-8\"";
constexpr char kMsgUnclosedQuote[] =
    "Line {line}: a quoted value is never closed (a \" is missing)";
constexpr char kMsgStrayQuote[] = "Line {line}: a quote mark (\") is in the wrong place";
constexpr char kMsgMoreErrors[] = "…and {count} more problems";
constexpr std::size_t kMaxErrors = 50;
// Fields past this are counted but not stored: a line of 4 MB of ";" must not become millions
// of strings.
constexpr std::size_t kMaxColumns = 200;
constexpr std::size_t kMaxShownChars = 40;  // of a value quoted back in a message

using text::append_utf8;
using text::kBadCodePoint;
using text::next_code_point;

char32_t to_lower(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 0x20;
  if (c >= 0x0410 && c <= 0x042F) return c + 0x20;
  if (c >= 0x0400 && c <= 0x040F) return c + 0x50;
  return c;
}

// --- Bytes to UTF-8 text -----------------------------------------------------------------------

int line_of_offset(std::string_view text, std::size_t offset) {
  int line = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n'))) {
      ++line;
    }
  }
  return line;
}

class Iconv {
 public:
  Iconv(const char* to, const char* from) : cd_(iconv_open(to, from)) {
    if (cd_ == reinterpret_cast<iconv_t>(-1)) {
      throw std::runtime_error(std::string("iconv cannot convert from ") + from);
    }
  }
  ~Iconv() { iconv_close(cd_); }
  Iconv(const Iconv&) = delete;
  Iconv& operator=(const Iconv&) = delete;
  iconv_t get() const { return cd_; }

 private:
  iconv_t cd_;
};

// Converts Windows-1251 to UTF-8; on a byte the code page does not define (0x98) returns nullopt
// and sets bad_offset.
std::optional<std::string> cp1251_to_utf8(std::string_view in, std::size_t& bad_offset) {
  Iconv cd("UTF-8", "CP1251");
  std::string out(in.size() * 3, '\0');         // no CP1251 character needs more than 3 UTF-8 bytes
  char* in_ptr = const_cast<char*>(in.data());  // iconv's signature, it does not write there
  std::size_t in_left = in.size();
  char* out_ptr = out.data();
  std::size_t out_left = out.size();
  if (iconv(cd.get(), &in_ptr, &in_left, &out_ptr, &out_left) == static_cast<std::size_t>(-1)) {
    if (errno == E2BIG) throw std::logic_error("cp1251_to_utf8: output buffer too small");
    bad_offset = static_cast<std::size_t>(in_ptr - in.data());
    return std::nullopt;
  }
  out.resize(out.size() - out_left);
  return out;
}

// --- Tokenising with libcsv --------------------------------------------------------------------

// Drives libcsv one physical line at a time: libcsv reports no positions, but fed this way every
// callback happens while we know which line is being read.
class CsvTokenizer {
 public:
  explicit CsvTokenizer(char delimiter) {
    // STRICT: a stray quote is an error rather than silently kept; STRICT_FINI: an unclosed quote
    // at the end of the file is an error rather than silently closed; REPALL_NL: blank lines are
    // reported, so the record start lines stay right.
    if (csv_init(&parser_, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL) != 0) {
      throw std::bad_alloc();
    }
    csv_set_delim(&parser_, static_cast<unsigned char>(delimiter));
  }
  ~CsvTokenizer() { csv_free(&parser_); }
  CsvTokenizer(const CsvTokenizer&) = delete;
  CsvTokenizer& operator=(const CsvTokenizer&) = delete;

  // Feeds one physical line with its terminator; false on a misplaced quote.
  bool feed(std::string_view line, int line_no) {
    current_line_ = line_no;
    std::size_t used = csv_parse(&parser_, line.data(), line.size(), &on_field, &on_record, this);
    rethrow_failure();
    if (used != line.size()) return fail();
    return true;
  }

  // Ends the input; false on a quote that is never closed.
  bool finish() {
    int rc = csv_fini(&parser_, &on_field, &on_record, this);
    rethrow_failure();
    if (rc != 0) return fail();
    return true;
  }

  // Records completed since the last call.
  std::vector<Record> take_records() { return std::exchange(done_, {}); }
  // Where the record being read (or the last one) started.
  int record_start_line() const { return record_start_line_; }

 private:
  static void on_field(void* data, std::size_t size, void* self) noexcept {
    auto* me = static_cast<CsvTokenizer*>(self);
    try {
      if (me->failure_) return;
      if (me->open_.field_count++ == 0) me->open_.line = me->record_start_line_;
      if (me->open_.fields.size() < kMaxColumns) {
        // libcsv may pass a null buffer for an empty field.
        me->open_.fields.emplace_back(data ? static_cast<const char*>(data) : "", data ? size : 0);
      }
    } catch (...) {
      me->failure_ = std::current_exception();
    }
  }

  static void on_record(int /*terminator*/, void* self) noexcept {
    auto* me = static_cast<CsvTokenizer*>(self);
    try {
      if (me->failure_) return;
      // With REPALL_NL a blank line, or the '\n' of "\r\n", ends a record with no fields.
      if (me->open_.field_count > 0) me->done_.push_back(std::exchange(me->open_, {}));
      me->record_start_line_ = me->current_line_ + 1;
    } catch (...) {
      me->failure_ = std::current_exception();
    }
  }

  void rethrow_failure() {
    if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
  }

  bool fail() {
    int error = csv_error(&parser_);
    if (error == CSV_ENOMEM || error == CSV_ETOOBIG) throw std::bad_alloc();
    return false;
  }

  csv_parser parser_{};
  int current_line_ = 1;
  int record_start_line_ = 1;
  Record open_;
  std::vector<Record> done_;
  std::exception_ptr failure_;
};

std::size_t line_end(std::string_view text, std::size_t start) {
  std::size_t i = text.find_first_of("\r\n", start);
  if (i == std::string_view::npos) return text.size();
  if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
  return i + 1;
}

}  // namespace

bool is_cyrillic(char32_t c) { return c >= 0x0400 && c <= 0x052F; }

bool is_space(char32_t c) { return c == ' ' || c == 0x00A0; }  // Excel writes no-break spaces

bool is_control(char32_t c) {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) || (c >= 0x200B && c <= 0x200F) ||
         (c >= 0x2028 && c <= 0x202E) || (c >= 0x2060 && c <= 0x2064) || c == 0xFEFF;
}

std::string squeeze_spaces(std::string_view s) {
  std::string out;
  bool pending_space = false;
  for (std::size_t i = 0; i < s.size();) {
    char32_t c = next_code_point(s, i);
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    append_utf8(out, c);
  }
  return out;
}

std::string shown(std::string_view s) {
  std::string out;
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++n) {
    char32_t c = next_code_point(s, i);
    if (n == kMaxShownChars) {
      out += "…";
      break;
    }
    append_utf8(out, c == kBadCodePoint || is_control(c) ? char32_t{0xFFFD} : c);
  }
  return out;
}

std::string fold_case(std::string_view s, bool underscore_is_space) {
  std::string out;
  bool pending_space = false;
  for (std::size_t i = 0; i < s.size();) {
    char32_t c = to_lower(next_code_point(s, i));
    if (c == 0x0451) c = 0x0435;  // ё → е
    if (c == 0xFEFF) continue;    // a byte-order mark left in the first cell
    if (is_space(c) || c == '\t' || (underscore_is_space && c == '_')) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    append_utf8(out, c);
  }
  return out;
}

std::string header_key(std::string_view cell) {
  std::string out = fold_case(cell, /*underscore_is_space=*/true);
  while (!out.empty() && (out.back() == '.' || out.back() == ':' || out.back() == '*')) {
    out.pop_back();
    while (!out.empty() && out.back() == ' ') out.pop_back();
  }
  return out;
}

void Problems::add(const char* msgid, Args args) {
  if (errors_.size() < kMaxErrors) {
    errors_.push_back(Message{msgid, std::move(args)});
  } else {
    ++hidden_;
  }
}

void Problems::add_fatal(const char* msgid, Args args) {
  if (errors_.size() == kMaxErrors) {
    errors_.pop_back();
    ++hidden_;
  }
  errors_.push_back(Message{msgid, std::move(args)});
}

std::vector<Message> Problems::take() {
  if (hidden_ > 0) errors_.push_back(Message{kMsgMoreErrors, {{"count", std::to_string(hidden_)}}});
  hidden_ = 0;
  return std::move(errors_);
}

Text decode(std::string_view bytes, std::size_t max_bytes, Problems& problems) {
  Text out;
  if (bytes.size() > max_bytes) {
    problems.add(kMsgTooBig, {{"max_mb", std::to_string(max_bytes / (1024 * 1024))}});
    return out;
  }
  if (bytes.starts_with("\xFF\xFE") || bytes.starts_with("\xFE\xFF")) {
    problems.add(kMsgUtf16, {});
    return out;
  }
  std::string_view without_bom = bytes;
  if (without_bom.starts_with("\xEF\xBB\xBF")) without_bom.remove_prefix(3);
  if (text::is_valid_utf8(without_bom)) {
    out.encoding = "UTF-8";
    out.utf8 = without_bom;
    out.ok = true;
    return out;
  }
  out.encoding = "Windows-1251";
  std::size_t bad_offset = 0;
  std::optional<std::string> converted = cp1251_to_utf8(without_bom, bad_offset);
  if (!converted) {
    problems.add(kMsgBadEncoding,
                 {{"line", std::to_string(line_of_offset(without_bom, bad_offset))}});
    return out;
  }
  out.utf8 = std::move(*converted);
  out.ok = true;
  return out;
}

char detect_delimiter(std::string_view text) {
  std::size_t semicolons = 0, commas = 0;
  bool in_quotes = false, started = false;
  for (char c : text) {
    if (c == '"') {
      in_quotes = !in_quotes;
    } else if (in_quotes) {
      continue;
    } else if (c == '\r' || c == '\n') {
      if (started) break;  // blank lines before the header do not count
    } else if (c == ';') {
      ++semicolons;
    } else if (c == ',') {
      ++commas;
    }
    if (c != '\r' && c != '\n' && c != ' ' && c != '\t') started = true;
  }
  return commas > semicolons ? ',' : ';';
}

bool read_records(std::string_view text, char delimiter, Problems& problems,
                  const std::function<bool(const Record&)>& take) {
  CsvTokenizer tokenizer(delimiter);
  auto deliver = [&]() {
    for (const Record& record : tokenizer.take_records()) {
      if (!take(record)) return false;
    }
    return true;
  };
  int line_no = 1;
  for (std::size_t start = 0; start < text.size(); ++line_no) {
    std::size_t end = line_end(text, start);
    bool parsed = tokenizer.feed(text.substr(start, end - start), line_no);
    // Records completed before a misplaced quote are still checked: the admin gets every problem.
    if (!deliver()) return false;
    if (!parsed) {
      problems.add_fatal(kMsgStrayQuote, {{"line", std::to_string(line_no)}});
      return false;
    }
    start = end;
  }
  bool closed = tokenizer.finish();
  if (!deliver()) return false;
  if (!closed) {
    problems.add_fatal(kMsgUnclosedQuote,
                       {{"line", std::to_string(tokenizer.record_start_line())}});
    return false;
  }
  return true;
}

bool is_blank(const Record& record) {
  if (record.field_count > record.fields.size()) return false;
  for (const auto& field : record.fields) {
    if (!squeeze_spaces(field).empty()) return false;
  }
  return true;
}

}  // namespace parta::domain::csv
