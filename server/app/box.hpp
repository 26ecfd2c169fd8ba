#pragma once
// What partad and the admin commands work on, assembled in one place so they can never differ
// (the CLI once used the raw system clock and a hard-coded disk reserve): the settings, the data
// folder and its lock, the database, the blob store with this process's scratch folder, the
// box's clock, the sync identity and the sync node.
#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "app/config.hpp"
#include "app/data_dir.hpp"
#include "app/data_lock.hpp"
#include "app/paper_helper.hpp"
#include "app/travel_copies.hpp"
#include "content/blob_store.hpp"
#include "domain/box_clock.hpp"
#include "storage/database.hpp"
#include "sync/engine.hpp"
#include "sync/identity.hpp"

namespace parta::app {

struct Box {
  Config cfg;
  DataDir dir;
  DataLock lock;
  std::string scratch;  // this process's folder for files being written
  bool daemon = false;  // partad (else the CLI working on a stopped box)
  std::unique_ptr<storage::Database> db;
  std::unique_ptr<content::BlobStore> blobs;
  domain::SystemClock system_clock;
  std::unique_ptr<domain::BoxClock> clock;  // never backwards; what everything is stamped with
  sync::Identity identity;
  std::unique_ptr<sync::Node> node;
  // The paper helper's runner (limits from the config) and the travel copies it makes; a school's
  // node makes the missing copies before each export, whether partad or the CLI writes it.
  std::unique_ptr<PaperHelper> helper;
  std::unique_ptr<TravelCopies> travel;
  std::atomic<bool> stopping{false};  // partad is stopping: an export's copies are not waited for

  Box(Config c, DataDir d, DataLock l) : cfg(std::move(c)), dir(std::move(d)), lock(std::move(l)) {}
  ~Box();  // saves the clock; the CLI removes its scratch folder
  Box(const Box&) = delete;
  Box& operator=(const Box&) = delete;
};

// Opens the box for its lock holder: partad (`daemon`: empties tmp/ and works in it) or the CLI
// (its own tmp/cli-<pid>/). Migrates the database, makes or loads the identity, checks the sync
// epoch, and wires the node with the config's disk reserve and the box's clock. Throws
// std::runtime_error with a message for the admin.
std::unique_ptr<Box> open_box(const Config& cfg, DataDir dir, DataLock lock, bool daemon);

}  // namespace parta::app
