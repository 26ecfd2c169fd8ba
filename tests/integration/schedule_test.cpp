// The timetable over HTTP: the admin builds and publishes a day; clashes and bad input are refused;
// students and parents see published days, today first.
#include <gtest/gtest.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "harness.hpp"

namespace parta::testing {
namespace {

std::string local_day(std::time_t t) {
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

TEST(Schedule, AdminBuildsAndPublishesStudentsAndParentsSeeIt) {
  Partad server;
  Client admin(server), student(server), parent(server), s9a(server);
  ASSERT_EQ(admin.login("admin", kDemoPassword).status, 200);
  ASSERT_EQ(student.login("ivanov.a", kDemoPin).status, 200);
  ASSERT_EQ(parent.login("sokolov.d", kDemoPassword).status, 200);  // a child in 5А
  ASSERT_EQ(s9a.login("egorov.d", kDemoPin).status, 200);
  const std::string today = local_day(std::time(nullptr));
  const std::string tomorrow = local_day(std::time(nullptr) + 86400);
  std::int64_t smirnova = 0, kuznetsov = 0;
  for (const auto& t : nlohmann::json::parse(admin.get("/api/v1/teachers").body)) {
    if (t["login"] == "smirnova") smirnova = t["id"];
    if (t["login"] == "kuznetsov") kuznetsov = t["id"];
  }
  admin.get("/admin/schedule?class=1&day=" + today);
  auto lesson = [&](const std::string& cls, const std::string& day, const std::string& n,
                    const std::string& from, const std::string& to, const std::string& subject,
                    std::int64_t teacher, const std::string& mode, const std::string& link) {
    return admin.post("/admin/schedule/lessons",
                      {{"class_id", cls},
                       {"day", day},
                       {"number", n},
                       {"starts", from},
                       {"ends", to},
                       {"subject_id", subject},
                       {"teacher_id", teacher ? std::to_string(teacher) : ""},
                       {"mode", mode},
                       {"link", link}});
  };
  EXPECT_EQ(lesson("1", today, "1", "08:30", "09:10", "1", smirnova, "online",
                   "https://meet.example/5a-rus")
                .status,
            303);
  EXPECT_EQ(lesson("1", today, "2", "09:20", "10:00", "3", kuznetsov, "materials", "").status, 303);
  EXPECT_EQ(lesson("1", tomorrow, "1", "08:30", "09:10", "2", smirnova, "school", "").status, 303);
  // Clashes and bad input: refused, nothing added.
  Reply same_number = lesson("1", today, "2", "11:00", "11:40", "6", 0, "school", "");
  EXPECT_EQ(same_number.status, 422);
  EXPECT_NE(same_number.body.find("уже есть 2-й урок"), std::string::npos);
  Reply busy = lesson("2", today, "1", "08:50", "09:30", "1", smirnova, "school", "");
  EXPECT_EQ(busy.status, 422);
  EXPECT_NE(busy.body.find("уже урок в 5А с 08:30 до 09:10"), std::string::npos);
  EXPECT_EQ(lesson("1", today, "3", "10:00", "09:00", "1", 0, "school", "").status, 422);
  EXPECT_EQ(lesson("1", "2026-02-31", "3", "10:00", "10:40", "1", 0, "school", "").status, 422);
  Reply nolink = lesson("1", today, "3", "10:10", "10:50", "1", 0, "online", "javascript:alert(1)");
  EXPECT_EQ(nolink.status, 422);
  EXPECT_NE(nolink.body.find("начинается с http"), std::string::npos);

  // Not published yet: nobody sees it.
  EXPECT_NE(student.get("/schedule").body.find("Расписание ещё не опубликовано."),
            std::string::npos);
  ASSERT_EQ(admin.post("/admin/schedule/publish", {{"class_id", "1"}, {"day", today}, {"on", "1"}})
                .status,
            303);
  ASSERT_EQ(
      admin.post("/admin/schedule/publish", {{"class_id", "1"}, {"day", tomorrow}, {"on", "1"}})
          .status,
      303);
  Reply mine = student.get("/schedule");
  EXPECT_NE(mine.body.find("Сегодня"), std::string::npos);
  EXPECT_NE(mine.body.find("Завтра"), std::string::npos);
  EXPECT_LT(mine.body.find("Сегодня"), mine.body.find("Завтра"));
  EXPECT_NE(mine.body.find("https://meet.example/5a-rus"), std::string::npos);
  EXPECT_NE(mine.body.find("работа по материалам"), std::string::npos);
  EXPECT_NE(parent.get("/schedule").body.find("https://meet.example/5a-rus"), std::string::npos);
  EXPECT_EQ(s9a.get("/schedule").body.find("meet.example"), std::string::npos);

  // A subject teacher sees her own lessons, each with its class, and not the rest of the
  // class's timetable; the class's whole timetable is one tap away (issue 22).
  Client teacher(server);
  ASSERT_EQ(teacher.login("kuznetsov", kDemoPassword).status, 200);
  Reply own = teacher.get("/schedule");
  ASSERT_EQ(own.status, 200);
  EXPECT_NE(own.body.find("<b>Мои уроки</b>"), std::string::npos);
  EXPECT_NE(own.body.find("работа по материалам"), std::string::npos) << own.body;
  EXPECT_NE(own.body.find("<small class=\"muted\">5А</small>"), std::string::npos);
  EXPECT_EQ(own.body.find("https://meet.example/5a-rus"), std::string::npos);  // smirnova's
  Reply cls = teacher.get("/schedule?class=1");
  EXPECT_NE(cls.body.find("https://meet.example/5a-rus"), std::string::npos);
  EXPECT_EQ(teacher.get("/schedule?class=999").status, 404);
  Reply none = s9a.get("/schedule");  // (a student: her class's timetable, as before)
  EXPECT_EQ(none.body.find("ваших уроков нет"), std::string::npos);
  // The class teacher sees her own lessons and her class's timetable with its edit link.
  Client smirnova_c(server);
  ASSERT_EQ(smirnova_c.login("smirnova", kDemoPassword).status, 200);
  Reply ct = smirnova_c.get("/schedule");
  EXPECT_NE(ct.body.find("<b>Мои уроки</b>"), std::string::npos);
  EXPECT_NE(ct.body.find("/admin/schedule?class=1"), std::string::npos);
  EXPECT_NE(ct.body.find("работа по материалам"), std::string::npos);  // kuznetsov's, in 5А
}

}  // namespace
}  // namespace parta::testing

namespace parta::testing {
namespace {

TEST(Schedule, ImportAWeekFromExcelCsv) {
  Partad server;
  Client admin(server);
  ASSERT_EQ(admin.login("admin", kDemoPassword).status, 200);
  admin.get("/admin/schedule");
  auto upload = [&](const std::string& name) {
    return admin.multipart(
        "/admin/schedule/import", {},
        {{"file", name, "text/csv",
          read_file(std::string(PARTA_SOURCE_DIR) + "/tests/fixtures/schedule/" + name)}});
  };
  Reply broken = upload("broken.csv");
  EXPECT_EQ(broken.status, 422);
  EXPECT_NE(broken.body.find("Ничего не загружено"), std::string::npos);
  EXPECT_NE(broken.body.find("Строка 2: «31.02.2026» — не дата"), std::string::npos);
  Reply clash = upload("clash.csv");
  EXPECT_EQ(clash.status, 422);
  EXPECT_NE(clash.body.find("Строка 5: у учителя в этот день уже урок в 5А"), std::string::npos);
  // Nothing of the clashing file was kept (its 5А maths lesson is at 09:20).
  EXPECT_EQ(admin.get("/admin/schedule?class=1&day=2026-11-23").body.find("09:20–10:00"),
            std::string::npos);

  Reply ok = upload("week-cp1251.csv");  // as Excel saves it
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_NE(ok.body.find("Загружено уроков: 5, дней по классам: 3"), std::string::npos);
  Reply day = admin.get("/admin/schedule?class=1&day=2026-11-23");
  EXPECT_NE(day.body.find("09:20–10:00"), std::string::npos);
  EXPECT_NE(day.body.find(" · онлайн-урок</small>"), std::string::npos);
  EXPECT_EQ(admin.multipart("/admin/schedule/import", {}, {}).status, 422);
}

}  // namespace
}  // namespace parta::testing
