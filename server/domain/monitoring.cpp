#include "domain/monitoring.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "content/utf8.hpp"
#include "domain/coursework.hpp"
#include "domain/days.hpp"

namespace parta::domain {

void VisitLog::note(storage::Connection& c, std::int64_t user_id, const std::string& day,
                    std::int64_t now) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (day != day_) {
      day_ = day;
      seen_.clear();
    }
    if (seen_.count(user_id)) return;
  }
  // Best effort, and remembered only once written: while a long import holds the database the
  // visit is tried again on the next page, not lost for the day.
  if (!c.run_if_free("INSERT OR IGNORE INTO visits (user_id, day, first_at) VALUES (?1, ?2, ?3)",
                     user_id, day, now))
    return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (day == day_) seen_.insert(user_id);
}

bool valid_absence_reason(const std::string& r) {
  return std::find(std::begin(kAbsenceReasons), std::end(kAbsenceReasons), r) !=
         std::end(kAbsenceReasons);
}

std::vector<DayRow> class_day(storage::Connection& c, std::int64_t class_id,
                              const std::string& day) {
  std::vector<DayRow> rows;
  std::map<std::int64_t, std::size_t> at;
  for (auto& s : list_students(c, class_id)) {
    at[s.user.id] = rows.size();
    DayRow row;
    row.student = std::move(s);
    rows.push_back(std::move(row));
  }
  auto v = c.query(
      "SELECT v.user_id FROM visits v JOIN students s ON s.user_id = v.user_id "
      "WHERE s.class_id = ?1 AND v.day = ?2",
      class_id, day);
  while (v.next())
    if (auto it = at.find(v.integer(0)); it != at.end()) rows[it->second].opened = true;
  std::int64_t from = day_start(day), to = day_start(add_days(day, 1));
  auto s = c.query(
      "SELECT b.student_id, COUNT(*), SUM(b.via = 'paper') FROM submissions b "
      "JOIN students s ON s.user_id = b.student_id WHERE s.class_id = ?1 "
      "AND b.created_at >= ?2 AND b.created_at < ?3 GROUP BY b.student_id",
      class_id, from, to);
  while (s.next())
    if (auto it = at.find(s.integer(0)); it != at.end()) {
      rows[it->second].submitted = static_cast<int>(s.integer(1));
      rows[it->second].on_paper = static_cast<int>(s.integer(2));
    }
  auto a = c.query(
      "SELECT a.student_id, a.reason, a.note FROM absences a JOIN students s ON s.user_id = "
      "a.student_id WHERE s.class_id = ?1 AND a.day = ?2",
      class_id, day);
  while (a.next())
    if (auto it = at.find(a.integer(0)); it != at.end())
      rows[it->second].absence = Absence{a.text(1), a.text(2)};
  return rows;
}

std::optional<Message> set_absence(storage::Connection& c, const Clock& clock,
                                   std::int64_t student_id, const std::string& day,
                                   const std::string& reason, const std::string& note,
                                   std::int64_t recorded_by) {
  if (reason.empty()) {
    c.run("DELETE FROM absences WHERE student_id = ?1 AND day = ?2", student_id, day);
    return std::nullopt;
  }
  if (!valid_absence_reason(reason))
    return Message{"The form refers to something that does not exist.", {}};
  if (text::char_count(note) > 200) return Message{"A field in the form is too long.", {}};
  c.run(
      "INSERT INTO absences (student_id, day, reason, note, recorded_by, recorded_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (student_id, day) DO UPDATE SET "
      "reason = excluded.reason, note = excluded.note, recorded_by = excluded.recorded_by, "
      "recorded_at = excluded.recorded_at",
      student_id, day, reason, note, recorded_by, clock.now());
  return std::nullopt;
}

