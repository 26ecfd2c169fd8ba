#include "domain/roster_csv.hpp"

#include "content/utf8.hpp"
#include "domain/validate.hpp"

#include <csv.h>
#include <iconv.h>

#include <array>
#include <cerrno>
#include <exception>
#include <map>
#include <new>
#include <optional>
#include <stdexcept>

namespace parta::domain {
namespace {

// The msgids, one place: server/i18n/roster.ru.po must translate each of them.
constexpr char kMsgTooBig[] = "The file is larger than {max_mb} MB";
constexpr char kMsgUtf16[] =
    "The file is saved as UTF-16 (\"Unicode text\"); save it as \"CSV UTF-8\" instead";
constexpr char kMsgBadEncoding[] =
    "Line {line}: the text is neither UTF-8 nor Windows-1251; save the file as \"CSV UTF-8\"";
constexpr char kMsgNoStudents[] = "There are no students in the file";
constexpr char kMsgTooManyRows[] =
    "The file has more than {max} students; split it into several files";
constexpr char kMsgUnclosedQuote[] =
    "Line {line}: a quoted value is never closed (a \" is missing)";
constexpr char kMsgStrayQuote[] = "Line {line}: a quote mark (\") is in the wrong place";
constexpr char kMsgTooManyColumns[] =
    "Line {line}: the header has {found} columns, at most {max} are allowed";
constexpr char kMsgMissingColumns[] =
    "Line {line}: required columns are missing from the header: {columns}";
constexpr char kMsgDuplicateColumn[] =
    "Line {line}: columns \"{column}\" and \"{other}\" mean the same thing; keep only one of them";
constexpr char kMsgFieldCount[] =
    "Line {line}: expected {expected} values as in the header, found {found}";
constexpr char kMsgEmpty[] = "Line {line}: column \"{column}\" is empty";
constexpr char kMsgControl[] =
    "Line {line}: column \"{column}\" contains an invisible control character";
constexpr char kMsgTooLong[] = "Line {line}: column \"{column}\" is longer than {max} characters";
constexpr char kMsgBadClass[] =
    "Line {line}: class \"{value}\" is not like 5А or 11Б (a number from 1 to 11 and a letter)";
constexpr char kMsgBadName[] =
    "Line {line}: \"{value}\" in column \"{column}\" may contain only letters, hyphens, spaces and "
    "apostrophes";
constexpr char kMsgBadFullName[] =
    "Line {line}: \"{value}\" in column \"{column}\" must be a last name, a first name and an "
    "optional middle name";
constexpr char kMsgBadStudentNo[] =
    "Line {line}: student ID \"{value}\" may contain only letters, digits, \"-\" and \"/\"";
constexpr char kMsgDuplicateStudentNo[] =
    "Line {line}: student ID \"{value}\" is already used on line {other_line}";
constexpr char kMsgBadLogin[] =
    "Line {line}: login \"{value}\" must be 3 to 32 characters: Latin letters, digits, \".\", "
    "\"_\" or \"-\"";
constexpr char kMsgDuplicateLogin[] =
    "Line {line}: login \"{value}\" is already used on line {other_line}";
constexpr char kMsgBadPaper[] =
    "Line {line}: \"{value}\" in column \"{column}\" is not yes or no (write да or нет, or leave "
    "it empty)";
constexpr char kMsgBadPhone[] =
    "Line {line}: \"{value}\" in column \"{column}\" is not a phone number (digits, spaces and "
    "+ - ( ), 5 to 15 digits)";
constexpr char kMsgMoreErrors[] = "…and {count} more problems";

constexpr std::size_t kMaxErrors = 50;
// Fields past this are counted but not stored: a line of 4 MB of ";" must not become millions
// of strings.
constexpr std::size_t kMaxColumns = 200;
constexpr std::size_t kMaxNameChars = 60;
constexpr std::size_t kMaxParentNameChars = 120;  // a full name: three names and spaces
constexpr std::size_t kMaxStudentNoChars = 32;
constexpr std::size_t kMinPhoneDigits = 5;
constexpr std::size_t kMaxPhoneDigits = 15;  // E.164
constexpr std::size_t kMaxShownChars = 40;   // of a value quoted back in a message

using Args = std::vector<std::pair<std::string, std::string>>;

// --- UTF-8 -------------------------------------------------------------------------------------

using text::append_utf8;
using text::char_count;
using text::kBadCodePoint;
using text::next_code_point;
using text::to_code_points;

bool is_cyrillic(char32_t c) { return c >= 0x0400 && c <= 0x052F; }

bool is_space(char32_t c) { return c == ' ' || c == 0x00A0; }  // Excel writes no-break spaces

// Invisible characters that would make two equal-looking names or IDs differ.
bool is_control(char32_t c) {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) || (c >= 0x200B && c <= 0x200F) ||
         (c >= 0x2028 && c <= 0x202E) || (c >= 0x2060 && c <= 0x2064) || c == 0xFEFF;
}

char32_t to_lower(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 0x20;
  if (c >= 0x0410 && c <= 0x042F) return c + 0x20;
  if (c >= 0x0400 && c <= 0x040F) return c + 0x50;
  return c;
}

// Trims spaces (including no-break ones) and collapses inner runs into one ' '.
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

// A value as quoted back to the user: short, and without characters that would garble the page.
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

// The header's delimiter: whichever of ';' and ',' it has more of outside quotes.
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

// --- Tokenising with libcsv --------------------------------------------------------------------

struct CsvRecord {
  int line = 0;                     // physical line the record starts on
  std::vector<std::string> fields;  // the first kMaxColumns of them
  std::size_t field_count = 0;      // all of them
};

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
  std::vector<CsvRecord> take_records() { return std::exchange(done_, {}); }
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
  CsvRecord open_;
  std::vector<CsvRecord> done_;
  std::exception_ptr failure_;
};

