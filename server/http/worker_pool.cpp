#include "http/worker_pool.hpp"

namespace parta::http {

WorkerPool::WorkerPool(int threads) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { loop(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_.notify_all();
  for (auto& t : threads_) t.join();
}

void WorkerPool::run(const std::function<void()>& job) {
  Task task{&job};
  std::unique_lock lock(mu_);
  queue_.push_back(&task);
  work_.notify_one();
  finished_.wait(lock, [&] { return task.done; });
}

void WorkerPool::loop() {
  while (true) {
    Task* task;
    {
      std::unique_lock lock(mu_);
      work_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      task = queue_.front();
      queue_.pop_front();
    }
    (*task->job)();  // the job catches its own exceptions
    {
      std::lock_guard lock(mu_);
      task->done = true;
    }
    finished_.notify_all();
  }
}

}  // namespace parta::http
