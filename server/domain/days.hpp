#pragma once
// School days as "YYYY-MM-DD" strings in the box's local time: what the timetable, absences and
// monitoring count in. Arithmetic goes through noon so daylight-saving changes cannot skip a day.
#include <cstdint>
#include <string>

namespace parta::domain {

std::string local_day(std::int64_t t);           // the day `t` falls on
std::string local_datetime(std::int64_t t);      // "21.11.2026 18:00", as people write it
std::int64_t day_start(const std::string& day);  // local midnight; day must be valid
std::string add_days(const std::string& day, int n);
int weekday(const std::string& day);  // 0 = Monday … 6 = Sunday
std::string monday_of(const std::string& day);

}  // namespace parta::domain
