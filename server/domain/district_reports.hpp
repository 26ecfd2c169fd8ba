#pragma once
// District reports: the weekly monitoring the ministry's letters ask of schools, across every
// school of the district. Each school box sends its week's figures as a record of their own (per
// class: students, active, at risk, work handed in and returned on paper, absences; per class and
// subject: assignments set, work handed in, marks given), computed by the school's own monitoring
// (domain/monitoring). The hub keeps them in tables by week as they arrive (note_week), with the
// district's totals per week kept beside them, so a report reads one week's rows and is never
// recounted from the records.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "domain/clock.hpp"
#include "storage/database.hpp"

namespace parta::domain {

// The figures of one class in one week.
struct WeekFigures {
  std::int64_t students = 0, active = 0, at_risk = 0, submitted = 0, on_paper = 0,
               paper_students = 0, absences = 0;
  WeekFigures& operator+=(const WeekFigures& o);
};

// School side: this box's figures of the week starting `monday`, as they travel. `at_risk` is
// the count as of `now` (the at-risk list is a present state, not a week's).
nlohmann::json school_week(storage::Connection& c, const std::string& monday, std::int64_t now);

// Hub side: one school's figures of one week replace what the hub held for that week. Malformed
// parts are left out (a school's record is untrusted input); counts are clamped to 0…1 000 000.
void note_week(storage::Connection& c, const std::string& peer, const std::string& monday,
               const nlohmann::json& data);

struct SchoolWeek {
  std::string peer, name;
  std::optional<std::int64_t> last_in_at;
  bool reported = false;  // the school's figures of that week have arrived
  WeekFigures figures;
};
// Every school enrolled (revoked ones left out) with its figures of the week, by name.
std::vector<SchoolWeek> schools_week(storage::Connection& c, const std::string& monday);
// One enrolled school's week (nullopt: no such school, or revoked).
std::optional<SchoolWeek> school_of_week(storage::Connection& c, const std::string& peer,
                                         const std::string& monday);

struct ClassWeek {
  std::string class_name;
  WeekFigures figures;
};
std::vector<ClassWeek> school_classes_week(storage::Connection& c, const std::string& peer,
                                           const std::string& monday);

struct SubjectTotal {
  std::string subject;
  std::int64_t assignments = 0, submitted = 0, marks = 0;
};
struct ClassSubject {
  std::string class_name;
  SubjectTotal figures;
};
// One school's week by class and subject, in the school's order of classes.
std::vector<ClassSubject> school_subjects_week(storage::Connection& c, const std::string& peer,
                                               const std::string& monday);
// The district's week by subject (every school and class added up), by name.
std::vector<SubjectTotal> subjects_week(storage::Connection& c, const std::string& monday);

struct WeekTotal {
  std::string monday;
  std::int64_t schools = 0;  // schools whose figures arrived
  WeekFigures figures;
};
// The district's totals of the `weeks` weeks up to and including `monday`, oldest first (weeks
// without figures are there with zeros).
std::vector<WeekTotal> district_weeks(storage::Connection& c, const std::string& monday, int weeks);

}  // namespace parta::domain
