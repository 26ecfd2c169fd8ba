#include "domain/schedule_csv.hpp"

#include <array>
#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include "content/utf8.hpp"
#include "domain/csv_reader.hpp"
#include "domain/school.hpp"
#include "domain/validate.hpp"

namespace parta::domain {

namespace {

constexpr char kMsgNoLessons[] = "There are no lessons in the file";
constexpr char kMsgTooManyRows[] = "The file has more than {max} lessons; split it into weeks";
constexpr char kMsgMissing[] =
    "Line {line}: required columns are missing from the header: {columns}";
constexpr char kMsgFieldCount[] =
    "Line {line}: expected {expected} values as in the header, found {found}";
constexpr char kMsgEmpty[] = "Line {line}: column \"{column}\" is empty";
constexpr char kMsgBadClass[] =
    "Line {line}: class \"{value}\" is not like 5А or 11Б (a number from 1 to 11 and a letter)";
constexpr char kMsgBadDate[] = "Line {line}: \"{value}\" is not a date like 23.11.2026";
constexpr char kMsgBadNumber[] = "Line {line}: lesson number \"{value}\" is not 0 to 12";
constexpr char kMsgBadTime[] = "Line {line}: \"{value}\" is not a time like 08:30";
constexpr char kMsgEndsFirst[] = "Line {line}: the lesson ends before it starts";
constexpr char kMsgBadMode[] =
    "Line {line}: format \"{value}\" is not one of: в школе, онлайн, по материалам";
constexpr char kMsgNoLink[] =
    "Line {line}: an online lesson needs a link that starts with http:// or https://";
constexpr char kMsgTooLong[] = "Line {line}: column \"{column}\" is longer than {max} characters";
constexpr char kMsgControl[] =
    "Line {line}: column \"{column}\" contains an invisible control character";
constexpr char kMsgUnknownClass[] = "Line {line}: there is no class {value} in the school";
constexpr char kMsgUnknownSubject[] = "Line {line}: there is no subject \"{value}\" in the school";
constexpr char kMsgUnknownTeacher[] = "Line {line}: no teacher is called \"{value}\"";
constexpr char kMsgAmbiguousTeacher[] =
    "Line {line}: several teachers are called \"{value}\"; write the login instead";
constexpr char kMsgClassBusy[] = "Line {line}: this class already has lesson {number} that day";
constexpr char kMsgTeacherBusy[] =
    "Line {line}: the teacher already has a lesson in {class} at {from}–{to} that day";
constexpr char kMsgDoesNotFit[] = "Line {line}: the lesson does not fit the timetable";

enum Column : std::size_t {
  kClass,
  kDay,
  kNumber,
  kStarts,
  kEnds,
  kSubject,
  kTeacher,
  kMode,
  kLink,
  kColumns
};

struct Alias {
  std::string_view key;
  Column column;
};
constexpr Alias kAliases[] = {
    {"класс", kClass},     {"class", kClass},     {"дата", kDay},
    {"день", kDay},        {"date", kDay},        {"day", kDay},
    {"урок", kNumber},     {"№", kNumber},        {"номер урока", kNumber},
    {"№ урока", kNumber},  {"lesson", kNumber},   {"number", kNumber},
    {"начало", kStarts},   {"с", kStarts},        {"starts", kStarts},
    {"start", kStarts},    {"from", kStarts},     {"конец", kEnds},
    {"окончание", kEnds},  {"до", kEnds},         {"ends", kEnds},
    {"end", kEnds},        {"to", kEnds},         {"предмет", kSubject},
    {"subject", kSubject}, {"учитель", kTeacher}, {"преподаватель", kTeacher},
    {"teacher", kTeacher}, {"формат", kMode},     {"форма", kMode},
    {"mode", kMode},       {"format", kMode},     {"ссылка", kLink},
    {"link", kLink},
};
constexpr const char* kRuNames[kColumns] = {"Класс",   "Дата",    "Урок",   "Начало", "Конец",
                                            "Предмет", "Учитель", "Формат", "Ссылка"};

std::optional<std::string> parse_date(const std::string& v) {
  int y = 0, m = 0, d = 0;
  char tail = 0;
  char buf[16];
  if (std::sscanf(v.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 ||
      std::sscanf(v.c_str(), "%2d.%2d.%4d%c", &d, &m, &y, &tail) == 3) {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y % 10000, m % 100, d % 100);
    if (valid_day(buf)) return std::string(buf);
  }
  return std::nullopt;
}

std::optional<std::string> parse_time(const std::string& v) {
  int h = 0, m = 0;
  char tail = 0;
  if (v.size() > 5 || std::sscanf(v.c_str(), "%2d:%2d%c", &h, &m, &tail) != 2) return std::nullopt;
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", h % 100, m % 100);
  if (!valid_time(buf)) return std::nullopt;
  return std::string(buf);
}

std::optional<std::string> parse_mode(const std::string& v) {
  std::string k = csv::fold_case(v);
  for (std::string_view s : {"", "в школе", "школа", "очно", "school"})
    if (k == s) return "school";
  for (std::string_view s : {"онлайн", "online", "дистанционно", "онлайн-урок"})
    if (k == s) return "online";
  for (std::string_view s : {"по материалам", "материалы", "самостоятельно", "materials"})
    if (k == s) return "materials";
  return std::nullopt;
}

class Builder {
 public:
  explicit Builder(csv::Problems& p) : problems_(p) { column_.fill(kAbsent); }