// --- Header ------------------------------------------------------------------------------------

enum Column : std::size_t {
  kClass,
  kLastName,
  kFirstName,
  kMiddleName,
  kFullName,
  kStudentNo,
  kLogin,
  kPaper,
  kParentName,
  kParentPhone,
  kColumnCount
};

struct HeaderAlias {
  std::string_view key;  // as header_key() leaves it: lowercase, ё → е, '_' → ' '
  Column column;
};

constexpr HeaderAlias kHeaderAliases[] = {
    {"класс", kClass},
    {"class", kClass},
    {"фамилия", kLastName},
    {"фамилия ученика", kLastName},
    {"last name", kLastName},
    {"surname", kLastName},
    {"family name", kLastName},
    {"имя", kFirstName},
    {"имя ученика", kFirstName},
    {"first name", kFirstName},
    {"given name", kFirstName},
    {"отчество", kMiddleName},
    {"отчество ученика", kMiddleName},
    {"middle name", kMiddleName},
    {"patronymic", kMiddleName},
    {"фио", kFullName},
    {"фио ученика", kFullName},
    {"full name", kFullName},
    {"name", kFullName},
    {"student name", kFullName},
    {"номер ученика", kStudentNo},
    {"id ученика", kStudentNo},
    {"личный номер", kStudentNo},
    {"уникальный номер", kStudentNo},
    {"student id", kStudentNo},
    {"student no", kStudentNo},
    {"student number", kStudentNo},
    {"логин", kLogin},
    {"login", kLogin},
    {"бумага", kPaper},
    {"без устройства", kPaper},
    {"бумажный", kPaper},
    {"paper", kPaper},
    {"родитель", kParentName},
    {"фио родителя", kParentName},
    {"parent", kParentName},
    {"parent name", kParentName},
    {"телефон родителя", kParentPhone},
    {"телефон", kParentPhone},
    {"parent phone", kParentPhone},
    {"phone", kParentPhone},
};

