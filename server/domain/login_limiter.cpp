#include "domain/login_limiter.hpp"

#include <algorithm>

namespace parta::domain {

std::int64_t LoginLimiter::wait_for(std::deque<std::int64_t>& q, int limit, std::int64_t now) {
  while (!q.empty() && q.front() <= now - limits_.window) q.pop_front();
  if (static_cast<int>(q.size()) < limit) return 0;
  // The oldest failure in the window must age out before another try.
  return std::max<std::int64_t>(
      1, q[q.size() - static_cast<std::size_t>(limit)] + limits_.window - now);
}

std::int64_t LoginLimiter::wait(const std::string& login, const std::string& address) {
  std::lock_guard lock(mu_);
  std::int64_t now = clock_.now();
  std::int64_t w = 0;
  if (auto it = accounts_.find(login); it != accounts_.end())
    w = std::max(w, wait_for(it->second, limits_.per_account, now));
  if (auto it = addresses_.find(address); it != addresses_.end())
    w = std::max(w, wait_for(it->second, limits_.per_address, now));
  return w;
}

void LoginLimiter::failed(const std::string& login, const std::string& address) {
  std::lock_guard lock(mu_);
  std::int64_t now = clock_.now();
  // Bounded memory: a flood of made-up logins must not grow the maps forever.
  if (accounts_.size() > 10000) accounts_.clear();
  if (addresses_.size() > 10000) addresses_.clear();
  accounts_[login].push_back(now);
  addresses_[address].push_back(now);
  for (auto* q : {&accounts_[login], &addresses_[address]})
    while (q->size() > 100) q->pop_front();
}

void LoginLimiter::succeeded(const std::string& login) {
  std::lock_guard lock(mu_);
  accounts_.erase(login);
}

}  // namespace parta::domain
