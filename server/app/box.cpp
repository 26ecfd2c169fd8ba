#include "app/box.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include <filesystem>

#include "app/log.hpp"
#include "domain/library.hpp"
#include "domain/school.hpp"

namespace parta::app {

namespace fs = std::filesystem;

Box::~Box() {
  if (node) node->before_export = nullptr;  // the travel copies go before the node
  if (clock) clock->save_at_stop();
  if ((!daemon || dir.postgres()) && !scratch.empty() && scratch != dir.tmp_dir()) {
    std::error_code ec;
    fs::remove_all(scratch, ec);
  }
}

std::unique_ptr<Box> open_box(const Config& cfg, DataDir dir, DataLock lock, bool daemon) {
  auto box = std::make_unique<Box>(cfg, std::move(dir), std::move(lock));
  box->daemon = daemon;
  const bool shared = box->dir.postgres();  // one of several hub processes on one folder
  if (daemon && shared) {
    // tmp/ holds the other processes' files being written (hub processes', the CLI's): only those
    // of a process that is gone.
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(box->dir.tmp_dir(), ec)) {
      const std::string name = e.path().filename().string();
      const std::size_t dash = name.find('-');
      if (!name.starts_with("partad-") && !name.starts_with("cli-")) continue;
      const long pid = std::strtol(name.c_str() + dash + 1, nullptr, 10);
      if (pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM)) continue;
      fs::remove_all(e.path(), ec);
    }
    box->scratch = box->dir.tmp_dir() + "/partad-" + std::to_string(::getpid());
    fs::remove_all(box->scratch, ec);
    fs::create_directories(box->scratch, ec);
    if (ec) throw std::runtime_error("cannot create " + box->scratch + ": " + ec.message());
  } else if (daemon) {
    clean_tmp(box->dir);
    box->scratch = box->dir.tmp_dir();
  } else {
    box->scratch = box->dir.tmp_dir() + "/cli-" + std::to_string(::getpid());
    std::error_code ec;
    fs::remove_all(box->scratch, ec);  // a pid reused after a crash
    fs::create_directories(box->scratch, ec);
    if (ec) throw std::runtime_error("cannot create " + box->scratch + ": " + ec.message());
  }
  box->db = open_database(box->dir);
  box->blobs = std::make_unique<content::BlobStore>(box->dir.root, box->scratch);
  if (daemon && !shared) {
    // A power cut between a blob's rename and its row's commit leaves a file nothing names (seen
    // cutting the emulated box's power, tests/image/box_test.py powercut); no one writes a blob
    // before partad serves, so such files go now, as tmp/ went above.
    auto c = box->db->acquire();
    auto g = domain::collect_garbage(*c, *box->blobs, -1, domain::Sweep::unrecorded);
    if (g.files)
      log::info("removed " + std::to_string(g.files) + " blob files no row names (" +
                std::to_string(g.bytes) + " bytes)");
  }
  box->clock = std::make_unique<domain::BoxClock>(box->dir.root + "/clock", box->system_clock);
  sync::Role role = cfg.role == "district" ? sync::Role::district : sync::Role::school;
  if (!daemon) {
    // The CLI works on whatever box the folder holds (partad is told its role by its config, and
    // refuses a folder of the other kind).
    auto c = box->db->acquire();
    auto q = c->query("SELECT role FROM sync_self WHERE id = 1");
    if (q.next()) role = q.text(0) == "district" ? sync::Role::district : sync::Role::school;
  }
  box->identity = sync::load_or_create_identity(box->dir.root);
  {
    auto c = box->db->acquire();
    auto epoch = sync::ensure_epoch(*c, *box->clock, box->dir.root, box->identity, role);
    if (epoch.changed && epoch.why != "first")
      log::warning("sync: new epoch " + epoch.epoch + " (" + epoch.why + ")");
    if (role == sync::Role::district) {
      // The hub's pages carry its name where a school's carry the school's.
      auto info = domain::school_info(*c);
      if (info.name.empty()) {
        info.name = "Районный узел обмена";
        domain::save_school_info(*c, info);
      }
    }
  }
  if (!cfg.district_key.empty() && !sync::write_district_key(box->dir.root, cfg.district_key))
    throw std::runtime_error("district_key is not a key");
  box->node.reset(new sync::Node{*box->db,
                                 *box->clock,
                                 *box->blobs,
                                 box->identity,
                                 role,
                                 box->dir.root,
                                 sync::read_district_key(box->dir.root),
                                 cfg.disk_reserve_mb * 1024 * 1024,
                                 19,
                                 cfg.sync_part_mb << 20,
                                 nullptr,
                                 {},
                                 {}});
  box->node->box_clock = box->clock.get();
  HelperLimits limits;
  limits.path = cfg.paper_helper.empty() ? find_paper_helper() : cfg.paper_helper;
  limits.memory_bytes = cfg.paper_memory_mb << 20;
  limits.timeout = std::chrono::seconds(cfg.paper_timeout_s);
  box->helper = std::make_unique<PaperHelper>(limits);
  box->travel =
      std::make_unique<TravelCopies>(*box->db, *box->blobs, *box->clock, *box->helper,
                                     TravelSettings{cfg.travel_long_side, cfg.travel_quality});
  if (role == sync::Role::school && cfg.travel_long_side > 0)
    box->node->before_export = [t = box->travel.get(), stop = &box->stopping] {
      t->make_pending(std::chrono::minutes(10), stop);
    };
  return box;
}

}  // namespace parta::app
