#pragma once
// School-time dates: shown and entered in the box's local time zone ("18:00" means 18:00 at the
// school), stored as seconds since the epoch.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "web/i18n.hpp"

namespace parta::web {

std::string format_date(std::int64_t t);             // "21.11.2026"
std::string format_datetime(std::int64_t t);         // "21.11.2026 18:00"
std::string format_day(const std::string& iso_day);  // "2026-11-21" → "21.11.2026"
std::string iso_date(std::int64_t t);                // "2026-11-21", for <input type=date>
// A deadline as a person says it, relative to `now`: "сегодня до 18:00", "завтра до 9:00",
// "в пятницу до 18:00" within the coming week, "12.12 до 18:00" beyond it (with the year when it
// is not this year's).
std::string format_deadline(Lang lang, std::int64_t t, std::int64_t now);
// A size as the interface writes it: "17 КБ", "1,2 МБ", "71,0 ГБ" (a decimal comma in Russian).
std::string format_size(Lang lang, std::uint64_t bytes);
// A span of time as the interface says it: "40 с", "12 мин", "3 ч 5 мин", "2 дн. 4 ч".
std::string format_duration(Lang lang, std::int64_t seconds);
// The box's time zone at t: "Asia/Novosibirsk, UTC+07:00" (the name from $TZ or the
// /etc/localtime link; only the offset when neither names one).
std::string time_zone_label(std::int64_t t);
// The box's time zone as a Russian school says it, from Moscow time: "МСК+4" (Novosibirsk),
// "МСК" (Moscow), "МСК−1" (Kaliningrad); "UTC+07:00" in English.
std::string moscow_time_label(Lang lang, std::int64_t t);
// "2026-11-21" (or "21.11.2026") + "18:00" → seconds; nullopt when either is not a real date or
// time.
std::optional<std::int64_t> parse_local(std::string_view date, std::string_view time);

}  // namespace parta::web
