// The timetable CSV: parsing the fixtures (UTF-8 and Windows-1251), line-numbered errors, and an
// import that resolves names, finds clashes inside the file and replaces class-days whole.
#include <gtest/gtest.h>
#include <sodium.h>

#include <fstream>
#include <sstream>

#include "domain/demo.hpp"
#include "domain/schedule_csv.hpp"
#include "test_db.hpp"

namespace parta::domain {
namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(PARTA_SOURCE_DIR) + "/tests/fixtures/schedule/" + name,
                   std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ScheduleCsv, ParsesAWeekInEitherEncoding) {
  for (const char* name : {"week.csv", "week-cp1251.csv"}) {
    auto r = parse_schedule_csv(fixture(name));
    ASSERT_TRUE(r.ok()) << name << ": " << r.errors[0].msgid;
    ASSERT_EQ(r.rows.size(), 5u);
    EXPECT_EQ(r.rows[0].class_name, "5А");
    EXPECT_EQ(r.rows[0].day, "2026-11-23");
    EXPECT_EQ(r.rows[0].starts, "08:30");
    EXPECT_EQ(r.rows[0].teacher, "Смирнова О. В.");
    EXPECT_EQ(r.rows[1].mode, "online");
    EXPECT_EQ(r.rows[2].mode, "materials");
    EXPECT_EQ(r.rows[4].line, 6);
  }
}

TEST(ScheduleCsv, EveryBadLineIsNamed) {
  auto r = parse_schedule_csv(fixture("broken.csv"));
  EXPECT_TRUE(r.rows.empty());
  ASSERT_EQ(r.errors.size(), 4u);
  EXPECT_EQ(r.errors[0].args[0].second, "2");
  EXPECT_EQ(r.errors[1].args[0].second, "3");
  EXPECT_EQ(r.errors[2].msgid, "Line {line}: the lesson ends before it starts");
  EXPECT_EQ(r.errors[3].args[1].second, "x");
  EXPECT_FALSE(parse_schedule_csv("").ok());
  EXPECT_FALSE(parse_schedule_csv("Класс;Дата\r\n5А;23.11.2026\r\n").ok());  // columns missing
  EXPECT_FALSE(parse_schedule_csv("\xFF\xFE"
                                  "a")
                   .ok());  // UTF-16
  auto online = parse_schedule_csv(
      "Класс;Дата;Урок;Начало;Конец;Предмет;Формат\n5А;23.11.2026;1;8:30;9:10;Алгебра;онлайн\n");
  ASSERT_EQ(online.errors.size(), 1u);
  EXPECT_EQ(online.errors[0].msgid,
            "Line {line}: an online lesson needs a link that starts with http:// or https://");
}

class ScheduleImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    fill_demo(*c, clock);
  }
  int lessons() { return static_cast<int>(c->scalar("SELECT COUNT(*) FROM lessons").value_or(0)); }
  testing::TestDb t;
  storage::Database::Lease c = t.db->acquire();
  FakeClock clock;
};

TEST_F(ScheduleImportTest, ImportsAndReplacesTheDays) {
  int before = lessons();
  auto rows = parse_schedule_csv(fixture("week.csv")).rows;
  auto done = import_schedule(*c, rows);
  ASSERT_TRUE(done.errors.empty()) << done.errors[0].msgid;
  EXPECT_EQ(done.lessons, 5);
  EXPECT_EQ(done.days, 3);
  EXPECT_EQ(lessons(), before + 5);
  // The same file again replaces those days: nothing doubles.
  ASSERT_TRUE(import_schedule(*c, rows).errors.empty());
  EXPECT_EQ(lessons(), before + 5);
  auto maths = lessons_of(*c, find_class_by_name(*c, "5А")->id, "2026-11-23");
  ASSERT_EQ(maths.size(), 3u);
  EXPECT_EQ(maths[1].link, "https://meet.example/5a");
}

TEST_F(ScheduleImportTest, ClashesAndUnknownNamesWriteNothing) {
  int before = lessons();
  auto clash = import_schedule(*c, parse_schedule_csv(fixture("clash.csv")).rows);
  ASSERT_EQ(clash.errors.size(), 1u);
  EXPECT_EQ(clash.errors[0].msgid,
            "Line {line}: the teacher already has a lesson in {class} at {from}–{to} that day");
  EXPECT_EQ(clash.errors[0].args[0].second, "5");
  EXPECT_EQ(lessons(), before);
  auto unknown =
      import_schedule(*c, parse_schedule_csv("Класс;Дата;Урок;Начало;Конец;Предмет;Учитель\n"
                                             "5А;23.11.2026;1;8:30;9:10;Химия;smirnova\n"
                                             "5А;23.11.2026;2;9:20;10:00;Алгебра;Иванов И. И.\n"
                                             "7В;23.11.2026;2;9:20;10:00;Алгебра;\n")
                              .rows);
  ASSERT_EQ(unknown.errors.size(), 3u);
  EXPECT_EQ(unknown.errors[0].msgid, "Line {line}: there is no subject \"{value}\" in the school");
  EXPECT_EQ(unknown.errors[1].msgid, "Line {line}: no teacher is called \"{value}\"");
  EXPECT_EQ(unknown.errors[2].msgid, "Line {line}: there is no class {value} in the school");
  EXPECT_EQ(lessons(), before);
}

}  // namespace
}  // namespace parta::domain
