#pragma once
// Monitoring for the class teacher and the admin, as the seeds ask: per class per day who opened
// the portal, who handed in what, who is absent or ill (recorded by the class teacher, with a
// reason); a weekly report per class (marks given per subject, families reached); and the students
// at risk (no activity for N days, overdue work piling up, falling marks). Students on the paper
// track are counted by the work they return, not by sign-ins.
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "domain/message.hpp"
#include "domain/school.hpp"

namespace parta::domain {

// Remembers that a user opened the portal on a day: one row per user per day, written once (the
// in-memory set keeps it to one write per user per day, not one per request).
class VisitLog {
 public:
  void note(storage::Connection& c, std::int64_t user_id, const std::string& day, std::int64_t now);

 private:
  std::mutex mutex_;
  std::string day_;
  std::unordered_set<std::int64_t> seen_;
};

inline constexpr const char* kAbsenceReasons[] = {"ill", "family", "other"};
bool valid_absence_reason(const std::string& r);

struct Absence {
  std::string reason, note;
};

struct DayRow {
  Student student;
  bool opened = false;  // signed in that day
  int submitted = 0;    // work handed in that day
  int on_paper = 0;     // of which returned on paper
  std::optional<Absence> absence;
  bool active() const { return student.paper ? submitted > 0 : opened || submitted > 0; }
};
std::vector<DayRow> class_day(storage::Connection& c, std::int64_t class_id,
                              const std::string& day);
// Records (or, with an empty reason, clears) a student's absence on a day.
std::optional<Message> set_absence(storage::Connection& c, const Clock& clock,
                                   std::int64_t student_id, const std::string& day,
                                   const std::string& reason, const std::string& note,
                                   std::int64_t recorded_by);

struct WeekDay {
  std::string day;
  int active = 0, submitted = 0, absent = 0;
};
struct SubjectWeek {
  std::string subject, teacher;
  int assignments = 0;  // set that week
  int marks = 0;        // given that week
  int submitted = 0;    // work handed in that week
};
struct WeekReport {
  std::string monday;
  int students = 0, active = 0;   // active at least once that week
  int families = 0, reached = 0;  // students with a parent account; of them, a parent signed in
  int submitted = 0, absences = 0;
  int paper_students = 0, on_paper = 0;  // students on the paper track; work returned on paper
  std::vector<WeekDay> days;             // Monday … Sunday
  std::vector<SubjectWeek> subjects;
};
WeekReport week_report(storage::Connection& c, std::int64_t class_id, const std::string& monday);

struct AtRisk {
  Student student;
  std::string last_active;  // a day, or "" when never
  int idle_days = 0;        // since last_active (or since the account was made)
  int overdue = 0;
  bool falling = false;
  std::vector<Message> reasons;
};
inline constexpr int kOverdueLimit = 2;
// A student with no activity for this many days is at risk unless someone chooses otherwise (the
// monitoring pages' default, and the weekly figures a school sends its district).
inline constexpr int kDefaultIdleDays = 3;
// Overdue work counts over the last four weeks: what is piling up now, not what a student missed
// in September (and the figure costs the same in May).
inline constexpr int kOverdueWindowDays = 28;

// What a student's place on the at-risk list is decided from.
struct RiskFacts {
  std::int64_t student_id = 0, class_id = 0, created_at = 0;
  bool paper = false;
  std::string last_active;  // a day, or ""
  int overdue = 0;          // in the last kOverdueWindowDays
  bool falling = false;
};

// The at-risk facts per class, kept until something they depend on changes: the class's data
// (the class_changes counter the database's triggers move with every submission, grade,
// assignment, visit or roster change, whoever makes it), midnight, or the next due time that
// makes work overdue or old enough to leave the window. Thread-safe; one per database.
class RiskCache {
 public:
  struct Entry {
    std::int64_t changes = 0;
    std::string day;                 // local day they were computed on
    std::int64_t valid_through = 0;  // the last second they hold for
    std::vector<RiskFacts> facts;
  };
  std::optional<Entry> find(std::int64_t class_id);
  void store(std::int64_t class_id, Entry e);

 private:
  std::mutex mutex_;
  std::map<std::int64_t, Entry> entries_;
};

// The facts of the classes' students, from `cache` when it holds them (nullptr: computed).
std::vector<RiskFacts> risk_facts(storage::Connection& c, const std::vector<std::int64_t>& classes,
                                  std::int64_t now, RiskCache* cache);
std::vector<AtRisk> at_risk(storage::Connection& c, std::int64_t class_id, std::int64_t now,
                            int idle_days, RiskCache* cache = nullptr);
// How many students of each class are at risk.
std::map<std::int64_t, int> at_risk_counts(storage::Connection& c,
                                           const std::vector<std::int64_t>& classes,
                                           std::int64_t now, int idle_days, RiskCache* cache);

// A day's figures of several classes at once (the monitoring overview).
struct ClassDay {
  int students = 0, active = 0, absent = 0;
};
std::map<std::int64_t, ClassDay> classes_day(storage::Connection& c,
                                             const std::vector<std::int64_t>& classes,
                                             const std::string& day);

// Who monitors a class: the admin, and its class teacher.
bool can_monitor(storage::Connection& c, const User& u, std::int64_t class_id);
std::vector<ClassInfo> monitored_classes(storage::Connection& c, const User& u);

}  // namespace parta::domain
