#include "domain/monitoring.hpp"

#include <algorithm>
#include <array>
#include <limits>
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

namespace {
// Several classes as one bound parameter: a JSON array that SQL reads with json_each().
std::string json_ids(const std::vector<std::int64_t>& ids) {
  std::string out = "[";
  for (auto id : ids) out += (out.size() > 1 ? "," : "") + std::to_string(id);
  return out + "]";
}

int days_between(const std::string& from, const std::string& to) {
  return static_cast<int>((day_start(to) - day_start(from) + 12 * 3600) / (24 * 3600));
}

// Marks fall when the last three average 0.75 below the three before, or the last two are 2s.
// `marks`: the latest six at most, oldest first.
bool falling(const std::vector<int>& marks) {
  std::size_t n = marks.size();
  if (n >= 2 && marks[n - 1] <= 2 && marks[n - 2] <= 2) return true;
  if (n < 4) return false;
  std::size_t recent = 3, before = std::min<std::size_t>(3, n - 3);
  double a = 0, b = 0;
  for (std::size_t i = n - recent; i < n; ++i) a += marks[i];
  for (std::size_t i = n - recent - before; i < n - recent; ++i) b += marks[i];
  return a / recent <= b / before - 0.75;
}

// The facts, computed: a handful of statements for any number of classes, each reading a bounded
// part of the year (the latest submission, visit and six marks per student through indexes; the
// last four weeks' assignments of the classes).
std::vector<RiskFacts> compute_facts(storage::Connection& c, const std::string& classes,
                                     std::int64_t now) {
  std::vector<RiskFacts> out;
  std::map<std::int64_t, std::size_t> at;
  auto q = c.query(
      "SELECT s.user_id, s.class_id, s.paper, u.created_at, "
      "(SELECT MAX(b.created_at) FROM submissions b WHERE b.student_id = s.user_id), "
      "(SELECT MAX(v.day) FROM visits v WHERE v.user_id = s.user_id) "
      "FROM students s JOIN users u ON u.id = s.user_id "
      "WHERE s.class_id IN (SELECT value FROM json_each(?1)) ORDER BY s.user_id",
      classes);
  while (q.next()) {
    RiskFacts f;
    f.student_id = q.integer(0);
    f.class_id = q.integer(1);
    f.paper = q.integer(2) != 0;
    f.created_at = q.integer(3);
    std::string last = q.is_null(4) ? "" : local_day(q.integer(4));
    if (!f.paper && !q.is_null(5)) last = std::max(last, q.text(5));
    f.last_active = last;
    at[f.student_id] = out.size();
    out.push_back(std::move(f));
  }
  const std::int64_t from = now - std::int64_t{kOverdueWindowDays} * 24 * 3600;
  // Whole-class work due in the window: what each class set, less what each student handed in
  // or got a mark for.
  std::map<std::int64_t, int> set;
  auto a = c.query(
      "SELECT class_id, COUNT(*) FROM assignments WHERE class_id IN (SELECT value FROM "
      "json_each(?1)) AND whole_class = 1 AND due_at >= ?2 AND due_at < ?3 AND publish_at <= ?3 "
      "GROUP BY class_id",
      classes, from, now);
  while (a.next()) set[a.integer(0)] = static_cast<int>(a.integer(1));
  for (auto& f : out) f.overdue = set[f.class_id];
  auto d = c.query(
      "SELECT x.student_id, COUNT(*) FROM (SELECT b.assignment_id, b.student_id, a.class_id "
      "FROM assignments a JOIN submissions b ON b.assignment_id = a.id WHERE a.class_id IN "
      "(SELECT value FROM json_each(?1)) AND a.whole_class = 1 AND a.due_at >= ?2 AND "
      "a.due_at < ?3 AND a.publish_at <= ?3 UNION SELECT g.assignment_id, g.student_id, "
      "a.class_id FROM assignments a JOIN grades g ON g.assignment_id = a.id WHERE a.class_id IN "
      "(SELECT value FROM json_each(?1)) AND a.whole_class = 1 AND a.due_at >= ?2 AND "
      "a.due_at < ?3 AND a.publish_at <= ?3) x JOIN students s ON s.user_id = x.student_id AND "
      "s.class_id = x.class_id GROUP BY x.student_id",
      classes, from, now);
  while (d.next())
    if (auto it = at.find(d.integer(0)); it != at.end())
      out[it->second].overdue -= static_cast<int>(d.integer(1));
  // Work set for them by name (a handful a year).
  auto i = c.query(
      "SELECT y.student_id, COUNT(*) FROM students s JOIN assignment_students y ON y.student_id "
      "= s.user_id JOIN assignments a ON a.id = y.assignment_id WHERE s.class_id IN (SELECT "
      "value FROM json_each(?1)) AND a.whole_class = 0 AND a.due_at >= ?2 AND a.due_at < ?3 AND "
      "a.publish_at <= ?3 AND NOT EXISTS (SELECT 1 FROM submissions b WHERE b.assignment_id = "
      "a.id AND b.student_id = y.student_id) AND NOT EXISTS (SELECT 1 FROM grades g WHERE "
      "g.assignment_id = a.id AND g.student_id = y.student_id) GROUP BY y.student_id",
      classes, from, now);
  while (i.next())
    if (auto it = at.find(i.integer(0)); it != at.end())
      out[it->second].overdue += static_cast<int>(i.integer(1));
  // The latest six marks of each student.
  auto m = c.query(
      "SELECT s.user_id, g.mark FROM students s JOIN grades g ON g.rowid IN (SELECT x.rowid FROM "
      "grades x WHERE x.student_id = s.user_id AND x.mark GLOB '[2-5]*' ORDER BY x.graded_at "
      "DESC, x.rowid DESC LIMIT 6) WHERE s.class_id IN (SELECT value FROM json_each(?1)) "
      "ORDER BY s.user_id, g.graded_at, g.rowid",
      classes);
  std::int64_t student = 0;
  std::vector<int> marks;
  auto flush = [&] {
    if (auto it = at.find(student); it != at.end()) out[it->second].falling = falling(marks);
    marks.clear();
  };
  while (m.next()) {
    if (m.integer(0) != student) {
      flush();
      student = m.integer(0);
    }
    if (auto v = mark_value(m.text(1))) marks.push_back(*v);
  }
  flush();
  return out;
}

std::vector<Message> reasons_of(const RiskFacts& f, const std::string& today, int idle_days,
                                int* idle) {
  std::vector<Message> reasons;
  std::string since = f.last_active.empty() ? local_day(f.created_at) : f.last_active;
  *idle = std::max(0, days_between(since, today));
  if (*idle >= idle_days)
    reasons.push_back(
        f.last_active.empty()
            ? Message{f.paper ? "no paper work returned yet" : "has not opened the portal yet", {}}
            : Message{f.paper ? "no paper work returned for {n} days" : "no activity for {n} days",
                      {{"n", std::to_string(*idle)}}});
  if (f.overdue >= kOverdueLimit)
    reasons.push_back(Message{"{n} assignments overdue", {{"n", std::to_string(f.overdue)}}});
  if (f.falling) reasons.push_back(Message{"marks are falling", {}});
  return reasons;
}
}  // namespace

