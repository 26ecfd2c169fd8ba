#pragma once
// Slows down password and PIN guessing without letting a stranger lock the owner out (OWASP's
// "device cookies"). Failures are counted in a sliding window per key:
//  - a trusted device (one that signed in to this account before and holds its device cookie)
//    counts only its own failures, so nobody else's guesses ever lock it out;
//  - any other device is limited per (account, address), per account (all untrusted devices
//    together) and per address (one phone trying many accounts).
// An attempt is counted as a failure when it begins, under the lock that checked the limits, so
// 40 guesses sent at once run at most the limit's hashes; success or an attempt that never got to
// the hash takes it back. Kept in memory: a restart forgives, acceptable for a box in a school.
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "domain/clock.hpp"

namespace parta::domain {

class LoginLimiter {
 public:
  struct Limits {
    int per_device = 5;    // one trusted device's own mistakes
    int per_pair = 5;      // one address at one account: a 6-digit PIN then takes years
    int per_account = 10;  // every untrusted device at one account together
    int per_address = 30;  // a phone trying many accounts
    std::int64_t window = 15 * 60;
  };
  // Which limit refused an attempt.
  enum class Refusal { none, device, pair, account, address };

  explicit LoginLimiter(const Clock& clock) : LoginLimiter(clock, Limits{}) {}
  LoginLimiter(const Clock& clock, Limits limits) : clock_(clock), limits_(limits) {}

  // One sign-in attempt, counted as a failure from the moment it is allowed. Call succeeded()
  // or failed() once the secret was checked; an attempt dropped without either (the hash never
  // ran: busy, an exception) is taken back.
  class Attempt {
   public:
    Attempt(Attempt&& o) noexcept;
    Attempt& operator=(Attempt&&) = delete;
    ~Attempt();
    bool allowed() const { return refusal_ == Refusal::none; }
    Refusal refusal() const { return refusal_; }
    std::int64_t wait() const { return wait_; }  // refused: seconds until the next try
    // The secret was right: the attempt is taken back, and this device (or this address at
    // this account) starts afresh. The account's and the address's counts stay.
    void succeeded();
    void failed();  // the secret was wrong: the failure stays counted

   private:
    friend class LoginLimiter;
    Attempt(LoginLimiter* l, Refusal r, std::int64_t wait) : l_(l), refusal_(r), wait_(wait) {}
    LoginLimiter* l_;
    Refusal refusal_;
    std::int64_t wait_;
    std::uint64_t id_ = 0;
    std::vector<std::string> keys_;  // where it was counted
    std::string forgive_;            // the key succeeded() clears
  };

  // `device`: the nonce of a verified device cookie for this login, or "" (untrusted device).
  Attempt begin(const std::string& login, const std::string& address, const std::string& device);
  // An admin gave the account a new secret: its untrusted devices may try again at once.
  void forgive_account(const std::string& login);

 private:
  struct Entry {
    std::int64_t at;
    std::uint64_t id;
  };
  using Queue = std::deque<Entry>;
  std::int64_t wait_for(Queue& q, int limit, std::int64_t now) const;
  void take_back(const Attempt& a, bool forgive);
  void prune(std::int64_t now);

  const Clock& clock_;
  Limits limits_;
  std::mutex mu_;
  std::uint64_t next_id_ = 1;
  // Keyed "d\n<device>", "p\n<login>\n<address>", "a\n<login>", "i\n<address>".
  std::unordered_map<std::string, Queue> failures_;
};

}  // namespace parta::domain
