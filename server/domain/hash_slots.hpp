#pragma once
// A bound on how many argon2id hashes run at once. Each takes 19 MiB for its ~50 ms, so a flood of
// sign-ins (120 at once measured 911 MB on a box with 512 MB–1 GB) must queue instead of
// allocating; a request that cannot get a slot within a few seconds is told to try again.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>

namespace parta::domain {

// No slot came free in time: the caller answers "busy, try again in a few seconds".
struct HashBusy : std::runtime_error {
  HashBusy() : std::runtime_error("every password-hashing slot is busy") {}
};

class HashSlots {
 public:
  HashSlots(unsigned slots, std::chrono::milliseconds max_wait);

  class Lease {
   public:
    explicit Lease(HashSlots* s) : s_(s) {}
    Lease(Lease&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
    Lease& operator=(Lease&&) = delete;
    ~Lease();

   private:
    HashSlots* s_;
  };
  // Waits up to max_wait for a slot; throws HashBusy when none came free.
  Lease acquire();

  // Changes the bound (at start, from the settings); leases held keep their slots.
  void configure(unsigned slots, std::chrono::milliseconds max_wait);
  unsigned slots() const;
  unsigned peak() const;     // the most slots ever in use at once (tests, benchmarks)
  unsigned waiting() const;  // callers waiting for a slot now (tests)

 private:
  void release();
  mutable std::mutex mu_;
  std::condition_variable cv_;
  unsigned slots_;
  std::chrono::milliseconds max_wait_;
  unsigned in_use_ = 0, peak_ = 0, waiting_ = 0;
};

// The process's slots, used by every argon2id call (hash_secret, verify_secret). One slot and a
// 3 s wait until configured: the daemon sizes it to the box at start.
HashSlots& hash_slots();

}  // namespace parta::domain
