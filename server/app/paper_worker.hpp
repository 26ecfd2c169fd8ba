#pragma once
// The paper track's background work, coordinated here and done by the parta-paper helper (one
// process per job, app/paper_helper): claim a queued print run or scan batch, build the job from
// the domain, run the helper, adopt its files into the blob store and record them. Every database
// write stays in partad. Progress is in the database, so the pages that show it need no
// JavaScript; a try that crashes the helper (or partad) counts, and after three the job is
// failed with its reason. A scan batch's pages are read by `parallel` helpers at once.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "app/paper_helper.hpp"
#include "content/blob_store.hpp"
#include "domain/clock.hpp"
#include "storage/database.hpp"

namespace parta::app {

class PaperWorker {
 public:
  PaperWorker(storage::Database& db, content::BlobStore& blobs, const domain::Clock& clock,
              const PaperHelper& helper, unsigned parallel);
  ~PaperWorker();
  PaperWorker(const PaperWorker&) = delete;
  PaperWorker& operator=(const PaperWorker&) = delete;

  // Work done when no print run or scan batch waits (the photos' travel copies): one piece per
  // call, false when there is none; given the flag that says partad is stopping.
  void set_idle_work(std::function<bool(const std::atomic<bool>*)> work) {
    idle_ = std::move(work);
  }
  void start();  // the background thread
  void wake();   // new work was queued
  // Does all queued work on the calling thread (tests, benchmarks); returns when nothing is left.
  void run_pending();

 private:
  bool step();  // one try at one run or one batch; false when there was nothing to do
  void make_run(std::int64_t run);
  void read_batch(std::int64_t batch);
  void read_page(std::int64_t batch, int position, const std::string& path,
                 const std::string& file_sha, int index, const std::string& source);
  // A quiz page's answer boxes as kept with the scanned page (JSON, crops as blob hashes): from
  // the helper's read_boxes answer `read` (run right after read_page on the same page, through
  // the map it found), or, when the page had no map, every question sent to the teacher.
  std::string boxes_reading(const std::vector<printer::AnswerBox>& boxes,
                            const printer::JobResult* read, const printer::JobFolder& dir);
  // One helper job (and its follow-up) whose failure to answer ends this try (thrown as
  // TryFailed).
  printer::JobResult must_run(const printer::Job& job, int units = 1, const FollowUp& then = {});

  storage::Database& db_;
  content::BlobStore& blobs_;
  const domain::Clock& clock_;
  const PaperHelper& helper_;
  unsigned parallel_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool woken_ = false;
  std::atomic<bool> stop_{false};
  std::function<bool(const std::atomic<bool>*)> idle_;
  std::thread thread_;
};

}  // namespace parta::app
