#include "domain/login_limiter.hpp"

#include <algorithm>

namespace parta::domain {

namespace {

// Bounded memory: a flood of made-up logins and addresses costs a hash each, so this many keys
// take hours to reach; past it, keys with nothing left in the window go first.
constexpr std::size_t kMaxKeys = 100000;

std::string device_key(const std::string& device) { return "d\n" + device; }
std::string pair_key(const std::string& login, const std::string& address) {
  return "p\n" + login + "\n" + address;
}
std::string account_key(const std::string& login) { return "a\n" + login; }
std::string address_key(const std::string& address) { return "i\n" + address; }

}  // namespace

LoginLimiter::Attempt::Attempt(Attempt&& o) noexcept
    : l_(o.l_),
      refusal_(o.refusal_),
      wait_(o.wait_),
      id_(o.id_),
      keys_(std::move(o.keys_)),
      forgive_(std::move(o.forgive_)) {
  o.l_ = nullptr;
}

LoginLimiter::Attempt::~Attempt() {
  if (l_ && allowed()) l_->take_back(*this, false);
}

void LoginLimiter::Attempt::succeeded() {
  if (l_ && allowed()) l_->take_back(*this, true);
  l_ = nullptr;
}

void LoginLimiter::Attempt::failed() { l_ = nullptr; }

std::int64_t LoginLimiter::wait_for(Queue& q, int limit, std::int64_t now) const {
  while (!q.empty() && q.front().at <= now - limits_.window) q.pop_front();
  if (static_cast<int>(q.size()) < limit) return 0;
  // The oldest failure in the window must age out before another try.
  return std::max<std::int64_t>(
      1, q[q.size() - static_cast<std::size_t>(limit)].at + limits_.window - now);
}

LoginLimiter::Attempt LoginLimiter::begin(const std::string& login, const std::string& address,
                                          const std::string& device) {
  std::lock_guard lock(mu_);
  std::int64_t now = clock_.now();
  if (failures_.size() > kMaxKeys) prune(now);
  struct Check {
    std::string key;
    int limit;
    Refusal refusal;
  };
  std::vector<Check> checks;
  if (!device.empty()) {
    checks.push_back({device_key(device), limits_.per_device, Refusal::device});
  } else {
    checks.push_back({pair_key(login, address), limits_.per_pair, Refusal::pair});
    checks.push_back({account_key(login), limits_.per_account, Refusal::account});
    checks.push_back({address_key(address), limits_.per_address, Refusal::address});
  }
  // Refused by the limit that keeps it waiting longest, so the page names the real wait.
  Refusal refusal = Refusal::none;
  std::int64_t wait = 0;
  for (auto& c : checks) {
    auto it = failures_.find(c.key);
    if (it == failures_.end()) continue;
    if (std::int64_t w = wait_for(it->second, c.limit, now); w > wait) {
      wait = w;
      refusal = c.refusal;
    }
  }
  if (refusal != Refusal::none) return Attempt(nullptr, refusal, wait);
  Attempt a(this, Refusal::none, 0);
  a.id_ = next_id_++;
  for (auto& c : checks) {
    failures_[c.key].push_back({now, a.id_});
    a.keys_.push_back(std::move(c.key));
  }
  a.forgive_ = a.keys_.front();  // the device's own count, or this address at this account
  return a;
}

void LoginLimiter::take_back(const Attempt& a, bool forgive) {
  std::lock_guard lock(mu_);
  for (const auto& key : a.keys_) {
    auto it = failures_.find(key);
    if (it == failures_.end()) continue;
    auto& q = it->second;
    q.erase(std::remove_if(q.begin(), q.end(), [&](const Entry& e) { return e.id == a.id_; }),
            q.end());
    if (q.empty()) failures_.erase(it);
  }
  if (forgive) failures_.erase(a.forgive_);
}

void LoginLimiter::forgive_account(const std::string& login) {
  std::lock_guard lock(mu_);
  failures_.erase(account_key(login));
  std::string pairs = "p\n" + login + "\n";
  for (auto it = failures_.begin(); it != failures_.end();)
    it = it->first.rfind(pairs, 0) == 0 ? failures_.erase(it) : std::next(it);
}

void LoginLimiter::prune(std::int64_t now) {
  for (auto it = failures_.begin(); it != failures_.end();) {
    auto& q = it->second;
    while (!q.empty() && q.front().at <= now - limits_.window) q.pop_front();
    it = q.empty() ? failures_.erase(it) : std::next(it);
  }
  // Still full of live keys: drop those with a single failure (made-up logins, one try each),
  // never a key that is holding a lock.
  if (failures_.size() > kMaxKeys)
    for (auto it = failures_.begin(); it != failures_.end();)
      it = it->second.size() == 1 ? failures_.erase(it) : std::next(it);
}

}  // namespace parta::domain
