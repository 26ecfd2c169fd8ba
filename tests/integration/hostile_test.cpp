// A hostile phone on the school Wi-Fi (issue 14), against a real partad on loopback: sign-in
// lockouts that must not reach the account's owner, guesses sent at once, a busy box, anonymous
// multipart bodies, and a student filling a small disk. Other phones are other loopback addresses
// (127.0.0.N), as nginx in front passes each phone's own address.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <thread>

#include "harness.hpp"

namespace parta::testing {
namespace {

namespace fs = std::filesystem;

int files_in(const std::string& dir) {
  int n = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec))
    if (it->is_regular_file()) ++n;
  return n;
}

std::string config_file(const std::string& dir, const std::string& text) {
  std::string path = dir + "/partad.conf";
  std::ofstream(path) << text;
  return path;
}

// A photo of `size` bytes no other photo has (the blob store keeps equal files once).
std::string photo(std::size_t size) {
  static std::mt19937_64 rng(std::random_device{}());
  std::string p = "\xFF\xD8\xFF\xE0";
  p.reserve(size);
  while (p.size() < size) {
    std::uint64_t v = rng();
    p.append(reinterpret_cast<const char*>(&v), std::min<std::size_t>(8, size - p.size()));
  }
  return p;
}

TEST(SignIn, TheOwnersTrustedPhoneSignsInWhileTheAttackersAddressIsLockedOut) {
  Partad server;
  Client owner(server);
  ASSERT_EQ(owner.login("ivanov.a", kDemoPin).status, 200);  // this phone is now trusted
  owner.post("/logout", {});
  Client attacker(server);
  attacker.source_address = "127.0.0.66";
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(attacker.login("ivanov.a", "00000" + std::to_string(i)).status, 401);
  Reply locked = attacker.login("ivanov.a", kDemoPin);  // even the right PIN waits here
  EXPECT_EQ(locked.status, 429);
  EXPECT_NE(locked.body.find("Слишком много неудачных попыток"), std::string::npos);
  EXPECT_GT(std::stoi(locked.header("retry-after")), 0);
  // The owner's phone signs in with the right PIN; so does a phone never seen before elsewhere.
  Reply home = owner.login("ivanov.a", kDemoPin);
  EXPECT_EQ(home.status, 200);
  EXPECT_NE(home.body.find("Здравствуй, Артём!"), std::string::npos);
  Client sister(server);
  sister.source_address = "127.0.0.5";
  EXPECT_EQ(sister.login("ivanov.a", kDemoPin).status, 200);
}

TEST(SignIn, ALockoutFromTwoAddressesDoesNotLockOutTheOwnersDevice) {
  Partad server;
  Client owner(server);
  ASSERT_EQ(owner.login("admin", kDemoPassword).status, 200);
  owner.post("/logout", {});
  for (const char* address : {"127.0.0.66", "127.0.0.67"}) {
    Client attacker(server);
    attacker.source_address = address;
    for (int i = 0; i < 5; ++i)
      EXPECT_EQ(attacker.login("admin", "guess" + std::to_string(i)).status, 401) << address;
  }
  // The account is now closed to devices it has never seen...
  Client stranger(server);
  stranger.source_address = "127.0.0.68";
  Reply closed = stranger.login("admin", kDemoPassword);
  EXPECT_EQ(closed.status, 429);
  EXPECT_NE(closed.body.find("с новых устройств"), std::string::npos);
  // ...but not to the admin's own phone, wherever it is now (even behind the attacker's address).
  EXPECT_EQ(owner.login("admin", kDemoPassword).status, 200);
  owner.post("/logout", {});
  owner.source_address = "127.0.0.66";
  EXPECT_EQ(owner.login("admin", kDemoPassword).status, 200);
}

