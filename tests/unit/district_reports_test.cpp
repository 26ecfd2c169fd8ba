// District reports on the hub: a school's week replaces what the hub held for it and the
// district's totals move by the difference; figures from a school are untrusted input.
#include "domain/district_reports.hpp"

#include <gtest/gtest.h>

#include "test_db.hpp"

namespace parta::domain {
namespace {

using nlohmann::json;

class DistrictReports : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* p : {"a", "b", "gone"})
      c->run(
          "INSERT INTO sync_peers (device_id, role, name, sign_pk, box_pk, enrolled_at, revoked) "
          "VALUES (?1, 'school', ?2, '', '', 0, ?3)",
          p, std::string("School ") + p, std::string(p) == "gone");
  }
  static json week(std::int64_t students, std::int64_t active, std::int64_t handed) {
    return {{"classes", json::array({{{"class", "5А"},
                                      {"students", students},
                                      {"active", active},
                                      {"at_risk", 1},
                                      {"submitted", handed},
                                      {"on_paper", 1},
                                      {"paper_students", 2},
                                      {"absences", 0}},
                                     {{"class", "10Б"}, {"students", 10}, {"active", 10}}})},
            {"subjects", json::array({{{"class", "5А"},
                                       {"subject", "Русский язык"},
                                       {"assignments", 1},
                                       {"submitted", handed},
                                       {"marks", 2}}})}};
  }
  // The kept totals agree with the schools' rows added up now.
  void expect_totals_consistent(const std::string& monday) {
    WeekFigures sum;
    std::int64_t schools = 0;
    for (const auto& s : schools_week(*c, monday))
      if (s.reported) {
        sum += s.figures;
        ++schools;
      }
    auto w = district_weeks(*c, monday, 1).at(0);
    EXPECT_EQ(w.schools, schools);
    EXPECT_EQ(w.figures.students, sum.students);
    EXPECT_EQ(w.figures.active, sum.active);
    EXPECT_EQ(w.figures.submitted, sum.submitted);
    EXPECT_EQ(w.figures.on_paper, sum.on_paper);
    auto subjects = c->query(
        "SELECT subject, SUM(submitted), SUM(marks) FROM district_week_subjects WHERE monday = ?1 "
        "GROUP BY subject",
        monday);
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> rows;
    while (subjects.next()) rows[subjects.text(0)] = {subjects.integer(1), subjects.integer(2)};
    for (const auto& t : subjects_week(*c, monday))
      EXPECT_EQ(rows[t.subject], std::make_pair(t.submitted, t.marks)) << t.subject;
  }
  testing::TestDb t;
  storage::Database::Lease c = t.db->acquire();
};

TEST_F(DistrictReports, AWeekComingAgainReplacesItsFiguresAndTheTotalsFollow) {
  const std::string w = "2026-11-30";
  note_week(*c, "a", w, week(25, 20, 7));
  note_week(*c, "b", w, week(30, 10, 3));
  expect_totals_consistent(w);
  auto total = district_weeks(*c, w, 1).at(0);
  EXPECT_EQ(total.schools, 2);
  EXPECT_EQ(total.figures.students, 25 + 10 + 30 + 10);
  EXPECT_EQ(total.figures.submitted, 10);
  // School a's week again, later in the week: replaced, not added.
  note_week(*c, "a", w, week(25, 22, 9));
  expect_totals_consistent(w);
  total = district_weeks(*c, w, 1).at(0);
  EXPECT_EQ(total.schools, 2);
  EXPECT_EQ(total.figures.submitted, 12);
  EXPECT_EQ(total.figures.active, 22 + 10 + 10 + 10);
  auto subjects = subjects_week(*c, w);
  ASSERT_EQ(subjects.size(), 1u);
  EXPECT_EQ(subjects[0].submitted, 12);
  EXPECT_EQ(subjects[0].marks, 4);
  // A week with fewer classes: the class that is gone leaves the school's figures.
  note_week(*c, "a", w, json{{"classes", json::array({week(25, 5, 1)["classes"][0]})}});
  expect_totals_consistent(w);
  auto classes = school_classes_week(*c, "a", w);
  ASSERT_EQ(classes.size(), 1u);
  EXPECT_EQ(classes[0].class_name, "5А");
  EXPECT_EQ(subjects_week(*c, w).at(0).submitted, 3);  // only b's now
  // Classes in a school's order; a revoked school is not listed; other weeks are apart.
  note_week(*c, "b", w, week(30, 10, 3));
  auto b = school_classes_week(*c, "b", w);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].class_name, "5А");
  EXPECT_EQ(b[1].class_name, "10Б");
  auto schools = schools_week(*c, w);
  ASSERT_EQ(schools.size(), 2u);
  EXPECT_EQ(schools[0].peer, "a");
  EXPECT_TRUE(schools[0].reported);
  EXPECT_FALSE(schools_week(*c, "2026-11-23")[0].reported);
  auto weeks = district_weeks(*c, w, 3);
  ASSERT_EQ(weeks.size(), 3u);
  EXPECT_EQ(weeks[0].monday, "2026-11-16");
  EXPECT_EQ(weeks[0].schools, 0);
  EXPECT_EQ(weeks[2].monday, w);
}

TEST_F(DistrictReports, FiguresFromASchoolAreCheckedBeforeTheyAreKept) {
  const std::string w = "2026-11-30";
  json hostile{{"classes", json::array({
                               {{"class", "5А"}, {"students", -40}, {"active", 1e12}},
                               {{"class", "5А"}, {"students", 99}},  // named twice: the first
                               {{"class", 7}, {"students", 5}},      // no name
                               {{"class", "\xff\xfe"}, {"students", 5}},
                               "not an object",
                               {{"class", std::string(500, 'x')}, {"students", "12"}},
                           })},
               {"subjects", {{"not", "an array"}}}};
  note_week(*c, "a", w, hostile);
  auto classes = school_classes_week(*c, "a", w);
  ASSERT_EQ(classes.size(), 2u);
  EXPECT_EQ(classes[1].class_name, "5А");
  EXPECT_EQ(classes[1].figures.students, 0);         // negative: none
  EXPECT_EQ(classes[1].figures.active, 0);           // a float is no count
  EXPECT_EQ(classes[0].class_name.size(), 80u + 3);  // cut, with "…"
  EXPECT_EQ(classes[0].figures.students, 0);         // "12" is text, not a count
  EXPECT_TRUE(subjects_week(*c, w).empty());
  expect_totals_consistent(w);
  // Too many classes: the first 300 are kept; a huge count is clamped.
  json many{{"classes", json::array()}};
  for (int i = 0; i < 1000; ++i)
    many["classes"].push_back({{"class", std::to_string(i)}, {"students", 1'000'000'000'000}});
  note_week(*c, "b", w, many);
  EXPECT_EQ(school_classes_week(*c, "b", w).size(), 300u);
  EXPECT_EQ(school_classes_week(*c, "b", w)[0].figures.students, 1'000'000);
  expect_totals_consistent(w);
  // A week that is not a Monday, or no date: nothing kept.
  note_week(*c, "a", "2026-12-01", week(1, 1, 1));
  note_week(*c, "a", "'; DROP TABLE x; --", week(1, 1, 1));
  EXPECT_EQ(c->scalar("SELECT COUNT(*) FROM district_week_schools WHERE monday != ?1", w), 0);
  // Not an object at all: the school's week is there, empty.
  note_week(*c, "a", w, json::array({1, 2}));
  EXPECT_TRUE(school_classes_week(*c, "a", w).empty());
  expect_totals_consistent(w);
}

}  // namespace
}  // namespace parta::domain