  bool add(const csv::Record& r) {
    if (csv::is_blank(r)) return true;
    if (!have_header_) return header(r);
    if (rows_.size() >= kMaxScheduleRows) {
      problems_.add_fatal(kMsgTooManyRows, {{"max", std::to_string(kMaxScheduleRows)}});
      return false;
    }
    row(r);
    return true;
  }
  void finish() {
    if (rows_.empty() && problems_.count() == 0) problems_.add(kMsgNoLessons, {});
  }
  std::vector<ScheduleRow> take() { return std::move(rows_); }

 private:
  static constexpr std::size_t kAbsent = static_cast<std::size_t>(-1);

  bool header(const csv::Record& r) {
    have_header_ = true;
    columns_ = r.field_count;
    for (std::size_t i = 0; i < r.fields.size(); ++i) {
      std::string key = csv::header_key(r.fields[i]);
      for (const auto& a : kAliases)
        if (a.key == key && column_[a.column] == kAbsent) column_[a.column] = i;
    }
    std::string missing;
    for (Column c : {kClass, kDay, kNumber, kStarts, kEnds, kSubject})
      if (column_[c] == kAbsent)
        missing += (missing.empty() ? "«" : ", «") + std::string(kRuNames[c]) + "»";
    if (!missing.empty()) {
      problems_.add(kMsgMissing, {{"line", std::to_string(r.line)}, {"columns", missing}});
      return false;
    }
    return true;
  }

  std::string cell(const csv::Record& r, Column c) const {
    std::size_t i = column_[c];
    return i == kAbsent || i >= r.fields.size() ? "" : csv::squeeze_spaces(r.fields[i]);
  }

  void row(const csv::Record& r) {
    std::string line = std::to_string(r.line);
    auto bad = [&](const char* id, csv::Args args) {
      args.insert(args.begin(), {"line", line});
      problems_.add(id, std::move(args));
    };
    if (r.field_count != columns_) {
      bad(kMsgFieldCount,
          {{"expected", std::to_string(columns_)}, {"found", std::to_string(r.field_count)}});
      return;
    }
    ScheduleRow out;
    out.line = r.line;
    std::array<std::string, kColumns> v;
    for (std::size_t c = 0; c < kColumns; ++c) {
      v[c] = cell(r, static_cast<Column>(c));
      for (std::size_t i = 0; i < v[c].size();)
        if (csv::is_control(text::next_code_point(v[c], i))) {
          bad(kMsgControl, {{"column", kRuNames[c]}});
          return;
        }
      std::size_t max = c == kLink ? 500 : 100;
      if (text::char_count(v[c]) > max) {
        bad(kMsgTooLong, {{"column", kRuNames[c]}, {"max", std::to_string(max)}});
        return;
      }
    }
    for (Column c : {kClass, kDay, kNumber, kStarts, kEnds, kSubject})
      if (v[c].empty()) {
        bad(kMsgEmpty, {{"column", kRuNames[c]}});
        return;
      }
    auto k = normalize_class_name(v[kClass]);
    if (!k) return bad(kMsgBadClass, {{"value", csv::shown(v[kClass])}});
    out.class_name = *k;
    auto day = parse_date(v[kDay]);
    if (!day) return bad(kMsgBadDate, {{"value", csv::shown(v[kDay])}});
    out.day = *day;
    const std::string& n = v[kNumber];
    if (n.size() > 2 || n.find_first_not_of("0123456789") != std::string::npos || std::stoi(n) > 12)
      return bad(kMsgBadNumber, {{"value", csv::shown(n)}});
    out.number = std::stoi(n);
    auto starts = parse_time(v[kStarts]), ends = parse_time(v[kEnds]);
    if (!starts) return bad(kMsgBadTime, {{"value", csv::shown(v[kStarts])}});
    if (!ends) return bad(kMsgBadTime, {{"value", csv::shown(v[kEnds])}});
    if (*ends <= *starts) return bad(kMsgEndsFirst, {});
    out.starts = *starts;
    out.ends = *ends;
    out.subject = v[kSubject];
    out.teacher = v[kTeacher];
    auto mode = parse_mode(v[kMode]);
    if (!mode) return bad(kMsgBadMode, {{"value", csv::shown(v[kMode])}});
    out.mode = *mode;
    out.link = v[kLink];
    if (out.mode == "online" && out.link.rfind("https://", 0) != 0 &&
        out.link.rfind("http://", 0) != 0)
      return bad(kMsgNoLink, {});
    rows_.push_back(std::move(out));
  }

