// Monitoring: visits once a day, a class's day, the weekly report, and who is at risk, on the demo
// school with a clock moved by hand.
#include <gtest/gtest.h>
#include <sodium.h>

#include "domain/coursework.hpp"
#include "domain/days.hpp"
#include "domain/demo.hpp"
#include "domain/monitoring.hpp"
#include "test_db.hpp"

namespace parta::domain {
namespace {

constexpr std::int64_t kDay = 24 * 3600;

class MonitoringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    fill_demo(*c, clock);
    teacher = *find_user_by_login(*c, "smirnova");
    k5a = find_class_by_name(*c, "5А")->id;
    for (const auto& s : list_subjects(*c))
      if (s.name == "Русский язык") rus = s.id;
    for (const auto& s : list_students(*c, k5a)) {
      if (s.paper)
        paper = s.user.id;
      else if (!online)
        online = s.user.id;
      else if (!other)
        other = s.user.id;
    }
    ASSERT_NE(paper, 0);
  }
  Assignment assignment(std::int64_t due_in) {
    NewAssignment a{k5a, rus, "", "Задание", "", Grading::mark, clock.now(), clock.now() + due_in,
                    {}};
    return *find_assignment(*c, create_assignment(*c, clock, teacher.id, a));
  }
  DayRow row(const std::vector<DayRow>& rows, std::int64_t id) {
    for (const auto& r : rows)
      if (r.student.user.id == id) return r;
    ADD_FAILURE() << "no row for " << id;
    return {};
  }
  const AtRisk* find(const std::vector<AtRisk>& list, std::int64_t id) {
    for (const auto& r : list)
      if (r.student.user.id == id) return &r;
    return nullptr;
  }
  testing::TestDb t;
  storage::Database::Lease c = t.db->acquire();
  FakeClock clock{1'763'800'000};  // 2025-11-22
  User teacher;
  std::int64_t k5a = 0, rus = 0, online = 0, other = 0, paper = 0;
};

TEST_F(MonitoringTest, DaysAreLocalCalendarDays) {
  EXPECT_EQ(add_days("2026-02-28", 1), "2026-03-01");
  EXPECT_EQ(add_days("2024-02-28", 1), "2024-02-29");
  EXPECT_EQ(add_days("2026-01-01", -1), "2025-12-31");
  EXPECT_EQ(weekday("2026-11-23"), 0);  // a Monday
  EXPECT_EQ(monday_of("2026-11-22"), "2026-11-16");
  EXPECT_EQ(local_day(day_start("2026-11-22")), "2026-11-22");
  EXPECT_EQ(day_start("2026-11-23") - day_start("2026-11-22"), kDay);
}

TEST_F(MonitoringTest, AVisitIsWrittenOncePerUserPerDay) {
  VisitLog log;
  std::string today = local_day(clock.now());
  log.note(*c, online, today, clock.now());
  log.note(*c, online, today, clock.now() + 60);
  EXPECT_EQ(c->scalar("SELECT COUNT(*) FROM visits WHERE user_id = ?1", online), 1);
  log.note(*c, online, add_days(today, 1), clock.now() + kDay);
  EXPECT_EQ(c->scalar("SELECT COUNT(*) FROM visits WHERE user_id = ?1", online), 2);
}

TEST_F(MonitoringTest, ClassDayCountsPaperStudentsByReturnedWork) {
  VisitLog log;
  std::string today = local_day(clock.now());
  auto a = assignment(kDay);
  log.note(*c, online, today, clock.now());
  log.note(*c, paper, today, clock.now());  // a sign-in does not make a paper student active
  auto rows = class_day(*c, k5a, today);
  EXPECT_TRUE(row(rows, online).active());
  EXPECT_FALSE(row(rows, paper).active());
  submit(*c, clock, a, paper, teacher.id, "", {}, "paper", "");
  EXPECT_FALSE(set_absence(*c, clock, other, today, "ill", "ОРВИ", teacher.id));
  EXPECT_TRUE(set_absence(*c, clock, other, today, "holiday", "", teacher.id));
  rows = class_day(*c, k5a, today);
  EXPECT_TRUE(row(rows, paper).active());
  EXPECT_EQ(row(rows, paper).on_paper, 1);
  ASSERT_TRUE(row(rows, other).absence);
  EXPECT_EQ(row(rows, other).absence->reason, "ill");
  EXPECT_FALSE(row(rows, other).active());
  EXPECT_FALSE(set_absence(*c, clock, other, today, "", "", teacher.id));
  EXPECT_FALSE(row(class_day(*c, k5a, today), other).absence);
}

TEST_F(MonitoringTest, WeeklyReportCountsMarksAndFamilies) {
  std::string monday = monday_of(local_day(clock.now()));
  auto a = assignment(kDay);
  set_grade(*c, clock, a.id, online, teacher.id, "5", "");
  VisitLog log;
  auto parents = parents_of(*c, online);
  ASSERT_FALSE(parents.empty());
  log.note(*c, parents[0].id, local_day(clock.now()), clock.now());
  auto r = week_report(*c, k5a, monday);
  ASSERT_EQ(r.days.size(), 7u);
  EXPECT_EQ(r.students, static_cast<int>(list_students(*c, k5a).size()));
  EXPECT_EQ(r.reached, 1);
  EXPECT_GE(r.families, 1);
  for (const auto& s : r.subjects)
    if (s.subject == "Русский язык") {
      EXPECT_EQ(s.assignments, 1);
      EXPECT_EQ(s.marks, 1);
    }
  // A week later nothing of this counts.
  auto next = week_report(*c, k5a, add_days(monday, 7));
  EXPECT_EQ(next.reached, 0);
  for (const auto& s : next.subjects) EXPECT_EQ(s.marks, 0);
}

TEST_F(MonitoringTest, AtRiskIdleOverdueFalling) {
  VisitLog log;
  auto a1 = assignment(kDay), a2 = assignment(2 * kDay);
  log.note(*c, online, local_day(clock.now()), clock.now());
  for (const char* m : {"5", "5", "5"}) {
    auto a = assignment(kDay);
    set_grade(*c, clock, a.id, other, teacher.id, m, "");
    clock.advance(60);
  }
  for (const char* m : {"3", "3-", "3"}) {
    auto a = assignment(kDay);
    set_grade(*c, clock, a.id, other, teacher.id, m, "");
    clock.advance(60);
  }
  submit(*c, clock, a1, paper, teacher.id, "", {}, "paper", "");
  // Five days on: nobody has done a thing since.
  clock.advance(5 * kDay);
  log.note(*c, other, local_day(clock.now()), clock.now());
  auto list = at_risk(*c, k5a, clock.now(), 3);
  const AtRisk* idle = find(list, online);
  ASSERT_TRUE(idle);
  EXPECT_EQ(idle->idle_days, 5);
  EXPECT_EQ(idle->overdue, 2 + 6);  // a1, a2 and the six graded-for-someone-else ones
  const AtRisk* falling = find(list, other);
  ASSERT_TRUE(falling);
  EXPECT_TRUE(falling->falling);
  const AtRisk* p = find(list, paper);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->reasons[0].msgid, "no paper work returned for {n} days");
  // With a longer window, the online student is listed only for the overdue work.
  list = at_risk(*c, k5a, clock.now(), 10);
  ASSERT_TRUE(find(list, online));
  EXPECT_EQ(find(list, online)->reasons.size(), 1u);
  (void)a2;
}

}  // namespace
}  // namespace parta::domain
