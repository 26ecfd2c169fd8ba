// Messages, groups and the calendar over HTTP: the lines people may write along, unread counts,
// the class conversation run by the class teacher, groups of parents, and events they are invited
// to.
#include <gtest/gtest.h>

#include <regex>

#include "harness.hpp"

namespace parta::testing {
namespace {

std::string first_match(const std::string& body, const std::string& re) {
  std::smatch m;
  if (!std::regex_search(body, m, std::regex(re))) return "";
  return m[1];
}

TEST(Messages, ParentWritesToTheClassTeacherAlongTheLines) {
  Partad server;
  Client parent(server), teacher(server), student(server);
  ASSERT_EQ(parent.login("ivanova.s", kDemoPassword).status, 200);
  ASSERT_EQ(teacher.login("smirnova", kDemoPassword).status, 200);
  ASSERT_EQ(student.login("ivanov.a", kDemoPin).status, 200);

  // The parent's contacts are the teachers of the children's classes and the administration.
  Reply contacts = parent.get("/messages/new");
  ASSERT_EQ(contacts.status, 200);
  EXPECT_NE(contacts.body.find("5А: Русский язык, Литература, классный руководитель"),
            std::string::npos);
  std::string smirnova = first_match(contacts.body, "/messages/to/(\\d+)\">Смирнова");
  ASSERT_FALSE(smirnova.empty());
  EXPECT_EQ(contacts.body.find("Соколова"), std::string::npos);  // no other families

  // Opening the contact is a page with a form: nothing is made until the first message is sent
  // (no GET changes state), so opening it twice still shows the form.
  std::string to = "/messages/to/" + smirnova;
  for (int i = 0; i < 2; ++i) {
    Reply open = parent.get(to);
    ASSERT_EQ(open.status, 200);
    EXPECT_NE(open.body.find("action=\"" + to + "\""), std::string::npos);
    EXPECT_NE(open.body.find("Смирнова Ольга Викторовна"), std::string::npos);
  }
  EXPECT_EQ(parent.post(to, {{"text", "  \n "}}).status, 422);
  Reply too_long = parent.post(to, {{"text", std::string(4001, 'a')}});
  EXPECT_EQ(too_long.status, 422);
  EXPECT_NE(too_long.body.find("не больше 4000 знаков"), std::string::npos);
  EXPECT_EQ(parent.get(to).status, 200);  // refused messages made nothing either
  Reply sent = parent.post(to, {{"text", "Артём заболел, <b>сдадим</b> в понедельник."}});
  ASSERT_EQ(sent.status, 303);
  std::string conv = sent.location().substr(0, sent.location().find('#'));
  ASSERT_EQ(conv.rfind("/messages/", 0), 0u);
  Reply again = parent.get(to);  // from now on the contact opens the conversation
  EXPECT_EQ(again.status, 303);
  EXPECT_EQ(again.location(), conv);
  EXPECT_EQ(parent.post("/messages/to/20", {{"text", "x"}}).status, 403);  // another family

  // The teacher sees one unread, in the menu and in the list; reading clears it.
  Reply home = teacher.get("/");
  EXPECT_NE(home.body.find("<span class=\"badge\">1</span>"), std::string::npos);
  Reply list = teacher.get("/messages");
  EXPECT_NE(list.body.find("Иванова Светлана Петровна"), std::string::npos);
  Reply thread = teacher.get(conv);
  EXPECT_NE(thread.body.find("&lt;b&gt;сдадим&lt;/b&gt;"), std::string::npos);
  EXPECT_EQ(teacher.get("/").body.find("class=\"badge\""), std::string::npos);
  ASSERT_EQ(teacher.post(conv, {{"text", "Выздоравливайте!"}}).status, 303);
  EXPECT_NE(parent.get("/messages").body.find("Выздоравливайте!"), std::string::npos);

  // Outside the lines: the student may not read the parent's conversation, nor write to a
  // classmate or to a student of another class.
  EXPECT_EQ(student.get(conv).status, 403);
  EXPECT_EQ(student.post(conv, {{"text", "hi"}}).status, 403);
  EXPECT_EQ(student.get("/messages/to/20").status, 403);  // sokolova.m, same class
  Reply st_contacts = student.get("/messages/new");
  EXPECT_EQ(st_contacts.body.find("Соколова"), std::string::npos);
  EXPECT_NE(st_contacts.body.find("Смирнова"), std::string::npos);
  // Nor may a parent write to another family.
  EXPECT_EQ(parent.get("/messages/to/20").status, 403);
}

TEST(Messages, ClassConversationIsRunByTheClassTeacher) {
  Partad server;
  Client teacher(server), student(server), other(server);
  ASSERT_EQ(teacher.login("smirnova", kDemoPassword).status, 200);
  ASSERT_EQ(student.login("ivanov.a", kDemoPin).status, 200);
  ASSERT_EQ(other.login("egorov.d", kDemoPin).status, 200);  // 9А

  Reply mine = student.get("/messages");
  EXPECT_NE(mine.body.find("Класс 5А"), std::string::npos);
  std::string conv = "/messages/" + first_match(mine.body, "/messages/(\\d+)\"><b>Класс 5А");
  ASSERT_NE(conv, "/messages/");
  student.get(conv);
  ASSERT_EQ(student.post(conv, {{"text", "Кто знает, что задали по литературе?"}}).status, 303);
  EXPECT_EQ(other.get(conv).status, 403);  // another class's student

  teacher.get(conv);
  ASSERT_EQ(teacher.post(conv + "/closed", {{"closed", "1"}}).status, 303);
  Reply closed = student.get(conv);
  EXPECT_NE(closed.body.find("Сейчас здесь пишет только ведущий"), std::string::npos);
  EXPECT_EQ(closed.body.find("<textarea"), std::string::npos);
  EXPECT_EQ(student.post(conv, {{"text", "ещё"}}).status, 403);
  EXPECT_EQ(student.post(conv + "/closed", {{"closed", "0"}}).status, 403);
  ASSERT_EQ(teacher.post(conv, {{"text", "Стр. 45, вопросы 1–3."}}).status, 303);

  std::string msg = first_match(teacher.get(conv).body, "/remove/(\\d+)\"");
  ASSERT_FALSE(msg.empty());
  EXPECT_EQ(student.post(conv + "/remove/" + msg, {}).status, 403);
  ASSERT_EQ(teacher.post(conv + "/remove/" + msg, {}).status, 303);
  Reply after = student.get(conv);
  EXPECT_NE(after.body.find("удалено модератором"), std::string::npos);
  EXPECT_EQ(after.body.find("Кто знает"), std::string::npos);
}

TEST(Groups, ParentsGroupWithAMeetingOnTheirCalendar) {
  Partad server;
  Client teacher(server), parent(server), student(server), plain(server);
  ASSERT_EQ(teacher.login("smirnova", kDemoPassword).status, 200);
  ASSERT_EQ(parent.login("ivanova.s", kDemoPassword).status, 200);
  ASSERT_EQ(student.login("ivanov.a", kDemoPin).status, 200);
  ASSERT_EQ(plain.login("vasiliev", kDemoPassword).status, 200);

  teacher.get("/groups");
  EXPECT_EQ(teacher.post("/groups", {{"name", ""}}).status, 422);
  Reply made = teacher.post("/groups", {{"name", "Родители 5А"}});
  ASSERT_EQ(made.status, 303);
  std::string group = made.location();
  teacher.get(group);
  ASSERT_EQ(teacher.post(group + "/class", {{"class_id", "1"}, {"who", "parents"}}).status, 303);
  // 9А is not smirnova's class: she cannot add its parents, nor tick a 9А student by hand.
  EXPECT_EQ(teacher.post(group + "/class", {{"class_id", "3"}, {"who", "parents"}}).status, 403);
  EXPECT_EQ(teacher.post(group + "/members", {{"user_id", "999999"}}).status, 403);
  Reply page = teacher.get(group);
  EXPECT_NE(page.body.find("участников: 6"), std::string::npos);

  // A meeting for the group: bad input first.
  teacher.get("/calendar");
  std::string audience = "group:" + group.substr(std::string("/groups/").size());
  auto event = [&](const std::string& day, const std::string& starts, const std::string& ends) {
    return teacher.post("/calendar/events", {{"audience", audience},
                                             {"title", "Родительское собрание"},
                                             {"day", day},
                                             {"starts", starts},
                                             {"ends", ends},
                                             {"place", "Кабинет 12"},
                                             {"link", ""}});
  };
  EXPECT_EQ(event("2026-02-30", "18:00", "").status, 422);
  EXPECT_EQ(event("2026-11-27", "25:00", "").status, 422);
  EXPECT_EQ(event("2026-11-27", "18:00", "17:00").status, 422);
  ASSERT_EQ(event("2026-11-27", "18:00", "19:00").status, 303);
  EXPECT_EQ(teacher.post("/calendar/events", {{"audience", "school"}, {"title", "x"}}).status, 403);

  Reply cal = parent.get("/calendar?month=2026-11");
  EXPECT_NE(cal.body.find("Родительское собрание"), std::string::npos);
  EXPECT_NE(cal.body.find("Кабинет 12"), std::string::npos);
  EXPECT_EQ(student.get("/calendar?month=2026-11").body.find("Родительское собрание"),
            std::string::npos);
  EXPECT_NE(parent.get("/groups").body.find("Родители 5А"), std::string::npos);
  EXPECT_EQ(student.get(group).status, 403);
  EXPECT_EQ(plain.get(group).status, 403);
  EXPECT_EQ(plain.post(group + "/delete", {}).status, 403);

  // The group's conversation: the parent writes, the owner reads.
  Reply conv = parent.get(group + "/messages");
  ASSERT_EQ(conv.status, 303);
  parent.get(conv.location());
  ASSERT_EQ(parent.post(conv.location(), {{"text", "Буду на собрании."}}).status, 303);
  EXPECT_NE(teacher.get("/messages").body.find("Группа «Родители 5А»"), std::string::npos);

  ASSERT_EQ(teacher.post(group + "/delete", {}).status, 303);
  EXPECT_EQ(parent.get("/calendar?month=2026-11").body.find("Родительское собрание"),
            std::string::npos);
}

}  // namespace
}  // namespace parta::testing
