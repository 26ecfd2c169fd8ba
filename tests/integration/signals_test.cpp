// What a phone user is told (issue 16): new hand-ins and comments for the teacher, new comments
// and marks for the student, the way on to the next student's work, the mark given shown as given,
// deadlines and sizes as people say them, buttons that say what they do, tel: links a phone can
// dial. Opening a page marks only the reader's own read marks.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "harness.hpp"
#include "storage/database.hpp"

namespace parta::testing {
namespace {

class Signals : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(admin.login("admin", kDemoPassword).status, 200);
    for (const auto& k : nlohmann::json::parse(admin.get("/api/v1/classes").body))
      if (k["name"] == "5А") class5a = k["id"];
    for (const auto& t : nlohmann::json::parse(admin.get("/api/v1/teachers").body))
      for (const auto& x : t["teaching"])
        if (x["subject"] == "Русский язык") rus = x["subject_id"];
    for (const auto& s : nlohmann::json::parse(
             admin.get("/api/v1/classes/" + std::to_string(class5a) + "/students").body)) {
      if (s["login"] == "ivanov.a") ivanov = s["id"];
      if (s["login"] != "ivanov.a" && !other) other = s["id"];
    }
    ASSERT_EQ(teacher.login("smirnova", kDemoPassword).status, 200);
    ASSERT_EQ(student.login("ivanov.a", kDemoPin).status, 200);
  }
  // An assignment of 5А's Russian due at `due_time` `days` from today; its page's path.
  std::string assign(const std::string& title, int days = 1,
                     const std::string& due_time = "18:00") {
    teacher.get("/assignments/new?class=" + std::to_string(class5a) +
                "&subject=" + std::to_string(rus));
    std::time_t t = std::time(nullptr) + days * 24 * 3600;
    std::tm tm{};
    localtime_r(&t, &tm);
    char day[16];
    std::strftime(day, sizeof day, "%Y-%m-%d", &tm);
    Reply r = teacher.post("/assignments", {{"class_id", std::to_string(class5a)},
                                            {"subject_id", std::to_string(rus)},
                                            {"title", title},
                                            {"grading", "mark"},
                                            {"due_date", day},
                                            {"due_time", due_time}});
    EXPECT_EQ(r.status, 303) << r.body;
    return r.location();
  }
  std::int64_t changes() {
    storage::Connection c(server.data_dir() + "/parta.db");
    return c
        .scalar(
            "SELECT (SELECT COUNT(*) FROM thread_reads) * 1000 + "
            "(SELECT COUNT(*) FROM marks_seen)")
        .value_or(-1);
  }
  Partad server;
  Client admin{server}, teacher{server}, student{server};
  std::int64_t class5a = 0, rus = 0, ivanov = 0, other = 0;
};

TEST_F(Signals, TeacherSeesNewWorkUntilSheOpensIt) {
  std::string a = assign("Упражнение 7");
  std::string thread = a + "/students/" + std::to_string(ivanov);
  student.get(thread);
  ASSERT_EQ(student.multipart(thread + "/submit", {{"text", "Готово"}}, {}).status, 303);
  ASSERT_EQ(student.post(thread + "/comment", {{"text", "Посмотрите, пожалуйста"}}).status, 303);

  // The start page and the list count it; the assignment's row says which student.
  Reply home = teacher.get("/");
  EXPECT_NE(home.body.find("Новое в моих заданиях"), std::string::npos) << home.body;
  EXPECT_NE(home.body.find("новых работ: 1"), std::string::npos);
  EXPECT_NE(home.body.find("новых комментариев: 1"), std::string::npos);
  Reply list = teacher.get("/assignments");
  EXPECT_NE(list.body.find("новых работ: 1"), std::string::npos);
  Reply overview = teacher.get(a);
  EXPECT_NE(overview.body.find("новая работа"), std::string::npos);
  EXPECT_NE(overview.body.find("новый комментарий"), std::string::npos);

  // Opening the thread is the teacher's own read mark: the counts go, and opening it again
  // writes nothing.
  Reply opened = teacher.get(thread);
  EXPECT_EQ(opened.status, 200);
  EXPECT_EQ(teacher.get("/assignments").body.find("новых работ"), std::string::npos);
  EXPECT_EQ(teacher.get("/").body.find("Новое в моих заданиях"), std::string::npos);
  std::int64_t before = changes();
  teacher.get(thread);
  EXPECT_EQ(changes(), before);

  // A second hand-in is new again.
  ASSERT_EQ(student.multipart(thread + "/submit", {{"text", "Исправил"}}, {}).status, 303);
  EXPECT_NE(teacher.get("/assignments").body.find("новых работ: 1"), std::string::npos);
}

