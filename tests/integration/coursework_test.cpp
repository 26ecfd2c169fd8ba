// The whole coursework loop over HTTP, bad uploads, Range downloads, exports, and a kill -9 in
// the middle of an upload.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "harness.hpp"

namespace parta::testing {
namespace {

namespace fs = std::filesystem;

std::string jpeg(const std::string& tag) { return std::string("\xFF\xD8\xFF\xE0", 4) + tag; }

std::int64_t count_files(const std::string& dir) {
  std::int64_t n = 0;
  std::error_code ec;
  if (!fs::exists(dir)) return 0;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec))
    if (e.is_regular_file()) ++n;
  return n;
}

class Coursework : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(admin.login("admin", kDemoPassword).status, 200);
    ids = demo_ids(admin);
    ASSERT_EQ(teacher.login("smirnova", kDemoPassword).status, 200);
    ASSERT_EQ(student.login("ivanov.a", kDemoPin).status, 200);
    ASSERT_EQ(parent.login("ivanova.s", kDemoPassword).status, 200);
  }
  Reply post_assignment(std::vector<std::pair<std::string, std::string>> extra,
                        const std::vector<Client::FilePart>& files = {}) {
    teacher.get("/assignments/new?class=" + std::to_string(ids.class5a) +
                "&subject=" + std::to_string(ids.rus));
    std::vector<std::pair<std::string, std::string>> f = {
        {"class_id", std::to_string(ids.class5a)},
        {"subject_id", std::to_string(ids.rus)},
        {"title", "Сочинение «Моя зима»"},
        {"topic", "Развитие речи"},
        {"body", "Напишите **сочинение** на 1 страницу.\n\n<script>alert(1)</script>"},
        {"grading", "mark"},
        {"due_date", "2099-03-01"},
        {"due_time", "18:00"}};
    for (auto& e : extra) {
      bool replaced = false;
      for (auto& x : f)
        if (x.first == e.first) x.second = e.second, replaced = true;
      if (!replaced) f.push_back(e);
    }
    return teacher.multipart("/assignments", f, files);
  }
  Partad server;
  Client admin{server}, teacher{server}, student{server}, parent{server};
  Ids ids;
};

