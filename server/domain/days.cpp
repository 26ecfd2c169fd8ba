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

std::string month_of(const std::string& day) { return day.substr(0, 7); }

bool valid_month(const std::string& month) {
  int y = 0, m = 0;
  char tail = 0;
  return month.size() == 7 && std::sscanf(month.c_str(), "%4d-%2d%c", &y, &m, &tail) == 2 &&
         month[4] == '-' && y >= 2000 && y <= 2200 && m >= 1 && m <= 12;
}

std::string add_months(const std::string& month, int n) {
  int y = 2000, m = 1;
  std::sscanf(month.c_str(), "%4d-%2d", &y, &m);
  int k = y * 12 + (m - 1) + n;
  char b[16];
  std::snprintf(b, sizeof b, "%04d-%02d", (k / 12) % 10000, k % 12 + 1);
  return b;
}

std::string first_day(const std::string& month) { return month + "-01"; }

namespace {
// The months terms start in, in school-year order, and the year offset of that month.
constexpr int kTermStart[] = {9, 11, 1, 4};
Term make_term(int year, int number) {
  Term t;
  t.year = year;
  t.number = number;
  auto month = [](int y, int m) {
    char b[16];
    std::snprintf(b, sizeof b, "%04d-%02d-01", y % 10000, m);
    return std::string(b);
  };
  int m = kTermStart[number - 1];
  t.first = month(m >= 9 ? year : year + 1, m);
  t.end = number == 4 ? month(year + 1, 9)
                      : month(kTermStart[number] >= 9 ? year : year + 1, kTermStart[number]);
  return t;
}
}  // namespace

std::string Term::code() const { return std::to_string(year) + "-" + std::to_string(number); }

Term term_of(const std::string& day) {
  int y = 2000, m = 1;
  std::sscanf(day.c_str(), "%4d-%2d", &y, &m);
  int year = m >= 9 ? y : y - 1;
  int number = m >= 9 ? (m >= 11 ? 2 : 1) : (m <= 3 ? 3 : 4);
  return make_term(year, number);
}

std::optional<Term> parse_term(const std::string& code) {
  int y = 0, n = 0;
  char tail = 0;
  if (code.size() != 6 || std::sscanf(code.c_str(), "%4d-%1d%c", &y, &n, &tail) != 2 || y < 2000 ||
      y > 2200 || n < 1 || n > 4)
    return std::nullopt;
  return make_term(y, n);
}

Term next_term(const Term& t) {
  return t.number == 4 ? make_term(t.year + 1, 1) : make_term(t.year, t.number + 1);
}

}  // namespace parta::domain