// The limits race of issue 14: 40 guesses at one account at once checked 20-26 PINs, not 5.
TEST(SignIn, GuessesSentAtOnceCheckAtMostTheLimit) {
  std::string dir = fs::temp_directory_path() / ("parta-race-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  // A patient box, so a slow (sanitizer) build never answers "busy" instead of checking.
  Partad server({"--demo", "--config", config_file(dir, "hash_wait_ms = 60000\n")});
  for (bool spread : {false, true}) {
    std::vector<std::unique_ptr<Client>> phones;
    for (int i = 0; i < 40; ++i) {
      phones.push_back(std::make_unique<Client>(server));
      phones.back()->source_address =
          spread ? "127.0.3." + std::to_string(i + 1) : std::string("127.0.2.1");
      phones.back()->get("/login");
    }
    std::atomic<int> go{0}, hashed{0}, refused{0}, other{0};
    std::vector<std::thread> threads;
    std::string login = spread ? "sokolova.m" : "ivanov.a";
    for (auto& p : phones)
      threads.emplace_back([&, c = p.get()] {
        while (go.load() == 0) std::this_thread::yield();
        long s = c->post("/login", {{"login", login}, {"secret", "999999"}}).status;
        (s == 401 ? hashed : s == 429 ? refused : other)++;
      });
    go = 1;
    for (auto& t : threads) t.join();
    EXPECT_EQ(other.load(), 0);
    // One address: its limit at one account (5); 40 addresses: the account's limit for new
    // devices (10). Every other guess was refused before its hash.
    EXPECT_EQ(hashed.load(), spread ? 10 : 5) << (spread ? "40 addresses" : "one address");
    EXPECT_EQ(hashed.load() + refused.load(), 40);
  }
  fs::remove_all(dir);
}

TEST(SignIn, ABusyBoxSaysTryAgainInAFewSeconds) {
  std::string dir = fs::temp_directory_path() / ("parta-busy-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  // One hashing slot and no patience: sign-ins at once must queue, then be told to come back.
  Partad server({"--demo", "--config", config_file(dir, "hash_slots = 1\nhash_wait_ms = 1\n")});
  std::vector<std::unique_ptr<Client>> phones;
  for (int i = 0; i < 12; ++i) {
    phones.push_back(std::make_unique<Client>(server));
    phones.back()->source_address = "127.0.4." + std::to_string(i + 1);
    phones.back()->get("/login");
  }
  std::atomic<int> go{0}, busy{0}, answered{0}, other{0};
  std::vector<std::thread> threads;
  int i = 0;
  for (auto& p : phones)
    threads.emplace_back([&, c = p.get(), n = i++] {
      while (go.load() == 0) std::this_thread::yield();
      Reply r = c->post("/login", {{"login", "nobody" + std::to_string(n)}, {"secret", "x"}});
      if (r.status == 503) {
        ++busy;
        if (r.header("retry-after") != "5" ||
            r.body.find("Попробуйте ещё раз через несколько секунд") == std::string::npos)
          ++other;
      } else {
        (r.status == 401 ? answered : other)++;
      }
    });
  go = 1;
  for (auto& t : threads) t.join();
  EXPECT_GT(busy.load(), 0);
  EXPECT_GT(answered.load(), 0);
  EXPECT_EQ(other.load(), 0);
  // Nothing of it was counted against anyone: the busy phones were never checked.
  EXPECT_EQ(phones[0]->login("ivanov.a", kDemoPin).status, 200);
  fs::remove_all(dir);
}

TEST(Bodies, AnAnonymousMultipartSignInWritesNothing) {
  Partad server;
  std::string tmp = server.data_dir() + "/tmp";
  int blobs = files_in(server.data_dir() + "/blobs");
  Client c(server);
  c.get("/login");
  const std::string b = "hostileBoundary";
  std::string body = "--" + b + "\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" +
                     c.csrf + "\r\n--" + b +
                     "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.jpg\"\r\n"
                     "Content-Type: image/jpeg\r\n\r\n" +
                     photo(5 * 1024 * 1024) + "\r\n--" + b + "--\r\n";
  Reply r = c.post_raw("/login", body, "multipart/form-data; boundary=" + b);
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(files_in(tmp), 0);
  EXPECT_EQ(files_in(server.data_dir() + "/blobs"), blobs);
  // A form longer than max_form is refused by its length, before it is read.
  Reply big = c.post_raw("/login", "login=" + std::string(2 * 1024 * 1024, 'a'),
                         "application/x-www-form-urlencoded");
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(c.get("/").status, 200);  // and the box is fine
}

TEST(Bodies, AForgedUploadIsRefusedBeforeItsFileIsKept) {
  Partad server;
  std::string tmp = server.data_dir() + "/tmp";
  Client teacher(server);
  ASSERT_EQ(teacher.login("smirnova", kDemoPassword).status, 200);
  teacher.get("/library/add");
  const std::string b = "forgedBoundary";
  auto part = [&](const std::string& name, const std::string& value) {
    return "--" + b + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value +
           "\r\n";
  };
  std::string file = "--" + b +
                     "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n"
                     "Content-Type: application/pdf\r\n\r\n%PDF-1.4 " +
                     std::string(3 * 1024 * 1024, 'x') + "\r\n";
  std::string type = "multipart/form-data; boundary=" + b;
  // A stale token first, the token after the file, no token: 403, and no file was written.
  for (const std::string& body : {part("csrf", "stale") + file, file + part("csrf", teacher.csrf),
                                  part("title", "x") + file}) {
    Reply r = teacher.post_raw("/library", body + "--" + b + "--\r\n", type);
    EXPECT_EQ(r.status, 403);
    EXPECT_NE(r.body.find("Форма устарела"), std::string::npos);
    EXPECT_EQ(files_in(tmp), 0);
  }
  // Text fields together are bounded by max_form (1 MB): 150 fields of 10 KB are refused.
  std::string fields = part("csrf", teacher.csrf);
  for (int i = 0; i < 150; ++i) fields += part("f" + std::to_string(i), std::string(10000, 'x'));
  Reply many = teacher.post_raw("/library", fields + "--" + b + "--\r\n", type);
  EXPECT_EQ(many.status, 413);
  // The real form still works.
  Reply ok = teacher.multipart("/library", {{"title", "Памятка"}},
                               {{"file", "a.pdf", "application/pdf", "%PDF-1.4 ok"}});
  EXPECT_EQ(ok.status, 303) << ok.body.substr(0, 300);
}

// A student hands in photos in a loop on a small card: the quota stops that student, the reserve
// stops everyone's files before the card is full, and the school keeps working.
TEST(DiskFill, QuotaAndReserveKeepTheBoxWorking) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a small filesystem";
  std::string mnt = fs::temp_directory_path() / ("parta-small-" + std::to_string(::getpid()));
  fs::create_directories(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=64m") != 0) {
    fs::remove(mnt);
    GTEST_SKIP() << "cannot mount a 64 MB tmpfs here";
  }
  {
    Partad server({"--demo", "--data", mnt + "/data", "--config",
                   config_file(mnt, "disk_reserve_mb = 16\nhand_in_quota_mb = 20\n")});
    std::string tmp = mnt + "/data/tmp";
    Client teacher(server);
    ASSERT_EQ(teacher.login("smirnova", kDemoPassword).status, 200);
    std::string classes = teacher.get("/assignments").body;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(
        classes, m,
        std::regex("/assignments/new\\?class=(\\d+)&amp;subject=(\\d+)\">5А · Русский")));
    teacher.get("/assignments/new?class=" + m[1].str() + "&subject=" + m[2].str());
    Reply made = teacher.multipart("/assignments",
                                   {{"class_id", m[1]},
                                    {"subject_id", m[2]},
                                    {"title", "Фото тетради"},
                                    {"grading", "mark"},
                                    {"due_date", "2099-01-01"},
                                    {"due_time", "18:00"}},
                                   {});
    ASSERT_EQ(made.status, 303) << made.body.substr(0, 400);
    std::string assignment = made.location();

    struct Student {
      std::unique_ptr<Client> c;
      std::string thread;
    };
    auto sign_in = [&](const char* login) {
      Student s{std::make_unique<Client>(server), ""};
      EXPECT_EQ(s.c->login(login, kDemoPin).status, 200);
      std::smatch t;
      std::string home = s.c->get("/").body;
      if (std::regex_search(home, t, std::regex(assignment + "/students/\\d+"))) s.thread = t[0];
      s.c->get(s.thread);
      return s;
    };
    // Hands in 3 MB photos until refused; returns the refusal.
    auto hand_in_until_refused = [&](Student& s, int* accepted) {
      for (int i = 0; i < 40; ++i) {
        Reply r = s.c->multipart(s.thread + "/submit", {{"text", ""}},
                                 {{"files", "p.jpg", "image/jpeg", photo(3 * 1024 * 1024)}});
        if (r.status != 303) return r;
        ++*accepted;
        s.c->get(s.thread);
      }
      return Reply{};
    };

    Student a = sign_in("ivanov.a");
    ASSERT_FALSE(a.thread.empty());
    int accepted = 0;
    Reply quota = hand_in_until_refused(a, &accepted);
    EXPECT_EQ(quota.status, 413);
    EXPECT_NE(quota.body.find("не помещаются в место для твоих работ"), std::string::npos);
    EXPECT_EQ(accepted, 6);  // 18 MB of the 20
    EXPECT_EQ(files_in(tmp), 0);

    // Another student's small photo still goes in.
    Student b = sign_in("sokolova.m");
    Reply small = b.c->multipart(b.thread + "/submit", {{"text", "моя работа"}},
                                 {{"files", "p.jpg", "image/jpeg", photo(100 * 1024)}});
    EXPECT_EQ(small.status, 303);

    // Classmates fill the card until the reserve stops them all.
    Reply full;
    for (const char* login : {"lebedev.k", "novikova.d", "kozlov.m", "volkov.n"}) {
      Student s = sign_in(login);
      full = hand_in_until_refused(s, &accepted);
      if (full.status == 507) break;
      EXPECT_EQ(full.status, 413) << login;
    }
    EXPECT_EQ(full.status, 507);
    EXPECT_NE(full.body.find("Память сервера почти заполнена"), std::string::npos);
    EXPECT_EQ(files_in(tmp), 0);
    struct statvfs st;
    ASSERT_EQ(::statvfs(mnt.c_str(), &st), 0);
    EXPECT_GE(static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize, 15ull * 1024 * 1024);

    // The school keeps working: a teacher's comment, and an answer in words.
    teacher.get(a.thread);
    EXPECT_EQ(teacher.post(a.thread + "/comment", {{"text", "Хватит фотографий!"}}).status, 303);
    EXPECT_EQ(b.c->multipart(b.thread + "/submit", {{"text", "ответ словами"}}, {}).status, 303);
    EXPECT_NE(teacher.get(a.thread).body.find("Хватит фотографий!"), std::string::npos);
  }
  ::umount2(mnt.c_str(), MNT_DETACH);
  fs::remove_all(mnt);
}

}  // namespace
}  // namespace parta::testing
