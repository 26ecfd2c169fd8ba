#include "app/sync_agent.hpp"

#include "app/log.hpp"
#include "domain/days.hpp"

namespace parta::app {

namespace {
// Parts in one go before the interval's wait (64 MB each: 64 GB; a box that keeps making records
// faster than the link carries them yields to the interval now and then).
constexpr int kMaxPartsAtOnce = 1000;
}  // namespace

SyncAgent::SyncAgent(sync::Node& node, sync::NetOptions opt, int interval_min)
    : node_(node), opt_(std::move(opt)), interval_min_(interval_min) {
  opt_.stop = &stopping_;
}

SyncAgent::~SyncAgent() {
  stopping_ = true;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SyncAgent::start() {
  thread_ = std::thread([this] { run(); });
}

void SyncAgent::wake() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    woken_ = true;
    status_ = "…";
  }
  cv_.notify_all();
}

std::string SyncAgent::status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return status_;
}

void SyncAgent::run() {
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait_for(lock, std::chrono::minutes(interval_min_), [this] { return woken_ || stop_; });
      if (stop_) return;
      woken_ = false;
    }
    std::string line;
    try {
      {
        auto c = node_.db.acquire();
        if (!sync::district_peer(*c)) continue;
      }
      // A backlog goes part after part now, not one part per interval.
      int parts = 0;
      auto r = sync::sync_all_parts(node_, opt_, kMaxPartsAtOnce, &parts);
      line =
          domain::local_datetime(node_.clock.now()) + ": " +
          (r.ok ? "ok, " + std::to_string(r.uploaded) + " B sent, " + std::to_string(r.downloaded) +
                      " B received" + (parts > 1 ? ", " + std::to_string(parts) + " parts" : "")
                : r.error);
      log::info("sync: " + line);
    } catch (const std::exception& e) {
      line = domain::local_datetime(node_.clock.now()) + ": " + e.what();
      log::warning(std::string("sync: ") + e.what());
    }
    std::lock_guard<std::mutex> lock(mutex_);
    status_ = line;
  }
}

}  // namespace parta::app
