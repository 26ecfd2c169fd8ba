// The portal over real HTTP: language, sign-in, sessions and cookies, CSRF, rate limits, error
// pages for bad input, caching, compression and the page budget.
#include <gtest/gtest.h>

#include <regex>

#include "harness.hpp"

namespace parta::testing {
namespace {

TEST(Http, PublicSchoolPageIsRussianByDefault) {
  Client c(demo_server());
  Reply r = c.get("/");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("<html lang=\"ru\">"), std::string::npos);
  EXPECT_NE(r.body.find("Войти"), std::string::npos);
  EXPECT_NE(r.body.find("Горячая линия"), std::string::npos);
  EXPECT_NE(r.body.find("Ягодное"), std::string::npos);
  EXPECT_EQ(r.header("content-encoding"), "gzip");
  EXPECT_EQ(r.header("cache-control"), "private, no-store");
  EXPECT_EQ(r.header("x-content-type-options"), "nosniff");
  EXPECT_NE(r.header("content-security-policy").find("frame-ancestors 'none'"), std::string::npos);
}

TEST(Http, EnglishIsSwitchable) {
  Client c(demo_server());
  Reply r = c.get("/lang/en?next=/school");
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.location(), "/school");
  Reply p = c.get("/school");
  EXPECT_NE(p.body.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_NE(p.body.find("Hotline"), std::string::npos);
  c.get("/lang/ru?next=/");
  EXPECT_NE(c.get("/").body.find("Горячая линия"), std::string::npos);
  EXPECT_EQ(c.get("/lang/de").status, 404);
  EXPECT_EQ(c.get("/lang/en?next=//evil.example/").location(), "/");  // no open redirect
}

TEST(Http, SignInSetsSafeCookieAndSignOutEndsSession) {
  Client c(demo_server());
  c.get("/login");
  Reply r = c.post("/login", {{"login", "Smirnova "}, {"secret", kDemoPassword}, {"next", "/"}});
  ASSERT_EQ(r.status, 303);
  std::string cookie = r.header("set-cookie");
  EXPECT_NE(cookie.find("parta_session="), std::string::npos);
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Lax"), std::string::npos);
  Reply home = c.get("/");
  EXPECT_NE(home.body.find("Мои классы"), std::string::npos);
  EXPECT_EQ(c.post("/logout", {}).status, 303);
  Reply after = c.get("/admin/classes");
  EXPECT_EQ(after.status, 303);
  EXPECT_EQ(after.location().rfind("/login", 0), 0u);
}

TEST(Http, WrongPasswordIsAClearRussianError) {
  Client c(demo_server());
  Reply r = c.login("popova", "not-the-password");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("Неверный логин или пароль."), std::string::npos);
  EXPECT_NE(r.body.find("value=\"popova\""), std::string::npos);  // the login is kept
  Reply empty = c.post("/login", {{"login", ""}, {"secret", ""}});
  EXPECT_EQ(empty.status, 422);
}

TEST(Http, StudentSignsInWithPin) {
  Client c(demo_server());
  Reply r = c.login("ivanov.a", kDemoPin);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("Здравствуй, Артём!"), std::string::npos);
  EXPECT_NE(r.body.find("5А"), std::string::npos);
}

TEST(Http, LoginRateLimitPerAccount) {
  Partad server;  // its own limiter state
  Client c(server);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(c.login("kuznetsov", "wrong" + std::to_string(i)).status, 401);
  Reply locked = c.login("kuznetsov", kDemoPassword);  // even the right password waits
  EXPECT_EQ(locked.status, 429);
  EXPECT_NE(locked.body.find("Слишком много неудачных попыток"), std::string::npos);
  EXPECT_EQ(c.login("popova", kDemoPassword).status, 200);  // other accounts are not locked
}

TEST(Http, FormsWithoutValidCsrfAreRefusedAndWriteNothing) {
  Client admin(demo_server());
  ASSERT_EQ(admin.login("admin", kDemoPassword).status, 200);
  Reply r = admin.post("/admin/subjects", {{"name", "Астрономия"}, {"csrf", "stale-token"}}, false);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("Форма устарела"), std::string::npos);
  Reply none = admin.post("/admin/subjects", {{"name", "Астрономия"}}, false);
  EXPECT_EQ(none.status, 403);
  EXPECT_EQ(admin.get("/admin/classes").body.find("Астрономия"), std::string::npos);
  // Anonymous forms too: a login post without the cookie's token.
  Client anon(demo_server());
  EXPECT_EQ(anon.post("/login", {{"login", "admin"}, {"secret", kDemoPassword}}, false).status,
            403);
}

