// The appliance's clock: never backwards across restarts, uncertain while the system clock is
// behind what was already seen, set forward by the admin, refused backwards.
#include <gtest/gtest.h>

#include <fstream>

#include "domain/box_clock.hpp"
#include "test_db.hpp"

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
  EXPECT_GE(c.now(), kNov2026);
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

}  // namespace
}  // namespace parta::domain
