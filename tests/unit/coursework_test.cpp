#include <gtest/gtest.h>
#include <sodium.h>

#include "domain/access.hpp"
#include "domain/coursework.hpp"
#include "domain/demo.hpp"
#include "test_db.hpp"

namespace parta::domain {
namespace {

class CourseworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    fill_demo(*c, clock);
    teacher = *find_user_by_login(*c, "smirnova");
    k5a = find_class_by_name(*c, "5А")->id;
    for (const auto& s : list_subjects(*c))
      if (s.name == "Русский язык") rus = s.id;
    auto students = list_students(*c, k5a);
    a_id = students[0].user.id;
    b_id = students[1].user.id;
  }
  std::int64_t make(NewAssignment a) {
    a.class_id = k5a;
    a.subject_id = rus;
    if (a.title.empty()) a.title = "Задание";
    if (!a.due_at) a.due_at = clock.now() + 3600;
    if (!a.publish_at) a.publish_at = clock.now();
    EXPECT_FALSE(check_assignment(*c, a, clock.now()));
    return create_assignment(*c, clock, teacher.id, a);
  }
  testing::TestDb t;
  storage::Database::Lease c = t.db->acquire();
  FakeClock clock;
  User teacher;
  std::int64_t k5a = 0, rus = 0, a_id = 0, b_id = 0;
};

TEST(Marks, RussianScaleAndPassFail) {
  EXPECT_EQ(normalize_mark(Grading::mark, "5"), "5");
  EXPECT_EQ(normalize_mark(Grading::mark, " 4- "), "4-");
  EXPECT_EQ(normalize_mark(Grading::mark, "3+"), "3+");
  EXPECT_EQ(normalize_mark(Grading::mark, "5+"), std::nullopt);
  EXPECT_EQ(normalize_mark(Grading::mark, "2-"), std::nullopt);
  EXPECT_EQ(normalize_mark(Grading::mark, "1"), std::nullopt);
  EXPECT_EQ(normalize_mark(Grading::mark, "6"), std::nullopt);
  EXPECT_EQ(normalize_mark(Grading::mark, "pass"), std::nullopt);
  EXPECT_EQ(normalize_mark(Grading::pass, "pass"), "pass");
  EXPECT_EQ(normalize_mark(Grading::pass, "5"), std::nullopt);
  EXPECT_EQ(normalize_mark(Grading::none, "5"), std::nullopt);
  EXPECT_EQ(mark_value("4-"), 4);
  EXPECT_EQ(mark_value("pass"), std::nullopt);
}

TEST_F(CourseworkTest, ChecksRefuseBadAssignments) {
  NewAssignment a{k5a, rus, "", "", "", Grading::mark, clock.now(), clock.now() + 60, {}};
  EXPECT_EQ(check_assignment(*c, a, clock.now())->msgid, "Enter the assignment's title.");
  a.title = "x";
  a.due_at = clock.now() - 1;
  EXPECT_EQ(check_assignment(*c, a, clock.now())->msgid, "The due date is in the past.");
  a.due_at = clock.now() + 60;
  a.publish_at = clock.now() + 120;
  EXPECT_TRUE(check_assignment(*c, a, clock.now()));
  a.publish_at = clock.now();
  auto other = list_students(*c, find_class_by_name(*c, "9А")->id);
  a.students = {other[0].user.id};
  EXPECT_EQ(check_assignment(*c, a, clock.now())->msgid, "A chosen student is not in this class.");
}

TEST_F(CourseworkTest, LateResubmitReturnedGraded) {
  std::int64_t id = make({});
  auto a = *find_assignment(*c, id);
  EXPECT_EQ(state_of(*c, a, a_id, clock.now()).status, WorkStatus::none);
  submit(*c, clock, a, a_id, a_id, "first", {}, "web", "test");
  EXPECT_EQ(state_of(*c, a, a_id, clock.now()).status, WorkStatus::submitted);
  add_comment(*c, clock, a.id, a_id, teacher.id, "returned", "fix it");
  EXPECT_EQ(state_of(*c, a, a_id, clock.now()).status, WorkStatus::returned);
  clock.advance(7200);  // past the deadline: late, not refused
  EXPECT_EQ(state_of(*c, a, b_id, clock.now()).status, WorkStatus::overdue);
  submit(*c, clock, a, a_id, a_id, "second", {}, "web", "test");
  auto subs = submissions_of(*c, a.id, a_id);
  ASSERT_EQ(subs.size(), 2u);
  EXPECT_FALSE(subs[0].late);
  EXPECT_TRUE(subs[1].late);
  EXPECT_EQ(subs[0].body, "first");  // history kept
  EXPECT_EQ(state_of(*c, a, a_id, clock.now()).status, WorkStatus::late);
  set_grade(*c, clock, a.id, a_id, teacher.id, "4", "");
  EXPECT_EQ(state_of(*c, a, a_id, clock.now()).status, WorkStatus::graded);
}

