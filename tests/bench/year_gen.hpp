#pragma once
// A school year for benchmarks and tests, made deterministically from a seed: classes, subjects,
// teachers, students and parents; every school day's assignments with submissions, grades,
// comments and returns; visits, absences, messages, announcements, events, lessons, groups,
// surveys, lent devices and the paper track. Written with plain SQL against the tables of schema
// version 11 (the one before issue 22's migration), so the same code fills a database of that
// version for the migration test and one of the current version for the benchmark.
#include <cstdint>
#include <string>

#include "storage/database.hpp"

namespace parta::bench {

struct YearSpec {
  int classes = 11;
  int students = 25;     // per class
  int subjects = 10;     // taught in every class
  int days = 170;        // school days (Monday to Friday), ending at last_day
  int per_day = 3;       // assignments per class per school day
  std::string last_day;  // "YYYY-MM-DD"; "" = the last weekday before `now`
  std::uint32_t seed = 2026;
};

struct YearStats {
  std::int64_t users = 0, assignments = 0, submissions = 0, grades = 0, comments = 0, visits = 0,
               absences = 0, messages = 0;
  std::string first_day, last_day;
};

// Logins: admin; teacher01 … (teacher01 leads the first class); s01.01 … (class, student);
// p01.01 … (the parent of that student). Passwords as in the demo: demo2026, students' PIN
// 202620.
inline constexpr const char* kYearPassword = "demo2026";
inline constexpr const char* kYearPin = "202620";

// Fills an empty database (schema version 11 or later) with a school year; nothing in the future
// of `now` except what is due or published later. One transaction.
YearStats generate_year(storage::Connection& c, const YearSpec& spec, std::int64_t now);

}  // namespace parta::bench
