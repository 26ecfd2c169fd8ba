#pragma once
// A fixed pool of worker threads with full-size stacks. CivetWeb's own threads have 100 KB stacks
// in Debian's build (too small for XLSX export or hashing under a sanitizer, and risky for deep
// templates), so each request is handed to a worker while the CivetWeb thread waits.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace parta::http {

class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs job on a worker and returns when it has finished.
  void run(const std::function<void()>& job);

 private:
  struct Task {
    const std::function<void()>* job;
    bool done = false;
    std::condition_variable finished;  // per task: waking all 64 waiters per job was the bottleneck
  };
  void loop();
  std::mutex mu_;
  std::condition_variable work_;
  std::deque<Task*> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace parta::http
