// The reference library over HTTP: ZIM archives added by the admin (upload, USB stick), hostile
// ones refused with the reason and nothing left behind; read by students with links kept on the
// box, no script, ETag, Range and gzip; searched from the library; an article attached to an
// assignment; an archive removed cleanly.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "harness.hpp"

namespace parta::testing {
namespace {

namespace fs = std::filesystem;

std::string zim(const std::string& name) {
  return read_file(std::string(PARTA_ZIM_FIXTURES) + "/" + name);
}

std::size_t entries(const std::string& dir) {
  std::error_code ec;
  std::size_t n = 0;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); ++it) ++n;
  return n;
}

TEST(Zim, AddReadSearchAttachRemove) {
  fs::path usb = fs::temp_directory_path() / ("parta-zim-usb-" + std::to_string(::getpid()));
  fs::remove_all(usb);
  fs::create_directories(usb / "parta" / "packs");
  fs::copy_file(std::string(PARTA_ZIM_FIXTURES) + "/en-noindex.zim",
                usb / "parta" / "packs" / "english.zim");
  Partad server({"--demo", "--usb-dir", usb.string()});
  Client admin(server), teacher(server), student(server), parent(server), nobody(server);
  ASSERT_EQ(admin.login("admin", kDemoPassword).status, 200);
  ASSERT_EQ(teacher.login("smirnova", kDemoPassword).status, 200);
  ASSERT_EQ(student.login("ivanov.a", kDemoPin).status, 200);
  std::string zdir = server.data_dir() + "/zim";
  const std::size_t demo = entries(zdir);  // the demo's own sample archive
  EXPECT_EQ(demo, 1u);

  // Hostile archives: each refused with its reason in Russian; nothing listed, nothing left.
  ASSERT_EQ(admin.get("/admin/zim").status, 200);
  struct Bad {
    const char* file;
    const char* says;
  } bad[] = {{"truncated.zim", "Это не архив ZIM"},
             {"not-a-zim.zim", "Это не архив ZIM"},
             {"bad-checksum.zim", "контрольная сумма не сходится"},
             {"cluster-outside.zim", "часть содержимого лежит за пределами файла"},
             {"no-checksum.zim", "нет контрольной суммы"}};
  for (const auto& b : bad) {
    Reply r = admin.multipart("/admin/zim", {},
                              {{"zim", b.file, "application/octet-stream", zim(b.file)}});
    EXPECT_EQ(r.status, 422) << b.file;
    EXPECT_NE(r.body.find("Архив не добавлен"), std::string::npos) << b.file;
    EXPECT_NE(r.body.find(b.says), std::string::npos) << b.file << r.body;
    EXPECT_EQ(entries(zdir), demo) << b.file;
    EXPECT_EQ(entries(server.data_dir() + "/tmp"), 0u) << b.file;
  }

  // A good one by upload: checked, added, listed with its metadata for everyone.
  Reply added = admin.multipart(
      "/admin/zim", {}, {{"zim", "ru-wiki.zim", "application/octet-stream", zim("ru-wiki.zim")}});
  ASSERT_EQ(added.status, 200);
  EXPECT_NE(added.body.find("«Школьная энциклопедия» проверен и добавлен"), std::string::npos);
  Reply again = admin.multipart(
      "/admin/zim", {}, {{"zim", "ru-wiki.zim", "application/octet-stream", zim("ru-wiki.zim")}});
  EXPECT_NE(again.body.find("уже есть в библиотеке"), std::string::npos);
  EXPECT_EQ(entries(zdir), demo + 1);
  Reply lib = student.get("/library");
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(lib.body, m, std::regex("/library/zim/(\\d+)\">Школьная энциклопедия<")));
  std::string id = m[1];
  EXPECT_NE(lib.body.find("русский · 2026-11-30"), std::string::npos);

  // Reading: the main page, links kept on the box, no way out, no script.
  Reply main = student.get("/zim/" + id);
  EXPECT_EQ(main.status, 303);
  EXPECT_EQ(main.location(), "/zim/" + id + "/Main");
  Reply art = student.get("/zim/" + id + "/%D0%81%D0%B6%D0%B8%D0%BA");  // Ёжик
  ASSERT_EQ(art.status, 200);
  EXPECT_NE(art.body.find("млекопитающее"), std::string::npos);
  EXPECT_NE(art.body.find("href=\"/zim/" + id + "/Река\""), std::string::npos);  // was "/Река"
  EXPECT_NE(art.body.find("href=\"Лес\""), std::string::npos);
  EXPECT_EQ(art.body.find("wikipedia.org"), std::string::npos);
  EXPECT_NE(art.body.find("name=\"viewport\""), std::string::npos);
  EXPECT_NE(art.body.find("href=\"/library\""), std::string::npos);  // the way back
  EXPECT_NE(art.header("content-security-policy").find("script-src 'none'"), std::string::npos);
  EXPECT_EQ(art.header("content-encoding"), "gzip");
  // A redirect entry, a missing one.
  Reply redirect = student.get("/zim/" + id + "/%D0%95%D0%B6");  // Еж
  EXPECT_EQ(redirect.status, 302);
  EXPECT_NE(redirect.location().find("/zim/" + id + "/"), std::string::npos);
  EXPECT_EQ(student.get("/zim/" + id + "/Несуществующая").status, 404);
  EXPECT_EQ(student.get("/zim/999/Main").status, 404);
  // A picture: ETag → 304, a range → 206.
  Reply pic = student.get("/zim/" + id + "/I/ezh.png");
  ASSERT_EQ(pic.status, 200);
  EXPECT_EQ(pic.header("content-type"), "image/png");
  EXPECT_EQ(pic.body.substr(1, 3), "PNG");
  std::string etag = pic.header("etag");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(student.get("/zim/" + id + "/I/ezh.png", {"If-None-Match: " + etag}).status, 304);
  Reply part = student.get("/zim/" + id + "/I/ezh.png", {"Range: bytes=1-3"});
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, "PNG");
  EXPECT_EQ(part.header("content-range"), "bytes 1-3/" + std::to_string(pic.body.size()));
  // Signed in only: a phone that has not signed in is sent to the sign-in page.
  EXPECT_NE(nobody.get("/zim/" + id + "/Main").status, 200);

  // Search: titles with ё/е and case folded, full text in another word form, from the library.
  Reply s1 = student.get("/library?q=%D0%B5%D0%B6%D0%B8%D0%BA");  // ежик
  EXPECT_NE(s1.body.find("/zim/" + id + "/%D0%81%D0%B6%D0%B8%D0%BA\">Ёжик (Еж)<"),
            std::string::npos);
  Reply s2 = student.get("/library/zim/" + id + "?q=" +
                         "%D0%BC%D0%BB%D0%B5%D0%BA%D0%BE%D0%BF%D0%B8%D1%82%D0%B0%D1%8E%D1%89%D0%B8%"
                         "D0%B5");  // млекопитающие
  EXPECT_NE(s2.body.find("Ёжик (Еж)"), std::string::npos);

  // The stick's archive waits for the admin, who adds it: moved from the waiting folder.
  int rc = 0;
  std::string out = run_command(
      std::string(PARTA_PATH) + " --data " + server.data_dir() + " usb exchange " + usb.string(),
      &rc);
  EXPECT_EQ(rc, 0) << out;
  Reply page = admin.get("/admin/zim");
  EXPECT_NE(page.body.find("english.zim"), std::string::npos);
  EXPECT_EQ(admin.get("/admin/packs").body.find("english.zim"), std::string::npos);
  Reply en = admin.post("/admin/zim/usb", {{"name", "english.zim"}, {"action", "add"}});
  EXPECT_NE(en.body.find("«Small English Reader» проверен и добавлен"), std::string::npos);
  EXPECT_EQ(entries(server.data_dir() + "/packs-waiting"), 0u);
  EXPECT_EQ(entries(zdir), demo + 2);
  Reply s3 = student.get("/library?q=Hedge");
  EXPECT_NE(s3.body.find(">Hedgehog<"), std::string::npos);

  // A teacher attaches the article to an assignment; the student sees it there.
  teacher.get("/assignments");
  Reply a = teacher.multipart("/assignments",
                              {{"class_id", "1"},
                               {"subject_id", "1"},
                               {"title", "Прочитать про ежа"},
                               {"grading", "none"},
                               {"due_date", "2099-01-01"},
                               {"due_time", "18:00"}},
                              {});
  ASSERT_EQ(a.status, 303);
  Reply choose = teacher.get("/library/zim/" + id + "/attach?path=%D0%81%D0%B6%D0%B8%D0%BA");
  ASSERT_EQ(choose.status, 200);
  EXPECT_NE(choose.body.find("Прочитать про ежа"), std::string::npos);
  ASSERT_EQ(teacher.post(a.location() + "/articles", {{"zim_id", id}, {"path", "Ёжик"}}).status,
            303);
  EXPECT_EQ(
      teacher.post(a.location() + "/articles", {{"zim_id", id}, {"path", "Нет такой"}}).status,
      400);
  Reply thread = student.get(a.location() + "/students/19");
  EXPECT_NE(thread.body.find("/zim/" + id + "/%D0%81%D0%B6%D0%B8%D0%BA\">Ёжик (Еж)<"),
            std::string::npos);
  // Only staff attach, only the admin manages archives.
  EXPECT_EQ(student.post(a.location() + "/articles", {{"zim_id", id}, {"path", "Лес"}}).status,
            403);
  EXPECT_EQ(teacher.get("/admin/zim").status, 403);

  // Removed: gone from the library and the card; the assignment says the archive is not here.
  ASSERT_EQ(admin.post("/admin/zim/" + id + "/remove", {}).status, 200);
  EXPECT_EQ(student.get("/zim/" + id + "/Main").status, 404);
  EXPECT_EQ(entries(zdir), demo + 1);
  thread = student.get(a.location() + "/students/19");
  EXPECT_NE(thread.body.find("архива этой статьи сейчас нет"), std::string::npos);
  fs::remove_all(usb);
}