TEST_F(Coursework, WholeLoopTeacherStudentParent) {
  std::string pdf = "%PDF-1.4\n" + std::string(100000, 'x');
  Reply made = post_assignment({}, {{"files", "Задание.pdf", "application/pdf", pdf}});
  ASSERT_EQ(made.status, 303) << made.body;
  std::string a = made.location();
  std::string thread = a + "/students/" + std::to_string(ids.ivanov);

  // The student sees it first on the start page, opens it; Markdown rendered, script not.
  Reply home = student.get("/");
  EXPECT_NE(home.body.find("Сочинение «Моя зима»"), std::string::npos);
  Reply page = student.get(thread);
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<strong>сочинение</strong>"), std::string::npos);
  EXPECT_EQ(page.body.find("<script>alert(1)"), std::string::npos);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(page.body, m, std::regex("/files/attachment/(\\d+)")));
  std::string att = m[0];
  Reply full = student.get(att);
  EXPECT_EQ(full.status, 200);
  EXPECT_EQ(full.body, pdf);
  EXPECT_NE(full.header("content-disposition").find("filename*=UTF-8''"), std::string::npos);
  Reply part = student.get(att, {"Range: bytes=1000-1999"});  // a resumed download
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, pdf.substr(1000, 1000));

  // Two photos.
  Reply sub = student.multipart(thread + "/submit", {{"text", "Моё сочинение"}},
                                {{"files", "стр1.jpg", "image/jpeg", jpeg("page one")},
                                 {"files", "стр2.jpg", "image/jpeg", jpeg("page two")}});
  ASSERT_EQ(sub.status, 303) << sub.body;
  Reply overview = teacher.get(a);
  EXPECT_NE(overview.body.find("сдано"), std::string::npos);
  Reply tpage = teacher.get(thread);
  EXPECT_NE(tpage.body.find("стр1.jpg"), std::string::npos);
  EXPECT_NE(tpage.body.find("стр2.jpg"), std::string::npos);

  // Comment and return for corrections.
  ASSERT_EQ(
      teacher.post(thread + "/comment", {{"text", "Исправь ошибки во 2 абзаце"}, {"return", "1"}})
          .status,
      303);
  Reply back = student.get(thread);
  EXPECT_NE(back.body.find("возвращено на доработку"), std::string::npos);
  EXPECT_NE(back.body.find("Исправь ошибки во 2 абзаце"), std::string::npos);
  // The parent reads along but has no forms.
  Reply pview = parent.get(thread);
  EXPECT_EQ(pview.status, 200);
  EXPECT_NE(pview.body.find("Исправь ошибки"), std::string::npos);
  EXPECT_EQ(pview.body.find("/submit\""), std::string::npos);

  // Resubmission: a new record, history kept.
  ASSERT_EQ(student
                .multipart(thread + "/submit", {{"text", "Исправил"}},
                           {{"files", "стр2-новая.jpg", "image/jpeg", jpeg("fixed")}})
                .status,
            303);
  Reply again = teacher.get(thread);
  EXPECT_NE(again.body.find("Работа 2"), std::string::npos);
  EXPECT_NE(again.body.find("стр1.jpg"), std::string::npos);  // first submission still there

  // Grade.
  Reply bad_mark = teacher.post(thread + "/grade", {{"mark", "6"}});
  EXPECT_EQ(bad_mark.status, 422);
  EXPECT_NE(bad_mark.body.find("Оценка — 2, 3, 4 или 5"), std::string::npos);
  ASSERT_EQ(teacher.post(thread + "/grade", {{"mark", "5-"}, {"comment", "Молодец"}}).status, 303);

  // Student and parent see the mark.
  Reply diary = student.get("/students/" + std::to_string(ids.ivanov) + "/diary");
  EXPECT_NE(diary.body.find("5-"), std::string::npos);
  EXPECT_NE(diary.body.find("Молодец"), std::string::npos);
  Reply child = parent.get("/students/" + std::to_string(ids.ivanov) + "/assignments");
  EXPECT_NE(child.body.find("Сочинение «Моя зима»"), std::string::npos);
  EXPECT_NE(child.body.find("5-"), std::string::npos);
  Reply pdiary = parent.get("/students/" + std::to_string(ids.ivanov) + "/diary");
  EXPECT_NE(pdiary.body.find("5-"), std::string::npos);

  // Gradebook and exports, of the term the work is due in (spring 2099).
  std::string gb = "/gradebook/" + std::to_string(ids.class5a) + "/" + std::to_string(ids.rus);
  const std::string term = "?term=2098-3";
  Reply book = teacher.get(gb + term);
  EXPECT_NE(book.body.find(">5-<"), std::string::npos);
  EXPECT_NE(book.body.find("5,00"), std::string::npos);  // the average, Russian decimal comma
  Reply csv = teacher.get(gb + "/export.csv" + term);
  EXPECT_EQ(csv.header("content-type"), "text/csv; charset=utf-8");
  EXPECT_EQ(csv.body.rfind("\xEF\xBB\xBF", 0), 0u);
  EXPECT_NE(csv.body.find("Иванов Артём Сергеевич;10260001;5-;5,00"), std::string::npos)
      << csv.body;
  Reply xlsx = teacher.get(gb + "/export.xlsx" + term);
  EXPECT_EQ(xlsx.status, 200);
  EXPECT_EQ(xlsx.body.substr(0, 2), "PK");  // a zip, as XLSX files are
  EXPECT_GT(xlsx.body.size(), 3000u);
}

