#pragma once
// A school box's network sync in the background: every sync_interval_min minutes (and when the
// admin presses "Sync now") it exchanges bundles with the district hub if one is configured and
// the box is enrolled. The admin page shows how the last attempt went.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "sync/net_client.hpp"

namespace parta::app {

class SyncAgent {
 public:
  SyncAgent(sync::Node& node, sync::NetOptions opt, int interval_min);
  ~SyncAgent();
  SyncAgent(const SyncAgent&) = delete;
  SyncAgent& operator=(const SyncAgent&) = delete;

  void start();
  void wake();
  std::string status() const;

 private:
  void run();

  sync::Node& node_;
  sync::NetOptions opt_;
  int interval_min_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool woken_ = false;
  bool stop_ = false;
  std::atomic<bool> stopping_{false};  // ends a network exchange under way
  std::string status_;
  std::thread thread_;
};

}  // namespace parta::app
