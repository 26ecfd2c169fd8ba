#pragma once
// Importing a timetable from CSV (a week exported from Excel): one lesson per line with class,
// date, lesson number, times, subject, teacher, format and link. Parsing checks each line; the
// import resolves names and clashes and replaces the listed class-days all-or-nothing.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "domain/message.hpp"
#include "domain/schedule.hpp"

namespace parta::domain {

struct ScheduleRow {
  int line = 0;
  std::string class_name;  // normalised, "5А"
  std::string day;         // "2026-11-23" (the file may say 23.11.2026)
  int number = 0;
  std::string starts, ends;  // "08:30" (the file may say 8:30)
  std::string subject, teacher;
  std::string mode = "school";  // school, online or materials
  std::string link;
};

struct ScheduleParse {
  std::vector<ScheduleRow> rows;  // only when errors is empty
  std::vector<Message> errors;
  bool ok() const { return errors.empty(); }
};

inline constexpr std::size_t kMaxScheduleBytes = 1024 * 1024;
inline constexpr std::size_t kMaxScheduleRows = 3000;

ScheduleParse parse_schedule_csv(std::string_view bytes);

struct ScheduleImport {
  int lessons = 0, days = 0;  // class-days replaced
  std::vector<Message> errors;
};
// Resolves classes, subjects and teachers (login, full name, or "Фамилия И. О."), checks every
// lesson for clashes with the rest of the file and the timetable, and replaces the lessons of
// each class-day in the file; nothing is written when anything is wrong.
ScheduleImport import_schedule(storage::Connection& c, const std::vector<ScheduleRow>& rows);

}  // namespace parta::domain
