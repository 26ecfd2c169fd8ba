#pragma once
// Time behind an interface: a Pi has no real-time clock, and tests need to move time by hand.
#include <chrono>
#include <cstdint>

namespace parta::domain {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t now() const = 0;  // seconds since the epoch, wall clock
};

class SystemClock : public Clock {
 public:
  std::int64_t now() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

class FakeClock : public Clock {
 public:
  explicit FakeClock(std::int64_t t = 1'700'000'000) : t_(t) {}
  std::int64_t now() const override { return t_; }
  void advance(std::int64_t seconds) { t_ += seconds; }

 private:
  std::int64_t t_;
};

}  // namespace parta::domain
