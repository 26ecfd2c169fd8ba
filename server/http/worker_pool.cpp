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
  Task task{&job, false, {}};
  std::unique_lock lock(mu_);
  queue_.push_back(&task);
  work_.notify_one();
  task.finished.wait(lock, [&] { return task.done; });
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
      // Notify under the lock: once done is seen, the waiter returns and the task is gone.
      std::lock_guard lock(mu_);
      task->done = true;
      task->finished.notify_one();
    }
  }
}

}  // namespace parta::http
