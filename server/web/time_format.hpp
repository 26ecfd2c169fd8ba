#pragma once
// School-time dates: shown and entered in the box's local time zone ("18:00" means 18:00 at the
// school), stored as seconds since the epoch.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parta::web {

std::string format_date(std::int64_t t);             // "21.11.2026"
std::string format_datetime(std::int64_t t);         // "21.11.2026 18:00"
std::string format_day(const std::string& iso_day);  // "2026-11-21" → "21.11.2026"
std::string iso_date(std::int64_t t);                // "2026-11-21", for <input type=date>
// The box's time zone at t: "Asia/Novosibirsk, UTC+07:00" (the name from $TZ or the
// /etc/localtime link; only the offset when neither names one).
std::string time_zone_label(std::int64_t t);
// "2026-11-21" (or "21.11.2026") + "18:00" → seconds; nullopt when either is not a real date or
// time.
std::optional<std::int64_t> parse_local(std::string_view date, std::string_view time);

}  // namespace parta::web
