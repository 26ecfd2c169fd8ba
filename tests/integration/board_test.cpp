// Announcements and the distance-learning switch over HTTP: who posts where, who sees what.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace parta::testing {
namespace {

TEST(Board, AnnouncementsReachTheirAudience) {
  Partad server;
  Client admin(server), teacher(server), s5a(server), s9a(server), parent(server), other(server);
  ASSERT_EQ(admin.login("admin", kDemoPassword).status, 200);
  ASSERT_EQ(teacher.login("smirnova", kDemoPassword).status, 200);  // teaches 5А, 5Б
  ASSERT_EQ(s5a.login("ivanov.a", kDemoPin).status, 200);
  ASSERT_EQ(s9a.login("egorov.d", kDemoPin).status, 200);
  ASSERT_EQ(parent.login("ivanova.s", kDemoPassword).status, 200);  // children in 5А and 9А
  ASSERT_EQ(other.login("sokolov.d", kDemoPassword).status, 200);   // child in 5А only

  admin.get("/announcements");
  ASSERT_EQ(admin
                .post("/announcements", {{"audience", "school"},
                                         {"title", "Горячая линия работает до 20:00"},
                                         {"pinned", "1"}})
                .status,
            303);
  teacher.get("/announcements");
  ASSERT_EQ(teacher
                .post("/announcements", {{"audience", "1"},
                                         {"title", "5А: родительское собрание в четверг"},
                                         {"body", "В 18:00, онлайн или в классе."}})
                .status,
            303);
  // A teacher cannot post school-wide or to a class they do not teach; empty titles are refused.
  EXPECT_EQ(teacher.post("/announcements", {{"audience", "school"}, {"title", "x"}}).status, 403);
  EXPECT_EQ(teacher.post("/announcements", {{"audience", "3"}, {"title", "x"}}).status, 403);
  Reply empty = teacher.post("/announcements", {{"audience", "1"}, {"title", "  "}});
  EXPECT_EQ(empty.status, 422);
  EXPECT_NE(empty.body.find("Укажите заголовок объявления."), std::string::npos);

  Reply h5 = s5a.get("/");
  EXPECT_NE(h5.body.find("Горячая линия работает до 20:00"), std::string::npos);
  EXPECT_NE(h5.body.find("5А: родительское собрание"), std::string::npos);
  Reply h9 = s9a.get("/");
  EXPECT_NE(h9.body.find("Горячая линия работает до 20:00"), std::string::npos);
  EXPECT_EQ(h9.body.find("5А: родительское собрание"), std::string::npos);
  EXPECT_NE(parent.get("/").body.find("5А: родительское собрание"), std::string::npos);
  EXPECT_NE(other.get("/announcements").body.find("5А: родительское собрание"), std::string::npos);
  // Pinned first.
  Reply board = s5a.get("/announcements");
  EXPECT_LT(board.body.find("Горячая линия"), board.body.find("5А: родительское"));
}

TEST(Board, DistanceSwitchPostsTheOrderAndShowsABanner) {
  Partad server;
  Client admin(server), s5a(server), s9a(server);
  ASSERT_EQ(admin.login("admin", kDemoPassword).status, 200);
  ASSERT_EQ(s5a.login("ivanov.a", kDemoPin).status, 200);
  ASSERT_EQ(s9a.login("egorov.d", kDemoPin).status, 200);
  const std::string banner = "Идёт дистанционное обучение";
  EXPECT_EQ(s5a.get("/").body.find(banner), std::string::npos);
  admin.get("/admin/distance");
  ASSERT_EQ(admin
                .post("/admin/distance", {{"scope", "1"},
                                          {"on", "1"},
                                          {"message", "Приказ № 12: 5А на карантине до 30.11."}})
                .status,
            303);
  Reply h5 = s5a.get("/");
  EXPECT_NE(h5.body.find(banner), std::string::npos);
  EXPECT_NE(h5.body.find("Дистанционное обучение с "), std::string::npos);
  EXPECT_NE(h5.body.find("Приказ № 12"), std::string::npos);
  EXPECT_EQ(s9a.get("/").body.find(banner), std::string::npos);
  // The whole school (with its message, confirmed), then back.
  ASSERT_EQ(
      admin
          .post("/admin/distance",
                {{"scope", "school"}, {"on", "1"}, {"message", "Приказ № 13"}, {"confirm", "1"}})
          .status,
      303);
  EXPECT_NE(s9a.get("/").body.find(banner), std::string::npos);
  ASSERT_EQ(
      admin.post("/admin/distance", {{"scope", "school"}, {"on", "0"}, {"confirm", "1"}}).status,
      303);
  ASSERT_EQ(admin.post("/admin/distance", {{"scope", "1"}, {"on", "0"}}).status, 303);
  EXPECT_EQ(s5a.get("/").body.find(banner), std::string::npos);
  EXPECT_NE(s5a.get("/announcements").body.find("Возвращение к очному обучению"),
            std::string::npos);
  EXPECT_EQ(admin.post("/admin/distance", {{"scope", "999"}, {"on", "1"}}).status, 400);
}

}  // namespace
}  // namespace parta::testing
