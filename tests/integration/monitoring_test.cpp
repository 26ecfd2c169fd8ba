// Monitoring over HTTP: opening the portal and handing in work show on the class's day, the class
// teacher records absences (all or nothing), the weekly report and the at-risk list render and
// export to CSV.
#include <gtest/gtest.h>

#include <regex>

#include "harness.hpp"

namespace parta::testing {
namespace {

TEST(Monitoring, ClassTeacherSeesTheDayAndRecordsAbsences) {
  Partad server;
  Client teacher(server), student(server), admin(server);
  ASSERT_EQ(teacher.login("smirnova", kDemoPassword).status, 200);
  ASSERT_EQ(student.login("ivanov.a", kDemoPin).status, 200);
  ASSERT_EQ(admin.login("admin", kDemoPassword).status, 200);

  // The student opens the portal and hands in work.
  teacher.get("/assignments/new?class=1&subject=1");
  Reply made = teacher.multipart("/assignments",
                                 {{"class_id", "1"},
                                  {"subject_id", "1"},
                                  {"title", "Упражнение 7"},
                                  {"grading", "mark"},
                                  {"due_date", "2099-01-01"},
                                  {"due_time", "18:00"}},
                                 {});
  ASSERT_EQ(made.status, 303);
  std::string thread = made.location() + "/students/19";
  student.get(thread);
  ASSERT_EQ(student.multipart(thread + "/submit", {{"text", "Готово"}}, {}).status, 303);

  Reply day = teacher.get("/monitoring/classes/1");
  ASSERT_EQ(day.status, 200);
  std::string flat = std::regex_replace(day.body, std::regex("\n"), " ");
  EXPECT_TRUE(
      std::regex_search(flat, std::regex("Иванов А\\. С\\.</b>.{0,60}Портал:</span> ✓ · <span "
                                         "class=\"muted\">Сдано работ:</span> 1 ")))
      << flat;
  EXPECT_NE(flat.find("Активны: <b>1</b> / 9"), std::string::npos);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(flat, m, std::regex("name=\"day\" value=\"([0-9-]+)\"")));
  std::string today = m[1];

  // One bad reason in the form: nothing of it is saved.
  Reply bad = teacher.post("/monitoring/classes/1/absences",
                           {{"day", today}, {"a20", "ill"}, {"a21", "holiday"}});
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(teacher.get("/monitoring/classes/1").body.find("value=\"ill\" selected"),
            std::string::npos);
  ASSERT_EQ(teacher
                .post("/monitoring/classes/1/absences",
                      {{"day", today}, {"a20", "ill"}, {"n20", "ОРВИ, справка"}})
                .status,
            303);
  Reply after = teacher.get("/monitoring/classes/1");
  EXPECT_NE(after.body.find("value=\"ill\" selected"), std::string::npos);
  EXPECT_NE(after.body.find("ОРВИ, справка"), std::string::npos);
  EXPECT_NE(after.body.find("Отсутствуют: <b>1</b>"), std::string::npos);

  Reply week = teacher.get("/monitoring/classes/1/week");
  ASSERT_EQ(week.status, 200);
  EXPECT_NE(week.body.find("<svg class=\"chart\""), std::string::npos);
  EXPECT_NE(week.body.find("Русский язык"), std::string::npos);
  Reply csv = teacher.get("/monitoring/classes/1/week.csv");
  EXPECT_NE(csv.header("content-type").find("text/csv"), std::string::npos);
  EXPECT_NE(csv.body.find("День;Активны;Сдано работ;Отсутствуют"), std::string::npos);
  EXPECT_NE(csv.body.find("Русский язык;Смирнова Ольга;1;0"), std::string::npos);

  EXPECT_EQ(teacher.get("/monitoring/classes/1/risk?days=1").status, 200);
  Reply risk = teacher.get("/monitoring/classes/1/risk.csv?days=1");
  EXPECT_NE(risk.body.find("Ученик;Последняя активность;Просрочено;Почему"), std::string::npos);

  // The admin sees every class; the class teacher of 5А not 9А's.
  Reply all = admin.get("/monitoring");
  EXPECT_NE(all.body.find(">9А<"), std::string::npos);
  EXPECT_EQ(teacher.get("/monitoring").body.find(">9А<"), std::string::npos);
  EXPECT_EQ(teacher.get("/monitoring/classes/3").status, 403);
}

}  // namespace
}  // namespace parta::testing
