// A quiz kept with its assignment (issue 18): the order each student sees, attempts and their
// limit, the mark through the scale, late attempts, and what a teacher may change once students
// have answered.
#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <set>

#include "domain/coursework.hpp"
#include "domain/demo.hpp"
#include "domain/paper.hpp"
#include "domain/quiz_store.hpp"
#include "printer/paper_job.hpp"
#include "test_db.hpp"

namespace parta::domain {
namespace {

const char* kBank =
    "2 + 2? {=4 ~5 ~22 ~3}\n\n"
    "Чётные? {~%50%2 ~%50%4 ~%-100%3}\n\n"
    "// points: 2\n"
    "Столица? {=Москва}\n\n"
    "Объясните. {}\n";

class QuizStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    fill_demo(*c, clock);
    auto teacher = *find_user_by_login(*c, "smirnova");
    auto k5a = find_class_by_name(*c, "5А")->id;
    std::int64_t rus = 0;
    for (const auto& s : list_subjects(*c))
      if (s.name == "Русский язык") rus = s.id;
    auto students = list_students(*c, k5a);
    s1 = students[0].user.id;
    s2 = students[1].user.id;
    NewAssignment n{k5a, rus, "", "Тест", "", Grading::mark, clock.now(), clock.now() + 3600, {}};
    a = *find_assignment(*c, create_assignment(*c, clock, teacher.id, n));
    auto parsed = parse_gift(kBank);
    ASSERT_TRUE(parsed.ok());
    questions = parsed.questions;
    ASSERT_FALSE(save_quiz(*c, clock, a, settings, questions));
    quiz = *find_quiz(*c, a.id);
  }
  // One attempt answered as given (position → answer), handed in.
  QuizAttempt take(std::int64_t student, std::map<std::size_t, std::string> answers) {
    auto t = start_attempt(*c, clock, a, quiz, student);
    EXPECT_TRUE(t);
    save_answers(*c, clock, t->id, answers);
    finish_attempt(*c, clock, a, quiz, *t);
    return *find_attempt(*c, t->id);
  }
  testing::TestDb t;
  storage::Database::Lease c = t.db->acquire();
  FakeClock clock;
  Assignment a;
  QuizSettings settings{2, 5, {}};
  std::vector<QuizQuestion> questions;
  Quiz quiz;
  std::int64_t s1 = 0, s2 = 0;
};

TEST_F(QuizStoreTest, EachStudentHasHisOwnStableOrder) {
  auto o1 = question_order(a, s1, 40), o2 = question_order(a, s2, 40);
  EXPECT_EQ(o1, question_order(a, s1, 40)) << "the same at every attempt";
  EXPECT_NE(o1, o2) << "another student, another order";
  std::set<std::size_t> all(o1.begin(), o1.end());
  EXPECT_EQ(all.size(), 40u) << "a permutation";
  auto opts = option_order(a, s1, 0, questions[0]);
  EXPECT_EQ(opts, option_order(a, s1, 0, questions[0]));
  EXPECT_EQ(std::set<std::size_t>(opts.begin(), opts.end()).size(), 4u);
  // True/false and typed answers keep their order.
  QuizQuestion tf = parse_gift("Да? {T}").questions[0];
  EXPECT_EQ(option_order(a, s1, 0, tf), (std::vector<std::size_t>{0, 1}));
}

TEST_F(QuizStoreTest, OpenAnswersWaitThenTheBestAttemptIsTheMark) {
  // 1 + 0.5 + 2 of 5, and an open answer: waits.
  auto first = take(s1, {{0, "0"}, {1, "0"}, {2, "москва"}, {3, "потому что"}});
  EXPECT_EQ(first.waiting, 1);
  EXPECT_DOUBLE_EQ(first.score, 3.5);
  EXPECT_DOUBLE_EQ(first.max, 5);
  EXPECT_FALSE(grade_of(*c, a.id, s1)) << "no mark while the teacher has not marked";
  mark_open_answer(*c, clock, a, quiz, first.id, 3, 1);
  EXPECT_EQ(grade_of(*c, a.id, s1)->mark, "5") << "4.5 of 5 = 90 %";
  // A worse second attempt does not lower it; a third is not allowed.
  // Handed in twice from what the page read before the first hand-in (two taps on a slow link).
  auto tapped = *start_attempt(*c, clock, a, quiz, s1);
  save_answers(*c, clock, tapped.id, {{0, "1"}});
  finish_attempt(*c, clock, a, quiz, tapped);
  finish_attempt(*c, clock, a, quiz, tapped);
  auto second = *find_attempt(*c, tapped.id);
  EXPECT_DOUBLE_EQ(second.score, 0);
  EXPECT_EQ(second.waiting, 0) << "an open answer left blank is worth 0, nothing to mark";
  EXPECT_EQ(grade_of(*c, a.id, s1)->mark, "5");
  EXPECT_FALSE(start_attempt(*c, clock, a, quiz, s1));
  // The attempt is a submission of the assignment; a second tap on "hand in" or a page sent
  // again from another tab after it changes nothing.
  EXPECT_EQ(submissions_of(*c, a.id, s1).size(), 2u);
  EXPECT_FALSE(save_answers(*c, clock, second.id, {{0, "0"}}));
  EXPECT_EQ(submissions_of(*c, a.id, s1).size(), 2u);
  EXPECT_EQ(answers_of(*c, second.id).at(0), "1");
}

TEST_F(QuizStoreTest, AnAttemptAfterTheDueTimeIsLateAndStillMarked) {
  clock.advance(7200);
  auto t = take(s2, {{0, "0"}, {1, "0,1"}, {2, "Москва"}});
  EXPECT_TRUE(t.late);
  EXPECT_EQ(grade_of(*c, a.id, s2)->mark, "4") << "4 of 5 = 80 %: from 65 % a 4, from 85 % a 5";
  EXPECT_TRUE(submissions_of(*c, a.id, s2).at(0).late);
}