// Lowercase, ё → е, spaces trimmed and collapsed: how people's spellings of one word differ.
std::string fold_case(std::string_view s, bool underscore_is_space = false) {
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

// Also folds "last_name" into "last name" and drops a trailing '.', ':' or '*' ("Класс*").
std::string header_key(std::string_view cell) {
  std::string out = fold_case(cell, /*underscore_is_space=*/true);
  while (!out.empty() && (out.back() == '.' || out.back() == ':' || out.back() == '*')) {
    out.pop_back();
    while (!out.empty() && out.back() == ' ') out.pop_back();
  }
  return out;
}

std::optional<Column> column_of(std::string_view cell) {
  std::string key = header_key(cell);
  for (const auto& alias : kHeaderAliases) {
    if (alias.key == key) return alias.column;
  }
  return std::nullopt;
}

// --- Value checks ------------------------------------------------------------------------------

std::string ascii_lower(std::string_view value) {
  std::string out(value);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// да/нет and friends, including what Excel writes for a Boolean cell (ИСТИНА/ЛОЖЬ, TRUE/FALSE).
std::optional<bool> parse_paper(std::string_view value) {
  std::string key = fold_case(value);
  for (std::string_view yes : {"да", "yes", "1", "+", "истина", "true"}) {
    if (key == yes) return true;
  }
  for (std::string_view no : {"", "нет", "no", "0", "-", "ложь", "false"}) {
    if (key == no) return false;
  }
  return std::nullopt;
}

// "+7 (912) 345-67-89" → "+79123456789"; nullopt when it is not a phone number.
std::optional<std::string> normalise_phone(std::string_view value) {
  std::string out;
  std::size_t digits = 0;
  for (std::size_t i = 0; i < value.size();) {
    char32_t c = next_code_point(value, i);
    if (c >= '0' && c <= '9') {
      out += static_cast<char>(c);
      ++digits;
    } else if (c == '+' && out.empty()) {
      out += '+';
    } else if (!(is_space(c) || c == '-' || c == '(' || c == ')')) {
      return std::nullopt;
    }
  }
  if (digits < kMinPhoneDigits || digits > kMaxPhoneDigits) return std::nullopt;
  return out;
}

// --- Errors ------------------------------------------------------------------------------------

class Problems {
 public:
  void add(const char* msgid, Args args) {
    if (errors_.size() < kMaxErrors) {
      errors_.push_back(Message{msgid, std::move(args)});
    } else {
      ++hidden_;
    }
  }
  // For a problem that stopped the reading: it must be seen even past the cap, so it takes the
  // place of the last shown one.
  void add_fatal(const char* msgid, Args args) {
    if (errors_.size() == kMaxErrors) {
      errors_.pop_back();
      ++hidden_;
    }
    errors_.push_back(Message{msgid, std::move(args)});
  }
  std::size_t count() const { return errors_.size() + hidden_; }
  std::vector<Message> take() {
    if (hidden_ > 0)
      errors_.push_back(Message{kMsgMoreErrors, {{"count", std::to_string(hidden_)}}});
    return std::move(errors_);
  }

 private:
  std::vector<Message> errors_;
  std::size_t hidden_ = 0;
};

// --- Rows --------------------------------------------------------------------------------------

class RosterBuilder {
 public:
  explicit RosterBuilder(Problems& problems) : problems_(problems) { column_.fill(kAbsent); }

  // Takes one record; false once nothing more should be read.
  bool add(const CsvRecord& record) {
    if (is_blank(record)) return true;
    if (!have_header_) return read_header(record);
    if (++row_count_ > kMaxRosterRows) {
      problems_.add_fatal(kMsgTooManyRows, {{"max", std::to_string(kMaxRosterRows)}});
      return false;
    }
    read_row(record);
    return true;
  }

  // Called when the input ended normally.
  void finish() {
    if (!have_header_ || row_count_ == 0) problems_.add(kMsgNoStudents, {});
  }

  std::vector<RosterRow> take_rows() { return std::move(rows_); }

 private:
  static constexpr std::size_t kAbsent = static_cast<std::size_t>(-1);

  static bool is_blank(const CsvRecord& record) {
    if (record.field_count > record.fields.size()) return false;
    for (const auto& field : record.fields) {
      if (!squeeze_spaces(field).empty()) return false;
    }
    return true;
  }

  bool has(Column c) const { return column_[c] != kAbsent; }

  bool read_header(const CsvRecord& record) {
    have_header_ = true;
    if (record.field_count > kMaxColumns) {
      problems_.add(kMsgTooManyColumns, {{"line", std::to_string(record.line)},
                                         {"found", std::to_string(record.field_count)},
                                         {"max", std::to_string(kMaxColumns)}});
      return false;
    }
    column_count_ = record.field_count;
    bool russian = false;
    bool duplicates = false;
    for (std::size_t i = 0; i < record.fields.size(); ++i) {
      const std::string& cell = record.fields[i];
      header_.push_back(squeeze_spaces(cell));
      for (char32_t c : to_code_points(cell)) russian = russian || is_cyrillic(c);
      std::optional<Column> column = column_of(cell);
      if (!column) continue;  // schools add their own columns
      if (has(*column)) {
        problems_.add(kMsgDuplicateColumn, {{"line", std::to_string(record.line)},
                                            {"column", shown(header_[column_[*column]])},
                                            {"other", shown(header_[i])}});
        duplicates = true;
      } else {
        column_[*column] = i;
      }
    }
    // Separate name columns win over a full-name column when a file has both.
    use_full_name_ = has(kFullName) && !(has(kLastName) && has(kFirstName));

    std::vector<std::string> missing;
    auto name = [russian](const char* ru, const char* en) {
      return russian ? std::string("«") + ru + "»" : std::string("\"") + en + "\"";
    };
    if (!has(kClass)) missing.push_back(name("Класс", "class"));
    if (!use_full_name_) {
      std::string full_name_hint =
          russian ? " (или " + name("ФИО", "") + ")" : " (or " + name("", "full name") + ")";
      if (!has(kLastName) && !has(kFirstName)) {
        missing.push_back(name("Фамилия", "last name"));
        missing.push_back(name("Имя", "first name") + full_name_hint);
      } else if (!has(kLastName)) {
        missing.push_back(name("Фамилия", "last name"));
      } else if (!has(kFirstName)) {
        missing.push_back(name("Имя", "first name"));
      }
    }
    if (!has(kStudentNo)) missing.push_back(name("Номер ученика", "student ID"));
    if (!missing.empty()) {
      std::string list;
      for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
      problems_.add(kMsgMissingColumns, {{"line", std::to_string(record.line)}, {"columns", list}});
    }
    // Rows cannot be checked against a header that is wrong: fix the header first.
    return missing.empty() && !duplicates;
  }

  // The trimmed value of column c ("" when the file has no such column); nullopt after reporting
  // a control character in it.
  std::optional<std::string> cell(const CsvRecord& record, Column c) {
    if (!has(c)) return std::string();
    std::string value = squeeze_spaces(record.fields[column_[c]]);
    for (std::size_t i = 0; i < value.size();) {
      if (is_control(next_code_point(value, i))) {
        problems_.add(kMsgControl, {line_arg(record), column_arg(c)});
        return std::nullopt;
      }
    }
    return value;
  }

  Args::value_type line_arg(const CsvRecord& record) const {
    return {"line", std::to_string(record.line)};
  }
  Args::value_type column_arg(Column c) const { return {"column", shown(header_[column_[c]])}; }

  bool require(const CsvRecord& record, Column c, const std::optional<std::string>& value) {
    if (value && value->empty()) {
      problems_.add(kMsgEmpty, {line_arg(record), column_arg(c)});
      return false;
    }
    return value.has_value();
  }

  bool check_length(const CsvRecord& record, Column c, std::string_view value, std::size_t max) {
    if (char_count(value) <= max) return true;
    problems_.add(kMsgTooLong, {line_arg(record), column_arg(c), {"max", std::to_string(max)}});
    return false;
  }

  // A name part: letters etc. and not too long; errors name the column it came from.
  bool check_name(const CsvRecord& record, Column c, std::string_view value, std::size_t max) {
    if (!valid_person_name(value)) {
      problems_.add(kMsgBadName, {line_arg(record), {"value", shown(value)}, column_arg(c)});
      return false;
    }
    return check_length(record, c, value, max);
  }

  void read_row(const CsvRecord& record) {
    if (record.field_count != column_count_) {
      problems_.add(kMsgFieldCount, {line_arg(record),
                                     {"expected", std::to_string(column_count_)},
                                     {"found", std::to_string(record.field_count)}});
      return;
    }
    const std::size_t errors_before = problems_.count();
    RosterRow row;
    row.line = record.line;

    if (auto value = cell(record, kClass); require(record, kClass, value)) {
      if (auto normal = normalize_class_name(*value)) {
        row.class_name = *normal;
      } else {
        problems_.add(kMsgBadClass, {line_arg(record), {"value", shown(*value)}});
      }
    }

    if (use_full_name_) {
      read_full_name(record, row);
    } else {
      if (auto value = cell(record, kLastName); require(record, kLastName, value)) {
        if (check_name(record, kLastName, *value, kMaxNameChars)) row.last_name = *value;
      }
      if (auto value = cell(record, kFirstName); require(record, kFirstName, value)) {
        if (check_name(record, kFirstName, *value, kMaxNameChars)) row.first_name = *value;
      }
      if (auto value = cell(record, kMiddleName); value && !value->empty()) {
        if (check_name(record, kMiddleName, *value, kMaxNameChars)) row.middle_name = *value;
      }
    }

    if (auto value = cell(record, kStudentNo); require(record, kStudentNo, value)) {
      if (!check_length(record, kStudentNo, *value, kMaxStudentNoChars)) {
        // check_length said what is wrong
      } else if (!valid_student_no(*value)) {
        problems_.add(kMsgBadStudentNo, {line_arg(record), {"value", shown(*value)}});
      } else {
        auto [it, fresh] = student_no_lines_.emplace(*value, record.line);
        if (!fresh) {
          problems_.add(kMsgDuplicateStudentNo, {line_arg(record),
                                                 {"value", shown(*value)},
                                                 {"other_line", std::to_string(it->second)}});
        }
        row.student_no = *value;
      }
    }

    if (auto value = cell(record, kLogin); value && !value->empty()) {
      std::string login = ascii_lower(*value);
      if (!valid_login(login)) {
        problems_.add(kMsgBadLogin, {line_arg(record), {"value", shown(*value)}});
      } else {
        auto [it, fresh] = login_lines_.emplace(login, record.line);
        if (!fresh) {
          problems_.add(kMsgDuplicateLogin, {line_arg(record),
                                             {"value", shown(*value)},
                                             {"other_line", std::to_string(it->second)}});
        }
        row.login = login;
      }
    }

    if (auto value = cell(record, kPaper)) {
      if (auto paper = parse_paper(*value)) {
        row.paper = *paper;
      } else {
        problems_.add(kMsgBadPaper,
                      {line_arg(record), {"value", shown(*value)}, column_arg(kPaper)});
      }
    }

    if (auto value = cell(record, kParentName); value && !value->empty()) {
      if (check_name(record, kParentName, *value, kMaxParentNameChars)) row.parent_name = *value;
    }

    if (auto value = cell(record, kParentPhone); value && !value->empty()) {
      if (auto phone = normalise_phone(*value)) {
        row.parent_phone = *phone;
      } else {
        problems_.add(kMsgBadPhone,
                      {line_arg(record), {"value", shown(*value)}, column_arg(kParentPhone)});
      }
    }

    if (problems_.count() == errors_before) rows_.push_back(std::move(row));
  }

  void read_full_name(const CsvRecord& record, RosterRow& row) {
    auto value = cell(record, kFullName);
    if (!require(record, kFullName, value)) return;
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= value->size()) {
      std::size_t end = value->find(' ', start);  // squeeze_spaces left single ' ' only
      if (end == std::string::npos) end = value->size();
      parts.push_back(value->substr(start, end - start));
      start = end + 1;
    }
    if (parts.size() < 2 || parts.size() > 3) {
      problems_.add(kMsgBadFullName,
                    {line_arg(record), {"value", shown(*value)}, column_arg(kFullName)});
      return;
    }
    for (const auto& part : parts) {
      if (!check_name(record, kFullName, part, kMaxNameChars)) return;
    }
    row.last_name = parts[0];
    row.first_name = parts[1];
    if (parts.size() == 3) row.middle_name = parts[2];
  }

  Problems& problems_;
  bool have_header_ = false;
  std::vector<std::string> header_;  // as written, for messages
  std::size_t column_count_ = 0;
  std::array<std::size_t, kColumnCount> column_{};
  bool use_full_name_ = false;
  std::size_t row_count_ = 0;
  std::vector<RosterRow> rows_;
  std::map<std::string, int> student_no_lines_;
  std::map<std::string, int> login_lines_;
};

// Splits text into physical lines, each with its terminator ("\n", "\r\n" or a lone "\r").
std::size_t line_end(std::string_view text, std::size_t start) {
  std::size_t i = text.find_first_of("\r\n", start);
  if (i == std::string_view::npos) return text.size();
  if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
  return i + 1;
}

}  // namespace