WeekReport week_report(storage::Connection& c, std::int64_t class_id, const std::string& monday) {
  WeekReport r;
  r.monday = monday;
  std::set<std::int64_t> active;
  for (int i = 0; i < 7; ++i) {
    WeekDay d;
    d.day = add_days(monday, i);
    for (const auto& row : class_day(c, class_id, d.day)) {
      if (row.active()) {
        ++d.active;
        active.insert(row.student.user.id);
      }
      d.submitted += row.submitted;
      d.absent += row.absence.has_value();
    }
    r.submitted += d.submitted;
    r.absences += d.absent;
    r.days.push_back(d);
  }
  std::string sunday = add_days(monday, 6);
  std::int64_t from = day_start(monday), to = day_start(add_days(monday, 7));
  auto students = list_students(c, class_id);
  r.students = static_cast<int>(students.size());
  r.active = static_cast<int>(active.size());
  for (const auto& s : students) {
    bool has_parent =
        c.scalar("SELECT 1 FROM parent_child WHERE student_id = ?1 LIMIT 1", s.user.id).has_value();
    if (!has_parent) continue;
    ++r.families;
    bool reached = c.scalar(
                        "SELECT 1 FROM parent_child pc JOIN visits v ON v.user_id = pc.parent_id "
                        "WHERE pc.student_id = ?1 AND v.day BETWEEN ?2 AND ?3 LIMIT 1",
                        s.user.id, monday, sunday)
                       .has_value();
    // A paper family is reached when their packet comes back.
    if (!reached && s.paper)
      reached = c.scalar(
                     "SELECT 1 FROM submissions WHERE student_id = ?1 AND created_at >= ?2 AND "
                     "created_at < ?3 LIMIT 1",
                     s.user.id, from, to)
                    .has_value();
    r.reached += reached;
  }
  auto q = c.query(
      "SELECT sj.name, u.last_name || ' ' || u.first_name, "
      "(SELECT COUNT(*) FROM assignments a WHERE a.class_id = t.class_id AND a.subject_id = "
      "  t.subject_id AND a.created_at >= ?2 AND a.created_at < ?3), "
      "(SELECT COUNT(*) FROM grades g JOIN assignments a ON a.id = g.assignment_id "
      "  WHERE a.class_id = t.class_id AND a.subject_id = t.subject_id "
      "  AND g.graded_at >= ?2 AND g.graded_at < ?3) "
      "FROM teaching t JOIN subjects sj ON sj.id = t.subject_id JOIN users u ON u.id = "
      "t.teacher_id WHERE t.class_id = ?1 ORDER BY sj.name",
      class_id, from, to);
  while (q.next())
    r.subjects.push_back(SubjectWeek{q.text(0), q.text(1), static_cast<int>(q.integer(2)),
                                     static_cast<int>(q.integer(3))});
  return r;
}

namespace {
// Marks fall when the last three average 0.75 below the three before, or the last two are 2s.
bool marks_falling(storage::Connection& c, std::int64_t student_id) {
  std::vector<int> marks;
  auto q = c.query("SELECT mark FROM grades WHERE student_id = ?1 ORDER BY graded_at, rowid",
                   student_id);
  while (q.next())
    if (auto v = mark_value(q.text(0))) marks.push_back(*v);
  std::size_t n = marks.size();
  if (n >= 2 && marks[n - 1] <= 2 && marks[n - 2] <= 2) return true;
  if (n < 4) return false;
  std::size_t recent = 3, before = std::min<std::size_t>(3, n - 3);
  double a = 0, b = 0;
  for (std::size_t i = n - recent; i < n; ++i) a += marks[i];
  for (std::size_t i = n - recent - before; i < n - recent; ++i) b += marks[i];
  return a / recent <= b / before - 0.75;
}

int days_between(const std::string& from, const std::string& to) {
  return static_cast<int>((day_start(to) - day_start(from) + 12 * 3600) / (24 * 3600));
}
}  // namespace

std::vector<AtRisk> at_risk(storage::Connection& c, std::int64_t class_id, std::int64_t now,
                            int idle_days) {
  std::vector<AtRisk> out;
  std::string today = local_day(now);
  for (auto& s : list_students(c, class_id)) {
    AtRisk r;
    auto last_sub =
        c.scalar("SELECT MAX(created_at) FROM submissions WHERE student_id = ?1", s.user.id);
    std::string last = last_sub ? local_day(*last_sub) : "";
    if (!s.paper) {
      auto q = c.query("SELECT MAX(day) FROM visits WHERE user_id = ?1", s.user.id);
      if (q.next() && !q.is_null(0)) last = std::max(last, q.text(0));
    }
    r.last_active = last;
    std::string since = last;
    if (since.empty())
      since = local_day(
          c.scalar("SELECT created_at FROM users WHERE id = ?1", s.user.id).value_or(now));
    r.idle_days = std::max(0, days_between(since, today));
    for (const auto& a : assignments_for_student(c, s.user.id, now))
      r.overdue += state_of(c, a, s.user.id, now).status == WorkStatus::overdue;
    r.falling = marks_falling(c, s.user.id);
    if (r.idle_days >= idle_days)
      r.reasons.push_back(last.empty() ? Message{s.paper ? "no paper work returned yet"
                                                         : "has not opened the portal yet",
                                                 {}}
                                       : Message{s.paper ? "no paper work returned for {n} days"
                                                         : "no activity for {n} days",
                                                 {{"n", std::to_string(r.idle_days)}}});
    if (r.overdue >= kOverdueLimit)
      r.reasons.push_back(Message{"{n} assignments overdue", {{"n", std::to_string(r.overdue)}}});
    if (r.falling) r.reasons.push_back(Message{"marks are falling", {}});
    if (r.reasons.empty()) continue;
    r.student = std::move(s);
    out.push_back(std::move(r));
  }
  return out;
}

bool can_monitor(storage::Connection& c, const User& u, std::int64_t class_id) {
  if (u.role == Role::admin) return true;
  return u.role == Role::teacher &&
         c.scalar("SELECT 1 FROM classes WHERE id = ?1 AND class_teacher_id = ?2", class_id, u.id)
             .has_value();
}

std::vector<ClassInfo> monitored_classes(storage::Connection& c, const User& u) {
  if (u.role == Role::admin) return list_classes(c);
  if (u.role == Role::teacher) return classes_led_by(c, u.id);
  return {};
}

}  // namespace parta::domain
