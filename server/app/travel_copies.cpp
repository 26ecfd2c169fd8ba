#include "app/travel_copies.hpp"

#include <atomic>
#include <optional>
#include <string>

#include "app/log.hpp"
#include "domain/coursework.hpp"
#include "printer/paper_job.hpp"
#include "storage/database.hpp"

namespace parta::app {

namespace {

struct Waiting {
  std::string sha;
  std::int64_t size = 0;
};

// A photo or scan of a submission that waits in the outbox, not yet frozen into a record, with no
// travel copy decided yet.
std::optional<Waiting> next_waiting(storage::Connection& c) {
  auto q = c.query(
      "SELECT sf.sha256, sf.size FROM sync_outbox o JOIN submission_files sf ON "
      "sf.submission_id = CAST(o.ref AS INTEGER) WHERE o.peer = '' AND o.kind = 'submission' AND "
      "o.payload IS NULL AND sf.content_type IN ('image/jpeg', 'image/png') AND NOT EXISTS "
      "(SELECT 1 FROM travel_copies t WHERE t.original = sf.sha256) AND EXISTS "
      "(SELECT 1 FROM sync_peers WHERE role = 'district') LIMIT 1");
  if (!q.next()) return std::nullopt;
  return Waiting{q.text(0), q.integer(1)};
}

}  // namespace

bool TravelCopies::make_one(const std::atomic<bool>* cancel) {
  std::lock_guard lock(one_at_a_time_);
  std::optional<Waiting> w;
  {
    auto c = db_.acquire();
    w = next_waiting(*c);
  }
  if (!w) return false;
  printer::JobFolder dir(blobs_.tmp_dir());
  printer::Job job;
  job.kind = printer::JobKind::travel_copy;
  job.path = blobs_.path_of(w->sha);
  job.out = dir.path();
  job.long_side = settings_.long_side;
  job.quality = settings_.quality;
  HelperRun r = helper_.run(job, 1, cancel);
  // Not this photo's fault: nothing is recorded, and it is tried again later.
  if (r.fate == HelperRun::Fate::cancelled || r.fate == HelperRun::Fate::not_started) {
    static std::atomic<bool> said{false};
    if (r.fate == HelperRun::Fate::not_started && !said.exchange(true))
      log::warning("travel copies: the helper does not start: " + r.detail);
    return false;
  }
  std::optional<content::BlobInfo> copy;
  std::string why;
  if (r.fate != HelperRun::Fate::done) {
    // A photo that crashes or outlasts the helper is not tried again at every export: it travels
    // as it is.
    why = std::string("helper: ") + r.reason();
    log::warning("travel copy of " + w->sha + ": " + r.detail);
  } else if (!r.result.ok()) {
    why = printer::error_name(r.result.error);
  } else if (r.result.codes_lost) {
    why = "codes";  // a printed code would no longer read: the page travels as it is
  } else if (auto path = dir.output(r.result.jpeg); !path) {
    why = "bad answer";
  } else {
    content::BlobInfo made = blobs_.adopt(*path);
    // A copy no smaller than the original (a small picture already) is not worth a second file.
    if (static_cast<std::int64_t>(made.size) < w->size)
      copy = made;
    else
      why = "not smaller";
  }
  auto c = db_.acquire();
  storage::Transaction tx(*c);
  if (copy) domain::record_blob(*c, clock_, copy->sha256, copy->size);
  c->run(
      "INSERT OR REPLACE INTO travel_copies (original, copy, bytes, original_bytes, width, height, "
      "grey, cropped, made_at, why) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
      w->sha, copy ? std::optional<std::string>(copy->sha256) : std::nullopt,
      copy ? static_cast<std::int64_t>(copy->size) : w->size, w->size, copy ? r.result.width : 0,
      copy ? r.result.height : 0, copy && r.result.grey ? 1 : 0, copy && r.result.cropped ? 1 : 0,
      clock_.now(), why);
  tx.commit();
  return true;
}

int TravelCopies::make_pending(std::chrono::seconds budget, const std::atomic<bool>* cancel) {
  auto until = std::chrono::steady_clock::now() + budget;
  int made = 0;
  while (std::chrono::steady_clock::now() < until && !(cancel && *cancel) && make_one(cancel))
    ++made;
  return made;
}

}  // namespace parta::app
