#pragma once
// Rendered bodies of the most viewed pages (a student's start page), kept per person until what
// they show may have changed: the database's content generation moved (any committed write but
// sign-in bookkeeping, see storage::Connection::content_generation), or the time they were built
// for ran out (a deadline passing, midnight, a scheduled assignment appearing: at most a minute).
// The frame around a body (menu, unread count) is rendered on every view. Bounded: the oldest
// entries go first. Thread-safe; one per App.
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace parta::web {

class PageCache {
 public:
  explicit PageCache(std::size_t max_entries = 400) : max_(max_entries) {}
  // The body kept under key for this generation, if it still holds at `now`.
  std::optional<std::string> find(const std::string& key, std::uint64_t generation,
                                  std::int64_t now);
  // Keeps body, built from data read after `generation` was read, until valid_through (the last
  // second it holds for).
  void store(const std::string& key, std::uint64_t generation, std::int64_t valid_through,
             std::string body);
  std::size_t size();

 private:
  struct Entry {
    std::uint64_t generation = 0;
    std::int64_t valid_through = 0;
    std::string body;
    std::list<std::string>::iterator age;
  };
  std::mutex mu_;
  std::size_t max_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> ages_;  // keys, oldest stored first
};

}  // namespace parta::web
