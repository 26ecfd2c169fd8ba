#pragma once
// Time on a box without a real-time clock. A Pi boots believing it is 1970 (or whenever its
// image was made) until the network, a district bundle or the admin says otherwise. BoxClock
// keeps a "last known good time" in the data folder, saved every five minutes and restored at
// start, and never goes backwards: now() is the system time, or, when the system is behind what was
// already seen, the saved time plus the time elapsed since (a monotonic clock). It is "uncertain"
// while it runs on that fallback, until a trustworthy source sets it.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "domain/clock.hpp"
#include "domain/message.hpp"

namespace parta::storage {
class Connection;
}

namespace parta::domain {

class BoxClock : public Clock {
 public:
  // `state_file` keeps the last known good time; `system` is the wall clock (a fake in tests).
  BoxClock(std::string state_file, const Clock& system);
  std::int64_t now() const override;
  // Whether now() can be trusted: the system clock is not behind the last known good time, or
  // someone trustworthy set the time since the start.
  bool certain() const;
  // The admin, the network or a district bundle says what time it is. Refused when it would take
  // the clock backwards (deadlines already passed must stay passed).
  std::optional<Message> set(std::int64_t t, const char* source);
  std::string source() const;  // "system", "saved", "admin", "district", …
  // Writes the last known good time (temp → fsync → rename); the daemon calls it every
  // kSaveInterval seconds. A start from such a file begins one interval after the time in it (the
  // power may have gone any time before the next save). save_at_stop() is the last save of a
  // process that stops cleanly: nothing was stamped after it, so a start goes on from it exactly.
  void save() const;
  void save_at_stop() const;
  // Every five minutes: each save is a new file made durable (about 35 kB on the card with ext4's
  // journal), which at once a minute was most of what an idle box wrote (2 MB an hour, measured
  // under qemu-system). Without a network the clock is hours behind after a night off anyway;
  // starting five minutes past the save instead of one changes nothing a school sees.
  static constexpr std::int64_t kSaveInterval = 300;

 private:
  void write(const std::string& text) const;
  using Mono = std::chrono::steady_clock;
  std::string file_;
  const Clock& system_;
  mutable std::mutex mutex_;
  std::int64_t floor_ = 0;  // a time known to have passed, at floor_mono_
  Mono::time_point floor_mono_;
  bool trusted_ = false;
  std::string source_ = "system";
};

// A time offered by the district that was too far ahead of a confirmed clock to be taken on its
// own (sync::kDistrictClockBound): the admin takes it or keeps the box's time.
struct ClockOffer {
  std::int64_t offered = 0;   // the district's time when its bundle was made
  std::int64_t box_time = 0;  // the box's time when the bundle was read
};
std::optional<ClockOffer> clock_offer(storage::Connection& c);
// Takes the offer: the district's time plus what has passed on the box since it was read.
std::optional<Message> take_clock_offer(storage::Connection& c, BoxClock& clock);
void drop_clock_offer(storage::Connection& c);

}  // namespace parta::domain