TEST_F(CourseworkTest, ReturnedFollowsSubmissionsNotTheClock) {
  std::int64_t id = make({});
  auto a = *find_assignment(*c, id);
  submit(*c, clock, a, a_id, a_id, "one", {}, "web", "");
  add_comment(*c, clock, a.id, a_id, teacher.id, "returned", "again");
  clock.advance(-86400);  // the box's clock jumped back a day
  submit(*c, clock, a, a_id, a_id, "two", {}, "web", "");
  EXPECT_EQ(state_of(*c, a, a_id, clock.now()).status, WorkStatus::submitted);
}

TEST_F(CourseworkTest, GroupsVariantsAndPublishing) {
  NewAssignment g;
  g.students = {a_id};
  std::int64_t gid = make(g);
  auto ga = *find_assignment(*c, gid);
  EXPECT_TRUE(assigned_to(*c, ga, a_id));
  EXPECT_FALSE(assigned_to(*c, ga, b_id));
  EXPECT_EQ(students_of(*c, ga).size(), 1u);
  set_variant(*c, gid, a_id, "Вариант 2");
  EXPECT_EQ(variant_for(*c, gid, a_id), "Вариант 2");
  record_blob(*c, clock, std::string(64, 'a'), 10);
  add_attachment(*c, gid, a_id, {0, std::string(64, 'a'), "v2.pdf", "application/pdf", 10});
  add_attachment(*c, gid, std::nullopt,
                 {0, std::string(64, 'a'), "all.pdf", "application/pdf", 10});
  EXPECT_EQ(attachments_for(*c, gid, a_id).size(), 2u);
  EXPECT_EQ(attachments_for(*c, gid, b_id).size(), 1u);

  NewAssignment later;
  later.publish_at = clock.now() + 600;
  later.due_at = clock.now() + 7200;
  std::int64_t lid = make(later);
  auto visible = [&](std::int64_t sid, std::int64_t aid) {
    for (const auto& x : assignments_for_student(*c, sid, clock.now()))
      if (x.id == aid) return true;
    return false;
  };
  EXPECT_TRUE(visible(a_id, gid));
  EXPECT_FALSE(visible(b_id, gid));
  EXPECT_FALSE(visible(a_id, lid));
  clock.advance(601);
  EXPECT_TRUE(visible(a_id, lid));
  EXPECT_TRUE(visible(b_id, lid));
}

TEST_F(CourseworkTest, GradebookAveragesAndDiary) {
  auto a1 = *find_assignment(*c, make({}));
  auto a2 = *find_assignment(*c, make({}));
  NewAssignment ungraded;
  ungraded.grading = Grading::none;
  make(ungraded);
  set_grade(*c, clock, a1.id, a_id, teacher.id, "5-", "");
  set_grade(*c, clock, a2.id, a_id, teacher.id, "4", "хорошо");
  auto g = gradebook(*c, k5a, rus);
  ASSERT_EQ(g.columns.size(), 2u);  // the ungraded one is not a column
  for (const auto& row : g.rows) {
    if (row.student.user.id != a_id) continue;
    EXPECT_EQ(row.marks, (std::vector<std::string>{"5-", "4"}));
    ASSERT_TRUE(row.average);
    EXPECT_DOUBLE_EQ(*row.average, 4.5);
  }
  auto d = diary(*c, a_id);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[1].grade.comment, "хорошо");
  EXPECT_TRUE(diary(*c, b_id).empty());
}

// The one access policy (domain/access.hpp) over the states the role × route table lacked.
TEST_F(CourseworkTest, WhoSeesWhichThread) {
  std::int64_t now = clock.now();
  auto a = *find_assignment(*c, make({}));
  auto student_a = *find_user(*c, a_id);
  EXPECT_TRUE(can_read_thread(*c, student_a, a, a_id, now));
  EXPECT_FALSE(can_read_thread(*c, student_a, a, b_id, now));
  auto math = *find_user_by_login(*c, "kuznetsov");  // teaches 5А maths, not Russian
  EXPECT_FALSE(can_read_thread(*c, math, a, a_id, now));
  EXPECT_FALSE(can_read(*c, math, a, now));
  EXPECT_FALSE(teaches(*c, math, k5a, rus));
  EXPECT_TRUE(can_read_thread(*c, teacher, a, a_id, now));
  auto parent = parents_of(*c, a_id);
  ASSERT_FALSE(parent.empty());
  EXPECT_TRUE(can_read_thread(*c, parent[0], a, a_id, now));
  EXPECT_FALSE(can_read_thread(*c, parent[0], a, b_id, now));  // a classmate's work
  auto classmate = find_user_by_login(*c, "sokolova.m")->id;
  ASSERT_NE(classmate, a_id);
  auto classmate_parent = parents_of(*c, classmate);
  ASSERT_FALSE(classmate_parent.empty());
  EXPECT_TRUE(can_read(*c, classmate_parent[0], a, now));  // the task: their child has it too
  EXPECT_FALSE(can_read_thread(*c, classmate_parent[0], a, a_id, now));
}