TEST(Http, OversizeBodyIs413WithMessage) {
  Partad server({"--demo", "--max-form", "65536"});
  Client c(server);
  c.get("/login");
  std::string big(70000, 'a');
  Reply r = c.post("/login", {{"login", big}, {"secret", "x"}});
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.body.find("слишком большие"), std::string::npos);
}

TEST(Http, BrokenUtf8AndMalformedFormsAre400) {
  Client c(demo_server());
  c.get("/login");
  Reply r = c.post_raw("/login", "login=%C3%28&secret=x&csrf=" + c.csrf,
                       "application/x-www-form-urlencoded");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("неверной кодировке"), std::string::npos);
  Reply bad = c.post_raw("/login", "login=%zz", "application/x-www-form-urlencoded");
  EXPECT_EQ(bad.status, 400);
  Reply type = c.post_raw("/login", "{}", "application/json");
  EXPECT_EQ(type.status, 415);
  // A public route takes no multipart at all: refused before its body is read.
  Reply mp = c.post_raw("/login", "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nbro",
                        "multipart/form-data; boundary=x");
  EXPECT_EQ(mp.status, 415);
  EXPECT_NE(mp.body.find("Форма отправлена в формате"), std::string::npos);
  // A signed-in multipart form cut off half-way is a clear 400.
  ASSERT_EQ(c.login("smirnova", kDemoPassword).status, 200);
  c.get("/library/add");
  Reply cut = c.post_raw("/library",
                         "--x\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" + c.csrf +
                             "\r\n--x\r\nContent-Disposition: form-data; "
                             "name=\"title\"\r\n\r\nbro",
                         "multipart/form-data; boundary=x");
  EXPECT_EQ(cut.status, 400);
  EXPECT_NE(cut.body.find("Загрузка оборвалась"), std::string::npos);
}

TEST(Http, UnknownPagesAndIdsAreClearErrors) {
  Client c(demo_server());
  Reply r = c.get("/no/such/page");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("Такой страницы нет."), std::string::npos);
  ASSERT_EQ(c.login("admin", kDemoPassword).status, 200);
  EXPECT_EQ(c.get("/students/999999").status, 404);
  EXPECT_EQ(c.get("/students/abc").status, 404);
  EXPECT_EQ(c.get("/students/-1").status, 404);
  EXPECT_EQ(c.get("/admin/teachers/99999999999999999999").status, 404);
  EXPECT_EQ(c.post("/", {}).status, 405);
}

