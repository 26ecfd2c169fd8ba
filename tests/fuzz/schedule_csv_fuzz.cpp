// libFuzzer target for the timetable CSV parser: an admin uploads these files, so any bytes must
// give either valid lessons or a bounded list of messages, never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "content/utf8.hpp"
#include "domain/schedule.hpp"
#include "domain/schedule_csv.hpp"

namespace {
void check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "schedule_csv invariant broken: %s\n", what);
    std::abort();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace parta::domain;
  const ScheduleParse r =
      parse_schedule_csv(std::string_view(reinterpret_cast<const char*>(data), size));
  check(r.errors.size() <= 51, "at most 50 errors and one \"and more\"");
  for (const auto& e : r.errors)
    for (const auto& [key, value] : e.args) check(parta::text::is_valid_utf8(value), "UTF-8 args");
  if (!r.ok()) {
    check(r.rows.empty(), "all-or-nothing: no rows with errors");
    return 0;
  }
  check(!r.rows.empty() && r.rows.size() <= kMaxScheduleRows, "row count");
  int previous = 1;
  for (const auto& row : r.rows) {
    check(row.line > previous, "line numbers increase");
    previous = row.line;
    check(valid_day(row.day), "a real day");
    check(valid_time(row.starts) && valid_time(row.ends) && row.starts < row.ends, "times");
    check(row.number >= 0 && row.number <= 12, "lesson number");
    check(row.mode == "school" || row.mode == "online" || row.mode == "materials", "mode");
    check(row.mode != "online" || row.link.rfind("http", 0) == 0, "online has a link");
    check(!row.class_name.empty() && !row.subject.empty(), "required fields");
    for (const std::string* f : {&row.class_name, &row.subject, &row.teacher, &row.link})
      check(parta::text::is_valid_utf8(*f), "fields are UTF-8");
  }
  return 0;
}
