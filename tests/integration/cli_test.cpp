// The admin CLI against a data folder, and against a running partad (tokens, resets).
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "harness.hpp"

namespace parta::testing {
namespace {

std::string parta(const std::string& data, const std::string& args, int* rc) {
  return run_command(std::string(PARTA_PATH) + " --data " + data + " " + args, rc);
}

TEST(Cli, HelpListsCommands) {
  int rc = 0;
  std::string out = run_command(std::string(PARTA_PATH) + " --help", &rc);
  EXPECT_EQ(rc, 0);
  for (const char* c : {"init", "demo", "roster import", "db check", "user reset", "token create"})
    EXPECT_NE(out.find(c), std::string::npos) << c;
  std::string d = run_command(std::string(PARTAD_PATH) + " --help", &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_NE(d.find("--listen"), std::string::npos);
  run_command(std::string(PARTAD_PATH) + " --bogus", &rc);
  EXPECT_EQ(rc, 2);
}

TEST(Cli, InitImportCheckReset) {
  std::random_device rd;
  std::string data =
      (std::filesystem::temp_directory_path() / ("parta-cli-" + std::to_string(rd()))).string();
  const std::string fx = std::string(PARTA_SOURCE_DIR) + "/tests/fixtures/roster/";
  int rc = 0;
  parta(data, "init", &rc);
  EXPECT_EQ(rc, 0);
  std::string bad = parta(data, "roster import " + fx + "bad_rows.csv", &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_NE(bad.find("Ничего не загружено"), std::string::npos) << bad;
  EXPECT_NE(bad.find("Строка"), std::string::npos);
  std::string good = parta(data, "roster import " + fx + "good_utf8.csv", &rc);
  EXPECT_EQ(rc, 0) << good;
  EXPECT_NE(good.find("student"), std::string::npos);
  std::string again = parta(data, "roster import " + fx + "good_utf8.csv", &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_NE(again.find("новых учеников 0"), std::string::npos) << again;
  std::string check = parta(data, "db check", &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_NE(check.find("ok"), std::string::npos);
  parta(data, "user add --role admin --login boss --name \"Главная Мария\"", &rc);
  EXPECT_EQ(rc, 0);
  std::string reset = parta(data, "user reset boss", &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_NE(reset.find("boss"), std::string::npos);
  parta(data, "user reset nobody", &rc);
  EXPECT_EQ(rc, 1);
  parta(data, "frobnicate", &rc);
  EXPECT_EQ(rc, 2);
  std::filesystem::remove_all(data);
}

TEST(Cli, ApiTokenWorksAgainstRunningPartad) {
  Partad server;
  int rc = 0;
  std::string token = parta(server.data_dir(), "token create admin --label district", &rc);
  ASSERT_EQ(rc, 0);
  while (!token.empty() && (token.back() == '\n')) token.pop_back();
  Client c(server);
  Reply r = c.get("/api/v1/teachers", {"Authorization: Bearer " + token});
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("smirnova"), std::string::npos);
  // Tokens skip CSRF (no cookies involved) but still obey roles.
  std::string student = parta(server.data_dir(), "token create ivanov.a", &rc);
  while (!student.empty() && (student.back() == '\n')) student.pop_back();
  EXPECT_EQ(c.get("/api/v1/teachers", {"Authorization: Bearer " + student}).status, 403);
}

TEST(Cli, DatabaseNewerThanProgramIsRefusedClearly) {
  Partad* none = nullptr;
  (void)none;
  std::random_device rd;
  std::string data =
      (std::filesystem::temp_directory_path() / ("parta-new-" + std::to_string(rd()))).string();
  int rc = 0;
  parta(data, "init", &rc);
  ASSERT_EQ(rc, 0);
  run_command("sqlite3 " + data + "/parta.db 'PRAGMA user_version = 999'", &rc);
  ASSERT_EQ(rc, 0);
  std::string out =
      run_command(std::string(PARTAD_PATH) + " --data " + data + " --listen 127.0.0.1:0", &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("newer"), std::string::npos) << out;
  std::filesystem::remove_all(data);
}

}  // namespace
}  // namespace parta::testing