TEST_F(QuizStoreTest, AFixedKeyMarksAgainAndAChangedShapeIsRefused) {
  take(s1, {{0, "1"}, {1, "0,1"}, {2, "Москва"}});  // 0 + 1 + 2 = 3 of 5: 60 % → 3
  EXPECT_EQ(grade_of(*c, a.id, s1)->mark, "3");
  auto fixed = questions;
  std::swap(fixed[0].choices[0].weight, fixed[0].choices[1].weight);  // "5" was right after all
  ASSERT_FALSE(save_quiz(*c, clock, a, settings, fixed));
  EXPECT_EQ(grade_of(*c, a.id, s1)->mark, "4") << "now 4 of 5 = 80 %";
  auto shorter = questions;
  shorter.pop_back();
  auto refused = save_quiz(*c, clock, a, settings, shorter);
  ASSERT_TRUE(refused);
  EXPECT_EQ(find_quiz(*c, a.id)->questions.size(), 4u) << "nothing changed";
}

// The quiz on paper: a packet's pages come back one at a time; what each says becomes the
// packet's attempt; a row the page does not say plainly and a handwritten answer wait for the
// teacher, a page not back yet waits as missing; the teacher's reading stays when more comes back.
TEST_F(QuizStoreTest, APaperPacketsPagesBecomeItsAttemptAsTheyComeBack) {
  using printer::AnswerBox;
  auto teacher = find_user_by_login(*c, "smirnova")->id;
  auto run = create_run(*c, clock, a, teacher, {s1}, 0, "lined");
  auto packet = packets_of(*c, run)[0].id;
  std::vector<AnswerBox> layout = {{2, 0, AnswerBox::kBlock, false, 40, 150, 500, 100},
                                   {2, 0, 0, false, 66, 180, 12, 12},
                                   {2, 0, 1, false, 66, 204, 12, 12},
                                   {2, 1, AnswerBox::kBlock, true, 40, 260, 500, 100},
                                   {2, 1, 0, false, 66, 290, 12, 12},
                                   {2, 1, 1, false, 66, 314, 12, 12},
                                   {3, 2, AnswerBox::kWriteIn, false, 100, 150, 240, 30},
                                   {3, 3, AnswerBox::kWriteIn, false, 42, 250, 500, 140}};
  packet_made(*c, packet, 3, std::string(64, 'a'), printer::boxes_to_json(layout));
  auto scan = [&](int page, const std::string& boxes) {
    auto batch = create_batch(*c, clock, teacher, {});
    add_scan_page(*c, batch, 1, "scan.jpg", std::string(63, 'b') + std::to_string(page), 1000,
                  clock, packet, page, "", 2, boxes);
    finish_batch(*c, clock, batch);
  };
  const std::string crop(64, 'c'), written(64, 'd');
  // Page 2: question 1 (2 + 2) plainly "4"; question 2's boxes faint.
  scan(2, R"({"rows":[{"q":0,"decided":true,"chosen":[0]},)"
          R"({"q":1,"decided":false,"chosen":[0],"why":"faint","crop":")" +
              crop + R"("}]})");
  auto attempts = attempts_of(*c, a.id, s1);
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_TRUE(attempts[0].finished_at);
  EXPECT_EQ(attempts[0].waiting, 3) << "the faint row, and two questions on a page not back";
  EXPECT_DOUBLE_EQ(attempts[0].score, 1);
  EXPECT_FALSE(grade_of(*c, a.id, s1));
  auto waiting = open_answers_waiting(*c, quiz);
  ASSERT_EQ(waiting.size(), 3u);
  EXPECT_EQ(waiting[0].doubt, "faint");
  EXPECT_EQ(waiting[0].crop, crop);
  EXPECT_EQ(waiting[0].page, 2);
  EXPECT_EQ(waiting[1].doubt, "missing");
  EXPECT_EQ(waiting[1].page, 3);
  // The teacher reads both 2 and 4 as marked: right.
  decide_paper_answer(*c, clock, a, quiz, attempts[0].id, 1, "0,1", teacher);
  // Page 3 comes back: the capital written in its frame (for the teacher), the open frame blank.
  scan(3, R"({"rows":[],"writes":[{"q":2,"blank":false,"crop":")" + written +
              R"("},{"q":3,"blank":true,"crop":""}]})");
  auto t = *find_attempt(*c, attempts[0].id);
  EXPECT_EQ(t.waiting, 1) << "only the handwritten capital";
  EXPECT_DOUBLE_EQ(t.score, 2) << "the teacher's reading of page 2 stays";
  waiting = open_answers_waiting(*c, quiz);
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(waiting[0].crop, written);
  EXPECT_TRUE(waiting[0].doubt.empty());
  mark_open_answer(*c, clock, a, quiz, t.id, 2, 2);
  t = *find_attempt(*c, t.id);
  EXPECT_EQ(t.waiting, 0);
  EXPECT_DOUBLE_EQ(t.score, 4);
  ASSERT_TRUE(grade_of(*c, a.id, s1));
  EXPECT_EQ(grade_of(*c, a.id, s1)->mark, "4") << "4 of 5 points, 80 %";
  // The same page scanned again files nothing twice and changes nothing.
  scan(3, R"({"rows":[],"writes":[{"q":2,"blank":true},{"q":3,"blank":true}]})");
  EXPECT_EQ(find_attempt(*c, t.id)->waiting, 0);
  EXPECT_EQ(attempts_of(*c, a.id, s1).size(), 1u);
}

}  // namespace
}  // namespace parta::domain
