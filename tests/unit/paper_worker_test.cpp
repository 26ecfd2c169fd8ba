// partad's side of the paper helper: the process it spawns gets its limits (address space, nice,
// no inherited descriptors or blocked signals); a crash, a kill at the time limit or a nonsense
// answer is reported, never thrown; a batch whose helper crashes is tried three times and then
// failed with its reason (no crash loop, also across restarts); a review page filed by hand
// twice at once makes one submission (B8).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>
#include <fstream>
#include <thread>

#include "app/paper_helper.hpp"
#include "app/paper_worker.hpp"
#include "content/blob_store.hpp"
#include "domain/coursework.hpp"
#include "domain/demo.hpp"
#include "domain/paper.hpp"
#include "domain/school.hpp"
#include "test_db.hpp"

namespace parta::app {
namespace {

// A stand-in helper: a shell script, so its crash is a real crash of a real process.
std::string script(const testing::TempDir& dir, const std::string& name, const std::string& body) {
  std::string path = dir.file(name);
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  ::chmod(path.c_str(), 0755);
  return path;
}

// Under qemu-user (the arm64 build's tests) the arm64 helper cannot be executed from the emulated
// process (no binfmt here), and qemu keeps RLIMIT_AS for itself: those tests run natively only.
#ifdef PARTA_CROSSCOMPILING
#define SKIP_UNDER_EMULATION() GTEST_SKIP() << "needs a native run"
#else
#define SKIP_UNDER_EMULATION() (void)0
#endif

printer::Job count_job() {
  printer::Job job;
  job.kind = printer::JobKind::count_pages;
  job.path = "/nonexistent";
  return job;
}

TEST(PaperHelper, TheRealHelperAnswers) {
  SKIP_UNDER_EMULATION();
  PaperHelper helper(HelperLimits{PARTA_PAPER_PATH});
  printer::Job job = count_job();
  job.path = std::string(PARTA_SOURCE_DIR) + "/tests/printer/material.pdf";
  HelperRun r = helper.run(job);
  ASSERT_EQ(r.fate, HelperRun::Fate::done) << r.detail;
  EXPECT_TRUE(r.result.ok());
  EXPECT_EQ(r.result.pages, 1);
  job.path = std::string(PARTA_SOURCE_DIR) + "/tests/printer/paper_test.py";
  r = helper.run(job);
  ASSERT_EQ(r.fate, HelperRun::Fate::done) << r.detail;
  EXPECT_EQ(r.result.error, printer::JobError::unreadable);
}

TEST(PaperHelper, TheChildGetsItsLimits) {
  SKIP_UNDER_EMULATION();
  testing::TempDir dir;
  // Each script answers a count_pages job with one figure of its own process as the page count.
  auto answer = [&](const std::string& name, const std::string& figure) {
    HelperLimits limits{
        script(dir, name,
               "cat >/dev/null\nprintf '{\"v\":1,\"ok\":true,\"pages\":%d}' $((" + figure + "))")};
    limits.memory_bytes = 300ull << 20;
    HelperRun r = PaperHelper(limits).run(count_job());
    EXPECT_EQ(r.fate, HelperRun::Fate::done) << name << ": " << r.detail;
    return r.result.pages;
  };
#ifndef __SANITIZE_ADDRESS__  // (the sanitizer build does without: see paper_helper.cpp)
  EXPECT_EQ(answer("as.sh", "$(ulimit -v) / 1024"), 300);  // MiB of address space
#endif
  errno = 0;
  int mine = getpriority(PRIO_PROCESS, 0);
  EXPECT_EQ(answer("nice.sh", "$(nice) + 1"), std::min(mine + 10, 19) + 1);
  EXPECT_EQ(answer("core.sh", "$(ulimit -c) + 1"), 1);
  // partad blocks SIGTERM for its sigwait and has descriptors open (the database, the socket);
  // the helper has neither (here: no descriptor of the file the test left open).
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, &old);
  std::ofstream(dir.file("leak.txt")) << "partad's";
  int leaked = ::open(dir.file("leak.txt").c_str(), O_RDONLY);  // without O_CLOEXEC
  ASSERT_GE(leaked, 0);
  EXPECT_EQ(answer("sigblk.sh", "0x$(grep SigBlk /proc/$$/status | cut -f2) + 1"), 1);
  EXPECT_EQ(answer("fds.sh", "$(ls -l /proc/$$/fd | grep -c 'leak\\.txt$') + 1"), 1);
  ::close(leaked);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

TEST(PaperHelper, CrashesKillsAndNonsenseAreReportedNotThrown) {
  testing::TempDir dir;
  auto fate = [&](const std::string& body, int timeout_ms = 20000) {
    HelperLimits limits{script(dir, "h" + std::to_string(std::rand()) + ".sh", body)};
    limits.timeout = std::chrono::milliseconds(timeout_ms);
    return PaperHelper(limits).run(count_job());
  };
  HelperRun r = fate("cat >/dev/null; kill -SEGV $$");
  EXPECT_EQ(r.fate, HelperRun::Fate::crashed);
  EXPECT_NE(r.detail.find("SIGSEGV"), std::string::npos) << r.detail;
  EXPECT_STREQ(r.reason(), "The paper helper crashed.");
  auto t0 = std::chrono::steady_clock::now();
  r = fate("sleep 30 & sleep 30", 300);  // a grandchild too: the whole group goes
  EXPECT_EQ(r.fate, HelperRun::Fate::timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_STREQ(r.reason(), "The paper helper ran out of time.");
  EXPECT_EQ(fate("echo '{\"v\":1,\"ok\":true,\"pages\":\"many\"}'").fate,
            HelperRun::Fate::bad_answer);
  EXPECT_EQ(fate("head -c 2000000 /dev/zero").fate, HelperRun::Fate::bad_answer);
  EXPECT_EQ(fate("exit 3").fate, HelperRun::Fate::crashed);
  EXPECT_EQ(PaperHelper(HelperLimits{dir.file("missing")}).run(count_job()).fate,
            HelperRun::Fate::not_started);
  // It stopped reading its job early: no SIGPIPE in partad, just its fate.
  printer::Job big;
  big.kind = printer::JobKind::cards;
  big.cards.resize(20000, printer::LoginCard{"Иванов Артём", "5А", "ivanov.a", "1", "http://x"});
  HelperLimits limits{script(dir, "early.sh", "exit 1")};
  EXPECT_EQ(PaperHelper(limits).run(big).fate, HelperRun::Fate::crashed);
  // Stopping partad kills the helper at once.
  std::atomic<bool> stop{false};
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    stop = true;
  });
  t0 = std::chrono::steady_clock::now();
  HelperLimits slow{script(dir, "slow.sh", "sleep 30")};
  EXPECT_EQ(PaperHelper(slow).run(count_job(), 1, &stop).fate, HelperRun::Fate::cancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  stopper.join();
}

// A scan page's two jobs go to one helper: it answers the first line, partad decides the
// follow-up from that answer and sends it on the same stdin, or closes stdin for none.
TEST(PaperHelper, AFollowUpJobGoesToTheSameHelper) {
  testing::TempDir dir;
  // Answers each job line with its pid as pages, counting the jobs it got.
  HelperLimits limits{
      script(dir, "two.sh",
             "n=0\nwhile IFS= read -r job; do n=$((n+1)); "
             "printf '{\"v\":1,\"ok\":true,\"pages\":%d}\\n' $(( ($$ % 9000) * 10 + n )); "
             "done")};
  int first_pages = 0;
  auto second = [&](const printer::JobResult& first) -> std::optional<printer::Job> {
    first_pages = first.pages;
    return count_job();
  };
  HelperRun r = PaperHelper(limits).run(count_job(), 1, nullptr, second);
  ASSERT_EQ(r.fate, HelperRun::Fate::done) << r.detail;
  EXPECT_EQ(first_pages % 10, 1);
  EXPECT_EQ(r.result.pages, first_pages + 1);  // the same process, its second job
  // No follow-up: the first answer is the run's, and the helper ends when its stdin closes.
  r = PaperHelper(limits).run(count_job(), 1, nullptr,
                              [](const printer::JobResult&) { return std::nullopt; });
  ASSERT_EQ(r.fate, HelperRun::Fate::done) << r.detail;
  EXPECT_EQ(r.result.pages % 10, 1);
  // A helper that ends after its first answer without taking the follow-up did not do it.
  HelperLimits once{
      script(dir, "once.sh", "IFS= read -r job; printf '{\"v\":1,\"ok\":true,\"pages\":1}\\n'")};
  r = PaperHelper(once).run(count_job(), 1, nullptr, second);
  EXPECT_NE(r.fate, HelperRun::Fate::done);
  // A first answer that is not one ends the run at once.
  HelperLimits nonsense{script(dir, "nonsense.sh", "echo nonsense; sleep 30")};
  auto t0 = std::chrono::steady_clock::now();
  r = PaperHelper(nonsense).run(count_job(), 1, nullptr, second);
  EXPECT_EQ(r.fate, HelperRun::Fate::bad_answer);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

class PaperWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    domain::fill_demo(*c, clock);
    teacher = *domain::find_user_by_login(*c, "smirnova");
    std::int64_t k5a = domain::find_class_by_name(*c, "5А")->id, rus = 0;
    for (const auto& s : domain::list_subjects(*c))
      if (s.name == "Русский язык") rus = s.id;
    student = domain::list_students(*c, k5a)[0].user.id;
    domain::NewAssignment n;
    n.class_id = k5a;
    n.subject_id = rus;
    n.title = "Упражнение 112";
    n.body = "Вставьте пропущенные буквы.";
    n.publish_at = clock.now();
    n.due_at = clock.now() + 3600;
    assignment = *domain::find_assignment(*c, domain::create_assignment(*c, clock, teacher.id, n));
    run = domain::create_run(*c, clock, assignment, teacher.id, {student}, 2, "lined");
  }
  std::int64_t scan_batch() {
    auto blob = blobs.put("\x89PNG\r\n\x1A\n not really");
    domain::record_blob(*c, clock, blob.sha256, blob.size);
    return domain::create_batch(*c, clock, teacher.id, {{blob.sha256, "photo.png"}});
  }
  // A page in the review queue, as the worker leaves one no code identifies.
  std::int64_t review_page() {
    std::int64_t batch = scan_batch();
    EXPECT_EQ(domain::claim_queued_batch(*c), batch);
    auto image = blobs.put("page image");
    domain::record_blob(*c, clock, image.sha256, image.size);
    domain::add_scan_page(*c, batch, 1, "photo.png", image.sha256, image.size, clock, std::nullopt,
                          std::nullopt, "No code could be read on this page.");
    return domain::review_pages(*c, 10).back().id;
  }
  int submissions() {
    return static_cast<int>(
        c->scalar("SELECT COUNT(*) FROM submissions WHERE student_id = ?1", student).value_or(-1));
  }
  testing::TestDb t;
  storage::Database::Lease c = t.db->acquire();
  domain::FakeClock clock;
  content::BlobStore blobs{t.dir.path()};
  domain::User teacher;
  domain::Assignment assignment;
  std::int64_t student = 0, run = 0;
};

TEST_F(PaperWorkerTest, AHelperThatCrashesIsTriedThreeTimesThenTheBatchFails) {
  testing::TempDir dir;
  PaperHelper crashing(HelperLimits{script(dir, "crash.sh", "IFS= read -r job; kill -KILL $$")});
  domain::run_failed(*c, run, "not this one");  // only the batch is queued
  std::int64_t batch = scan_batch();
  PaperWorker worker(*t.db, blobs, clock, crashing, 2);
  worker.run_pending();  // returns: nothing queued any more
  auto b = domain::find_batch(*c, batch);
  EXPECT_EQ(b->status, "failed");
  EXPECT_EQ(b->attempts, domain::kMaxAttempts);
  EXPECT_EQ(b->error, "The paper helper crashed.");
}

TEST_F(PaperWorkerTest, AHelperThatHangsIsKilledAndTheRunFails) {
  testing::TempDir dir;
  HelperLimits limits{script(dir, "hang.sh", "sleep 60")};
  limits.timeout = std::chrono::milliseconds(200);
  PaperHelper hanging(limits);
  PaperWorker worker(*t.db, blobs, clock, hanging, 1);
  worker.run_pending();
  auto r = domain::find_run(*c, run);
  EXPECT_EQ(r->status, "failed");
  EXPECT_EQ(r->attempts, domain::kMaxAttempts);
  EXPECT_EQ(r->error, "The paper helper ran out of time.");
}

TEST_F(PaperWorkerTest, ARunThatKeepsTakingPartadDownIsGivenUpAtStart) {
  // Each start finds the run as a crash of partad left it ("making"): queued again twice, then
  // failed — never claimed a fourth time.
  for (int start = 1; start <= domain::kMaxAttempts; ++start) {
    EXPECT_EQ(domain::claim_queued_run(*c), run) << "start " << start;
    domain::requeue_interrupted(*c);
  }
  auto r = domain::find_run(*c, run);
  EXPECT_EQ(r->status, "failed");
  EXPECT_EQ(r->error, domain::kInterrupted);
  EXPECT_FALSE(domain::claim_queued_run(*c));
  // A clean stop gives the try back.
  std::int64_t batch = scan_batch();
  EXPECT_EQ(domain::claim_queued_batch(*c), batch);
  domain::release_batch(*c, batch);
  EXPECT_EQ(domain::find_batch(*c, batch)->attempts, 0);
  EXPECT_EQ(domain::find_batch(*c, batch)->status, "queued");
}

TEST_F(PaperWorkerTest, TheRealHelperMakesPacketsThatAreAdoptedAsBlobs) {
  SKIP_UNDER_EMULATION();
  PaperHelper helper(HelperLimits{PARTA_PAPER_PATH});
  PaperWorker worker(*t.db, blobs, clock, helper, 1);
  worker.run_pending();
  auto r = domain::find_run(*c, run);
  ASSERT_EQ(r->status, "ready") << r->error;
  EXPECT_TRUE(blobs.has(r->combined_sha));
  auto packets = domain::packets_of(*c, run);
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_EQ(packets[0].pages, 1 + 1 + 2);  // cover, the text, two answer pages
  EXPECT_TRUE(blobs.has(packets[0].pdf_sha));
  // Nothing left in tmp/ by the job.
  EXPECT_TRUE(std::filesystem::is_empty(blobs.tmp_dir()));
}

TEST_F(PaperWorkerTest, FilingByHandTwiceMakesOneSubmission) {
  std::int64_t page = review_page();
  std::int64_t packet = domain::packets_of(*c, run)[0].id;
  int before = submissions();
  EXPECT_FALSE(domain::file_by_hand(*c, clock, page, packet, 1, teacher.id));
  auto again = domain::file_by_hand(*c, clock, page, packet, 1, teacher.id);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->msgid, "This page is no longer waiting for review.");
  EXPECT_EQ(submissions(), before + 1);
}

TEST_F(PaperWorkerTest, TwoTapsAtOnceMakeOneSubmission) {
  std::int64_t packet = domain::packets_of(*c, run)[0].id;
  for (int page_no : {2, 3}) {
    std::int64_t page = review_page();
    int before = submissions();
    std::atomic<int> filed{0};
    auto tap = [&] {
      auto own = t.db->acquire();  // two requests: two connections
      if (!domain::file_by_hand(*own, clock, page, packet, page_no, teacher.id)) ++filed;
    };
    std::thread a(tap), b(tap);
    a.join();
    b.join();
    EXPECT_EQ(filed, 1) << "page " << page_no;
    EXPECT_EQ(submissions(), before + 1) << "page " << page_no;
  }
}

}  // namespace
}  // namespace parta::app
