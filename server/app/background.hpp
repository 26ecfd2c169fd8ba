#pragma once
// One thread for the admin's long jobs that a request only starts (checking a multi-gigabyte
// archive): jobs run one after another; the destructor waits for the running one.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace parta::app {

class Background {
 public:
  Background();
  ~Background();
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  void post(std::function<void()> job);

 private:
  void loop();
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace parta::app
