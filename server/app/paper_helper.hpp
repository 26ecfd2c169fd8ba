#pragma once
// Runs the parta-paper helper, one process per job (STYLE 17): forked and executed as partad's
// own user, with an address-space limit, a wall-clock limit (killed on expiry), nice 10, no core
// dumps, killed if partad dies, and no descriptor of partad's but its stdin, stdout and stderr.
// The job goes in as JSON, the result is read back as untrusted input (printer/paper_job.hpp).
// A crash costs one job, never the portal: what happened to the process is returned, not thrown.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "printer/paper_job.hpp"

namespace parta::app {

struct HelperLimits {
  std::string path;                          // the parta-paper binary
  std::uint64_t memory_bytes = 384u << 20;   // RLIMIT_AS
  std::chrono::milliseconds timeout{60000};  // for one unit of work (a page, a packet)
  int nice = 10;                             // added to partad's own
};

struct HelperRun {
  enum class Fate {
    done,         // it answered: `result` (which may say the job could not be done)
    crashed,      // killed by a signal it did not get from us, or exited without an answer
    timed_out,    // killed by us at the wall-clock limit
    bad_answer,   // it exited but its answer is not a valid result
    not_started,  // the binary could not be run
    cancelled,    // killed by us because partad is stopping: not the job's fault
  };
  Fate fate = Fate::not_started;
  printer::JobResult result;  // when done
  std::string detail;         // for the log: the signal, the exit code, what was wrong
  // The reason a failed try is recorded with: an msgid (English, Russian in server/i18n).
  const char* reason() const;
};

// Given the first job's result, the job the same helper does next (its one follow-up), or nullopt
// for none. Runs in the calling thread while the helper waits.
using FollowUp = std::function<std::optional<printer::Job>(const printer::JobResult&)>;

class PaperHelper {
 public:
  explicit PaperHelper(HelperLimits limits) : limits_(std::move(limits)) {}
  // Runs one job; its wall-clock limit is the limit for one unit times `units` (a packets job
  // has one unit per packet). When `cancel` becomes true the helper is killed (partad is
  // stopping). Thread-safe: partad runs several at once.
  // With `then`, the helper is kept after its answer to `job`: `then` is asked for a follow-up
  // job (it gets one more unit of time), and the run's result is the follow-up's when there is
  // one (a read_boxes after read_page: the page is not decoded twice, nor a helper started twice).
  HelperRun run(const printer::Job& job, int units = 1, const std::atomic<bool>* cancel = nullptr,
                const FollowUp& then = {}) const;
  // The job, or nullopt when the helper did not answer (logged); for pages that ask CUPS.
  std::optional<printer::JobResult> answer(const printer::Job& job) const;
  const HelperLimits& limits() const { return limits_; }

 private:
  HelperLimits limits_;
};

// Where parta-paper is when the config does not say: beside this partad (the build tree), else
// ../lib/parta/parta-paper from it (the .deb: /usr/bin/partad, /usr/lib/parta/parta-paper).
std::string find_paper_helper();

}  // namespace parta::app
