#pragma once
// Slows down password and PIN guessing: failed sign-ins are counted per account and per address in
// a sliding window. Kept in memory: a restart forgives, which is acceptable for a box in a school.
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include "domain/clock.hpp"

namespace parta::domain {

class LoginLimiter {
 public:
  struct Limits {
    int per_account = 5;   // a 6-digit PIN then takes years to guess
    int per_address = 30;  // a phone trying many accounts
    std::int64_t window = 15 * 60;
  };
  explicit LoginLimiter(const Clock& clock) : LoginLimiter(clock, Limits{}) {}
  LoginLimiter(const Clock& clock, Limits limits) : clock_(clock), limits_(limits) {}

  // Seconds to wait before the next attempt is allowed; 0 = go ahead.
  std::int64_t wait(const std::string& login, const std::string& address);
  void failed(const std::string& login, const std::string& address);
  void succeeded(const std::string& login);

 private:
  std::int64_t wait_for(std::deque<std::int64_t>& q, int limit, std::int64_t now);
  const Clock& clock_;
  Limits limits_;
  std::mutex mu_;
  std::unordered_map<std::string, std::deque<std::int64_t>> accounts_, addresses_;
};

}  // namespace parta::domain
