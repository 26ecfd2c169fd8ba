// Surveys over HTTP: a class teacher asks the parents of her class from the seeds' template, they
// answer (with mistakes first), the results are counted in a table, a chart and a CSV.
#include <gtest/gtest.h>

#include <regex>

#include "harness.hpp"

namespace parta::testing {
namespace {

// The survey form as it comes from a template page: every named field with its value.
std::vector<std::pair<std::string, std::string>> form_of(const std::string& html) {
  std::vector<std::pair<std::string, std::string>> out;
  std::regex input("<input name=\"(q\\d+_text|title)\" value=\"([^\"]*)\"");
  for (std::sregex_iterator i(html.begin(), html.end(), input), e; i != e; ++i)
    out.emplace_back((*i)[1], (*i)[2]);
  std::regex area("<textarea name=\"(q\\d+_options|intro)\"[^>]*>([^<]*)</textarea>");
  for (std::sregex_iterator i(html.begin(), html.end(), area), e; i != e; ++i)
    out.emplace_back((*i)[1], (*i)[2]);
  std::regex kind("<select name=\"(q\\d+_kind)\">(?:(?!</select>).)*?value=\"(\\w+)\" selected");
  std::string flat = std::regex_replace(html, std::regex("\n"), " ");
  for (std::sregex_iterator i(flat.begin(), flat.end(), kind), e; i != e; ++i)
    out.emplace_back((*i)[1], (*i)[2]);
  return out;
}

std::vector<std::string> all(const std::string& body, const std::string& re) {
  std::vector<std::string> out;
  std::regex r(re);
  for (std::sregex_iterator i(body.begin(), body.end(), r), e; i != e; ++i) out.push_back((*i)[1]);
  return out;
}

TEST(Surveys, ClassTeacherAsksParentsFromTheDevicesTemplate) {
  Partad server;
  Client teacher(server), mother(server), father(server), student(server), other(server);
  ASSERT_EQ(teacher.login("smirnova", kDemoPassword).status, 200);
  ASSERT_EQ(mother.login("ivanova.s", kDemoPassword).status, 200);
  ASSERT_EQ(student.login("ivanov.a", kDemoPin).status, 200);

  Reply tpl = teacher.get("/surveys/new?template=devices");
  ASSERT_EQ(tpl.status, 200);
  EXPECT_NE(tpl.body.find("Есть ли дома интернет?"), std::string::npos);
  auto form = form_of(tpl.body);
  form.emplace_back("audience", "parents");
  form.emplace_back("class", "1");
  ASSERT_GE(form.size(), 12u);

  // Bad surveys are refused whole: no title; a choice with one answer; a class not hers.
  auto bad = form;
  for (auto& [k, v] : bad)
    if (k == "title") v = "";
  EXPECT_EQ(teacher.post("/surveys", bad).status, 422);
  Reply one = teacher.post("/surveys", {{"title", "Опрос"},
                                        {"audience", "parents"},
                                        {"class", "1"},
                                        {"q1_kind", "single"},
                                        {"q1_text", "Да или нет?"},
                                        {"q1_options", "Да"}});
  EXPECT_EQ(one.status, 422);
  EXPECT_NE(one.body.find("нужно хотя бы два варианта"), std::string::npos);
  EXPECT_EQ(teacher.post("/surveys", {{"title", "Опрос"}, {"audience", "parents"}, {"class", "3"}})
                .status,
            403);
  EXPECT_EQ(teacher.get("/surveys").body.find("Опрос<"), std::string::npos);  // nothing saved

  Reply made = teacher.post("/surveys", form);
  ASSERT_EQ(made.status, 303);
  std::string results = made.location();
  std::string survey = results.substr(0, results.size() - std::string("/results").size());

  // The mother sees it on her start page; the student (not asked) does not and cannot answer.
  EXPECT_NE(mother.get("/").body.find("школа просит вас ответить"), std::string::npos);
  EXPECT_EQ(student.get("/").body.find("школа просит вас ответить"), std::string::npos);
  EXPECT_EQ(student.get(survey).status, 403);

  Reply page = mother.get(survey);
  auto q1 = all(page.body, "name=\"(q\\d+)\" value=\"\\d+\"");
  auto options = all(page.body, "name=\"q\\d+\" value=\"(\\d+)\"");
  ASSERT_GE(options.size(), 10u);
  // Question 1 is multiple choice (computer, tablet, phone, nothing); 2–5 single; 6 text.
  std::string qa = q1[0], qb = q1[4], qc = q1[7], qd = q1[10], qe = q1[13];
  std::string qtext = all(page.body, "<textarea name=\"(q\\d+)\"")[0];
  std::vector<std::pair<std::string, std::string>> answers = {{qa, options[0]},
                                                              {qa, options[2]},
                                                              {qb, options[4]},
                                                              {qc, options[7]},
                                                              {qd, options[10]},
                                                              {qe, options[13]},
                                                              {qtext, "Интернет только мобильный"}};
  auto missing = answers;
  missing.erase(missing.begin() + 3);
  Reply miss = mother.post(survey, missing);
  EXPECT_EQ(miss.status, 422);
  EXPECT_NE(miss.body.find("Ответьте на вопрос 3"), std::string::npos);
  auto two = answers;
  two.push_back({qb, options[5]});
  EXPECT_EQ(mother.post(survey, two).status, 422);
  auto foreign = answers;
  foreign[2].second = options[0];  // an option of another question
  EXPECT_EQ(mother.post(survey, foreign).status, 422);
  ASSERT_EQ(mother.post(survey, answers).status, 303);
  // Answering again replaces, it does not count twice.
  ASSERT_EQ(mother.post(survey, answers).status, 303);
  EXPECT_NE(mother.get(survey).body.find("ваши ответы сохранены"), std::string::npos);

  Reply res = teacher.get(results);
  ASSERT_EQ(res.status, 200);
  EXPECT_NE(res.body.find("Ответили: <b>1</b> из 6"), std::string::npos);
  EXPECT_NE(res.body.find("<svg class=\"chart\""), std::string::npos);
  EXPECT_NE(res.body.find("1 · 100%"), std::string::npos);
  EXPECT_NE(res.body.find("Интернет только мобильный"), std::string::npos);
  // Who has not answered, and who needs what: named, with the child the answers are about (the
  // mother has children in 5А and 9А; this survey is 5А's).
  EXPECT_NE(res.body.find("Ещё не ответили: 5"), std::string::npos);
  EXPECT_NE(res.body.find("Кто что ответил"), std::string::npos);
  EXPECT_NE(res.body.find("<b>Иванов Артём, 5А — Иванова"), std::string::npos);
  EXPECT_NE(res.body.find("Компьютер или ноутбук"), std::string::npos);
  EXPECT_NE(mother.get(survey).body.find("Вопросы — о вашем ребёнке: Иванов Артём, 5А."),
            std::string::npos);
  Reply csv = teacher.get(results + ".csv");
  EXPECT_NE(csv.header("content-type").find("text/csv"), std::string::npos);
  EXPECT_NE(csv.body.find("Есть ли дома интернет?;Да, без ограничений (Wi-Fi, кабель);1;1"),
            std::string::npos);
  EXPECT_NE(csv.body.find("На чём ребёнок может заниматься дома?;Компьютер или ноутбук;1;1"),
            std::string::npos);

  // Closed: no more answers.
  ASSERT_EQ(teacher.post(results.substr(0, results.size() - 8) + "/open", {{"open", "0"}}).status,
            303);
  EXPECT_EQ(mother.post(survey, answers).status, 422);
  EXPECT_EQ(student.get(results).status, 403);
  // Deleting a survey with answers asks first.
  const std::string del = survey + "/delete";
  Reply ask = teacher.post(del, {});
  EXPECT_EQ(ask.status, 200);
  EXPECT_NE(ask.body.find("Вы уверены?"), std::string::npos);
  EXPECT_EQ(teacher.get(results).status, 200);
  EXPECT_EQ(teacher.post(del, {{"confirm", "1"}}).status, 303);
  EXPECT_NE(teacher.get(results).status, 200);
}

TEST(Surveys, AdminAsksEveryStudentOfTheSchool) {
  Partad server;
  Client admin(server), student(server);
  ASSERT_EQ(admin.login("admin", kDemoPassword).status, 200);
  ASSERT_EQ(student.login("egorov.d", kDemoPin).status, 200);  // 9А
  admin.get("/surveys/new");
  Reply made = admin.post("/surveys", {{"title", "Как вам уроки?"},
                                       {"audience", "students"},
                                       {"class", "all"},
                                       {"q1_kind", "single"},
                                       {"q1_text", "Нравится?"},
                                       {"q1_options", "Да\nНет\n"},
                                       {"q2_kind", "text"},
                                       {"q2_text", "Почему?"}});
  ASSERT_EQ(made.status, 303);
  Reply list = student.get("/surveys");
  EXPECT_NE(list.body.find("Как вам уроки?"), std::string::npos);
  EXPECT_NE(list.body.find("ждёт вашего ответа"), std::string::npos);
}

}  // namespace
}  // namespace parta::testing
