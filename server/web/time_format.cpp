#include "web/time_format.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "domain/days.hpp"
#include "web/i18n.hpp"

namespace parta::web {

namespace {
std::tm local(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  localtime_r(&tt, &tm);
  return tm;
}
}  // namespace

std::string format_date(std::int64_t t) {
  std::tm tm = local(t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%02d.%02d.%04d", tm.tm_mday, tm.tm_mon + 1, tm.tm_year + 1900);
  return buf;
}

std::string format_datetime(std::int64_t t) { return domain::local_datetime(t); }

std::string format_deadline(Lang lang, std::int64_t t, std::int64_t now) {
  std::tm tm = local(t);
  char time[32];
  std::snprintf(time, sizeof time, "%d:%02d", tm.tm_hour, tm.tm_min);
  const std::string day = domain::local_day(t), today = domain::local_day(now);
  const int days = static_cast<int>(
      (domain::day_start(day) - domain::day_start(today) + 12 * 3600) / (24 * 3600));
  const char* msgid = nullptr;
  if (days == 0) {
    msgid = "today by {time}";
  } else if (days == 1) {
    msgid = "tomorrow by {time}";
  } else if (days == -1) {
    msgid = "yesterday by {time}";
  } else if (days > 1 && days < 7) {
    static const char* const kWeekdays[] = {"on Monday by {time}",    "on Tuesday by {time}",
                                            "on Wednesday by {time}", "on Thursday by {time}",
                                            "on Friday by {time}",    "on Saturday by {time}",
                                            "on Sunday by {time}"};
    msgid = kWeekdays[domain::weekday(day)];
  }
  if (msgid) return Catalogue::instance().format(lang, domain::Message{msgid, {{"time", time}}});
  char date[40];
  if (day.substr(0, 4) == today.substr(0, 4))
    std::snprintf(date, sizeof date, "%02d.%02d", tm.tm_mday, tm.tm_mon + 1);
  else
    std::snprintf(date, sizeof date, "%02d.%02d.%04d", tm.tm_mday, tm.tm_mon + 1,
                  tm.tm_year + 1900);
  return Catalogue::instance().format(
      lang, domain::Message{"{date} by {time}", {{"date", date}, {"time", time}}});
}

std::string format_duration(Lang lang, std::int64_t seconds) {
  auto n = [](std::int64_t v) { return std::to_string(v); };
  const auto& tr = Catalogue::instance();
  seconds = std::max<std::int64_t>(0, seconds);
  if (seconds < 60) return tr.format(lang, {"{n} s", {{"n", n(seconds)}}});
  if (seconds < 3600) return tr.format(lang, {"{n} min", {{"n", n((seconds + 59) / 60)}}});
  if (seconds < 86400)
    return tr.format(lang,
                     {"{h} h {m} min", {{"h", n(seconds / 3600)}, {"m", n(seconds % 3600 / 60)}}});
  return tr.format(lang,
                   {"{d} d {h} h", {{"d", n(seconds / 86400)}, {"h", n(seconds % 86400 / 3600)}}});
}

std::string format_size(Lang lang, std::uint64_t n) {
  char buf[32];
  const char* unit = "KB";
  double v = static_cast<double>(n);
  if (n >= (1ull << 30)) {
    std::snprintf(buf, sizeof buf, "%.1f", v / (1024.0 * 1024.0 * 1024.0));
    unit = "GB";
  } else if (n >= (1ull << 20)) {
    std::snprintf(buf, sizeof buf, "%.1f", v / (1024.0 * 1024.0));
    unit = "MB";
  } else {
    std::snprintf(buf, sizeof buf, "%.0f", std::max(1.0, v / 1024.0));
  }
  std::string number = buf;
  if (lang == Lang::ru)
    for (auto& ch : number)
      if (ch == '.') ch = ',';
  // A no-break space, so "71,0 ГБ" never breaks across lines.
  return number + "\xc2\xa0" + Catalogue::instance().tr(lang, unit);
}

std::string format_day(const std::string& d) {
  if (d.size() != 10) return d;
  return d.substr(8, 2) + "." + d.substr(5, 2) + "." + d.substr(0, 4);
}

std::string time_zone_label(std::int64_t t) {
  long off = local(t).tm_gmtoff;
  char offset[24];
  std::snprintf(offset, sizeof offset, "UTC%c%02ld:%02ld", off < 0 ? '-' : '+',
                std::labs(off) / 3600, std::labs(off) % 3600 / 60);
  std::string name;
  if (const char* tz = std::getenv("TZ"); tz && *tz) {
    name = tz[0] == ':' ? tz + 1 : tz;
  } else {
    char link[512];
    ssize_t n = readlink("/etc/localtime", link, sizeof link - 1);
    std::string l(link, n > 0 ? static_cast<std::size_t>(n) : 0);
    if (auto p = l.find("zoneinfo/"); p != std::string::npos) name = l.substr(p + 9);
  }
  return name.empty() ? offset : name + ", " + offset;
}

std::string moscow_time_label(Lang lang, std::int64_t t) {
  long off = local(t).tm_gmtoff;
  char buf[32];
  if (lang != Lang::ru) {
    std::snprintf(buf, sizeof buf, "UTC%c%02ld:%02ld", off < 0 ? '-' : '+', std::labs(off) / 3600,
                  std::labs(off) % 3600 / 60);
    return buf;
  }
  long msk = off - 3 * 3600;
  if (msk == 0) return "МСК";
  long h = std::labs(msk) / 3600, m = std::labs(msk) % 3600 / 60;
  if (m)
    std::snprintf(buf, sizeof buf, "%ld:%02ld", h, m);
  else
    std::snprintf(buf, sizeof buf, "%ld", h);
  return std::string("МСК") + (msk < 0 ? "\xe2\x88\x92" : "+") + buf;  // a minus sign
}

std::string iso_date(std::int64_t t) {
  std::tm tm = local(t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  return buf;
}

std::optional<std::int64_t> parse_local(std::string_view date, std::string_view time) {
  int y, mo, d, h, mi;
  char tail;
  std::string ds(date), ts(time);
  // As <input type=date> sends it, or as people type it: 03.12.2026 (also 03/12/2026).
  if (std::sscanf(ds.c_str(), "%4d-%2d-%2d%c", &y, &mo, &d, &tail) != 3 &&
      std::sscanf(ds.c_str(), "%2d.%2d.%4d%c", &d, &mo, &y, &tail) != 3 &&
      std::sscanf(ds.c_str(), "%2d/%2d/%4d%c", &d, &mo, &y, &tail) != 3)
    return std::nullopt;
  if (std::sscanf(ts.c_str(), "%2d:%2d%c", &h, &mi, &tail) != 2) return std::nullopt;
  if (y < 2000 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 ||
      mi > 59)
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_isdst = -1;
  std::time_t t = std::mktime(&tm);
  if (t == -1 || tm.tm_mday != d) return std::nullopt;  // 31.02 rolls over: not a date
  return static_cast<std::int64_t>(t);
}

}  // namespace parta::web