// A Wikipedia takes minutes to check whole: the check runs in the background and the archives
// page says so, refreshing itself until the result is there (zim_wait_ms = 0: every check is
// "large" here).
TEST(Zim, ChecksRunInTheBackgroundAndThePageFollowsThem) {
  fs::path cfg = fs::temp_directory_path() / ("parta-zim-cfg-" + std::to_string(::getpid()));
  { std::ofstream(cfg) << "zim_wait_ms = 0\n"; }
  Partad server({"--demo", "--config", cfg.string()});
  Client admin(server);
  ASSERT_EQ(admin.login("admin", kDemoPassword).status, 200);
  std::string zdir = server.data_dir() + "/zim";
  const std::size_t demo = entries(zdir);
  admin.get("/admin/zim");
  Reply started = admin.multipart(
      "/admin/zim", {}, {{"zim", "ru-wiki.zim", "application/octet-stream", zim("ru-wiki.zim")}});
  EXPECT_EQ(started.status, 200);
  EXPECT_NE(started.body.find("Проверяю «ru-wiki.zim»"), std::string::npos) << started.body;
  Reply bad = admin.multipart(
      "/admin/zim", {}, {{"zim", "bad.zim", "application/octet-stream", zim("bad-checksum.zim")}});
  EXPECT_NE(bad.body.find("Проверяю «bad.zim»"), std::string::npos);
  std::string page;
  for (int i = 0; i < 100; ++i) {
    page = admin.get("/admin/zim").body;
    if (page.find("проверяется…") == std::string::npos) break;
    EXPECT_NE(page.find("http-equiv=\"refresh\""), std::string::npos);
    ::usleep(100 * 1000);
  }
  EXPECT_NE(page.find("ru-wiki.zim: <span>«Школьная энциклопедия» проверен и добавлен"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("bad.zim: <span class=\"error\">Архив не добавлен: Архив повреждён"),
            std::string::npos)
      << page;
  EXPECT_EQ(page.find("http-equiv=\"refresh\""), std::string::npos);
  EXPECT_EQ(entries(zdir), demo + 1);
  EXPECT_EQ(entries(server.data_dir() + "/tmp"), 0u);
  fs::remove(cfg);
}

}  // namespace
}  // namespace parta::testing
