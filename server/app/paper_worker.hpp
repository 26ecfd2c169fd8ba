#pragma once
// The paper track's background work: making the PDFs of queued print runs and reading queued scan
// batches (pages decoded on every core), with progress in the database so the pages that show it
// need no JavaScript. After a power cut, interrupted work starts again from the database.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "content/blob_store.hpp"
#include "domain/clock.hpp"
#include "storage/database.hpp"

namespace parta::app {

class PaperWorker {
 public:
  PaperWorker(storage::Database& db, content::BlobStore& blobs, const domain::Clock& clock,
              unsigned decode_threads);
  ~PaperWorker();
  PaperWorker(const PaperWorker&) = delete;
  PaperWorker& operator=(const PaperWorker&) = delete;

  void start();  // the background thread
  void wake();   // new work was queued
  // Does all queued work on the calling thread (tests, benchmarks); returns when nothing is left.
  void run_pending();

 private:
  bool step();  // one run or one batch; false when there was nothing to do
  void make_run(std::int64_t run);
  void read_batch(std::int64_t batch);

  storage::Database& db_;
  content::BlobStore& blobs_;
  const domain::Clock& clock_;
  unsigned threads_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool woken_ = false;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace parta::app
