#include "domain/days.hpp"

#include <cstdio>
#include <ctime>

namespace parta::domain {

namespace {
std::tm noon(const std::string& day, int shift) {
  int y = 2000, m = 1, d = 1;
  std::sscanf(day.c_str(), "%4d-%2d-%2d", &y, &m, &d);
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = m - 1;
  tm.tm_mday = d + shift;
  tm.tm_hour = 12;
  tm.tm_isdst = -1;
  std::mktime(&tm);
  return tm;
}

std::string format(const std::tm& tm) {
  char b[16];
  std::snprintf(b, sizeof b, "%04d-%02d-%02d", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
                tm.tm_mday % 100);
  return b;
}
}  // namespace

std::string local_day(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  localtime_r(&tt, &tm);
  return format(tm);
}

std::string local_datetime(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  localtime_r(&tt, &tm);
  char b[64];
  std::snprintf(b, sizeof b, "%02d.%02d.%04d %02d:%02d", tm.tm_mday, tm.tm_mon + 1,
                tm.tm_year + 1900, tm.tm_hour, tm.tm_min);
  return b;
}

std::int64_t day_start(const std::string& day) {
  std::tm tm = noon(day, 0);
  tm.tm_hour = 0;
  tm.tm_isdst = -1;
  return static_cast<std::int64_t>(std::mktime(&tm));
}

std::string add_days(const std::string& day, int n) { return format(noon(day, n)); }

int weekday(const std::string& day) { return (noon(day, 0).tm_wday + 6) % 7; }

std::string monday_of(const std::string& day) { return add_days(day, -weekday(day)); }

}  // namespace parta::domain
