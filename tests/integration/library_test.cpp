// The materials library over HTTP: pack import (upload, USB, CLI) all or nothing and idempotent,
// a newer version replacing the listing without breaking linked assignments, browsing, search,
// serving with Range/ETag/gzip, teachers' own files.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "harness.hpp"

namespace parta::testing {
namespace {

namespace fs = std::filesystem;

std::string fixture(const std::string& name) {
  return read_file(std::string(PARTA_SOURCE_DIR) + "/tests/fixtures/packs/" + name);
}

std::size_t files_under(const std::string& dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) n += e.is_regular_file();
  return n;
}

TEST(Library, PackImportUpgradeAndServing) {
  fs::path usb = fs::temp_directory_path() / ("parta-usb-" + std::to_string(::getpid()));
  fs::create_directories(usb / "parta" / "packs");
  fs::copy_file(std::string(PARTA_SOURCE_DIR) + "/tests/fixtures/packs/good_v2.tar.zst",
                usb / "parta" / "packs" / "komi-rus-5-v2.tar.zst",
                fs::copy_options::overwrite_existing);
  Partad server({"--demo", "--usb-dir", usb.string()});
  Client admin(server), teacher(server), student(server);
  ASSERT_EQ(admin.login("admin", kDemoPassword).status, 200);
  ASSERT_EQ(teacher.login("smirnova", kDemoPassword).status, 200);
  ASSERT_EQ(student.login("ivanov.a", kDemoPin).status, 200);

  // A hostile pack: refused with the reason, nothing written outside the (removed) staging.
  admin.get("/admin/packs");
  std::size_t blobs_before = files_under(server.data_dir() + "/blobs");  // the demo's sample pack
  Reply bad = admin.multipart(
      "/admin/packs", {}, {{"pack", "evil.tar.gz", "application/gzip", fixture("dotdot.tar.gz")}});
  EXPECT_EQ(bad.status, 422);
  EXPECT_NE(bad.body.find("Пакет не загружен: В пакете опасный путь"), std::string::npos);
  EXPECT_EQ(files_under(server.data_dir() + "/blobs"), blobs_before);
  EXPECT_EQ(files_under(server.data_dir() + "/tmp"), 0u);

  // A pack the district did not sign is refused until the admin says she trusts the file.
  Reply unsigned_pack = admin.multipart(
      "/admin/packs", {}, {{"pack", "good.tar.gz", "application/gzip", fixture("good.tar.gz")}});
  EXPECT_EQ(unsigned_pack.status, 422);
  EXPECT_NE(unsigned_pack.body.find("Пакет не подписан районом"), std::string::npos);
  // Version 1 by upload, chosen; the same again changes nothing.
  Reply v1 = admin.multipart("/admin/packs", {{"unsigned", "1"}},
                             {{"pack", "good.tar.gz", "application/gzip", fixture("good.tar.gz")}});
  ASSERT_EQ(v1.status, 200);
  EXPECT_NE(v1.body.find("Загружено материалов: 2."), std::string::npos);
  Reply again =
      admin.multipart("/admin/packs", {{"unsigned", "1"}},
                      {{"pack", "good.tar.gz", "application/gzip", fixture("good.tar.gz")}});
  EXPECT_NE(again.body.find("Эта версия пакета уже загружена"), std::string::npos);

  Reply lib = student.get("/library?q=%D0%B3%D0%BB%D0%B0%D0%B3%D0%BE%D0%BB");  // "глагол"
  EXPECT_NE(lib.body.find("Урок 1. Глагол"), std::string::npos);
  EXPECT_EQ(lib.body.find(">Схема разбора<"), std::string::npos);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(lib.body, m, std::regex("/library/(\\d+)\">Урок 1. Глагол<")));
  std::string item = "/library/" + std::string(m[1]);

  // The teacher links it to an assignment.
  teacher.get("/assignments");
  Reply a = teacher.multipart("/assignments",
                              {{"class_id", "1"},
                               {"subject_id", "1"},
                               {"title", "Прочитать урок"},
                               {"grading", "none"},
                               {"due_date", "2099-01-01"},
                               {"due_time", "18:00"}},
                              {});
  ASSERT_EQ(a.status, 303);
  teacher.get(item);
  ASSERT_EQ(teacher.post(a.location() + "/materials", {{"item_id", m[1]}}).status, 303);

  // Serving: whole, gzip, Range, ETag → 304.
  student.gzip = false;
  Reply plain = student.get(item + "/file");
  EXPECT_EQ(plain.status, 200);
  EXPECT_EQ(plain.header("content-type"), "text/plain");
  EXPECT_NE(plain.body.find("Глагол — часть речи."), std::string::npos);
  std::string etag = plain.header("etag");
  EXPECT_FALSE(etag.empty());
  EXPECT_EQ(student.get(item + "/file", {"If-None-Match: " + etag}).status, 304);
  Reply range = student.get(item + "/file", {"Range: bytes=0-9"});
  EXPECT_EQ(range.status, 206);
  EXPECT_EQ(range.body.size(), 10u);
  student.gzip = true;
  Reply gz = student.get(item + "/file");
  EXPECT_EQ(gz.header("content-encoding"), "gzip");
  EXPECT_LT(gz.wire_bytes, plain.body.size() / 4.0);  // pre-compressed text
  EXPECT_EQ(gz.body, plain.body);

