#include "web/page_cache.hpp"

namespace parta::web {

std::optional<std::string> PageCache::find(const std::string& key, std::uint64_t generation,
                                           std::int64_t now) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.generation != generation || now > it->second.valid_through)
    return std::nullopt;
  return it->second.body;
}

void PageCache::store(const std::string& key, std::uint64_t generation, std::int64_t valid_through,
                      std::string body) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    // A view that read an older generation while a newer body was kept does not replace it.
    if (it->second.generation > generation) return;
    ages_.erase(it->second.age);
    entries_.erase(it);
  }
  while (!ages_.empty() && entries_.size() >= max_) {
    entries_.erase(ages_.front());
    ages_.pop_front();
  }
  ages_.push_back(key);
  entries_.emplace(key, Entry{generation, valid_through, std::move(body), std::prev(ages_.end())});
}

std::size_t PageCache::size() {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace parta::web
