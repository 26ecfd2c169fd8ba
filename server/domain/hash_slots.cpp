#include "domain/hash_slots.hpp"

#include <algorithm>

namespace parta::domain {

HashSlots::HashSlots(unsigned slots, std::chrono::milliseconds max_wait)
    : slots_(std::max(1u, slots)), max_wait_(max_wait) {}

HashSlots::Lease::~Lease() {
  if (s_) s_->release();
}

HashSlots::Lease HashSlots::acquire() {
  std::unique_lock lock(mu_);
  ++waiting_;
  bool got = cv_.wait_for(lock, max_wait_, [this] { return in_use_ < slots_; });
  --waiting_;
  if (!got) throw HashBusy();
  peak_ = std::max(peak_, ++in_use_);
  return Lease(this);
}

void HashSlots::release() {
  {
    std::lock_guard lock(mu_);
    --in_use_;
  }
  cv_.notify_one();
}

void HashSlots::configure(unsigned slots, std::chrono::milliseconds max_wait) {
  {
    std::lock_guard lock(mu_);
    slots_ = std::max(1u, slots);
    max_wait_ = max_wait;
  }
  cv_.notify_all();
}

unsigned HashSlots::slots() const {
  std::lock_guard lock(mu_);
  return slots_;
}

unsigned HashSlots::peak() const {
  std::lock_guard lock(mu_);
  return peak_;
}

unsigned HashSlots::waiting() const {
  std::lock_guard lock(mu_);
  return waiting_;
}

HashSlots& hash_slots() {
  static HashSlots slots(1, std::chrono::seconds(3));
  return slots;
}

}  // namespace parta::domain
