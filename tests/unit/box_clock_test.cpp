// The appliance's clock: never backwards across restarts, uncertain while the system clock is
// behind what was already seen, set forward by the admin, refused backwards.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <fstream>

#include "domain/box_clock.hpp"
#include "test_db.hpp"
#include "web/time_format.hpp"

namespace parta::domain {
namespace {

constexpr std::int64_t kNov2026 = 1'795'000'000;

TEST(BoxClock, TrustsASystemClockThatIsAhead) {
  testing::TempDir dir;
  FakeClock system(kNov2026);
  BoxClock c(dir.file("clock"), system);
  EXPECT_TRUE(c.certain());
  EXPECT_EQ(c.now(), kNov2026);
  c.save();
  std::ifstream in(dir.file("clock"));
  std::int64_t saved = 0;
  in >> saved;
  EXPECT_EQ(saved, kNov2026);
}

TEST(BoxClock, AStartAfterACleanStopGoesOnFromTheTimeSavedLast) {
  testing::TempDir dir;
  {
    FakeClock system(kNov2026);
    BoxClock c(dir.file("clock"), system);
    c.save_at_stop();  // nothing is stamped after it: no interval to allow for
  }
  FakeClock boot(0);
  BoxClock c(dir.file("clock"), boot);
  EXPECT_GE(c.now(), kNov2026);
  EXPECT_LT(c.now(), kNov2026 + BoxClock::kSaveInterval);
  EXPECT_EQ(c.source(), "saved");
}

TEST(BoxClock, ABootIn1970ContinuesFromTheSavedTime) {
  testing::TempDir dir;
  {
    FakeClock system(kNov2026);
    BoxClock c(dir.file("clock"), system);
    c.save();
  }
  FakeClock boot(0);  // no battery clock, no network yet
  BoxClock c(dir.file("clock"), boot);
  EXPECT_FALSE(c.certain());
  // The box may have used any time up to a save interval past the saved one before the power
  // went (rows dated then): it goes on from there, never back.
  EXPECT_GE(c.now(), kNov2026 + BoxClock::kSaveInterval);
  EXPECT_EQ(c.source(), "saved");
  // The admin cannot move it back, only forward.
  EXPECT_TRUE(c.set(kNov2026 - 3600, "admin"));
  EXPECT_FALSE(c.set(kNov2026 + 7200, "admin"));
  EXPECT_TRUE(c.certain());
  EXPECT_GE(c.now(), kNov2026 + 7200);
  EXPECT_EQ(c.source(), "admin");
  // The network arrives later and is ahead: the system clock wins again.
  boot.advance(kNov2026 + 10'000);
  EXPECT_EQ(c.now(), kNov2026 + 10'000);
}

TEST(BoxClock, NoSavedTimeStillNotBeforeTheBuild) {
  testing::TempDir dir;
  FakeClock boot(0);
  BoxClock c(dir.file("clock"), boot);
  EXPECT_FALSE(c.certain());
  EXPECT_GT(c.now(), 1'700'000'000);
}

// The clock page names the zone the school's times are in (set at first boot from box.conf).
// A district time far ahead of a confirmed clock is kept as an offer: taken, the clock moves to it
// plus the time passed since; taken again, there is nothing to take.
TEST(BoxClock, TheDistrictsOfferIsTakenWithTheTimeSinceOrDropped) {
  testing::TestDb t;
  auto c = t.db->acquire();
  FakeClock system(kNov2026);
  BoxClock clock(t.dir.file("clock"), system);
  EXPECT_FALSE(clock_offer(*c));
  c->run("INSERT INTO clock_offers (id, offered, box_time, source) VALUES (1, ?1, ?2, 'district')",
         kNov2026 + 2 * 86400, kNov2026);
  ASSERT_TRUE(clock_offer(*c));
  EXPECT_EQ(clock_offer(*c)->offered, kNov2026 + 2 * 86400);
  system.advance(600);  // the admin looks ten minutes later
  EXPECT_FALSE(take_clock_offer(*c, clock));
  EXPECT_GE(clock.now(), kNov2026 + 2 * 86400 + 600);  // (plus the test's own second, at most)
  EXPECT_LE(clock.now(), kNov2026 + 2 * 86400 + 602);
  EXPECT_EQ(clock.source(), "district");
  EXPECT_FALSE(clock_offer(*c));
  EXPECT_TRUE(take_clock_offer(*c, clock));  // nothing left to take
  c->run("INSERT INTO clock_offers (id, offered, box_time, source) VALUES (1, ?1, ?2, 'district')",
         kNov2026 + 9 * 86400, kNov2026);
  drop_clock_offer(*c);
  EXPECT_FALSE(clock_offer(*c));
  EXPECT_LE(clock.now(), kNov2026 + 2 * 86400 + 602);  // dropped: the clock stays
}

TEST(BoxClock, TimeZoneLabelNamesTheZoneAndItsOffset) {
  const char* old = std::getenv("TZ");
  std::string saved = old ? old : "";
  setenv("TZ", "Asia/Novosibirsk", 1);
  tzset();
  EXPECT_EQ(web::time_zone_label(kNov2026), "Asia/Novosibirsk, UTC+07:00");
  EXPECT_EQ(web::format_datetime(kNov2026), "18.11.2026 18:06");
  setenv("TZ", ":America/St_Johns", 1);
  tzset();
  EXPECT_EQ(web::time_zone_label(kNov2026), "America/St_Johns, UTC-03:30");
  if (old)
    setenv("TZ", saved.c_str(), 1);
  else
    unsetenv("TZ");
  tzset();
}

}  // namespace
}  // namespace parta::domain
