#pragma once
// Travel copies (issue 20): the photos and scans handed in with submissions travel to the district
// as smaller copies that stay legible (printer/travel.hpp, made by the parta-paper helper); the box
// keeps the originals, and the district may ask for one (it comes with the next bundle). Copies
// are made in the background for submissions waiting to travel, and any still missing just
// before a bundle is written; a file with no smaller copy (not a JPEG or PNG, too large to decode,
// unreadable, or a copy no smaller) travels as it is, and that is recorded too.
#include <chrono>
#include <cstdint>
#include <mutex>

#include "app/paper_helper.hpp"
#include "content/blob_store.hpp"
#include "domain/clock.hpp"
#include "storage/database.hpp"

namespace parta::app {

struct TravelSettings {
  int long_side = 1400;
  int quality = 50;
};

class TravelCopies {
 public:
  TravelCopies(storage::Database& db, content::BlobStore& blobs, const domain::Clock& clock,
               const PaperHelper& helper, TravelSettings settings = {})
      : db_(db), blobs_(blobs), clock_(clock), helper_(helper), settings_(settings) {}

  // Makes the copy of one file waiting to travel; false when none is left (or the box is not
  // enrolled with a district: nothing travels). `cancel`: partad is stopping.
  bool make_one(const std::atomic<bool>* cancel = nullptr);
  // Makes copies until none is left or `budget` has passed; returns how many were made.
  int make_pending(std::chrono::seconds budget, const std::atomic<bool>* cancel = nullptr);

 private:
  storage::Database& db_;
  content::BlobStore& blobs_;
  const domain::Clock& clock_;
  const PaperHelper& helper_;
  TravelSettings settings_;
  std::mutex one_at_a_time_;
};

}  // namespace parta::app