  csv::Problems& problems_;
  bool have_header_ = false;
  std::size_t columns_ = 0;
  std::array<std::size_t, kColumns> column_{};
  std::vector<ScheduleRow> rows_;
};

// "Смирнова О. В.", "Смирнова Ольга Викторовна", "smirnova" → the teacher's id.
struct TeacherIndex {
  std::map<std::string, std::set<std::int64_t>> by_key;
  explicit TeacherIndex(storage::Connection& c) {
    for (const auto& t : list_users(c, Role::teacher)) {
      for (const auto& k :
           {t.login, t.full_name(), t.short_name(), t.last_name + " " + t.first_name})
        by_key[csv::fold_case(k)].insert(t.id);
      // "Смирнова О.В." without the space.
      std::string s = t.short_name();
      std::string packed;
      for (std::size_t i = 0; i < s.size(); ++i)
        if (!(s[i] == ' ' && i > 0 && s[i - 1] == '.')) packed += s[i];
      by_key[csv::fold_case(packed)].insert(t.id);
    }
  }
};

}  // namespace

ScheduleParse parse_schedule_csv(std::string_view bytes) {
  ScheduleParse out;
  csv::Problems problems;
  csv::Text text = csv::decode(bytes, kMaxScheduleBytes, problems);
  if (text.ok) {
    Builder b(problems);
    if (csv::read_records(text.utf8, csv::detect_delimiter(text.utf8), problems,
                          [&](const csv::Record& r) { return b.add(r); }))
      b.finish();
    out.rows = b.take();
  }
  out.errors = problems.take();
  if (!out.errors.empty()) out.rows.clear();
  return out;
}

ScheduleImport import_schedule(storage::Connection& c, const std::vector<ScheduleRow>& rows) {
  ScheduleImport out;
  csv::Problems problems;
  std::map<std::string, std::int64_t> subjects;
  for (const auto& s : list_subjects(c)) subjects[csv::fold_case(s.name)] = s.id;
  TeacherIndex teachers(c);
  std::vector<NewLesson> lessons;
  for (const auto& r : rows) {
    std::string line = std::to_string(r.line);
    NewLesson l;
    auto k = find_class_by_name(c, r.class_name);
    if (!k) {
      problems.add(kMsgUnknownClass, {{"line", line}, {"value", r.class_name}});
      continue;
    }
    l.class_id = k->id;
    auto s = subjects.find(csv::fold_case(r.subject));
    if (s == subjects.end()) {
      problems.add(kMsgUnknownSubject, {{"line", line}, {"value", csv::shown(r.subject)}});
      continue;
    }
    l.subject_id = s->second;
    if (!r.teacher.empty()) {
      auto t = teachers.by_key.find(csv::fold_case(r.teacher));
      if (t == teachers.by_key.end()) {
        problems.add(kMsgUnknownTeacher, {{"line", line}, {"value", csv::shown(r.teacher)}});
        continue;
      }
      if (t->second.size() > 1) {
        problems.add(kMsgAmbiguousTeacher, {{"line", line}, {"value", csv::shown(r.teacher)}});
        continue;
      }
      l.teacher_id = *t->second.begin();
    }
    l.day = r.day;
    l.number = r.number;
    l.starts = r.starts;
    l.ends = r.ends;
    l.mode = r.mode;
    l.link = r.link;
    lessons.push_back(l);
  }
  if (problems.count() == 0) {
    storage::Transaction tx(c);
    std::set<std::pair<std::int64_t, std::string>> days;
    for (const auto& l : lessons) days.emplace(l.class_id, l.day);
    for (const auto& [k, d] : days)
      c.run("DELETE FROM lessons WHERE class_id = ?1 AND day = ?2", k, d);
    // Checked one by one against what is already in: clashes inside the file are found too.
    for (std::size_t i = 0; i < lessons.size(); ++i) {
      if (auto err = check_lesson(c, lessons[i])) {
        // The same problem as on the form, said with the line it is on.
        csv::Args args{{"line", std::to_string(rows[i].line)}};
        args.insert(args.end(), err->args.begin(), err->args.end());
        const char* id = kMsgDoesNotFit;
        if (err->msgid == kLessonClassBusy) id = kMsgClassBusy;
        if (err->msgid == kLessonTeacherBusy) id = kMsgTeacherBusy;
        problems.add(id, std::move(args));
        continue;
      }
      add_lesson(c, lessons[i]);
    }
    if (problems.count() == 0) {
      tx.commit();
      out.lessons = static_cast<int>(lessons.size());
      out.days = static_cast<int>(days.size());
    }
  }
  out.errors = problems.take();
  return out;
}

}  // namespace parta::domain