TEST_F(Signals, ThreadLeadsToTheNextStudentWithNewWork) {
  std::string a = assign("Упражнение 8");
  // Another student of 5А hands in (straight into the database: their PIN is not known); the
  // teacher, on Ivanov's thread, is led there.
  std::string their = a + "/students/" + std::to_string(other);
  {
    storage::Connection c(server.data_dir() + "/parta.db");
    c.run(
        "INSERT INTO submissions (assignment_id, student_id, submitted_by, body, created_at) "
        "VALUES (?1, ?2, ?2, 'Сделал', strftime('%s','now'))",
        static_cast<std::int64_t>(std::stoll(a.substr(a.rfind('/') + 1))), other);
  }
  Reply page = teacher.get(a + "/students/" + std::to_string(ivanov));
  EXPECT_NE(page.body.find("Следующий ученик"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("href=\"" + their + "\""), std::string::npos);
  EXPECT_NE(page.body.find(">новое<"), std::string::npos);
}

TEST_F(Signals, StudentSeesNewCommentsAndMarksAndTheGradeFormKeepsTheMark) {
  std::string a = assign("Упражнение 9");
  std::string thread = a + "/students/" + std::to_string(ivanov);
  student.get(thread);
  ASSERT_EQ(student.multipart(thread + "/submit", {{"text", "Готово"}}, {}).status, 303);
  teacher.get(thread);
  ASSERT_EQ(teacher.post(thread + "/grade", {{"mark", "5-"}, {"comment", "Хорошо"}}).status, 303);

  // The grade form opens on «5-», not on the list's first «5».
  Reply graded = teacher.get(thread);
  EXPECT_NE(graded.body.find("<option value=\"5-\" selected>5-</option>"), std::string::npos);
  EXPECT_EQ(graded.body.find("<option value=\"5\" selected>"), std::string::npos);

  // The student's start page: the new mark and, on the assignment, the new comment.
  Reply home = student.get("/");
  EXPECT_NE(home.body.find("Новые оценки"), std::string::npos) << home.body;
  EXPECT_NE(home.body.find("<b class=\"mark\">5-</b>"), std::string::npos);
  Reply list = student.get("/students/" + std::to_string(ivanov) + "/assignments");
  EXPECT_NE(list.body.find("новых комментариев: 1"), std::string::npos) << list.body;
  // Looking at the diary clears the note; reading the thread clears the comment.
  student.get("/students/" + std::to_string(ivanov) + "/diary");
  EXPECT_EQ(student.get("/").body.find("Новые оценки"), std::string::npos);
  student.get(thread);
  EXPECT_EQ(student.get("/students/" + std::to_string(ivanov) + "/assignments")
                .body.find("новых комментариев"),
            std::string::npos);
}

TEST_F(Signals, ToDoComesFirstWithDeadlinesInWords) {
  ASSERT_EQ(teacher
                .post("/announcements", {{"audience", std::to_string(class5a)},
                                         {"title", "Собрание"},
                                         {"body", "В пятницу."}})
                .status,
            303);
  assign("Завтрашнее", 1, "09:00");
  assign("Через месяц", 40, "18:00");
  Reply home = student.get("/");
  auto todo = home.body.find("Нужно сделать"), board = home.body.find("Собрание");
  ASSERT_NE(todo, std::string::npos);
  ASSERT_NE(board, std::string::npos);
  EXPECT_LT(todo, board) << "the to-do list comes before the announcements";
  EXPECT_NE(home.body.find("завтра до 9:00"), std::string::npos) << home.body;
  // Beyond a week: a date without the words, dd.mm (and the year only when it is not this one).
  EXPECT_TRUE(std::regex_search(home.body, std::regex(R"(\d\d\.\d\d(\.\d{4})? до 18:00)")));
  // The thread's two buttons say different things.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(home.body, m, std::regex(R"(/assignments/\d+/students/\d+)")));
  Reply thread = student.get(m[0]);
  EXPECT_NE(thread.body.find("Сдать работу"), std::string::npos);
  EXPECT_NE(thread.body.find("Отправить комментарий"), std::string::npos);
}

// The student's start page is kept rendered between views (web/page_cache.hpp): whatever
// changes what it shows, whoever makes the change, shows on the next view; one student's page is
// never another's; the language is the viewer's.
TEST_F(Signals, StartPageKeptRenderedShowsEveryChangeAtOnce) {
  ASSERT_NE(student.get("/").body.find("Артём!"), std::string::npos);
  std::string a = assign("Задание после первого взгляда");
  Reply home = student.get("/");
  EXPECT_NE(home.body.find("Задание после первого взгляда"), std::string::npos) << home.body;
  // Handed in: off the to-do list at once.
  std::string thread = a + "/students/" + std::to_string(ivanov);
  student.get(thread);
  ASSERT_EQ(student.multipart(thread + "/submit", {{"text", "Готово"}}, {}).status, 303);
  EXPECT_EQ(student.get("/").body.find("Задание после первого взгляда"), std::string::npos);
  // Returned for corrections by the teacher: back on the list, marked so.
  teacher.get(thread);
  ASSERT_EQ(teacher.post(thread + "/comment", {{"text", "Допиши вывод"}, {"return", "1"}}).status,
            303);
  home = student.get("/");
  EXPECT_NE(home.body.find("Задание после первого взгляда"), std::string::npos);
  EXPECT_NE(home.body.find("возвращено на доработку"), std::string::npos) << home.body;
  // The admin's announcement to the whole school.
  ASSERT_EQ(admin
                .post("/announcements",
                      {{"audience", "school"}, {"title", "Каникулы с понедельника"}, {"body", "."}})
                .status,
            303);
  EXPECT_NE(student.get("/").body.find("Каникулы с понедельника"), std::string::npos);
  // Another student of the class gets his own page; English for the one who asks for it.
  Client classmate{server};
  std::string login;
  for (const auto& s : nlohmann::json::parse(
           admin.get("/api/v1/classes/" + std::to_string(class5a) + "/students").body))
    if (s["id"] == other) login = s["login"];
  ASSERT_EQ(classmate.login(login, kDemoPin).status, 200);
  Reply theirs = classmate.get("/");
  EXPECT_EQ(theirs.body.find("Артём!"), std::string::npos);
  EXPECT_NE(theirs.body.find("Задание после первого взгляда"), std::string::npos);
  student.get("/lang/en");
  EXPECT_NE(student.get("/").body.find("To do"), std::string::npos);
}

TEST_F(Signals, SizesInRussianAndTelLinksDialable) {
  ASSERT_EQ(admin
                .post("/admin/school", {{"name", "МБОУ «Ягодинская СОШ»"},
                                        {"short_name", "Ягодинская СОШ"},
                                        {"hotline", "+7 (913) 555-12-34"}})
                .status,
            200);
  Reply home = admin.get("/");
  EXPECT_NE(home.body.find("href=\"tel:+79135551234\""), std::string::npos) << home.body;
  Reply library = teacher.get("/library");
  EXPECT_EQ(library.body.find(" KB<"), std::string::npos);
  EXPECT_TRUE(std::regex_search(library.body, std::regex("\\d+(,\\d)?\xC2\xA0(КБ|МБ|ГБ)")))
      << library.body.substr(0, 3000);
}

}  // namespace
}  // namespace parta::testing