TEST(Http, StaticAssetsAreCachedForAYear) {
  Client c(demo_server());
  Reply page = c.get("/");
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(page.body, m, std::regex(R"re(href="(/static/app\.[0-9a-f]+\.css)")re")));
  Reply css = c.get(m[1]);
  EXPECT_EQ(css.status, 200);
  EXPECT_EQ(css.header("cache-control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(css.header("content-type"), "text/css; charset=utf-8");
  std::string etag = css.header("etag");
  ASSERT_FALSE(etag.empty());
  Reply again = c.get(m[1], {"If-None-Match: " + etag});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(c.get("/static/app.0000000000.css").status, 404);
}

// Every page a person opens in the demo, per role: HTML + CSS, compressed, under 14 KB.
TEST(Http, PageBudget14KB) {
  Client anon(demo_server());
  Reply home = anon.get("/");
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(home.body, m, std::regex(R"re(href="(/static/app\.[0-9a-f]+\.css)")re")));
  double css = anon.get(m[1]).wire_bytes;
  EXPECT_GT(css, 500);
  struct Who {
    const char* login;
    const char* secret;
    std::vector<std::string> pages;
  };
  std::vector<Who> who = {
      {nullptr, nullptr, {"/", "/school", "/login", "/no-such-page"}},
      {"admin",
       kDemoPassword,
       {"/",
        "/admin/classes",
        "/admin/teachers",
        "/admin/teachers/2",
        "/admin/students",
        "/admin/students?class=1",
        "/admin/students/20",
        "/admin/parents",
        "/admin/roster",
        "/admin/school",
        "/classes/1",
        "/students/20",
        "/announcements",
        "/admin/schedule",
        "/admin/devices",
        "/admin/distance",
        "/messages",
        "/messages/new",
        "/messages/new?class=1",
        "/groups",
        "/calendar",
        "/surveys",
        "/surveys/new?template=devices",
        "/monitoring",
        "/monitoring/classes/1",
        "/monitoring/classes/1/week",
        "/monitoring/classes/1/risk",
        "/paper",
        "/paper/review",
        "/admin/printer",
        "/assignments/1/paper",
        "/admin/clock"}},
      {"smirnova",
       kDemoPassword,
       {"/",
        "/classes/1",
        "/classes/2",
        "/students/20",
        "/assignments",
        "/assignments/new?class=1&subject=1",
        "/assignments/1",
        "/assignments/1/students/19",
        "/gradebook/1/1",
        "/messages",
        "/messages/new?class=1",
        "/groups",
        "/calendar",
        "/schedule",
        "/surveys",
        "/surveys/new?template=satisfaction",
        "/monitoring",
        "/monitoring/classes/1",
        "/paper",
        "/assignments/1/paper"}},
      {"ivanov.a",
       kDemoPin,
       {"/", "/students/19", "/students/19/assignments", "/students/19/diary",
        "/assignments/1/students/19", "/messages", "/messages/new", "/calendar", "/schedule",
        "/surveys"}},
      {"ivanova.s",
       kDemoPassword,
       {"/", "/school", "/students/19/assignments", "/students/19/diary",
        "/assignments/1/students/19", "/messages", "/messages/new", "/calendar", "/schedule",
        "/announcements", "/surveys"}},
  };
  // Some coursework to show: an assignment (Russian, 5А) handed in and graded.
  {
    Client t(demo_server()), s(demo_server());
    ASSERT_EQ(t.login("smirnova", kDemoPassword).status, 200);
    t.get("/assignments/new?class=1&subject=1");
    Reply a = t.multipart("/assignments",
                          {{"class_id", "1"},
                           {"subject_id", "1"},
                           {"title", "Упражнение 112"},
                           {"body", "Выполните **упражнение 112**.\n\n- вставьте буквы"},
                           {"grading", "mark"},
                           {"due_date", "2099-01-01"},
                           {"due_time", "18:00"}},
                          {{"files", "task.pdf", "application/pdf", "%PDF-1.4"}});
    ASSERT_EQ(a.location(), "/assignments/1");
    ASSERT_EQ(s.login("ivanov.a", kDemoPin).status, 200);
    s.get("/assignments/1/students/19");
    ASSERT_EQ(s.multipart("/assignments/1/students/19/submit", {{"text", "Готово"}},
                          {{"files", "p.jpg", "image/jpeg", "\xFF\xD8\xFF\xE0"}})
                  .status,
              303);
    t.get("/assignments/1/students/19");
    ASSERT_EQ(
        t.post("/assignments/1/students/19/grade", {{"mark", "4+"}, {"comment", "Хорошо"}}).status,
        303);
  }
  for (const auto& w : who) {
    Client c(demo_server());
    if (w.login) {
      ASSERT_EQ(c.login(w.login, w.secret).status, 200) << w.login;
    }
    for (const auto& p : w.pages) {
      Reply r = c.get(p);
      EXPECT_LT(r.status, 500) << p;
      double total = r.wire_bytes + css;
      EXPECT_LT(total, 14 * 1024) << (w.login ? w.login : "anonymous") << " " << p << ": "
                                  << r.wire_bytes << " + css " << css;
      std::printf("page budget: %-10s %-28s %5.0f B html + %4.0f B css = %5.0f B\n",
                  w.login ? w.login : "anonymous", p.c_str(), r.wire_bytes, css, total);
    }
  }
}

TEST(Http, HtmlIsEscaped) {
  Client admin(demo_server());
  ASSERT_EQ(admin.login("admin", kDemoPassword).status, 200);
  admin.get("/admin/classes");
  Reply r = admin.post("/admin/subjects", {{"name", "<script>alert(1)</script>"}});
  EXPECT_EQ(r.status, 303);
  Reply page = admin.get("/admin/classes");
  EXPECT_EQ(page.body.find("<script>alert(1)</script>"), std::string::npos);
  EXPECT_NE(page.body.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
}

TEST(Http, ApiAnswersJsonWithSessionOrToken) {
  Client anon(demo_server());
  Reply school = anon.get("/api/v1/school");
  EXPECT_EQ(school.status, 200);
  EXPECT_EQ(school.header("content-type"), "application/json");
  EXPECT_NE(school.body.find("\"hotline\""), std::string::npos);
  Reply me = anon.get("/api/v1/me");
  EXPECT_EQ(me.status, 401);
  EXPECT_NE(me.body.find("\"error\""), std::string::npos);
  EXPECT_EQ(anon.get("/api/v1/me", {"Authorization: Bearer pt_forged_token_value"}).status, 401);
  Client s(demo_server());
  ASSERT_EQ(s.login("ivanov.a", kDemoPin).status, 200);
  Reply mine = s.get("/api/v1/me");
  EXPECT_EQ(mine.status, 200);
  EXPECT_NE(mine.body.find("\"class_name\":\"5А\""), std::string::npos);
}

}  // namespace
}  // namespace parta::testing
