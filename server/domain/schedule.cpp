#include "domain/schedule.hpp"

#include <cstdio>
#include <ctime>

#include "domain/days.hpp"

namespace parta::domain {

namespace {

constexpr const char* kSelect =
    "SELECT l.id, l.class_id, l.subject_id, l.teacher_id, c.name, l.day, l.starts, l.ends, s.name, "
    "COALESCE(u.last_name || ' ' || u.first_name || ' ' || u.middle_name, ''), l.mode, l.link, "
    "l.number FROM lessons l JOIN classes c ON c.id = l.class_id "
    "JOIN subjects s ON s.id = l.subject_id LEFT JOIN users u ON u.id = l.teacher_id ";

Lesson from(const storage::Query& q) {
  Lesson l;
  l.id = q.integer(0);
  l.class_id = q.integer(1);
  l.subject_id = q.integer(2);
  l.teacher_id = q.opt_integer(3);
  l.class_name = q.text(4);
  l.day = q.text(5);
  l.starts = q.text(6);
  l.ends = q.text(7);
  l.subject = q.text(8);
  l.teacher = q.text(9);
  l.mode = q.text(10);
  l.link = q.text(11);
  l.number = static_cast<int>(q.integer(12));
  return l;
}

Message msg(const char* id, std::vector<std::pair<std::string, std::string>> args = {}) {
  return Message{id, std::move(args)};
}

}  // namespace

bool valid_day(const std::string& day) {
  int y, m, d;
  char tail;
  if (day.size() != 10 || std::sscanf(day.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
    return false;
  if (y < 2000 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31) return false;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = m - 1;
  tm.tm_mday = d;
  tm.tm_hour = 12;
  std::mktime(&tm);
  return tm.tm_mday == d;
}

bool valid_time(const std::string& t) {
  int h, m;
  char tail;
  return t.size() == 5 && std::sscanf(t.c_str(), "%2d:%2d%c", &h, &m, &tail) == 2 && h >= 0 &&
         h < 24 && m >= 0 && m < 60;
}

const char kLessonClassBusy[] = "This class already has lesson {number} that day.";
const char kLessonTeacherBusy[] =
    "The teacher already has a lesson in {class} at {from}–{to} that day.";

std::optional<Message> check_lesson(storage::Connection& c, const NewLesson& l,
                                    std::int64_t except) {
  if (!valid_day(l.day)) return msg("Enter a real date.");
  if (!valid_time(l.starts) || !valid_time(l.ends)) return msg("Enter the times as 08:30.");
  if (l.ends <= l.starts) return msg("A lesson must end after it starts.");
  if (l.number < 0 || l.number > 12) return msg("A lesson number is 0 to 12.");
  if (l.mode != "school" && l.mode != "online" && l.mode != "materials")
    return msg("The form refers to something that does not exist.");
  if (!l.link.empty() && l.link.rfind("http://", 0) != 0 && l.link.rfind("https://", 0) != 0)
    return msg("A lesson's link starts with http:// or https://.");
  if (l.link.size() > 500) return msg("The link is too long.");
  if (c.scalar(
          "SELECT 1 FROM lessons WHERE class_id = ?1 AND day = ?2 AND number = ?3 AND id != ?4",
          l.class_id, l.day, l.number, except))
    return msg(kLessonClassBusy, {{"number", std::to_string(l.number)}});
  if (l.teacher_id) {
    auto q = c.query(
        "SELECT c.name, l.starts, l.ends FROM lessons l JOIN classes c ON c.id = l.class_id "
        "WHERE l.teacher_id = ?1 AND l.day = ?2 AND l.starts < ?4 AND l.ends > ?3 AND l.id != ?5 "
        "LIMIT 1",
        *l.teacher_id, l.day, l.starts, l.ends, except);
    if (q.next())
      return msg(kLessonTeacherBusy,
                 {{"class", q.text(0)}, {"from", q.text(1)}, {"to", q.text(2)}});
  }
  return std::nullopt;
}

std::int64_t add_lesson(storage::Connection& c, const NewLesson& l) {
  c.run(
      "INSERT INTO lessons (class_id, day, number, starts, ends, subject_id, teacher_id, mode, "
      "link) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
      l.class_id, l.day, l.number, l.starts, l.ends, l.subject_id, l.teacher_id, l.mode, l.link);
  return c.last_insert_id();
}

void update_lesson(storage::Connection& c, std::int64_t id, const NewLesson& l) {
  c.run(
      "UPDATE lessons SET day = ?2, number = ?3, starts = ?4, ends = ?5, subject_id = ?6, "
      "teacher_id = ?7, mode = ?8, link = ?9 WHERE id = ?1",
      id, l.day, l.number, l.starts, l.ends, l.subject_id, l.teacher_id, l.mode, l.link);
}

CopyResult copy_lessons(storage::Connection& c, std::int64_t class_id, const std::string& from,
                        const std::string& to, int days) {
  CopyResult r;
  for (int i = 0; i < days; ++i) {
    std::string src = add_days(from, i), dst = add_days(to, i);
    auto lessons = lessons_of(c, class_id, src);
    if (lessons.empty()) continue;
    if (!lessons_of(c, class_id, dst).empty()) {
      ++r.skipped;
      continue;
    }
    for (const auto& l : lessons) {
      NewLesson n;
      n.class_id = class_id;
      n.subject_id = l.subject_id;
      n.teacher_id = l.teacher_id;
      n.day = dst;
      n.starts = l.starts;
      n.ends = l.ends;
      n.mode = l.mode;
      n.link = l.link;
      n.number = l.number;
      if (auto err = check_lesson(c, n)) {
        r.error = err;
        r.error_day = dst;
        return r;
      }
      add_lesson(c, n);
      ++r.lessons;
    }
    ++r.days;
  }
  return r;
}

void delete_lesson(storage::Connection& c, std::int64_t id) {
  c.run("DELETE FROM lessons WHERE id = ?1", id);
}

std::optional<Lesson> find_lesson(storage::Connection& c, std::int64_t id) {
  auto q = c.query(std::string(kSelect) + "WHERE l.id = ?1", id);
  if (!q.next()) return std::nullopt;
  return from(q);
}

std::vector<Lesson> lessons_of(storage::Connection& c, std::int64_t class_id,
                               const std::string& day) {
  std::vector<Lesson> out;
  auto q = c.query(std::string(kSelect) + "WHERE l.class_id = ?1 AND l.day = ?2 ORDER BY l.number",
                   class_id, day);
  while (q.next()) out.push_back(from(q));
  return out;
}

bool day_published(storage::Connection& c, std::int64_t class_id, const std::string& day) {
  return c.scalar("SELECT published FROM schedule_days WHERE class_id = ?1 AND day = ?2", class_id,
                  day)
             .value_or(0) != 0;
}

void publish_day(storage::Connection& c, std::int64_t class_id, const std::string& day, bool on) {
  c.run(
      "INSERT INTO schedule_days (class_id, day, published) VALUES (?1, ?2, ?3) "
      "ON CONFLICT(class_id, day) DO UPDATE SET published = ?3",
      class_id, day, on);
}

std::vector<std::string> published_days(storage::Connection& c, std::int64_t class_id,
                                        const std::string& from, int days) {
  std::vector<std::string> out;
  auto q = c.query(
      "SELECT day FROM schedule_days WHERE class_id = ?1 AND day >= ?2 AND published = 1 "
      "ORDER BY day LIMIT ?3",
      class_id, from, days);
  while (q.next()) out.push_back(q.text(0));
  return out;
}

namespace {
// The lessons of published days in [?2, ?3) that `who` (a condition on l, with ?1) picks.
template <class A>
std::vector<Lesson> published_where(storage::Connection& c, const char* who, const char* order,
                                    const A& a, const std::string& first, const std::string& end) {
  std::vector<Lesson> out;
  auto q = c.query(std::string(kSelect) +
                       "JOIN schedule_days d ON d.class_id = l.class_id AND d.day = l.day AND "
                       "d.published = 1 WHERE " +
                       who +
                       " AND l.day >= ?2 AND l.day < ?3 "
                       "ORDER BY " +
                       order,
                   a, first, end);
  while (q.next()) out.push_back(from(q));
  return out;
}
}  // namespace

std::vector<Lesson> published_lessons(storage::Connection& c,
                                      const std::vector<std::int64_t>& classes,
                                      const std::string& first, const std::string& end) {
  std::string ids = "[";
  for (auto id : classes) ids += (ids.size() > 1 ? "," : "") + std::to_string(id);
  ids += "]";
  return published_where(c, "l.class_id IN (SELECT value FROM json_each(?1))",
                         "l.class_id, l.day, l.number", ids, first, end);
}

std::vector<Lesson> published_lessons_of_teacher(storage::Connection& c, std::int64_t teacher_id,
                                                 const std::string& first, const std::string& end) {
  return published_where(c, "l.teacher_id = ?1", "l.day, l.starts, l.number", teacher_id, first,
                         end);
}

}  // namespace parta::domain
