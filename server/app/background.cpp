#include "app/background.hpp"

#include <exception>

#include "app/log.hpp"

namespace parta::app {

Background::Background() : thread_([this] { loop(); }) {}

Background::~Background() {
  {
    std::lock_guard lock(m_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Background::post(std::function<void()> job) {
  {
    std::lock_guard lock(m_);
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
}

void Background::loop() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(m_);
      cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
      if (stop_) return;  // jobs not started are dropped: what they would have added stays out
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    try {
      job();
    } catch (const std::exception& e) {
      log::error(std::string("background job failed: ") + e.what());
    }
  }
}

}  // namespace parta::app
