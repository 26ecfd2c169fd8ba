#include <gtest/gtest.h>

#include "domain/login_limiter.hpp"

namespace parta::domain {
namespace {

TEST(LoginLimiter, LocksAccountAfterFiveFailuresForTheWindow) {
  FakeClock clock;
  LoginLimiter l(clock);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(l.wait("ivanov", "10.0.0.1"), 0);
    l.failed("ivanov", "10.0.0.1");
    clock.advance(10);
  }
  std::int64_t w = l.wait("ivanov", "10.0.0.2");  // another phone: same account still locked
  EXPECT_GT(w, 0);
  EXPECT_LE(w, 15 * 60);
  EXPECT_EQ(l.wait("petrov", "10.0.0.1"), 0);  // the address is not yet over its limit
  clock.advance(w);
  EXPECT_EQ(l.wait("ivanov", "10.0.0.2"), 0);
}

TEST(LoginLimiter, LocksAddressTryingManyAccounts) {
  FakeClock clock;
  LoginLimiter l(clock);
  for (int i = 0; i < 30; ++i) l.failed("user" + std::to_string(i), "10.0.0.9");
  EXPECT_GT(l.wait("someone", "10.0.0.9"), 0);
  EXPECT_EQ(l.wait("someone", "10.0.0.8"), 0);
}

TEST(LoginLimiter, SuccessClearsTheAccount) {
  FakeClock clock;
  LoginLimiter l(clock);
  for (int i = 0; i < 4; ++i) l.failed("a", "1");
  l.succeeded("a");
  for (int i = 0; i < 4; ++i) l.failed("a", "2");
  EXPECT_EQ(l.wait("a", "3"), 0);
}

}  // namespace
}  // namespace parta::domain
