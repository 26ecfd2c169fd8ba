#include "domain/box_clock.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "storage/database.hpp"

namespace parta::domain {

namespace {
// A system clock earlier than this was not set by anyone: the image was built after it.
constexpr std::int64_t kBuiltAfter = 1'763'000'000;  // 2025-11-13
}  // namespace

BoxClock::BoxClock(std::string state_file, const Clock& system)
    : file_(std::move(state_file)), system_(system), floor_mono_(Mono::now()) {
  std::ifstream in(file_);
  std::int64_t saved = 0;
  std::string how;
  // A periodic save: the box may have used any time up to one interval past it before the power
  // went, so starting there keeps the clock from going back (rows dated after the last save, then
  // a session after the boot dated before them). After a clean stop, the time saved last.
  if (in >> saved && saved > 0) {
    in >> how;
    floor_ = how == "stopped" ? saved : saved + kSaveInterval;
  }
  floor_ = std::max(floor_, kBuiltAfter);
  std::int64_t sys = system_.now();
  if (sys >= floor_) {
    trusted_ = true;  // the system clock is ahead of everything seen: NTP or an RTC set it
  } else {
    source_ = "saved";
  }
}

std::int64_t BoxClock::now() const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto elapsed =
      std::chrono::duration_cast<std::chrono::seconds>(Mono::now() - floor_mono_).count();
  return std::max(system_.now(), floor_ + elapsed);
}

bool BoxClock::certain() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (trusted_) return true;
  auto elapsed =
      std::chrono::duration_cast<std::chrono::seconds>(Mono::now() - floor_mono_).count();
  return system_.now() >= floor_ + elapsed;  // NTP caught up since the start
}

std::optional<Message> BoxClock::set(std::int64_t t, const char* source) {
  std::int64_t current = now();
  if (t + 60 < current)
    return Message{"The clock never goes backwards: the time given is earlier than the box's.", {}};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    floor_ = std::max(t, current);
    floor_mono_ = Mono::now();
    trusted_ = true;
    source_ = source;
  }
  save();
  return std::nullopt;
}

std::string BoxClock::source() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return trusted_ && source_ == "saved" ? "system" : source_;
}

void BoxClock::save() const { write(std::to_string(now()) + "\n"); }

void BoxClock::save_at_stop() const { write(std::to_string(now()) + " stopped\n"); }

void BoxClock::write(const std::string& text) const {
  std::string tmp = file_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (ok) std::rename(tmp.c_str(), file_.c_str());
}

std::optional<ClockOffer> clock_offer(storage::Connection& c) {
  auto q = c.query("SELECT offered, box_time FROM clock_offers WHERE id = 1");
  if (!q.next()) return std::nullopt;
  return ClockOffer{q.integer(0), q.integer(1)};
}

std::optional<Message> take_clock_offer(storage::Connection& c, BoxClock& clock) {
  auto o = clock_offer(c);
  if (!o) return Message{"There is no time from the district to take.", {}};
  std::int64_t now = clock.now();
  if (auto err = clock.set(o->offered + std::max<std::int64_t>(0, now - o->box_time), "district"))
    return err;
  drop_clock_offer(c);
  return std::nullopt;
}

void drop_clock_offer(storage::Connection& c) { c.run("DELETE FROM clock_offers"); }

}  // namespace parta::domain
