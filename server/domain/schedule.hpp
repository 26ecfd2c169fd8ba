#pragma once
// The timetable: lessons per class per school day (number, time, subject, teacher, and whether it
// is at school, an online lesson with a link, or work from materials), edited by the admin and
// published day by day; students and parents see today and tomorrow first.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/message.hpp"
#include "domain/school.hpp"

namespace parta::domain {

struct Lesson {
  std::int64_t id = 0, class_id = 0, subject_id = 0;
  std::optional<std::int64_t> teacher_id;
  std::string class_name, day, starts, ends, subject, teacher, mode, link;
  int number = 0;
};

struct NewLesson {
  std::int64_t class_id = 0, subject_id = 0;
  std::optional<std::int64_t> teacher_id;
  std::string day, starts, ends, mode = "school", link;
  int number = 1;
};

// "2026-11-23" is a real date; "08:30" a real time.
bool valid_day(const std::string& day);
bool valid_time(const std::string& hhmm);
// The two clash messages check_lesson gives (msgids).
extern const char kLessonClassBusy[];
extern const char kLessonTeacherBusy[];
// What is wrong with the lesson (nullopt: fine), including clashes: the class already has that
// lesson number that day, or the teacher is in another class at an overlapping time.
// An online lesson may be saved without its link (added later); a link given must be http(s).
// `except` is the lesson being edited (it does not clash with itself).
std::optional<Message> check_lesson(storage::Connection& c, const NewLesson& l,
                                    std::int64_t except = 0);
std::int64_t add_lesson(storage::Connection& c, const NewLesson& l);
void update_lesson(storage::Connection& c, std::int64_t id, const NewLesson& l);
// Copies a class's lessons of `days` days from `from` on to the same days from `to` on (a day to
// another day, a week to the next), unpublished. A target day that has lessons already is left
// as it is and counted in `skipped`; a teacher's clash refuses the copy (run it in a transaction).
struct CopyResult {
  int lessons = 0, days = 0, skipped = 0;
  std::optional<Message> error;  // the clash, on error_day
  std::string error_day;
};
CopyResult copy_lessons(storage::Connection& c, std::int64_t class_id, const std::string& from,
                        const std::string& to, int days);
void delete_lesson(storage::Connection& c, std::int64_t id);
std::optional<Lesson> find_lesson(storage::Connection& c, std::int64_t id);
std::vector<Lesson> lessons_of(storage::Connection& c, std::int64_t class_id,
                               const std::string& day);
bool day_published(storage::Connection& c, std::int64_t class_id, const std::string& day);
void publish_day(storage::Connection& c, std::int64_t class_id, const std::string& day, bool on);
// Published days of a class from `from` on (at most `days` of them), in date order.
std::vector<std::string> published_days(storage::Connection& c, std::int64_t class_id,
                                        const std::string& from, int days);
// The lessons of the published days in [from, to) of several classes at once, by class, day and
// number (the timetable page of a parent of three or a teacher of six classes is one query).
std::vector<Lesson> published_lessons(storage::Connection& c,
                                      const std::vector<std::int64_t>& classes,
                                      const std::string& first, const std::string& end);
// A teacher's own lessons on the published days in [from, to), by day and number, whatever the
// class (the teacher's "my lessons").
std::vector<Lesson> published_lessons_of_teacher(storage::Connection& c, std::int64_t teacher_id,
                                                 const std::string& first, const std::string& end);

}  // namespace parta::domain
