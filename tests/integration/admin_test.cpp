// The admin's work over HTTP: classes, teachers, students, parents, resets, roster upload.
#include <gtest/gtest.h>

#include <regex>

#include "harness.hpp"

namespace parta::testing {
namespace {

std::string secret_on(const std::string& body) {
  std::smatch m;
  std::regex re(R"re((?:Пароль|PIN-код): <code>([^<]+)</code>)re");
  return std::regex_search(body, m, re) ? std::string(m[1]) : "";
}

std::string login_on(const std::string& body) {
  std::smatch m;
  std::regex re(R"re(Логин: <code>([^<]+)</code>)re");
  return std::regex_search(body, m, re) ? std::string(m[1]) : "";
}

class Admin : public ::testing::Test {
 protected:
  void SetUp() override {
    Reply home = admin.login("admin", kDemoPassword);
    ASSERT_EQ(home.status, 200);
    EXPECT_NE(home.body.find(
                  "<a href=\"/admin/classes\">Классы</a></li><li><a href=\"/admin/teachers\">"),
              std::string::npos);
  }
  Partad server;
  Client admin{server};
};

TEST_F(Admin, CreatesClassSubjectTeacherWhoCanSignIn) {
  admin.get("/admin/classes");
  EXPECT_EQ(admin.post("/admin/classes", {{"name", "7 в"}}).status, 303);
  Reply dup = admin.post("/admin/classes", {{"name", "7В"}});
  EXPECT_EQ(dup.status, 422);
  EXPECT_NE(dup.body.find("Такой класс уже есть."), std::string::npos);
  Reply bad = admin.post("/admin/classes", {{"name", "13Я"}});
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_NE(bad.body.find("номер от 1 до 11"), std::string::npos);
  EXPECT_EQ(admin.post("/admin/subjects", {{"name", "Химия"}}).status, 303);
  Reply classes = admin.get("/admin/classes");
  EXPECT_NE(classes.body.find("7В"), std::string::npos);
  EXPECT_NE(classes.body.find("Химия"), std::string::npos);

  admin.get("/admin/teachers");
  Reply made = admin.post("/admin/teachers",
                          {{"last_name", "Ёлкина"}, {"first_name", "Вера"}, {"middle_name", ""}});
  ASSERT_EQ(made.status, 200);
  std::string login = login_on(made.body), pw = secret_on(made.body);
  EXPECT_EQ(login, "elkina.v");
  ASSERT_EQ(pw.size(), 10u);
  Client t(server);
  Reply home = t.login(login, pw);
  EXPECT_EQ(home.status, 200);
  EXPECT_NE(home.body.find("Вам ещё не назначены предметы."), std::string::npos);

  Reply invalid = admin.post("/admin/teachers", {{"last_name", "<b>"}, {"first_name", "X"}});
  EXPECT_EQ(invalid.status, 422);
  EXPECT_NE(invalid.body.find("только буквы"), std::string::npos);
}

TEST_F(Admin, CreatesStudentAndParentAndResetsPin) {
  admin.get("/admin/students");
  Reply made = admin.post("/admin/students", {{"class_id", "1"},
                                              {"last_name", "Тестов"},
                                              {"first_name", "Пётр"},
                                              {"student_no", "T-0001"},
                                              {"paper", "1"}});
  ASSERT_EQ(made.status, 200);
  std::string login = login_on(made.body), pin = secret_on(made.body);
  ASSERT_EQ(pin.size(), 6u);
  Reply dup = admin.post("/admin/students", {{"class_id", "1"},
                                             {"last_name", "Другой"},
                                             {"first_name", "Пётр"},
                                             {"student_no", "T-0001"}});
  EXPECT_EQ(dup.status, 422);
  EXPECT_NE(dup.body.find("Ученик с таким номером уже есть."), std::string::npos);

  admin.get("/admin/parents");
  Reply parent = admin.post("/admin/parents", {{"last_name", "Тестова"},
                                               {"first_name", "Анна"},
                                               {"phone", "+7 900 000-00-00"},
                                               {"student_no", "T-0001"}});
  ASSERT_EQ(parent.status, 200);
  Client p(server);
  Reply home = p.login(login_on(parent.body), secret_on(parent.body));
  EXPECT_NE(home.body.find("Тестов Пётр"), std::string::npos);
  EXPECT_NE(home.body.find("Получает бумажные задания"), std::string::npos);

  Client s(server);
  EXPECT_EQ(s.login(login, pin).status, 200);
  EXPECT_NE(s.get("/").body.find("Здравствуй, Пётр!"), std::string::npos);
  // Find the student's id from the API, then reset the PIN: the old one stops working at once.
  Reply me = s.get("/api/v1/me");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(me.body, m, std::regex(R"("id":(\d+))")));
  admin.get("/admin/students/" + std::string(m[1]));
  // A typo in the name is fixed in place; a bad name is refused and changes nothing.
  Reply typo = admin.post("/admin/users/" + std::string(m[1]) + "/profile",
                          {{"last_name", "Тестов"}, {"first_name", "Петя"}, {"phone", ""}});
  EXPECT_EQ(typo.status, 303);
  EXPECT_NE(s.get("/").body.find("Здравствуй, Петя!"), std::string::npos);
  Reply bad = admin.post("/admin/users/" + std::string(m[1]) + "/profile",
                         {{"last_name", "Тестов"}, {"first_name", "<b>"}});
  EXPECT_EQ(bad.status, 422);
  EXPECT_NE(s.get("/").body.find("Здравствуй, Петя!"), std::string::npos);
  Reply reset = admin.post("/admin/users/" + std::string(m[1]) + "/reset",
                           {{"kind", "pin"}, {"confirm", "1"}});
  ASSERT_EQ(reset.status, 200);
  std::string pin2 = secret_on(reset.body);
  EXPECT_EQ(pin2.size(), 6u);
  EXPECT_EQ(s.get("/").body.find("Здравствуй"), std::string::npos);  // session ended
  Client s2(server);
  EXPECT_EQ(s2.login(login, pin).status, pin == pin2 ? 200 : 401);
  EXPECT_EQ(s2.login(login, pin2).status, 200);
}

// The school's long lists show one class at a time, the first by default; every class and the
// whole school are one tap away (issue 22).
TEST_F(Admin, WholeSchoolListsShowOneClassAtATime) {
  Reply first = admin.get("/admin/students");
  ASSERT_EQ(first.status, 200);
  EXPECT_NE(first.body.find("<b>5А</b>"), std::string::npos);
  EXPECT_NE(first.body.find("href=\"/admin/students?class=2\""), std::string::npos);
  EXPECT_NE(first.body.find("Иванов"), std::string::npos);    // ivanov.a, 5А
  EXPECT_EQ(first.body.find("Морозова"), std::string::npos);  // morozova.p, 5Б
  Reply other = admin.get("/admin/students?class=2");
  EXPECT_NE(other.body.find("Морозова"), std::string::npos);
  EXPECT_EQ(other.body.find("Иванов Артём"), std::string::npos);  // ivanov.a is in 5А
  Reply all = admin.get("/admin/students?class=all");
  EXPECT_NE(all.body.find("Иванов"), std::string::npos);
  EXPECT_NE(all.body.find("Морозова"), std::string::npos);
  EXPECT_EQ(admin.get("/admin/students?class=999").status, 404);
  EXPECT_EQ(admin.get("/admin/students?class=x").status, 404);
  // Parents: those with a child in the class, with all their children named.
  Reply parents = admin.get("/admin/parents");
  EXPECT_NE(parents.body.find("ivanova.s"), std::string::npos);  // ivanov.a's mother
  EXPECT_EQ(parents.body.find("morozov.a"), std::string::npos);  // a 5Б parent
  EXPECT_NE(admin.get("/admin/parents?class=2").body.find("morozov.a"), std::string::npos);
  EXPECT_NE(admin.get("/admin/parents?class=all").body.find("morozov.a"), std::string::npos);
  // A refused new student shows the class it was being added to.
  Reply refused = admin.post(
      "/admin/students",
      {{"class_id", "2"}, {"last_name", "Петров"}, {"first_name", ""}, {"student_no", "77001"}});
  EXPECT_EQ(refused.status, 422);
  EXPECT_NE(refused.body.find("<b>5Б</b>"), std::string::npos);
}

TEST_F(Admin, RosterUploadAllOrNothing) {
  const std::string dir = std::string(PARTA_SOURCE_DIR) + "/tests/fixtures/roster/";
  admin.get("/admin/roster");
  int before = 0;
  {
    Reply list = admin.get("/admin/students?class=all");
    std::string::size_type pos = 0;
    while ((pos = list.body.find("/admin/students/", pos)) != std::string::npos) ++before, ++pos;
  }
  Reply bad = admin.upload("/admin/roster", "file", "bad.csv", read_file(dir + "bad_rows.csv"));
  EXPECT_EQ(bad.status, 422);
  EXPECT_NE(bad.body.find("Ничего не загружено"), std::string::npos);
  EXPECT_NE(bad.body.find("Строка "), std::string::npos);
  Reply good = admin.upload("/admin/roster", "file", "good.csv", read_file(dir + "good_utf8.csv"));
  ASSERT_EQ(good.status, 200) << good.body;
  EXPECT_NE(good.body.find("Загрузка завершена"), std::string::npos);
  Reply again = admin.upload("/admin/roster", "file", "good.csv", read_file(dir + "good_utf8.csv"));
  ASSERT_EQ(again.status, 200);
  EXPECT_NE(again.body.find("Новых учеников: 0"), std::string::npos);
  Reply cp =
      admin.upload("/admin/roster", "file", "cp.csv", read_file(dir + "good_cp1251_comma.csv"));
  EXPECT_EQ(cp.status, 200) << cp.body;
  Reply none = admin.upload("/admin/roster", "file", "empty.csv", "");
  EXPECT_EQ(none.status, 422);
}

}  // namespace
}  // namespace parta::testing
