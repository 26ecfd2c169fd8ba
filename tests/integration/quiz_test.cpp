// Quizzes end to end (issue 18): a teacher puts a question bank exported from Moodle on an
// assignment; students answer it page by page on their phones (a dropped Wi-Fi loses nothing
// saved), the automatic marks and the teacher's mark of the open answer become the assignment's
// mark through the scale, a fixed key marks everything again, and forms that lie are refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "harness.hpp"

namespace parta::testing {
namespace {

// The right answers of tests/fixtures/quiz/moodle_export_7a.gift by question position.
std::vector<std::pair<std::string, std::string>> right_answers(int q) {
  switch (q) {
    case 0:
      return {{"q0", "1"}};
    case 1:
      return {{"q1", "0"}, {"q1", "1"}, {"q1", "4"}};
    case 2:
      return {{"q2", "3,14"}};
    case 3:
      return {{"q3", "москва"}};
    case 4:
      return {{"q4", "Ёж"}};
    case 5:
      return {{"q5", "0"}};
    case 6:
      return {{"q6", "Потому что 1 − 0,(9) = 0,(0)…"}};
    default:
      return {{"q7", "6,5"}};
  }
}

// The question positions a page shows, in its order.
std::vector<int> on_page(const std::string& body) {
  std::vector<int> out;
  std::set<int> seen;
  std::regex re("name=\"q(\\d+)\"");
  for (auto it = std::sregex_iterator(body.begin(), body.end(), re); it != std::sregex_iterator();
       ++it) {
    int q = std::stoi((*it)[1]);
    if (seen.insert(q).second) out.push_back(q);
  }
  return out;
}

std::string results_row(const std::string& body, const std::string& name) {
  auto at = body.find(name);
  return at == std::string::npos ? "" : body.substr(at, body.find("</tr>", at) - at);
}

TEST(Quiz, MoodleBankAnsweredOnPhonesMarkedAndRemarked) {
  Partad server;
  Client admin(server), teacher(server);
  ASSERT_EQ(admin.login("admin", kDemoPassword).status, 200);
  Ids ids = demo_ids(admin);
  ASSERT_EQ(teacher.login("smirnova", kDemoPassword).status, 200);
  teacher.get("/assignments/new?class=" + std::to_string(ids.class5a) +
              "&subject=" + std::to_string(ids.rus));
  Reply made = teacher.multipart("/assignments",
                                 {{"class_id", std::to_string(ids.class5a)},
                                  {"subject_id", std::to_string(ids.rus)},
                                  {"title", "Проверочная: дроби"},
                                  {"grading", "mark"},
                                  {"due_date", "2099-01-01"},
                                  {"due_time", "18:00"}},
                                 {});
  ASSERT_EQ(made.status, 303) << made.body.substr(0, 400);
  std::string asg = made.location();
  std::string quiz = asg + "/quiz";
  std::string bank =
      read_file(std::string(PARTA_SOURCE_DIR) + "/tests/fixtures/quiz/moodle_export_7a.gift");
  teacher.get(quiz + "/edit");
  std::vector<std::pair<std::string, std::string>> settings = {
      {"attempts", "1"}, {"per_page", "3"}, {"five", "85"}, {"four", "65"}, {"three", "45"}};
  Reply saved = teacher.multipart(quiz + "/edit", settings,
                                  {{"file", "bank.gift", "application/octet-stream", bank}});
  ASSERT_EQ(saved.status, 303) << saved.body.substr(0, 600);
  EXPECT_NE(teacher.get(asg).body.find("Результаты теста"), std::string::npos);

  // ivanov.a: page 1, then the Wi-Fi drops; a new session goes on where he was.
  std::string attempt_page;
  {
    Client phone(server);
    ASSERT_EQ(phone.login("ivanov.a", kDemoPin).status, 200);
    Reply q = phone.get(quiz);
    ASSERT_NE(q.body.find("Начать тест"), std::string::npos);
    Reply started = phone.post(quiz + "/start", {});
    ASSERT_EQ(started.status, 303);
    attempt_page = started.location();
    Reply p1 = phone.get(attempt_page);
    auto qs = on_page(p1.body);
    ASSERT_EQ(qs.size(), 3u);
    std::vector<std::pair<std::string, std::string>> answers;
    for (int i : qs)
      for (auto& a : right_answers(i)) answers.push_back(a);
    answers.emplace_back("go", "next");
    ASSERT_EQ(phone.post(attempt_page, answers).status, 303);
  }
  Client phone(server);
  ASSERT_EQ(phone.login("ivanov.a", kDemoPin).status, 200);
  ASSERT_NE(phone.get(quiz).body.find("Продолжить тест"), std::string::npos);
  Reply again = phone.post(quiz + "/start", {});
  EXPECT_EQ(again.location(), attempt_page) << "the same attempt, at its first page";
  Reply p1 = phone.get(attempt_page);
  EXPECT_NE(p1.body.find("checked"), std::string::npos) << "page 1's answers were kept";
  EXPECT_NE(p1.body.find("отвечено 3 из 8"), std::string::npos);
  std::string base = attempt_page.substr(0, attempt_page.rfind('/') + 1);
  // A form that names an option its question does not have is refused, and saves nothing.
  for (int page = 1; page <= 3; ++page) {
    auto qs = on_page(phone.get(base + std::to_string(page)).body);
    if (std::find(qs.begin(), qs.end(), 0) == qs.end()) continue;
    EXPECT_EQ(phone.post(base + std::to_string(page), {{"q0", "9"}, {"go", "next"}}).status, 400);
  }
  EXPECT_NE(phone.get(attempt_page).body.find("отвечено 3 из 8"), std::string::npos);
  for (int page = 2; page <= 3; ++page) {
    Reply p = phone.get(base + std::to_string(page));
    ASSERT_EQ(p.status, 200);
    std::vector<std::pair<std::string, std::string>> answers;
    for (int i : on_page(p.body))
      for (auto& a : right_answers(i)) answers.push_back(a);
    answers.emplace_back("go", page == 3 ? "finish" : "next");
    ASSERT_EQ(phone.post(base + std::to_string(page), answers).status, 303);
  }
  Reply after = phone.get(quiz);
  EXPECT_NE(after.body.find("развёрнутые ответы проверит учитель"), std::string::npos);
  EXPECT_EQ(after.body.find("Начать тест"), std::string::npos) << "one attempt allowed";
  EXPECT_EQ(phone.post(quiz + "/start", {}).location(), quiz) << "no second attempt";

  // sokolova.m takes the trap in question 1 (2/6) and cannot reach ivanov's attempt.
  Client other(server);
  ASSERT_EQ(other.login("sokolova.m", kDemoPin).status, 200);
  other.get(quiz);
  Reply mine = other.post(quiz + "/start", {});
  EXPECT_EQ(other.get(attempt_page).status, 404);
  std::string obase = mine.location().substr(0, mine.location().rfind('/') + 1);
  for (int page = 1; page <= 3; ++page) {
    Reply p = other.get(obase + std::to_string(page));
    std::vector<std::pair<std::string, std::string>> answers;
    for (int i : on_page(p.body))
      for (auto& a : i == 0 ? std::vector<std::pair<std::string, std::string>>{{"q0", "0"}}
                            : right_answers(i))
        answers.push_back(a);
    answers.emplace_back("go", page == 3 ? "finish" : "next");
    other.post(obase + std::to_string(page), answers);
  }

  // The teacher: the open answers wait; marked, they make the marks.
  Reply results = teacher.get(quiz + "/results");
  EXPECT_NE(results.body.find("Потому что 1 − 0,(9)"), std::string::npos);
  EXPECT_NE(results.body.find("2/6 ×1"), std::string::npos) << "the wrong answer chosen most";
  std::regex action("action=\"(" + quiz + "/attempts/\\d+/answers/7)\"");
  std::vector<std::string> to_mark;
  for (auto it = std::sregex_iterator(results.body.begin(), results.body.end(), action);
       it != std::sregex_iterator(); ++it)
    to_mark.push_back((*it)[1]);
  ASSERT_EQ(to_mark.size(), 2u);
  EXPECT_EQ(teacher.post(to_mark[0], {{"points", "7"}}).status, 400) << "more than the question";
  for (const auto& url : to_mark) ASSERT_EQ(teacher.post(url, {{"points", "1"}}).status, 303);
  results = teacher.get(quiz + "/results");
  // ivanov.a: 8 of 8 → 5; sokolova.m: 7 of 8 (87 %) → 5.
  EXPECT_NE(results_row(results.body, "Иванов Артём").find("<b>5</b>"), std::string::npos);
  EXPECT_NE(results_row(results.body, "Иванов Артём").find("8 / 8 (100%)"), std::string::npos);
  EXPECT_NE(results_row(results.body, "Соколова").find("7 / 8 (87%)"), std::string::npos);

  // A key fixed: question 1 made worth 4 points, its right answer 2/6 (the teacher's slip).
  std::string fixed = bank;
  fixed.replace(fixed.find("// question: 2101"), 0, "// points: 4\n");
  auto swap_marker = [&](const std::string& from, const std::string& to) {
    fixed.replace(fixed.find(from), from.size(), to);
  };
  swap_marker("\t~<p dir\\=\"ltr\" style\\=\"text-align\\: left;\">2/6</p>",
              "\t=<p dir\\=\"ltr\" style\\=\"text-align\\: left;\">2/6</p>");
  swap_marker("\t=<p dir\\=\"ltr\" style\\=\"text-align\\: left;\">3/4</p>",
              "\t~<p dir\\=\"ltr\" style\\=\"text-align\\: left;\">3/4</p>");
  teacher.get(quiz + "/edit");
  Reply refix = teacher.multipart(quiz + "/edit", settings,
                                  {{"file", "bank.gift", "application/octet-stream", fixed}});
  ASSERT_EQ(refix.status, 303) << refix.body.substr(0, 600);
  results = teacher.get(quiz + "/results");
  // ivanov.a: 7 of 11 (63 %) → 3; sokolova.m: 11 of 11 → 5.
  EXPECT_NE(results_row(results.body, "Иванов Артём").find("<b>3</b>"), std::string::npos);
  EXPECT_NE(results_row(results.body, "Соколова").find("<b>5</b>"), std::string::npos);
  // Removing a question once students answered is refused, nothing changed.
  std::string shorter = bank.substr(0, bank.find("// question: 2108"));
  Reply refused = teacher.multipart(quiz + "/edit", settings,
                                    {{"file", "bank.gift", "application/octet-stream", shorter}});
  EXPECT_EQ(refused.status, 422);
  EXPECT_NE(refused.body.find("Ученики уже отвечали"), std::string::npos);
  // The mark is the assignment's: the student's diary shows it beside the quiz's title.
  std::string diary = phone.get("/students/" + std::to_string(ids.ivanov) + "/diary").body;
  auto at = diary.find("Проверочная: дроби");
  std::string thread_of_ivanov = asg + "/students/" + std::to_string(ids.ivanov);
  ASSERT_NE(at, std::string::npos);
  // "<b class="mark">3</b> <a href="…">Проверочная: дроби</a>": the re-marked 3, not the 5.
  EXPECT_NE(diary.rfind("<b class=\"mark\">3</b> <a href=\"" + thread_of_ivanov, at),
            std::string::npos);
  std::string thread = phone.get(asg).location();
  EXPECT_NE(phone.get(thread).body.find("Пройти тест"), std::string::npos);
}

TEST(Quiz, AGiftWithMistakesIsRefusedWithItsLines) {
  Partad server;
  Client teacher(server);
  ASSERT_EQ(teacher.login("smirnova", kDemoPassword).status, 200);
  Client admin(server);
  ASSERT_EQ(admin.login("admin", kDemoPassword).status, 200);
  Ids ids = demo_ids(admin);
  teacher.get("/assignments/new?class=" + std::to_string(ids.class5a));
  Reply made = teacher.multipart("/assignments",
                                 {{"class_id", std::to_string(ids.class5a)},
                                  {"subject_id", std::to_string(ids.rus)},
                                  {"title", "Тест"},
                                  {"grading", "mark"},
                                  {"due_date", "2099-01-01"},
                                  {"due_time", "18:00"}},
                                 {});
  ASSERT_EQ(made.status, 303);
  std::string quiz = made.location() + "/quiz";
  teacher.get(quiz + "/edit");
  Reply r = teacher.post(quiz + "/edit", {{"gift", "Верно? {=да ~нет}\n\nНет скобки {=да\n"},
                                          {"attempts", "1"},
                                          {"per_page", "5"},
                                          {"five", "85"},
                                          {"four", "65"},
                                          {"three", "45"}});
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("Строка 3: нет закрывающей скобки }."), std::string::npos);
  EXPECT_NE(r.body.find("Нет скобки {=да"), std::string::npos) << "the text is kept to fix";
  EXPECT_EQ(teacher.get(quiz + "/results").status, 303) << "no quiz was saved";
}

}  // namespace
}  // namespace parta::testing
