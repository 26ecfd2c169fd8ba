#pragma once
// School days as "YYYY-MM-DD" strings in the box's local time: what the timetable, absences and
// monitoring count in. Arithmetic goes through noon so daylight-saving changes cannot skip a day.
#include <cstdint>
#include <optional>
#include <string>

namespace parta::domain {

std::string local_day(std::int64_t t);           // the day `t` falls on
std::string local_datetime(std::int64_t t);      // "21.11.2026 18:00", as people write it
std::int64_t day_start(const std::string& day);  // local midnight; day must be valid
std::string add_days(const std::string& day, int n);
int weekday(const std::string& day);  // 0 = Monday … 6 = Sunday
std::string monday_of(const std::string& day);

// Pages that grow with the year show a month or a term at a time.
// A calendar month, "YYYY-MM".
std::string month_of(const std::string& day);
bool valid_month(const std::string& month);
std::string add_months(const std::string& month, int n);
std::string first_day(const std::string& month);  // "YYYY-MM-01"

// A school term (четверть) as schools here count them, by whole months: September–October,
// November–December, January–March, April–August (the summer goes with the last term).
struct Term {
  int year = 0;              // the calendar year the school year starts in (2026 for 2026/27)
  int number = 0;            // 1 … 4
  std::string first, end;    // its first day and the day after its last
  std::string code() const;  // "2026-1"
};
Term term_of(const std::string& day);
std::optional<Term> parse_term(const std::string& code);
Term next_term(const Term& t);

}  // namespace parta::domain