WeekReport week_report(storage::Connection& c, std::int64_t class_id, const std::string& monday) {
  WeekReport r;
  r.monday = monday;
  const std::string sunday = add_days(monday, 6);
  const std::int64_t from = day_start(monday), to = day_start(add_days(monday, 7));
  std::int64_t bounds[8];
  for (int i = 0; i < 8; ++i) bounds[i] = day_start(add_days(monday, i));
  auto students = list_students(c, class_id);
  r.students = static_cast<int>(students.size());
  r.paper_students = static_cast<int>(
      std::count_if(students.begin(), students.end(), [](const Student& s) { return s.paper; }));
  // Per student and day of the week: opened the portal, work handed in, absent. Each query reads
  // the class's rows of that week only.
  std::map<std::int64_t, std::size_t> at;
  for (std::size_t i = 0; i < students.size(); ++i) at[students[i].user.id] = i;
  std::vector<std::array<bool, 7>> opened(students.size()), absent(students.size());
  std::vector<std::array<int, 7>> handed(students.size());
  auto day_index = [&](const std::string& day) { return days_between(monday, day); };
  auto v = c.query(
      "SELECT v.user_id, v.day FROM students s JOIN visits v ON v.user_id = s.user_id AND "
      "v.day >= ?2 AND v.day <= ?3 WHERE s.class_id = ?1",
      class_id, monday, sunday);
  while (v.next()) {
    int d = day_index(v.text(1));
    if (auto it = at.find(v.integer(0)); it != at.end() && d >= 0 && d < 7)
      opened[it->second][static_cast<std::size_t>(d)] = true;
  }
  std::map<std::int64_t, int> handed_in;  // per subject
  auto b = c.query(
      "SELECT b.student_id, b.created_at, b.via = 'paper', a.subject_id FROM students s JOIN "
      "submissions b ON b.student_id = s.user_id AND b.created_at >= ?2 AND b.created_at < ?3 "
      "JOIN assignments a ON a.id = b.assignment_id WHERE s.class_id = ?1",
      class_id, from, to);
  while (b.next()) {
    std::int64_t t = b.integer(1);
    r.on_paper += b.integer(2) != 0;
    ++handed_in[b.integer(3)];
    int d = static_cast<int>(std::upper_bound(bounds, bounds + 8, t) - bounds) - 1;
    if (auto it = at.find(b.integer(0)); it != at.end() && d >= 0 && d < 7)
      ++handed[it->second][static_cast<std::size_t>(d)];
  }
  auto a = c.query(
      "SELECT a.student_id, a.day FROM students s JOIN absences a ON a.student_id = s.user_id AND "
      "a.day >= ?2 AND a.day <= ?3 WHERE s.class_id = ?1",
      class_id, monday, sunday);
  while (a.next()) {
    int d = day_index(a.text(1));
    if (auto it = at.find(a.integer(0)); it != at.end() && d >= 0 && d < 7)
      absent[it->second][static_cast<std::size_t>(d)] = true;
  }
  std::vector<bool> active_week(students.size()), handed_week(students.size());
  for (int d = 0; d < 7; ++d) {
    WeekDay day;
    day.day = add_days(monday, d);
    for (std::size_t i = 0; i < students.size(); ++i) {
      auto k = static_cast<std::size_t>(d);
      int n = handed[i][k];
      bool active = students[i].paper ? n > 0 : opened[i][k] || n > 0;
      day.active += active;
      day.submitted += n;
      day.absent += absent[i][k];
      if (active) active_week[i] = true;
      if (n) handed_week[i] = true;
    }
    r.submitted += day.submitted;
    r.absences += day.absent;
    r.days.push_back(day);
  }
  r.active = static_cast<int>(std::count(active_week.begin(), active_week.end(), true));
  // Families: a parent signed in that week; a paper family is reached when the packet comes back.
  auto f = c.query(
      "SELECT s.user_id, EXISTS (SELECT 1 FROM parent_child pc JOIN visits v ON v.user_id = "
      "pc.parent_id AND v.day >= ?2 AND v.day <= ?3 WHERE pc.student_id = s.user_id) FROM "
      "students s WHERE s.class_id = ?1 AND EXISTS (SELECT 1 FROM parent_child pc WHERE "
      "pc.student_id = s.user_id)",
      class_id, monday, sunday);
  while (f.next()) {
    auto it = at.find(f.integer(0));
    if (it == at.end()) continue;
    ++r.families;
    r.reached += f.integer(1) != 0 || (students[it->second].paper && handed_week[it->second]);
  }
  // Per subject: assignments set and marks given that week.
  std::map<std::int64_t, int> set, marked;
  auto sq = c.query(
      "SELECT subject_id, COUNT(*) FROM assignments WHERE class_id = ?1 AND created_at >= ?2 AND "
      "created_at < ?3 GROUP BY subject_id",
      class_id, from, to);
  while (sq.next()) set[sq.integer(0)] = static_cast<int>(sq.integer(1));
  auto mq = c.query(
      "SELECT a.subject_id, COUNT(*) FROM students s JOIN grades g ON g.student_id = s.user_id "
      "AND g.graded_at >= ?2 AND g.graded_at < ?3 JOIN assignments a ON a.id = g.assignment_id "
      "WHERE s.class_id = ?1 AND a.class_id = ?1 GROUP BY a.subject_id",
      class_id, from, to);
  while (mq.next()) marked[mq.integer(0)] = static_cast<int>(mq.integer(1));
  auto teaching = teaching_of_class(c, class_id);
  std::stable_sort(teaching.begin(), teaching.end(), [](const Teaching& x, const Teaching& y) {
    return x.subject_name < y.subject_name;
  });
  for (const auto& t : teaching) {
    std::string name = t.teacher_name.substr(0, t.teacher_name.rfind(' '));
    r.subjects.push_back(SubjectWeek{t.subject_name, name, set[t.subject_id], marked[t.subject_id],
                                     handed_in[t.subject_id]});
  }
  return r;
}