TEST_F(CourseworkTest, AScheduledAssignmentIsStaffOnlyFilesIncluded) {
  NewAssignment later;
  later.publish_at = clock.now() + 24 * 3600;
  later.due_at = clock.now() + 48 * 3600;
  auto a = *find_assignment(*c, make(later));
  record_blob(*c, clock, std::string(64, 'a'), 1);
  record_blob(*c, clock, std::string(64, 'b'), 1);
  add_attachment(*c, a.id, std::nullopt,
                 {0, std::string(64, 'a'), "test.pdf", "application/pdf", 1});
  add_attachment(*c, a.id, a_id, {0, std::string(64, 'b'), "variant.pdf", "application/pdf", 1});
  auto general = *find_attachment(*c, *c->scalar("SELECT MIN(id) FROM attachments"));
  auto variant = *find_attachment(*c, *c->scalar("SELECT MAX(id) FROM attachments"));
  ASSERT_FALSE(general.student_id);
  ASSERT_EQ(variant.student_id, a_id);
  auto student_a = *find_user(*c, a_id);
  auto parent = parents_of(*c, a_id)[0];
  std::int64_t now = clock.now();
  // B5: neither the student nor a parent may have the file of a test set for tomorrow.
  for (const auto& who : {student_a, parent}) {
    EXPECT_FALSE(can_read(*c, who, a, now)) << who.login;
    EXPECT_FALSE(can_read(*c, who, general, now)) << who.login;
    EXPECT_FALSE(can_read(*c, who, variant, now)) << who.login;
    EXPECT_FALSE(can_read_thread(*c, who, a, a_id, now)) << who.login;
  }
  EXPECT_TRUE(can_read(*c, teacher, general, now));
  now += 24 * 3600;
  EXPECT_TRUE(can_read(*c, parent, general, now));
  EXPECT_TRUE(can_read(*c, student_a, variant, now));
  auto student_b = *find_user(*c, b_id);
  EXPECT_TRUE(can_read(*c, student_b, general, now));
  EXPECT_FALSE(can_read(*c, student_b, variant, now));  // another student's variant
}

TEST_F(CourseworkTest, AClassTeacherReadsWhatEveryTeacherOfTheClassSets) {
  // Maths in 5А by kuznetsov; smirnova leads 5А but does not teach maths (B6), vasiliev teaches
  // biology in 5А.
  auto math = *find_user_by_login(*c, "kuznetsov");
  std::int64_t maths = 0;
  for (const auto& s : list_subjects(*c))
    if (s.name == "Математика") maths = s.id;
  NewAssignment n{k5a, maths, "", "Задача", "", Grading::mark, clock.now(), clock.now() + 60, {}};
  auto a = *find_assignment(*c, create_assignment(*c, clock, math.id, n));
  record_blob(*c, clock, std::string(64, 'a'), 1);
  add_attachment(*c, a.id, std::nullopt, {0, std::string(64, 'a'), "t.pdf", "application/pdf", 1});
  auto file = *find_attachment(*c, *c->scalar("SELECT MAX(id) FROM attachments"));
  std::int64_t now = clock.now();
  EXPECT_TRUE(can_oversee(*c, teacher, a));
  EXPECT_TRUE(can_read(*c, teacher, file, now));  // the page's links work for her too
  EXPECT_TRUE(can_read_thread(*c, teacher, a, a_id, now));
  EXPECT_FALSE(can_manage_paper(*c, teacher, a));  // reading, not running the subject
  auto bio = *find_user_by_login(*c, "vasiliev");
  EXPECT_FALSE(can_oversee(*c, bio, a));
  EXPECT_FALSE(can_read(*c, bio, file, now));
  EXPECT_FALSE(can_read_thread(*c, bio, a, a_id, now));
  EXPECT_TRUE(can_manage_paper(*c, math, a));
}

}  // namespace
}  // namespace parta::domain