TEST_F(Coursework, BadInputIsRefusedAndNothingIsKept) {
  Reply past = post_assignment({{"due_date", "2001-01-01"}});
  EXPECT_EQ(past.status, 422);
  EXPECT_NE(past.body.find("Срок сдачи уже прошёл"), std::string::npos);
  Reply nodate = post_assignment({{"due_date", "2099-02-31"}});
  EXPECT_EQ(nodate.status, 422);
  Reply notitle = post_assignment({{"title", ""}});
  EXPECT_EQ(notitle.status, 422);
  EXPECT_EQ(teacher.get("/assignments").body.find("Сочинение"), std::string::npos);

  Reply made = post_assignment({});
  ASSERT_EQ(made.status, 303);
  std::string thread = made.location() + "/students/" + std::to_string(ids.ivanov);
  student.get(thread);
  std::int64_t blobs_before = count_files(server.data_dir() + "/blobs");

  Reply empty = student.multipart(thread + "/submit", {{"text", ""}}, {});
  EXPECT_EQ(empty.status, 422);
  EXPECT_NE(empty.body.find("Напишите ответ или прикрепите"), std::string::npos);
  Reply zero =
      student.multipart(thread + "/submit", {}, {{"files", "пусто.jpg", "image/jpeg", ""}});
  EXPECT_EQ(zero.status, 422);
  EXPECT_NE(zero.body.find("пустой"), std::string::npos);
  Reply exe = student.multipart(thread + "/submit", {},
                                {{"files", "game.exe", "application/x-msdownload", "MZ..."}});
  EXPECT_EQ(exe.status, 422);
  EXPECT_NE(exe.body.find("не принимаются: game.exe"), std::string::npos);
  Reply fake = student.multipart(thread + "/submit", {},
                                 {{"files", "photo.jpg", "image/jpeg", "not a jpeg at all"}});
  EXPECT_EQ(fake.status, 422);
  // A good photo next to a bad file: all refused, none kept.
  Reply mixed = student.multipart(thread + "/submit", {},
                                  {{"files", "ok.jpg", "image/jpeg", jpeg("ok")},
                                   {"files", "bad.exe", "application/octet-stream", "MZ"}});
  EXPECT_EQ(mixed.status, 422);
  EXPECT_EQ(count_files(server.data_dir() + "/blobs"), blobs_before);
  EXPECT_NE(student.get(thread).body.find("не сдано"), std::string::npos);

  // A hostile filename is kept only as a label, escaped when shown.
  Reply odd =
      student.multipart(thread + "/submit", {},
                        {{"files", "../../etc/<b>passwd</b>.jpg", "image/jpeg", jpeg("odd name")}});
  ASSERT_EQ(odd.status, 303) << odd.body;
  Reply shown = teacher.get(thread);
  EXPECT_NE(shown.body.find("../../etc/&lt;b&gt;passwd&lt;/b&gt;.jpg"), std::string::npos);
  EXPECT_EQ(count_files(server.data_dir() + "/tmp"), 0);
  for (const auto& e : fs::recursive_directory_iterator(server.data_dir() + "/blobs"))
    if (e.is_regular_file()) {
      EXPECT_EQ(e.path().filename().string().size(), 64u);
    }
}

TEST(CourseworkLimits, OversizeUploadIs413AndNothingKept) {
  Partad server({"--demo", "--max-upload-mb", "1"});
  Client admin(server), teacher(server);
  ASSERT_EQ(admin.login("admin", kDemoPassword).status, 200);
  Ids ids = demo_ids(admin);
  ASSERT_EQ(teacher.login("smirnova", kDemoPassword).status, 200);
  teacher.get("/assignments");
  std::int64_t blobs_before = count_files(server.data_dir() + "/blobs");  // the sample pack
  Reply big =
      teacher.multipart("/assignments",
                        {{"class_id", std::to_string(ids.class5a)},
                         {"subject_id", std::to_string(ids.rus)},
                         {"title", "Большой файл"},
                         {"grading", "none"},
                         {"due_date", "2099-01-01"},
                         {"due_time", "18:00"}},
                        {{"files", "video.mp4", "video/mp4", std::string(2 * 1024 * 1024, 'v')}});
  EXPECT_EQ(big.status, 413);
  EXPECT_NE(big.body.find("слишком большие"), std::string::npos);
  // It says how much may be sent at once, and what to do with a larger pile.
  EXPECT_NE(big.body.find("не больше 1,0\xc2\xa0МБ"), std::string::npos);
  EXPECT_NE(big.body.find("в несколько приёмов"), std::string::npos);
  EXPECT_EQ(count_files(server.data_dir() + "/tmp"), 0);
  EXPECT_EQ(count_files(server.data_dir() + "/blobs"), blobs_before);
  EXPECT_EQ(teacher.get("/assignments").body.find("Большой файл"), std::string::npos);
}

