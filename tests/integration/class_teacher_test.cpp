// Issue 16 over HTTP: what the class teacher does for her own class (timetable, distance mode,
// devices, login cards, links to gradebooks and diaries), confirmations before irreversible taps,
// refused forms that keep what was typed, editing and deleting, dates as people type them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "harness.hpp"
#include "storage/database.hpp"

namespace parta::testing {
namespace {

std::string day_of(std::time_t t, const char* format = "%Y-%m-%d") {
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

bool has(const Reply& r, const std::string& text) { return r.body.find(text) != std::string::npos; }

struct Demo {
  std::map<std::string, std::int64_t> classes, students, teachers, subjects;
  explicit Demo(Client& admin) {
    for (const auto& k : nlohmann::json::parse(admin.get("/api/v1/classes").body)) {
      classes[k["name"]] = k["id"];
      for (const auto& s :
           nlohmann::json::parse(admin
                                     .get("/api/v1/classes/" +
                                          std::to_string(k["id"].get<std::int64_t>()) + "/students")
                                     .body))
        students[s["login"]] = s["id"];
    }
    for (const auto& t : nlohmann::json::parse(admin.get("/api/v1/teachers").body)) {
      teachers[t["login"]] = t["id"];
      for (const auto& x : t["teaching"]) subjects[x["subject"]] = x["subject_id"];
    }
  }
  std::string c(const std::string& name) const { return std::to_string(classes.at(name)); }
  std::string s(const std::string& login) const { return std::to_string(students.at(login)); }
  std::string t(const std::string& login) const { return std::to_string(teachers.at(login)); }
  std::string subj(const std::string& name) const { return std::to_string(subjects.at(name)); }
};

// smirnova leads 5А and teaches Russian there; 5Б is not hers.
TEST(ClassTeacher, TimetableOfHerClassWithEditsCopiesAndConfirmations) {
  Partad server;
  Client admin(server), teacher(server), student(server);
  ASSERT_EQ(admin.login("admin", kDemoPassword).status, 200);
  ASSERT_EQ(teacher.login("smirnova", kDemoPassword).status, 200);
  ASSERT_EQ(student.login("ivanov.a", kDemoPin).status, 200);
  Demo d(admin);
  const std::string c5a = d.c("5А"), c5b = d.c("5Б");
  const std::time_t now = std::time(nullptr);
  const std::string today = day_of(now), tomorrow = day_of(now + 86400);
  const std::string in_a_week = day_of(now + 7 * 86400);

  // Her class page links what she runs: timetable, distance, devices, cards, gradebooks, diaries.
  Reply page = teacher.get("/classes/" + c5a);
  ASSERT_EQ(page.status, 200);
  EXPECT_TRUE(has(page, "/admin/schedule?class=" + c5a));
  EXPECT_TRUE(has(page, "href=\"/admin/distance\""));
  EXPECT_TRUE(has(page, "href=\"/admin/devices\""));
  EXPECT_TRUE(has(page, "/classes/" + c5a + "/login-cards"));
  EXPECT_TRUE(has(page, "/gradebook/" + c5a + "/" + d.subj("Математика")));  // not her subject
  EXPECT_TRUE(has(page, "/students/" + d.s("ivanov.a") + "/diary"));
  EXPECT_EQ(teacher.get("/gradebook/" + c5a + "/" + d.subj("Математика")).status, 200);
  EXPECT_EQ(teacher.get("/students/" + d.s("ivanov.a") + "/diary").status, 200);

  // Lessons: her class yes, another class no. An online lesson may wait for its link.
  teacher.get("/admin/schedule?class=" + c5a + "&day=" + today);
  auto lesson = [&](const std::string& cls, const std::string& day, const std::string& n,
                    const std::string& from, const std::string& to, const std::string& mode) {
    return teacher.post("/admin/schedule/lessons", {{"class_id", cls},
                                                    {"day", day},
                                                    {"number", n},
                                                    {"starts", from},
                                                    {"ends", to},
                                                    {"subject_id", d.subj("Русский язык")},
                                                    {"teacher_id", d.t("smirnova")},
                                                    {"mode", mode},
                                                    {"link", ""}});
  };
  EXPECT_EQ(lesson(c5a, today, "1", "08:30", "09:10", "online").status, 303);
  EXPECT_EQ(lesson(c5a, today, "2", "09:20", "10:00", "school").status, 303);
  EXPECT_EQ(lesson(c5b, today, "5", "12:00", "12:40", "school").status, 403);
  // A refused lesson keeps all its fields (the number clashes).
  Reply clash = lesson(c5a, today, "2", "11:05", "11:45", "school");
  EXPECT_EQ(clash.status, 422);
  EXPECT_TRUE(has(clash, "value=\"11:05\""));
  EXPECT_TRUE(has(clash, "value=\"11:45\""));
  EXPECT_TRUE(has(clash, "name=\"number\" value=\"2\""));
  // The date as people type it.
  std::string typed = day_of(now + 2 * 86400, "%d.%m.%Y");
  EXPECT_EQ(lesson(c5a, typed, "1", "08:30", "09:10", "school").location(),
            "/admin/schedule?class=" + c5a + "&day=" + day_of(now + 2 * 86400));
  EXPECT_EQ(teacher.get("/admin/schedule?class=" + c5b).status, 403);

  // Publishing her class's day; the online lesson says its link comes later.
  EXPECT_EQ(
      teacher.post("/admin/schedule/publish", {{"class_id", c5a}, {"day", today}, {"on", "1"}})
          .status,
      303);
  EXPECT_EQ(
      teacher.post("/admin/schedule/publish", {{"class_id", c5b}, {"day", today}, {"on", "1"}})
          .status,
      403);
  EXPECT_TRUE(has(student.get("/schedule"), "ссылка появится позже"));
  EXPECT_TRUE(has(teacher.get("/schedule"), "href=\"/admin/schedule?class=" + c5a + "\""));
  // A calendar event's date typed as people write it.
  teacher.get("/calendar");
  Reply event = teacher.post("/calendar/events", {{"title", "Собрание"},
                                                  {"day", day_of(now, "%d.%m.%Y")},
                                                  {"starts", "18:00"},
                                                  {"ends", "19:00"},
                                                  {"audience", "class:" + c5a}});
  EXPECT_EQ(event.status, 303);
  EXPECT_NE(event.location().find("#d" + today), std::string::npos) << event.location();

  // Editing a lesson: the time changes, the number may stay its own.
  std::smatch m;
  std::string day_page = teacher.get("/admin/schedule?class=" + c5a + "&day=" + today).body;
  ASSERT_TRUE(std::regex_search(day_page, m, std::regex("/admin/schedule/lessons/(\\d+)\"")));
  std::string first = "/admin/schedule/lessons/" + m[1].str();
  Reply form = teacher.get(first);
  ASSERT_EQ(form.status, 200);
  EXPECT_TRUE(has(form, "value=\"08:30\""));
  EXPECT_EQ(teacher
                .post(first, {{"day", today},
                              {"number", "1"},
                              {"starts", "08:00"},
                              {"ends", "08:40"},
                              {"subject_id", d.subj("Русский язык")},
                              {"teacher_id", d.t("smirnova")},
                              {"mode", "online"},
                              {"link", "https://meet.example/5a"}})
                .status,
            303);
  Reply edited = teacher.get("/admin/schedule?class=" + c5a + "&day=" + today);
  EXPECT_TRUE(has(edited, "08:00–08:40"));
  EXPECT_FALSE(has(edited, "08:30–09:10"));

  // Copy the day to tomorrow, then the week to the next one.
  Reply copied =
      teacher.post("/admin/schedule/copy",
                   {{"class_id", c5a}, {"day", today}, {"what", "day"}, {"to", tomorrow}});
  EXPECT_EQ(copied.status, 200);
  EXPECT_TRUE(has(copied, "Скопировано уроков: 2, дней: 1"));
  EXPECT_TRUE(has(copied, "08:00–08:40"));
  Reply again =
      teacher.post("/admin/schedule/copy",
                   {{"class_id", c5a}, {"day", today}, {"what", "day"}, {"to", tomorrow}});
  EXPECT_TRUE(has(again, "Дней, где уже были уроки и которые не изменились: 1"));
  Reply week =
      teacher.post("/admin/schedule/copy", {{"class_id", c5a}, {"day", today}, {"what", "week"}});
  EXPECT_EQ(week.status, 200);
  EXPECT_TRUE(
      has(teacher.get("/admin/schedule?class=" + c5a + "&day=" + in_a_week), "08:00–08:40"));

  // Deleting a lesson asks first; nothing is deleted until the second tap.
  Reply ask = teacher.post(first + "/delete", {});
  EXPECT_EQ(ask.status, 200);
  EXPECT_TRUE(has(ask, "Вы уверены?"));
  EXPECT_TRUE(has(ask, "name=\"confirm\" value=\"1\""));
  EXPECT_TRUE(has(teacher.get("/admin/schedule?class=" + c5a + "&day=" + today), "08:00–08:40"));
  EXPECT_EQ(teacher.post(first + "/delete", {{"confirm", "1"}}).status, 303);
  EXPECT_FALSE(has(teacher.get("/admin/schedule?class=" + c5a + "&day=" + today), "08:00–08:40"));
}

TEST(ClassTeacher, DistanceModeDevicesAndAnnouncements) {
  Partad server;
  Client admin(server), teacher(server), student(server);
  ASSERT_EQ(admin.login("admin", kDemoPassword).status, 200);
  ASSERT_EQ(teacher.login("smirnova", kDemoPassword).status, 200);
  ASSERT_EQ(student.login("ivanov.a", kDemoPin).status, 200);
  Demo d(admin);
  const std::string c5a = d.c("5А"), c5b = d.c("5Б");
  const std::time_t now = std::time(nullptr);
  const std::string banner = "Идёт дистанционное обучение";

  // Her class to distance learning from tomorrow (typed as dd.mm.yyyy): no banner today.
  Reply dist = teacher.get("/admin/distance");
  ASSERT_EQ(dist.status, 200);
  EXPECT_FALSE(has(dist, "value=\"school\""));  // the whole school is the admin's
  Reply empty = teacher.post("/admin/distance", {{"scope", c5a}, {"on", "1"}, {"message", ""}});
  EXPECT_EQ(empty.status, 422);
  EXPECT_EQ(teacher.post("/admin/distance", {{"scope", c5b}, {"on", "1"}, {"message", "Карантин"}})
                .status,
            403);
  EXPECT_EQ(
      teacher.post("/admin/distance", {{"scope", "school"}, {"on", "1"}, {"message", "x"}}).status,
      403);
  Reply past = teacher.post("/admin/distance", {{"scope", c5a},
                                                {"on", "1"},
                                                {"message", "Карантин в 5А"},
                                                {"from", day_of(now - 3 * 86400, "%d.%m.%Y")}});
  EXPECT_EQ(past.status, 422);
  EXPECT_TRUE(has(past, "Карантин в 5А"));  // the message typed is kept
  EXPECT_EQ(teacher
                .post("/admin/distance", {{"scope", c5a},
                                          {"on", "1"},
                                          {"message", "Карантин в 5А"},
                                          {"from", day_of(now + 86400, "%d.%m.%Y")}})
                .status,
            303);
  EXPECT_FALSE(has(student.get("/"), banner));
  EXPECT_TRUE(has(student.get("/announcements"),
                  "Дистанционное обучение с " + day_of(now + 86400, "%d.%m.%Y")));
  // From today: the banner shows.
  EXPECT_EQ(teacher.post("/admin/distance", {{"scope", c5a}, {"on", "0"}, {"message", ""}}).status,
            303);
  EXPECT_EQ(teacher
                .post("/admin/distance",
                      {{"scope", c5a}, {"on", "1"}, {"message", "Карантин"}, {"from", ""}})
                .status,
            303);
  EXPECT_TRUE(has(student.get("/"), banner));

  // The whole school: an empty message is refused; otherwise a second page asks first.
  admin.get("/admin/distance");
  EXPECT_EQ(
      admin.post("/admin/distance", {{"scope", "school"}, {"on", "1"}, {"message", ""}}).status,
      422);
  Reply ask =
      admin.post("/admin/distance",
                 {{"scope", "school"}, {"on", "1"}, {"message", "Приказ №5\nс понедельника"}});
  EXPECT_EQ(ask.status, 200);
  EXPECT_TRUE(has(ask, "Вы уверены?"));
  EXPECT_TRUE(has(ask, "name=\"message\" value=\"Приказ №5\nс понедельника\""));
  const std::string still_off =
      "value=\"school\">\n<input type=\"hidden\" name=\"on\" value=\"1\">";
  EXPECT_TRUE(has(admin.get("/admin/distance"), still_off));
  EXPECT_EQ(admin
                .post("/admin/distance", {{"scope", "school"},
                                          {"on", "1"},
                                          {"message", "Приказ №5\nс понедельника"},
                                          {"confirm", "1"}})
                .status,
            303);

  // Devices: the admin registers, the class teacher lends to her student only, and takes it back.
  admin.get("/admin/devices");
  ASSERT_EQ(admin.post("/admin/devices", {{"kind", "Планшет"}, {"serial", "T-1"}}).status, 303);
  Reply kept = admin.post(
      "/admin/devices",
      {{"kind", "Ноутбук"}, {"model", "Aquarius"}, {"serial", ""}, {"note", "без зарядки"}});
  EXPECT_EQ(kept.status, 422);
  EXPECT_TRUE(has(kept, "value=\"Aquarius\""));
  EXPECT_TRUE(has(kept, "value=\"без зарядки\""));
  Reply list = teacher.get("/admin/devices");
  ASSERT_EQ(list.status, 200);
  EXPECT_FALSE(has(list, "name=\"serial\""));  // registering is the admin's
  EXPECT_FALSE(has(list, "(5Б)"));             // only her class's students to lend to
  std::smatch m;
  ASSERT_TRUE(std::regex_search(list.body, m, std::regex("/admin/devices/(\\d+)/lend")));
  std::string dev = "/admin/devices/" + m[1].str();
  EXPECT_EQ(teacher.post(dev + "/lend", {{"student_id", d.s("morozova.p")}}).status, 403);
  EXPECT_EQ(teacher.post(dev + "/lend", {{"student_id", d.s("ivanov.a")}}).status, 303);
  EXPECT_EQ(teacher.post(dev + "/return", {}).status, 303);
  Client other(server);
  ASSERT_EQ(other.login("kuznetsov", kDemoPassword).status, 200);  // leads no class
  EXPECT_EQ(other.get("/admin/devices").status, 403);
  EXPECT_EQ(other.get("/admin/distance").status, 403);
  EXPECT_EQ(other.get("/admin/schedule").status, 403);

  // An announcement refused keeps its class and pin; it never goes to the first class.
  teacher.get("/announcements");
  Reply ann = teacher.post(
      "/announcements", {{"audience", c5a}, {"title", " "}, {"body", "Собрание"}, {"pinned", "1"}});
  EXPECT_EQ(ann.status, 422);
  EXPECT_TRUE(has(ann, "<option value=\"" + c5a + "\" selected>"));
  EXPECT_TRUE(has(ann, "name=\"pinned\" value=\"1\" checked"));
  EXPECT_EQ(teacher.post("/announcements", {{"audience", ""}, {"title", "Собрание"}}).status, 422);
  ASSERT_EQ(
      teacher.post("/announcements", {{"audience", c5a}, {"title", "Собрание"}, {"body", "в 18"}})
          .status,
      303);
  std::string board = teacher.get("/announcements").body;
  ASSERT_TRUE(std::regex_search(board, m, std::regex("/announcements/(\\d+)/delete")));
  std::string del = "/announcements/" + m[1].str() + "/delete";
  EXPECT_TRUE(has(teacher.post(del, {}), "Вы уверены?"));
  EXPECT_TRUE(has(teacher.get("/announcements"), "Собрание"));
  EXPECT_EQ(teacher.post(del, {{"confirm", "1"}}).status, 303);
}

TEST(ClassTeacher, LoginCardsForChosenStudentsAtTheBoxsAddress) {
  std::string conf = "/tmp/parta-cards-" + std::to_string(::getpid()) + ".conf";
  std::ofstream(conf) << "portal_host = ucheba.example\n";
  Partad server({"--demo", "--config", conf});
  std::remove(conf.c_str());
  Client admin(server), teacher(server);
  ASSERT_EQ(admin.login("admin", kDemoPassword).status, 200);
  ASSERT_EQ(teacher.login("smirnova", kDemoPassword).status, 200);
  Demo d(admin);
  const std::string c5a = d.c("5А");
  // /paper leads to the class pages, where the cards are.
  EXPECT_TRUE(has(admin.get("/paper"), "/classes/" + c5a + "#cards"));
  teacher.get("/classes/" + c5a);
  const std::string cards = "/classes/" + c5a + "/login-cards";
  // Without the confirmation nothing changes.
  Reply ask = teacher.post(cards, {{"who", "chosen"}, {"student", d.s("ivanov.a")}});
  EXPECT_EQ(ask.status, 200);
  EXPECT_TRUE(has(ask, "Вы уверены?"));
  Client still(server);
  EXPECT_EQ(still.login("ivanov.a", kDemoPin).status, 200);
  EXPECT_EQ(
      teacher.post("/classes/" + d.c("5Б") + "/login-cards", {{"who", "all"}, {"confirm", "1"}})
          .status,
      403);
  // Cards only for ivanov.a: his PIN changes, his classmate's does not. A visitor's Host header
  // is not the address on the card.
  Reply pdf =
      teacher.post(cards, {{"who", "chosen"}, {"student", d.s("ivanov.a")}, {"confirm", "1"}});
  ASSERT_EQ(pdf.status, 200) << pdf.body.substr(0, 500);
  EXPECT_EQ(pdf.header("content-type"), "application/pdf");
  std::string path = "/tmp/parta-cards-" + std::to_string(::getpid()) + ".pdf";
  std::ofstream(path, std::ios::binary) << pdf.body;
  int rc = 0;
  std::string text = run_command("pdftotext " + path + " -", &rc);
  std::remove(path.c_str());
  ASSERT_EQ(rc, 0);
  // The layout may wrap the address: compare without the line breaks.
  text.erase(
      std::remove_if(text.begin(), text.end(), [](char ch) { return ch == '\n' || ch == ' '; }),
      text.end());
  EXPECT_NE(text.find("http://ucheba.example/login?login=ivanov.a"), std::string::npos) << text;
  EXPECT_EQ(text.find("sokolova.m"), std::string::npos);
  EXPECT_EQ(text.find("127.0.0.1"), std::string::npos);
  Client old_pin(server), classmate(server);
  EXPECT_NE(old_pin.login("ivanov.a", kDemoPin).status, 200);
  EXPECT_EQ(classmate.login("sokolova.m", kDemoPin).status, 200);
}

TEST(Teacher, EditsAndDeletesAnAssignmentAndKeepsRefusedFields) {
  Partad server;
  Client admin(server), teacher(server), student(server);
  ASSERT_EQ(admin.login("admin", kDemoPassword).status, 200);
  ASSERT_EQ(teacher.login("smirnova", kDemoPassword).status, 200);
  ASSERT_EQ(student.login("ivanov.a", kDemoPin).status, 200);
  Demo d(admin);
  const std::string c5a = d.c("5А"), rus = d.subj("Русский язык");
  const std::time_t now = std::time(nullptr);
  teacher.get("/assignments/new?class=" + c5a + "&subject=" + rus);
  // Refused (no due date): the fields stay, and the files are said to be lost.
  Reply refused = teacher.multipart("/assignments",
                                    {{"class_id", c5a},
                                     {"subject_id", rus},
                                     {"title", "Диктант"},
                                     {"body", "Повторить правила"},
                                     {"grading", "pass"},
                                     {"due_date", ""},
                                     {"due_time", "18:00"}},
                                    {{"files", "rules.pdf", "application/pdf", "%PDF-1.4 rules"}});
  EXPECT_EQ(refused.status, 422);
  EXPECT_TRUE(has(refused, "value=\"Диктант\""));
  EXPECT_TRUE(has(refused, "Повторить правила"));
  EXPECT_TRUE(has(refused, "value=\"pass\" checked"));
  EXPECT_TRUE(has(refused, "Прикреплённые файлы не сохранились"));
  // Made with the due date typed as dd.mm.yyyy.
  Reply made = teacher.multipart("/assignments",
                                 {{"class_id", c5a},
                                  {"subject_id", rus},
                                  {"title", "Диктант"},
                                  {"grading", "mark"},
                                  {"due_date", day_of(now + 3 * 86400, "%d.%m.%Y")},
                                  {"due_time", "18:00"}},
                                 {{"files", "rules.pdf", "application/pdf", "%PDF-1.4 rules"}});
  ASSERT_EQ(made.status, 303) << made.body.substr(0, 2000);
  const std::string a = made.location();
  EXPECT_TRUE(has(teacher.get(a), a + "/edit"));

  // Edit: new title, text and due date; the old file removed, a new one added.
  Reply form = teacher.get(a + "/edit");
  ASSERT_EQ(form.status, 200);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(form.body, m, std::regex("name=\"remove_file\" value=\"(\\d+)\"")));
  Reply saved = teacher.multipart(a + "/edit",
                                  {{"title", "Диктант №2"},
                                   {"body", "Слова на стр. 40"},
                                   {"due_date", day_of(now + 4 * 86400)},
                                   {"due_time", "17:00"},
                                   {"remove_file", m[1].str()}},
                                  {{"files", "words.pdf", "application/pdf", "%PDF-1.4 words"}});
  ASSERT_EQ(saved.status, 303) << saved.body.substr(0, 2000);
  Reply shown = teacher.get(a);
  EXPECT_TRUE(has(shown, "Диктант №2"));
  EXPECT_TRUE(has(shown, "Слова на стр. 40"));
  // The page says the deadline relative to today («в пятницу до 17:00»); the form has the date.
  EXPECT_TRUE(has(shown, "17:00"));
  Reply again = teacher.get(a + "/edit");
  EXPECT_TRUE(has(again, day_of(now + 4 * 86400)));
  EXPECT_TRUE(has(shown, "words.pdf"));
  EXPECT_FALSE(has(shown, "rules.pdf"));
  Reply bad = teacher.multipart(
      a + "/edit", {{"title", ""}, {"due_date", "31.02.2030"}, {"due_time", "17:00"}}, {});
  EXPECT_EQ(bad.status, 422);
  Client other(server);
  ASSERT_EQ(other.login("kuznetsov", kDemoPassword).status, 200);
  EXPECT_EQ(other.get(a + "/edit").status, 403);

  // Delete: refused once a student has handed in (the work is never deleted with the task).
  std::string thread = a + "/students/" + d.s("ivanov.a");
  student.get(thread);
  ASSERT_EQ(student.multipart(thread + "/submit", {{"text", "готово"}}, {}).status, 303);
  Reply kept = teacher.post(a + "/delete", {{"confirm", "1"}});
  EXPECT_EQ(kept.status, 409);
  EXPECT_TRUE(has(kept, "сдано работ — 1"));
  EXPECT_EQ(teacher.get(a).status, 200);

  // A fresh one nobody touched: asks first, then goes.
  teacher.get("/assignments/new?class=" + c5a + "&subject=" + rus);
  Reply fresh = teacher.multipart("/assignments",
                                  {{"class_id", c5a},
                                   {"subject_id", rus},
                                   {"title", "Ошибка"},
                                   {"grading", "mark"},
                                   {"due_date", day_of(now + 3 * 86400)},
                                   {"due_time", "18:00"}},
                                  {});
  ASSERT_EQ(fresh.status, 303);
  const std::string fresh_id = fresh.location().substr(std::string("/assignments/").size());
  std::string uid;
  {
    storage::Connection c(server.data_dir() + "/parta.db");
    auto q = c.query("SELECT uid FROM assignments WHERE id = ?1",
                     static_cast<std::int64_t>(std::stoll(fresh_id)));
    if (q.next()) uid = q.text(0);
  }
  ASSERT_FALSE(uid.empty());
  EXPECT_TRUE(has(teacher.post(fresh.location() + "/delete", {}), "Вы уверены?"));
  EXPECT_EQ(teacher.get(fresh.location()).status, 200);
  EXPECT_EQ(teacher.post(fresh.location() + "/delete", {{"confirm", "1"}}).status, 303);
  EXPECT_EQ(teacher.get(fresh.location()).status, 404);
  // The district learns of the deletion under the assignment's uid.
  storage::Connection c(server.data_dir() + "/parta.db");
  auto q = c.query(
      "SELECT payload FROM sync_outbox WHERE kind = 'assignment' AND ref = ?1 AND "
      "payload LIKE '%' || ?2 || '%'",
      fresh_id, uid);
  ASSERT_TRUE(q.next());
  auto record = nlohmann::json::parse(q.text(0));
  EXPECT_EQ(record["rid"], uid);
  EXPECT_EQ(record["deleted"], true);
}

TEST(AdminForms, RefusedFormsKeepWhatWasTypedAndResetsAskFirst) {
  Partad server;
  Client admin(server);
  ASSERT_EQ(admin.login("admin", kDemoPassword).status, 200);
  Demo d(admin);
  admin.get("/admin/students");
  Reply st = admin.post("/admin/students", {{"class_id", d.c("5Б")},
                                            {"last_name", "Петров"},
                                            {"first_name", "Пётр"},
                                            {"student_no", ""},
                                            {"paper", "1"}});
  EXPECT_EQ(st.status, 422);
  EXPECT_TRUE(has(st, "value=\"Петров\""));
  EXPECT_TRUE(has(st, "<option value=\"" + d.c("5Б") + "\" selected>"));
  EXPECT_TRUE(has(st, "name=\"paper\" value=\"1\" checked"));
  Reply pa = admin.post("/admin/parents", {{"last_name", "Петрова"},
                                           {"first_name", "Анна"},
                                           {"phone", "+7 900 000-00-00"},
                                           {"student_no", "NO-SUCH"}});
  EXPECT_EQ(pa.status, 422);
  EXPECT_TRUE(has(pa, "value=\"Петрова\""));
  EXPECT_TRUE(has(pa, "value=\"+7 900 000-00-00\""));
  EXPECT_TRUE(has(pa, "value=\"NO-SUCH\""));
  // A new PIN asks first; the old one works until the second tap.
  Reply ask = admin.post("/admin/users/" + d.s("ivanov.a") + "/reset", {{"kind", "pin"}});
  EXPECT_EQ(ask.status, 200);
  EXPECT_TRUE(has(ask, "Вы уверены?"));
  Client student(server);
  EXPECT_EQ(student.login("ivanov.a", kDemoPin).status, 200);
}

}  // namespace
}  // namespace parta::testing