RosterParse parse_roster_csv(std::string_view bytes) {
  RosterParse result;
  Problems problems;
  auto done = [&]() {
    result.errors = problems.take();
    if (!result.errors.empty()) result.rows.clear();  // all-or-nothing
    return std::move(result);
  };

  if (bytes.size() > kMaxRosterBytes) {
    problems.add(kMsgTooBig, {{"max_mb", std::to_string(kMaxRosterBytes / (1024 * 1024))}});
    return done();
  }
  if (bytes.starts_with("\xFF\xFE") || bytes.starts_with("\xFE\xFF")) {
    problems.add(kMsgUtf16, {});
    return done();
  }

  std::string text;
  std::string_view without_bom = bytes;
  if (without_bom.starts_with("\xEF\xBB\xBF")) without_bom.remove_prefix(3);
  if (text::is_valid_utf8(without_bom)) {
    result.encoding = "UTF-8";
    text = without_bom;
  } else {
    result.encoding = "Windows-1251";
    std::size_t bad_offset = 0;
    std::optional<std::string> converted = cp1251_to_utf8(without_bom, bad_offset);
    if (!converted) {
      problems.add(kMsgBadEncoding,
                   {{"line", std::to_string(line_of_offset(without_bom, bad_offset))}});
      return done();
    }
    text = std::move(*converted);
  }

  result.delimiter = detect_delimiter(text);
  CsvTokenizer tokenizer(result.delimiter);
  RosterBuilder builder(problems);
  auto deliver = [&]() {
    for (const CsvRecord& record : tokenizer.take_records()) {
      if (!builder.add(record)) return false;
    }
    return true;
  };

  int line_no = 1;
  for (std::size_t start = 0; start < text.size(); ++line_no) {
    std::size_t end = line_end(text, start);
    bool parsed = tokenizer.feed(std::string_view(text).substr(start, end - start), line_no);
    // Records completed before a misplaced quote are still checked: the admin gets every problem.
    if (!deliver()) return done();
    if (!parsed) {
      problems.add_fatal(kMsgStrayQuote, {{"line", std::to_string(line_no)}});
      return done();
    }
    start = end;
  }
  bool closed = tokenizer.finish();
  if (!deliver()) return done();
  if (!closed) {
    problems.add_fatal(kMsgUnclosedQuote,
                       {{"line", std::to_string(tokenizer.record_start_line())}});
    return done();
  }
  builder.finish();
  result.rows = builder.take_rows();
  return done();
}

}  // namespace parta::domain
