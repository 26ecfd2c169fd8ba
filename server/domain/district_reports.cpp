#include "domain/district_reports.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include "content/utf8.hpp"
#include "domain/days.hpp"
#include "domain/monitoring.hpp"
#include "domain/schedule.hpp"
#include "domain/school.hpp"

namespace parta::domain {

using nlohmann::json;

namespace {

constexpr std::int64_t kMaxCount = 1000000;
constexpr std::size_t kMaxClasses = 300, kMaxSubjects = 3000, kMaxName = 80;

// The columns of WeekFigures, in table order.
constexpr const char* kFigureColumns =
    "students, active, at_risk, submitted, on_paper, paper_students, absences";

std::int64_t count_of(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return 0;
  return std::clamp<std::int64_t>(it->get<std::int64_t>(), 0, kMaxCount);
}

std::optional<std::string> name_of(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  std::string s = it->get<std::string>();
  if (!text::is_valid_utf8(s)) return std::nullopt;
  return text::truncate_chars(s, kMaxName);
}

WeekFigures figures_of(const json& j) {
  return WeekFigures{count_of(j, "students"), count_of(j, "active"),
                     count_of(j, "at_risk"),  count_of(j, "submitted"),
                     count_of(j, "on_paper"), count_of(j, "paper_students"),
                     count_of(j, "absences")};
}

WeekFigures figures_at(const storage::Query& q, int from) {
  return WeekFigures{q.integer(from),     q.integer(from + 1), q.integer(from + 2),
                     q.integer(from + 3), q.integer(from + 4), q.integer(from + 5),
                     q.integer(from + 6)};
}

WeekFigures negated(const WeekFigures& f) {
  return WeekFigures{-f.students, -f.active,         -f.at_risk, -f.submitted,
                     -f.on_paper, -f.paper_students, -f.absences};
}

// Moves the district's totals of a week by `d` (and its count of schools by `schools`).
void add_to_totals(storage::Connection& c, const std::string& monday, const WeekFigures& d,
                   int schools) {
  c.run(
      "INSERT INTO district_week_totals (monday, schools, students, active, at_risk, submitted, "
      "on_paper, paper_students, absences) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON "
      "CONFLICT (monday) DO UPDATE SET schools = schools + excluded.schools, students = students "
      "+ excluded.students, active = active + excluded.active, at_risk = at_risk + "
      "excluded.at_risk, submitted = submitted + excluded.submitted, on_paper = on_paper + "
      "excluded.on_paper, paper_students = paper_students + excluded.paper_students, absences = "
      "absences + excluded.absences",
      monday, schools, d.students, d.active, d.at_risk, d.submitted, d.on_paper, d.paper_students,
      d.absences);
}

void add_to_subjects(storage::Connection& c, const std::string& monday, const SubjectTotal& s,
                     int sign) {
  c.run(
      "INSERT INTO district_week_subject_totals (monday, subject, assignments, submitted, marks) "
      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (monday, subject) DO UPDATE SET assignments = "
      "assignments + excluded.assignments, submitted = submitted + excluded.submitted, marks = "
      "marks + excluded.marks",
      monday, s.subject, sign * s.assignments, sign * s.submitted, sign * s.marks);
}

// Classes as a school lists them: by their number (5 before 10), then by name.
std::pair<long, std::string> class_order(const std::string& name) {
  std::size_t digits = 0;
  while (digits < name.size() && digits < 6 && name[digits] >= '0' && name[digits] <= '9') ++digits;
  return {digits ? std::stol(name.substr(0, digits)) : 0L, name};
}

}  // namespace

WeekFigures& WeekFigures::operator+=(const WeekFigures& o) {
  students += o.students;
  active += o.active;
  at_risk += o.at_risk;
  submitted += o.submitted;
  on_paper += o.on_paper;
  paper_students += o.paper_students;
  absences += o.absences;
  return *this;
}

json school_week(storage::Connection& c, const std::string& monday, std::int64_t now) {
  auto classes = list_classes(c);
  std::vector<std::int64_t> ids;
  for (const auto& k : classes) ids.push_back(k.id);
  auto risk = at_risk_counts(c, ids, now, kDefaultIdleDays, nullptr);
  json out_classes = json::array(), out_subjects = json::array();
  for (const auto& k : classes) {
    auto r = week_report(c, k.id, monday);
    if (r.students == 0 && r.submitted == 0) continue;
    out_classes.push_back({{"class", k.name},
                           {"students", r.students},
                           {"active", r.active},
                           {"at_risk", risk[k.id]},
                           {"submitted", r.submitted},
                           {"on_paper", r.on_paper},
                           {"paper_students", r.paper_students},
                           {"absences", r.absences}});
    for (const auto& s : r.subjects)
      if (s.assignments || s.submitted || s.marks)
        out_subjects.push_back({{"class", k.name},
                                {"subject", s.subject},
                                {"assignments", s.assignments},
                                {"submitted", s.submitted},
                                {"marks", s.marks}});
  }
  return {{"monday", monday}, {"classes", out_classes}, {"subjects", out_subjects}};
}

void note_week(storage::Connection& c, const std::string& peer, const std::string& monday,
               const json& data) {
  if (!valid_day(monday) || monday_of(monday) != monday) return;
  storage::Transaction tx(c);
  // What the hub held for this school's week leaves the district's totals.
  bool had = false;
  {
    auto q = c.query(std::string("SELECT ") + kFigureColumns +
                         " FROM district_week_schools WHERE monday = ?1 AND peer = ?2",
                     monday, peer);
    if (q.next()) {
      had = true;
      add_to_totals(c, monday, negated(figures_at(q, 0)), -1);
    }
  }
  std::vector<SubjectTotal> old_subjects;
  {
    auto q = c.query(
        "SELECT subject, SUM(assignments), SUM(submitted), SUM(marks) FROM "
        "district_week_subjects WHERE monday = ?1 AND peer = ?2 GROUP BY subject",
        monday, peer);
    while (q.next()) old_subjects.push_back({q.text(0), q.integer(1), q.integer(2), q.integer(3)});
  }
  for (const auto& s : old_subjects) add_to_subjects(c, monday, s, -1);
  if (had || !old_subjects.empty()) {
    c.run("DELETE FROM district_week_classes WHERE monday = ?1 AND peer = ?2", monday, peer);
    c.run("DELETE FROM district_week_subjects WHERE monday = ?1 AND peer = ?2", monday, peer);
    c.run("DELETE FROM district_week_schools WHERE monday = ?1 AND peer = ?2", monday, peer);
  }
  // The new figures: a class named twice counts once (the first), as a subject of a class does.
  WeekFigures school;
  std::map<std::string, bool> seen;
  auto classes = data.is_object() ? data.find("classes") : data.end();
  if (classes != data.end() && classes->is_array()) {
    std::size_t n = 0;
    for (const auto& k : *classes) {
      if (!k.is_object() || ++n > kMaxClasses) continue;
      auto name = name_of(k, "class");
      if (!name || seen[*name]) continue;
      seen[*name] = true;
      WeekFigures f = figures_of(k);
      school += f;
      c.run(std::string("INSERT INTO district_week_classes (monday, peer, class, ") +
                kFigureColumns + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            monday, peer, *name, f.students, f.active, f.at_risk, f.submitted, f.on_paper,
            f.paper_students, f.absences);
    }
  }
  std::map<std::string, SubjectTotal> by_subject;
  auto subjects = data.is_object() ? data.find("subjects") : data.end();
  if (subjects != data.end() && subjects->is_array()) {
    std::size_t n = 0;
    std::map<std::pair<std::string, std::string>, bool> taken;
    for (const auto& s : *subjects) {
      if (!s.is_object() || ++n > kMaxSubjects) continue;
      auto k = name_of(s, "class");
      auto name = name_of(s, "subject");
      if (!k || !name || name->empty() || taken[{*k, *name}]) continue;
      taken[{*k, *name}] = true;
      SubjectTotal t{*name, count_of(s, "assignments"), count_of(s, "submitted"),
                     count_of(s, "marks")};
      c.run(
          "INSERT INTO district_week_subjects (monday, peer, class, subject, assignments, "
          "submitted, marks) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
          monday, peer, *k, *name, t.assignments, t.submitted, t.marks);
      auto& sum = by_subject[*name];
      sum.subject = *name;
      sum.assignments += t.assignments;
      sum.submitted += t.submitted;
      sum.marks += t.marks;
    }
  }
  for (const auto& [name, s] : by_subject) add_to_subjects(c, monday, s, 1);
  c.run(std::string("INSERT INTO district_week_schools (monday, peer, ") + kFigureColumns +
            ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        monday, peer, school.students, school.active, school.at_risk, school.submitted,
        school.on_paper, school.paper_students, school.absences);
  add_to_totals(c, monday, school, 1);
  tx.commit();
}

namespace {

// The schools enrolled (revoked ones left out) with their figures of the week; `peer` non-empty:
// that school alone.
std::vector<SchoolWeek> read_schools_week(storage::Connection& c, const std::string& monday,
                                          const std::string& peer) {
  std::vector<SchoolWeek> out;
  auto q = c.query(
      "SELECT p.device_id, p.name, p.last_in_at, w.peer IS NOT NULL, COALESCE(w.students, 0), "
      "COALESCE(w.active, 0), COALESCE(w.at_risk, 0), COALESCE(w.submitted, 0), "
      "COALESCE(w.on_paper, 0), COALESCE(w.paper_students, 0), COALESCE(w.absences, 0) FROM "
      "sync_peers p LEFT JOIN district_week_schools w ON w.monday = ?1 AND w.peer = p.device_id "
      "WHERE p.role = 'school' AND p.revoked = 0 AND (?2 = '' OR p.device_id = ?2) ORDER BY "
      "p.name, p.device_id",
      monday, peer);
  while (q.next()) {
    SchoolWeek s;
    s.peer = q.text(0);
    s.name = q.text(1);
    s.last_in_at = q.opt_integer(2);
    s.reported = q.integer(3) != 0;
    s.figures = figures_at(q, 4);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

std::vector<SchoolWeek> schools_week(storage::Connection& c, const std::string& monday) {
  return read_schools_week(c, monday, "");
}

std::optional<SchoolWeek> school_of_week(storage::Connection& c, const std::string& peer,
                                         const std::string& monday) {
  if (peer.empty()) return std::nullopt;
  auto one = read_schools_week(c, monday, peer);
  if (one.empty()) return std::nullopt;
  return std::move(one.front());
}

std::vector<ClassWeek> school_classes_week(storage::Connection& c, const std::string& peer,
                                           const std::string& monday) {
  std::vector<ClassWeek> out;
  auto q = c.query(std::string("SELECT class, ") + kFigureColumns +
                       " FROM district_week_classes WHERE monday = ?1 AND peer = ?2",
                   monday, peer);
  while (q.next()) out.push_back({q.text(0), figures_at(q, 1)});
  std::stable_sort(out.begin(), out.end(), [](const ClassWeek& a, const ClassWeek& b) {
    return class_order(a.class_name) < class_order(b.class_name);
  });
  return out;
}

std::vector<ClassSubject> school_subjects_week(storage::Connection& c, const std::string& peer,
                                               const std::string& monday) {
  std::vector<ClassSubject> out;
  auto q = c.query(
      "SELECT class, subject, assignments, submitted, marks FROM district_week_subjects WHERE "
      "monday = ?1 AND peer = ?2 ORDER BY subject",
      monday, peer);
  while (q.next())
    out.push_back({q.text(0), {q.text(1), q.integer(2), q.integer(3), q.integer(4)}});
  std::stable_sort(out.begin(), out.end(), [](const ClassSubject& a, const ClassSubject& b) {
    return class_order(a.class_name) < class_order(b.class_name);
  });
  return out;
}

std::vector<SubjectTotal> subjects_week(storage::Connection& c, const std::string& monday) {
  std::vector<SubjectTotal> out;
  auto q = c.query(
      "SELECT subject, assignments, submitted, marks FROM district_week_subject_totals WHERE "
      "monday = ?1 AND (assignments > 0 OR submitted > 0 OR marks > 0) ORDER BY subject",
      monday);
  while (q.next()) out.push_back({q.text(0), q.integer(1), q.integer(2), q.integer(3)});
  return out;
}

std::vector<WeekTotal> district_weeks(storage::Connection& c, const std::string& monday,
                                      int weeks) {
  std::vector<WeekTotal> out;
  const std::string first = add_days(monday, -7 * (weeks - 1));
  std::map<std::string, WeekTotal> held;
  auto q = c.query(std::string("SELECT monday, schools, ") + kFigureColumns +
                       " FROM district_week_totals WHERE monday >= ?1 AND monday <= ?2",
                   first, monday);
  while (q.next()) held[q.text(0)] = {q.text(0), q.integer(1), figures_at(q, 2)};
  for (int i = 0; i < weeks; ++i) {
    std::string m = add_days(first, 7 * i);
    auto it = held.find(m);
    out.push_back(it != held.end() ? it->second : WeekTotal{m, 0, {}});
  }
  return out;
}

}  // namespace parta::domain
