// The device-lending register over HTTP.
#include <gtest/gtest.h>

#include <regex>

#include "harness.hpp"

namespace parta::testing {
namespace {

TEST(Devices, LendAndReturnOneAtATime) {
  Partad server;
  Client admin(server);
  ASSERT_EQ(admin.login("admin", kDemoPassword).status, 200);
  admin.get("/admin/devices");
  ASSERT_EQ(admin
                .post("/admin/devices",
                      {{"kind", "Планшет"}, {"model", "Lenovo Tab M8"}, {"serial", "HA1B2C3D"}})
                .status,
            303);
  Reply dup = admin.post("/admin/devices", {{"kind", "Планшет"}, {"serial", "HA1B2C3D"}});
  EXPECT_EQ(dup.status, 422);
  EXPECT_NE(dup.body.find("уже есть в журнале"), std::string::npos);
  EXPECT_EQ(admin.post("/admin/devices", {{"kind", ""}, {"serial", "X"}}).status, 422);
  Reply list = admin.get("/admin/devices");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(list.body, m, std::regex("/admin/devices/(\\d+)/lend")));
  std::string dev = m[1];
  ASSERT_EQ(admin.post("/admin/devices/" + dev + "/lend", {{"student_id", "19"}}).status, 303);
  Reply out = admin.get("/admin/devices");
  EXPECT_NE(out.body.find("Иванов Артём, 5А"), std::string::npos);
  EXPECT_NE(out.body.find("выдано: 1"), std::string::npos);
  Reply twice = admin.post("/admin/devices/" + dev + "/lend", {{"student_id", "20"}});
  EXPECT_EQ(twice.status, 422);
  EXPECT_NE(twice.body.find("уже выдано: Иванов Артём"), std::string::npos);
  ASSERT_EQ(admin.post("/admin/devices/" + dev + "/return", {}).status, 303);
  EXPECT_NE(admin.get("/admin/devices").body.find("выдано: 0"), std::string::npos);
  EXPECT_EQ(admin.post("/admin/devices/" + dev + "/return", {}).status, 422);
  ASSERT_EQ(admin.post("/admin/devices/" + dev + "/lend", {{"student_id", "20"}}).status, 303);
}

}  // namespace
}  // namespace parta::testing
