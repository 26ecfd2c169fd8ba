// Quizzes: GIFT files as Moodle writes them and teachers edit them, and the marking of answers
// (issue 18).
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "domain/quiz.hpp"

namespace parta::domain {
namespace {

std::string fixture(const char* name) {
  std::ifstream in(std::string(PARTA_SOURCE_DIR) + "/tests/fixtures/quiz/" + name,
                   std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A question bank exported from Moodle 4 (categories, question ids in comments, [html] texts
// with escaped attributes, feedback, weights).
TEST(Gift, AMoodleExportIsRead) {
  auto r = parse_gift(fixture("moodle_export_7a.gift"));
  ASSERT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].msgid);
  ASSERT_EQ(r.questions.size(), 8u);
  const auto& sum = r.questions[0];
  EXPECT_EQ(sum.title, "Сумма дробей");
  EXPECT_EQ(sum.text, "Сколько будет 1/2 + 1/4?");
  EXPECT_EQ(sum.kind, QuizKind::single);
  ASSERT_EQ(sum.choices.size(), 4u);
  EXPECT_EQ(sum.choices[1].text, "3/4");
  EXPECT_EQ(sum.choices[1].weight, 1.0);
  EXPECT_EQ(sum.choices[1].feedback, "Верно!");
  EXPECT_EQ(sum.choices[2].weight, -0.5);
  // The general feedback after "####" belongs to no answer.
  EXPECT_EQ(sum.choices[3].text, "2/4");
  EXPECT_EQ(sum.choices[3].feedback, "");
  ASSERT_EQ(r.questions[1].choices.size(), 5u);
  EXPECT_EQ(r.questions[2].numbers[1].weight, 0.5);
  EXPECT_EQ(r.questions[1].kind, QuizKind::multiple);
  EXPECT_EQ(r.questions[2].kind, QuizKind::number);
  EXPECT_EQ(r.questions[2].text, "Число π с точностью до сотых (например, 3,14):");
  ASSERT_EQ(r.questions[2].numbers.size(), 2u);
  EXPECT_EQ(r.questions[3].kind, QuizKind::short_answer);
  EXPECT_TRUE(r.questions[5].true_false);
  EXPECT_EQ(r.questions[5].text, "Прямой угол равен 90 градусам.");
  EXPECT_EQ(r.questions[6].kind, QuizKind::open);
  EXPECT_EQ(r.questions[6].text, "Объясните, почему 0,(9) = 1. Запишите рассуждение.");
  EXPECT_EQ(r.questions[7].numbers[0].value, 6.5);
  EXPECT_EQ(r.questions[7].numbers[0].tolerance, 0.5);
}

TEST(Gift, ItsOwnExportReadsBackTheSame) {
  auto r = parse_gift(fixture("moodle_export_7a.gift"));
  ASSERT_TRUE(r.ok());
  r.questions[3].points = 2;
  auto again = parse_gift(to_gift(r.questions));
  ASSERT_TRUE(again.ok()) << (again.errors.empty() ? "" : again.errors[0].msgid);
  ASSERT_EQ(again.questions.size(), r.questions.size());
  for (std::size_t i = 0; i < r.questions.size(); ++i)
    EXPECT_TRUE(again.questions[i] == r.questions[i])
        << i << "\n"
        << to_gift({r.questions[i]}) << to_gift({again.questions[i]});
}

TEST(Gift, PointsAndHandWrittenFiles) {
  auto r = parse_gift(
      "// баллы: 3\n"
      "Сколько сторон у треугольника? {=3 =три}\n"
      "\n"
      "Лишнее слово: кот, собака, {=стол ~кошка ~пёс} и хомяк.\n");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.questions.size(), 2u);
  EXPECT_EQ(r.questions[0].points, 3);
  EXPECT_EQ(r.questions[1].points, 1);
  EXPECT_EQ(r.questions[1].text, "Лишнее слово: кот, собака, _____ и хомяк.");
}

TEST(Gift, MistakesNameTheirLinesAndNothingIsTaken) {
  auto r = parse_gift(
      "Верный вопрос {=да ~нет}\n"
      "\n"
      "Нет скобки {=да ~нет\n"
      "\n"
      "\n"
      "Сопоставьте {=a -> b =c -> d}\n"
      "\n"
      "Два верных {=a =b ~c}\n");
  EXPECT_TRUE(r.questions.empty());
  ASSERT_EQ(r.errors.size(), 3u);
  EXPECT_EQ(r.errors[0].args[0].second, "3");
  EXPECT_EQ(r.errors[1].args[0].second, "6");
  EXPECT_EQ(r.errors[2].args[0].second, "8");
  EXPECT_TRUE(parse_gift("").errors.size() == 1);
  EXPECT_FALSE(parse_gift("\xff\xfe\x00\x00").ok());
}

TEST(Gift, Windows1251FilesAreRead) {
  // "Да? {=да ~нет}" in Windows-1251, as Notepad on a Russian Windows saves it.
  auto r = parse_gift("\xc4\xe0? {=\xe4\xe0 ~\xed\xe5\xf2}\r\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.questions[0].choices[0].text, "да");
}

TEST(QuizMarking, EachKind) {
  auto r = parse_gift(fixture("moodle_export_7a.gift"));
  ASSERT_TRUE(r.ok());
  const auto& q = r.questions;
  EXPECT_EQ(mark_answer(q[0], "1"), 1.0);
  EXPECT_EQ(mark_answer(q[0], "0"), 0.0);
  EXPECT_EQ(mark_answer(q[0], "2"), 0.0);    // a negative weight alone is no less than 0
  EXPECT_EQ(mark_answer(q[0], "0,1"), 0.0);  // two ticks in a single choice: nothing
  // Three right of five at 33.33333 % each, as Moodle writes them: all three are the whole.
  EXPECT_EQ(mark_answer(q[1], "0,1,4"), 1.0);
  EXPECT_EQ(mark_answer(q[1], "0"), 0.333333);
  EXPECT_EQ(mark_answer(q[1], "0,1,4,2"), 0.0);  // ticking everything does not pay
  EXPECT_EQ(mark_answer(q[1], "7,x,"), 0.0);
  EXPECT_EQ(mark_answer(q[2], "3,14"), 1.0);
  EXPECT_EQ(mark_answer(q[2], " 3.142 "), 1.0);
  EXPECT_EQ(mark_answer(q[2], "3,1"), 0.5);
  EXPECT_EQ(mark_answer(q[2], "пи"), 0.0);
  EXPECT_EQ(mark_answer(q[3], "  москва "), 1.0);
  EXPECT_EQ(mark_answer(q[3], "Г.   Москва"), 1.0);
  EXPECT_EQ(mark_answer(q[3], "Петербург"), 0.0);
  EXPECT_EQ(mark_answer(q[4], "ЕЖ"), 1.0);  // ё and е, upper and lower case
  EXPECT_EQ(mark_answer(q[5], "0"), 1.0);
  EXPECT_EQ(mark_answer(q[6], "потому что"), std::nullopt);
  EXPECT_EQ(mark_answer(q[7], "5"), 0.0);
  EXPECT_EQ(mark_answer(q[7], "6"), 1.0);
  EXPECT_EQ(parse_typed_number("1 000,5"), 1000.5);
  EXPECT_EQ(parse_typed_number("1e999"), std::nullopt);
}

TEST(QuizMarking, Scale) {
  MarkScale s;
  EXPECT_TRUE(s.valid());
  EXPECT_EQ(scale_mark(s, 100), 5);
  EXPECT_EQ(scale_mark(s, 85), 5);
  EXPECT_EQ(scale_mark(s, 84.9), 4);
  EXPECT_EQ(scale_mark(s, 65), 4);
  EXPECT_EQ(scale_mark(s, 45), 3);
  EXPECT_EQ(scale_mark(s, 0), 2);
  EXPECT_FALSE((MarkScale{50, 60, 40}).valid());
}

}  // namespace
}  // namespace parta::domain