std::optional<RiskCache::Entry> RiskCache::find(std::int64_t class_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(class_id);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

void RiskCache::store(std::int64_t class_id, Entry e) {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_[class_id] = std::move(e);
}

std::vector<RiskFacts> risk_facts(storage::Connection& c, const std::vector<std::int64_t>& classes,
                                  std::int64_t now, RiskCache* cache) {
  if (!cache) return compute_facts(c, json_ids(classes), now);
  const std::string today = local_day(now);
  // The change counters first: a change made while the facts are computed moves the counter
  // past the one stored with them, so they are computed again next time.
  std::map<std::int64_t, std::int64_t> changes;
  auto g = c.query(
      "SELECT k.value, COALESCE((SELECT n FROM class_changes WHERE class_id = k.value), 0) FROM "
      "json_each(?1) k",
      json_ids(classes));
  while (g.next()) changes[g.integer(0)] = g.integer(1);
  std::vector<RiskFacts> out;
  std::vector<std::int64_t> missing;
  for (auto id : classes) {
    auto e = cache->find(id);
    if (e && e->changes == changes[id] && e->day == today && now <= e->valid_through)
      out.insert(out.end(), e->facts.begin(), e->facts.end());
    else
      missing.push_back(id);
  }
  if (missing.empty()) return out;
  const std::string ids = json_ids(missing);
  auto fresh = compute_facts(c, ids, now);
  // Until the next due time passes (work becomes overdue) or the oldest work in the window
  // leaves it.
  auto t = c.query(
      "SELECT k.value, (SELECT MIN(due_at) FROM assignments WHERE class_id = k.value AND due_at "
      ">= ?2), (SELECT MIN(due_at) FROM assignments WHERE class_id = k.value AND due_at >= ?3) "
      "FROM json_each(?1) k",
      ids, now, now - std::int64_t{kOverdueWindowDays} * 24 * 3600);
  while (t.next()) {
    RiskCache::Entry e;
    e.changes = changes[t.integer(0)];
    e.day = today;
    e.valid_through = std::numeric_limits<std::int64_t>::max();
    if (!t.is_null(1)) e.valid_through = std::min(e.valid_through, t.integer(1));
    if (!t.is_null(2))
      e.valid_through =
          std::min(e.valid_through, t.integer(2) + std::int64_t{kOverdueWindowDays} * 24 * 3600);
    for (const auto& f : fresh)
      if (f.class_id == t.integer(0)) e.facts.push_back(f);
    cache->store(t.integer(0), std::move(e));
  }
  out.insert(out.end(), fresh.begin(), fresh.end());
  return out;
}

std::vector<AtRisk> at_risk(storage::Connection& c, std::int64_t class_id, std::int64_t now,
                            int idle_days, RiskCache* cache) {
  std::map<std::int64_t, RiskFacts> facts;
  for (auto& f : risk_facts(c, {class_id}, now, cache)) facts[f.student_id] = f;
  std::vector<AtRisk> out;
  const std::string today = local_day(now);
  for (auto& s : list_students(c, class_id)) {
    auto it = facts.find(s.user.id);
    if (it == facts.end()) continue;
    AtRisk r;
    r.reasons = reasons_of(it->second, today, idle_days, &r.idle_days);
    if (r.reasons.empty()) continue;
    r.last_active = it->second.last_active;
    r.overdue = it->second.overdue;
    r.falling = it->second.falling;
    r.student = std::move(s);
    out.push_back(std::move(r));
  }
  return out;
}

std::map<std::int64_t, int> at_risk_counts(storage::Connection& c,
                                           const std::vector<std::int64_t>& classes,
                                           std::int64_t now, int idle_days, RiskCache* cache) {
  std::map<std::int64_t, int> out;
  const std::string today = local_day(now);
  for (auto id : classes) out[id] = 0;
  int idle = 0;
  for (const auto& f : risk_facts(c, classes, now, cache))
    out[f.class_id] += !reasons_of(f, today, idle_days, &idle).empty();
  return out;
}

std::map<std::int64_t, ClassDay> classes_day(storage::Connection& c,
                                             const std::vector<std::int64_t>& classes,
                                             const std::string& day) {
  std::map<std::int64_t, ClassDay> out;
  for (auto id : classes) out[id] = {};
  auto q = c.query(
      "SELECT x.class_id, COUNT(*), SUM(CASE WHEN x.paper THEN x.handed ELSE x.opened OR "
      "x.handed END), SUM(x.absent) FROM (SELECT s.class_id, s.paper, EXISTS (SELECT 1 FROM "
      "visits v WHERE v.user_id = s.user_id AND v.day = ?2) AS opened, EXISTS (SELECT 1 FROM "
      "submissions b WHERE b.student_id = s.user_id AND b.created_at >= ?3 AND b.created_at < "
      "?4) AS handed, EXISTS (SELECT 1 FROM absences a WHERE a.student_id = s.user_id AND a.day "
      "= ?2) AS absent FROM students s WHERE s.class_id IN (SELECT value FROM json_each(?1))) x "
      "GROUP BY x.class_id",
      json_ids(classes), day, day_start(day), day_start(add_days(day, 1)));
  while (q.next())
    out[q.integer(0)] = ClassDay{static_cast<int>(q.integer(1)), static_cast<int>(q.integer(2)),
                                 static_cast<int>(q.integer(3))};
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