// A power cut in the middle of an upload: nothing half-written is recorded, the temp file is
// cleaned at the next start, and the database is intact.
TEST(CourseworkCrash, KillDuringUploadLeavesNothing) {
  auto server = std::make_unique<Partad>();
  std::string data = server->data_dir();
  Client admin(*server), student(*server);
  ASSERT_EQ(admin.login("admin", kDemoPassword).status, 200);
  Ids ids = demo_ids(admin);
  Client teacher(*server);
  ASSERT_EQ(teacher.login("smirnova", kDemoPassword).status, 200);
  teacher.get("/assignments");
  Reply made = teacher.multipart("/assignments",
                                 {{"class_id", std::to_string(ids.class5a)},
                                  {"subject_id", std::to_string(ids.rus)},
                                  {"title", "Фото тетради"},
                                  {"grading", "mark"},
                                  {"due_date", "2099-01-01"},
                                  {"due_time", "18:00"}},
                                 {});
  ASSERT_EQ(made.status, 303);
  std::string thread = made.location() + "/students/" + std::to_string(ids.ivanov);
  ASSERT_EQ(student.login("ivanov.a", kDemoPin).status, 200);
  student.get(thread);
  std::int64_t blobs_before = count_files(data + "/blobs");  // the demo's sample pack

  // Send half of a 4 MB photo by hand, then kill partad.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(server->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string b = "xxBOUNDARYxx";
  std::string head_part = "--" + b + "\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" +
                          student.csrf + "\r\n--" + b +
                          "\r\nContent-Disposition: form-data; name=\"files\"; "
                          "filename=\"big.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n" +
                          jpeg("");
  std::size_t total = head_part.size() + 4 * 1024 * 1024 + 4 + b.size() + 6;
  std::string cookie;
  // The raw connection needs a session of its own: read it from a login's Set-Cookie.
  Client raw(*server);
  raw.get("/login");
  Reply li = raw.post("/login", {{"login", "ivanov.a"}, {"secret", kDemoPin}, {"next", "/"}});
  std::string set_cookie = li.header("set-cookie");
  cookie = set_cookie.substr(0, set_cookie.find(';'));
  raw.get(thread);
  std::string req = "POST " + thread + "/submit HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " + cookie +
                    "\r\nContent-Type: multipart/form-data; boundary=" + b +
                    "\r\nContent-Length: " + std::to_string(total) + "\r\n\r\n";
  head_part.replace(head_part.find(student.csrf), student.csrf.size(), raw.csrf);
  std::string half = req + head_part + std::string(2 * 1024 * 1024, 'p');
  ASSERT_EQ(::send(fd, half.data(), half.size(), 0), static_cast<ssize_t>(half.size()));
  // Wait until partad has streamed part of it into tmp/.
  // (up to 10 s: a loaded machine, two emulated boxes beside the suite, took more than 2)
  for (int i = 0; i < 500 && count_files(data + "/tmp") == 0; ++i) ::usleep(20000);
  EXPECT_EQ(count_files(data + "/tmp"), 1);  // the upload was streaming to a temp file
  // partad's own pid, from the harness that started it: `pgrep -f 'partad --data …'` also matched
  // the shell running pgrep, and once pids wrapped that shell came first and was the one killed
  // (partad lived on, dropped the half-sent upload, and the checks below failed).
  pid_t pid = server->pid();
  ASSERT_GT(pid, 0);
  ::kill(pid, SIGKILL);
  ::close(fd);
  ::usleep(200000);

  // The database is whole; the CLI leaves partad's leftover alone (only partad cleans its tmp/);
  // partad's next start removes it, and nothing was recorded.
  int rc = 0;
  std::string check = run_command(std::string(PARTA_PATH) + " --data " + data + " db check", &rc);
  EXPECT_EQ(rc, 0) << check;
  EXPECT_NE(check.find("ok"), std::string::npos);
  EXPECT_EQ(count_files(data + "/tmp"), 1);
  run_command(
      "timeout -s TERM 3 " + std::string(PARTAD_PATH) + " --data " + data + " --listen 127.0.0.1:0",
      &rc);
  EXPECT_EQ(count_files(data + "/tmp"), 0);
  std::string subs = run_command("sqlite3 " + data +
                                     "/parta.db 'SELECT COUNT(*) FROM submissions; "
                                     "SELECT COUNT(*) FROM submission_files;'",
                                 &rc);
  EXPECT_EQ(subs, "0\n0\n");
  EXPECT_EQ(count_files(data + "/blobs"), blobs_before);
  server.reset();  // the harness's destructor: process already gone
}

}  // namespace
}  // namespace parta::testing
