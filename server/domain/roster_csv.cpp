#include "domain/roster_csv.hpp"

#include "content/utf8.hpp"
#include "domain/csv_reader.hpp"
#include "domain/validate.hpp"

#include <sodium.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <exception>
#include <map>
#include <new>
#include <optional>
#include <stdexcept>

namespace parta::domain {
namespace {

// The msgids, one place: server/i18n/roster.ru.po must translate each of them.
constexpr char kMsgNoStudents[] = "There are no students in the file";
constexpr char kMsgTooManyRows[] =
    "The file has more than {max} students; split it into several files";
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
constexpr char kMsgBadDate[] =
    "Line {line}: \"{value}\" in column \"{column}\" is not a date like 05.03.2014";
constexpr char kMsgSamePerson[] =
    "Line {line}: the same student as on line {other_line} (same class, name and date of birth)";
constexpr char kMsgBadPhone[] =
    "Line {line}: \"{value}\" in column \"{column}\" is not a phone number (digits, spaces and "
    "+ - ( ), 5 to 15 digits)";

constexpr std::size_t kMaxNameChars = 60;
constexpr std::size_t kMaxParentNameChars = 120;  // a full name: three names and spaces
constexpr std::size_t kMaxStudentNoChars = 32;
constexpr std::size_t kMinPhoneDigits = 5;
constexpr std::size_t kMaxPhoneDigits = 15;  // E.164

using csv::Args;
using csv::fold_case;
using csv::header_key;
using csv::is_control;
using csv::is_cyrillic;
using csv::is_space;
using csv::kMaxColumns;
using csv::Problems;
using csv::shown;
using csv::squeeze_spaces;
using CsvRecord = csv::Record;

// --- UTF-8 -------------------------------------------------------------------------------------

using text::append_utf8;
using text::char_count;
using text::kBadCodePoint;
using text::next_code_point;
using text::to_code_points;

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
  kParent2Name,
  kParent2Phone,
  kBirthDate,
  kColumnCount
};

struct HeaderAlias {
  std::string_view key;  // as header_key() leaves it: lowercase, ё → е, '_' → ' '
  Column column;
};

// How schools, Excel sheets and the common Russian school systems (the district journal,
// Сетевой город, Дневник.ру, ЭлЖур) name the columns, as roster_key() folds them.
constexpr HeaderAlias kHeaderAliases[] = {
    {"класс", kClass},
    {"класс группа", kClass},
    {"наименование класса", kClass},
    {"название класса", kClass},
    {"class", kClass},
    {"фамилия", kLastName},
    {"фамилия ученика", kLastName},
    {"фамилия обучающегося", kLastName},
    {"фамилия учащегося", kLastName},
    {"фамилия ребенка", kLastName},
    {"last name", kLastName},
    {"surname", kLastName},
    {"family name", kLastName},
    {"имя", kFirstName},
    {"имя ученика", kFirstName},
    {"имя обучающегося", kFirstName},
    {"имя учащегося", kFirstName},
    {"имя ребенка", kFirstName},
    {"first name", kFirstName},
    {"given name", kFirstName},
    {"отчество", kMiddleName},
    {"отчество ученика", kMiddleName},
    {"отчество обучающегося", kMiddleName},
    {"отчество учащегося", kMiddleName},
    {"отчество ребенка", kMiddleName},
    {"отчество при наличии", kMiddleName},
    {"middle name", kMiddleName},
    {"patronymic", kMiddleName},
    {"фио", kFullName},
    {"ф и о", kFullName},
    {"фио ученика", kFullName},
    {"ф и о ученика", kFullName},
    {"фио обучающегося", kFullName},
    {"фио учащегося", kFullName},
    {"фио ребенка", kFullName},
    {"фамилия имя отчество", kFullName},
    {"ученик", kFullName},
    {"обучающийся", kFullName},
    {"учащийся", kFullName},
    {"full name", kFullName},
    {"name", kFullName},
    {"student name", kFullName},
    {"student", kFullName},
    {"номер ученика", kStudentNo},
    {"id ученика", kStudentNo},
    {"личный номер", kStudentNo},
    {"уникальный номер", kStudentNo},
    {"номер личного дела", kStudentNo},
    {"личное дело", kStudentNo},
    {"student id", kStudentNo},
    {"student no", kStudentNo},
    {"student number", kStudentNo},
    {"дата рождения", kBirthDate},
    {"дата рожд", kBirthDate},
    {"д р", kBirthDate},
    {"др", kBirthDate},
    {"birth date", kBirthDate},
    {"date of birth", kBirthDate},
    {"birthday", kBirthDate},
    {"логин", kLogin},
    {"login", kLogin},
    {"бумага", kPaper},
    {"без устройства", kPaper},
    {"бумажный", kPaper},
    {"paper", kPaper},
    {"родитель", kParentName},
    {"родитель фио", kParentName},
    {"фио родителя", kParentName},
    {"ф и о родителя", kParentName},
    {"законный представитель", kParentName},
    {"фио законного представителя", kParentName},
    {"мать", kParentName},
    {"фио матери", kParentName},
    {"mother", kParentName},
    {"parent", kParentName},
    {"parent name", kParentName},
    {"отец", kParent2Name},
    {"фио отца", kParent2Name},
    {"второй родитель", kParent2Name},
    {"father", kParent2Name},
    {"телефон родителя", kParentPhone},
    {"телефон", kParentPhone},
    {"тел", kParentPhone},
    {"контактный телефон", kParentPhone},
    {"мобильный телефон", kParentPhone},
    {"телефон законного представителя", kParentPhone},
    {"телефон матери", kParentPhone},
    {"parent phone", kParentPhone},
    {"phone", kParentPhone},
    {"телефон отца", kParent2Phone},
    {"телефон второго родителя", kParent2Phone},
};

// header_key() (lower case, ё → е, spaces folded), with punctuation read as spaces and № as
// "номер": «Родитель (ФИО)», «Ф.И.О.» and «№ личного дела» are spellings, not other columns.
std::string roster_key(std::string_view cell) {
  std::string folded = header_key(cell), out;
  for (std::size_t i = 0; i < folded.size();) {
    char32_t c = next_code_point(folded, i);
    bool letter = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || is_cyrillic(c);
    if (c == 0x2116) {  // №
      out += " номер ";
    } else if (letter) {
      append_utf8(out, c);
    } else {
      out += ' ';
    }
  }
  return squeeze_spaces(out);
}

std::optional<Column> column_of(std::string_view cell) {
  std::string key = roster_key(cell);
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

// --- Rows --------------------------------------------------------------------------------------

class RosterBuilder {
 public:
  explicit RosterBuilder(Problems& problems) : problems_(problems) { column_.fill(kAbsent); }

  // Takes one record; false once nothing more should be read.
  bool add(const CsvRecord& record) {
    if (csv::is_blank(record)) return true;
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
  std::vector<std::string> take_unused() { return std::move(unused_); }

 private:
  static constexpr std::size_t kAbsent = static_cast<std::size_t>(-1);

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
      if (!column) {
        // Schools add columns of their own: named in the result, never silently dropped.
        if (!header_.back().empty()) unused_.push_back(header_.back());
        continue;
      }
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

    if (auto value = cell(record, kBirthDate); value && !value->empty()) {
      if (auto date = parse_birth_date(*value)) {
        row.birth_date = *date;
      } else {
        problems_.add(kMsgBadDate,
                      {line_arg(record), {"value", shown(*value)}, column_arg(kBirthDate)});
      }
    }

    if (auto value = cell(record, kStudentNo); value && !value->empty()) {
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
    } else if (problems_.count() == errors_before) {
      // No ID in the file (or not for this student): one made from who the student is, the
      // same every time this file (or next year's, with the date of birth) is imported.
      row.student_no = generated_student_no(row.class_name, row.last_name, row.first_name,
                                            row.middle_name, row.birth_date);
      row.student_no_generated = true;
      auto [it, fresh] = generated_lines_.emplace(row.student_no, record.line);
      if (!fresh)
        problems_.add(kMsgSamePerson,
                      {line_arg(record), {"other_line", std::to_string(it->second)}});
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

    read_parent(record, kParentName, kParentPhone, &row.parent_name, &row.parent_phone);
    read_parent(record, kParent2Name, kParent2Phone, &row.parent2_name, &row.parent2_phone);

    if (problems_.count() == errors_before) rows_.push_back(std::move(row));
  }

  void read_parent(const CsvRecord& record, Column name_column, Column phone_column,
                   std::string* name, std::string* phone) {
    if (auto value = cell(record, name_column); value && !value->empty()) {
      if (check_name(record, name_column, *value, kMaxParentNameChars)) *name = *value;
    }
    if (auto value = cell(record, phone_column); value && !value->empty()) {
      if (auto normal = normalise_phone(*value)) {
        *phone = *normal;
      } else {
        problems_.add(kMsgBadPhone,
                      {line_arg(record), {"value", shown(*value)}, column_arg(phone_column)});
      }
    }
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
    // Turkic patronymics are two words ("Рашид оглы", "Ахмед кызы"): one middle name.
    if (parts.size() == 4 && turkic_patronymic_ending(parts[3])) {
      parts[2] += " " + parts[3];
      parts.pop_back();
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
  std::map<std::string, int> generated_lines_;
  std::vector<std::string> unused_;
  std::map<std::string, int> login_lines_;
};

// Splits text into physical lines, each with its terminator ("\n", "\r\n" or a lone "\r").
}  // namespace

std::string generated_student_no(std::string_view class_name, std::string_view last,
                                 std::string_view first, std::string_view middle,
                                 std::string_view birth_date) {
  std::string key = fold_case(class_name) + "|" + fold_case(last) + "|" + fold_case(first) + "|" +
                    fold_case(middle) + "|" + std::string(birth_date);
  unsigned char h[crypto_generichash_BYTES_MIN];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                     nullptr, 0);
  // Crockford's base32 (no I, L, O, U): read off a card without mistakes; 40 bits.
  static constexpr char kDigits[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::string out = "G-";
  std::uint64_t bits = 0;
  for (int i = 0; i < 5; ++i) bits = (bits << 8) | h[i];
  for (int i = 7; i >= 0; --i) out += kDigits[(bits >> (5 * i)) & 31];
  return out;
}

std::optional<std::string> parse_birth_date(std::string_view raw) {
  std::string v = squeeze_spaces(raw);
  int d = 0, m = 0, y = 0;
  char sep1 = 0, sep2 = 0;
  int n1 = 0, n2 = 0, n3 = 0;  // digits in each part
  std::size_t i = 0;
  auto number = [&](int* out, int* digits) {
    while (i < v.size() && v[i] >= '0' && v[i] <= '9' && *digits < 5) {
      *out = *out * 10 + (v[i] - '0');
      ++*digits;
      ++i;
    }
  };
  int a = 0, b = 0, c = 0;
  number(&a, &n1);
  if (i < v.size()) sep1 = v[i++];
  number(&b, &n2);
  if (i < v.size()) sep2 = v[i++];
  number(&c, &n3);
  // Excel may add a time to a date cell ("05.03.2014 0:00:00"): the date part is what counts.
  if (i < v.size() && v[i] != ' ') return std::nullopt;
  if (sep1 != sep2 || !(sep1 == '.' || sep1 == '-' || sep1 == '/')) return std::nullopt;
  if (n1 == 4 && sep1 == '-' && n2 >= 1 && n2 <= 2 && n3 >= 1 && n3 <= 2) {
    y = a, m = b, d = c;  // 2014-03-05
  } else if (n1 >= 1 && n1 <= 2 && n2 >= 1 && n2 <= 2 && (n3 == 4 || n3 == 2) && sep1 != '-') {
    d = a, m = b, y = c;  // 05.03.2014, 5/3/2014, 05.03.14
    if (n3 == 2) y += y < 50 ? 2000 : 1900;
  } else {
    return std::nullopt;
  }
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (y < 1900 || y > 2100 || m < 1 || m > 12 || d < 1 || d > kDays[m - 1] ||
      (m == 2 && d == 29 && !leap))
    return std::nullopt;
  char buf[32];  // room for any int, so the compiler need not prove the checks above
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  return std::string(buf);
}

bool turkic_patronymic_ending(std::string_view word) {
  std::string w = fold_case(word);
  return w == "оглы" || w == "кызы" || w == "улы" || w == "гызы" || w == "уулу";
}

RosterParse parse_roster_csv(std::string_view bytes) {
  RosterParse result;
  Problems problems;
  auto done = [&]() {
    result.errors = problems.take();
    if (!result.errors.empty()) result.rows.clear();  // all-or-nothing
    return std::move(result);
  };
  csv::Text text = csv::decode(bytes, kMaxRosterBytes, problems);
  result.encoding = text.encoding;
  if (!text.ok) return done();
  result.delimiter = csv::detect_delimiter(text.utf8);
  RosterBuilder builder(problems);
  if (!csv::read_records(text.utf8, result.delimiter, problems,
                         [&](const CsvRecord& r) { return builder.add(r); }))
    return done();
  builder.finish();
  result.rows = builder.take_rows();
  result.unused_columns = builder.take_unused();
  for (const auto& r : result.rows)
    result.ids_generated = result.ids_generated || r.student_no_generated;
  return done();
}

}  // namespace parta::domain