  // Version 2 on a USB stick, not signed: the stick leaves it waiting for the admin, who imports
  // it anyway from the packs page; the listing moves on, the linked item still opens.
  int rc = 0;
  std::string out = run_command(
      std::string(PARTA_PATH) + " --data " + server.data_dir() + " usb exchange " + usb.string(),
      &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_TRUE(fs::exists(usb / "parta" / "packs" / "komi-rus-5-v2.tar.zst"));  // stick untouched
  // Until parta-usb has synced and unmounted the stick, the admin is told not to pull it out
  // (a FAT stick pulled at "done" kept the box's files at size 0); then that it may.
  EXPECT_NE(admin.get("/").body.find("Дописываю флешку"), std::string::npos);
  out = run_command(
      std::string(PARTA_PATH) + " --data " + server.data_dir() + " usb report unmounted", &rc);
  EXPECT_EQ(rc, 0) << out;
  Reply home = admin.get("/");
  EXPECT_EQ(home.body.find("Дописываю флешку"), std::string::npos);
  EXPECT_NE(home.body.find("Флешка обработана"), std::string::npos);
  EXPECT_NE(home.body.find("Её можно вынимать"), std::string::npos);
  Reply packs = admin.get("/admin/packs");
  EXPECT_NE(packs.body.find("komi-rus-5-v2.tar.zst"), std::string::npos);
  EXPECT_NE(packs.body.find("Импортировать всё равно"), std::string::npos);
  Reply v2 = admin.post("/admin/packs/usb", {{"name", "komi-rus-5-v2.tar.zst"}});
  EXPECT_NE(v2.body.find("Обновлено до новой версии, материалов: 3."), std::string::npos);
  EXPECT_EQ(admin.get("/admin/packs").body.find("komi-rus-5-v2.tar.zst"), std::string::npos);
  Reply lib2 = student.get("/library");
  EXPECT_NE(lib2.body.find("Урок 2. Спряжение"), std::string::npos);
  Reply old_item = student.get(item);
  EXPECT_EQ(old_item.status, 200);
  EXPECT_NE(old_item.body.find("прежняя версия"), std::string::npos);
  Reply thread = student.get(a.location() + "/students/19");
  EXPECT_NE(thread.body.find(item), std::string::npos);  // the assignment still links it
  // Re-importing version 1 now changes nothing.
  Reply older =
      admin.multipart("/admin/packs", {{"unsigned", "1"}},
                      {{"pack", "good.tar.gz", "application/gzip", fixture("good.tar.gz")}});
  EXPECT_NE(older.body.find("Уже загружена более новая версия"), std::string::npos);
  // A name that is not in the USB listing is refused (no paths from the browser).
  Reply trick = admin.post("/admin/packs/usb", {{"name", "../../../etc/passwd"}});
  EXPECT_EQ(trick.status, 422);
  fs::remove_all(usb);
}

TEST(Library, TeacherAddsOwnFileAndCliImports) {
  Partad server;
  Client teacher(server);
  ASSERT_EQ(teacher.login("smirnova", kDemoPassword).status, 200);
  teacher.get("/library/add");
  std::string pdf = "%PDF-1.4 рабочий лист";
  Reply add = teacher.multipart(
      "/library", {{"title", "Рабочий лист"}, {"subject", "Русский язык"}, {"grade", "5"}},
      {{"file", "лист.pdf", "application/pdf", pdf}});
  ASSERT_EQ(add.status, 303) << add.body;
  Reply page = teacher.get(add.location());
  EXPECT_NE(page.body.find("<object data=\""), std::string::npos);  // PDF preview in the page
  EXPECT_EQ(teacher.get(add.location() + "/file").body, pdf);
  Reply bad = teacher.multipart("/library", {{"title", "x"}},
                                {{"file", "x.exe", "application/x-msdownload", "MZ"}});
  EXPECT_EQ(bad.status, 422);

  int rc = 0;
  std::string out = run_command(std::string(PARTA_PATH) + " --data " + server.data_dir() +
                                    " content import --unsigned " + PARTA_SOURCE_DIR +
                                    "/tests/fixtures/packs/good_v2.tar.zst",
                                &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("Загружено материалов: 3."), std::string::npos);
  out = run_command(std::string(PARTA_PATH) + " --data " + server.data_dir() + " content import " +
                        PARTA_SOURCE_DIR + "/tests/fixtures/packs/bomb.tar.gz",
                    &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("бомбу-архив"), std::string::npos) << out;
  out = run_command(std::string(PARTA_PATH) + " --data " + server.data_dir() + " content gc", &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_NE(teacher.get("/library").body.find("Урок 2. Спряжение"), std::string::npos);
}

// A box not enrolled yet leaves its enrollment request on a stick nobody has used (as Windows
// formats it: "System Volume Information" at the top), not only on one the district prepared with
// parta/enroll/; a stick with a teacher's files on it is left as it was.
TEST(Library, FreshStickGetsTheEnrollmentRequest) {
  fs::path base = fs::temp_directory_path() / ("parta-fresh-" + std::to_string(::getpid()));
  fs::path fresh = base / "fresh", used = base / "used";
  fs::create_directories(fresh / "System Volume Information");
  fs::create_directories(used);
  std::ofstream(used / "Сочинение.docx") << "PK";
  Partad server({"--demo", "--usb-dir", fresh.string()});
  for (const fs::path& stick : {fresh, used}) {
    int rc = 0;
    std::string out = run_command(std::string(PARTA_PATH) + " --data " + server.data_dir() +
                                      " usb exchange " + stick.string(),
                                  &rc);
    EXPECT_EQ(rc, 0) << out;
  }
  std::vector<std::string> requests;
  for (const auto& e : fs::directory_iterator(fresh / "parta" / "enroll"))
    requests.push_back(e.path().filename().string());
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_NE(requests[0].find(".request"), std::string::npos);
  EXPECT_FALSE(fs::exists(used / "parta"));
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(used)) left.push_back(e.path().filename().string());
  EXPECT_EQ(left.size(), 1u) << "the teacher's stick keeps only her file";
  fs::remove_all(base);
}

}  // namespace
}  // namespace parta::testing
