#include "app/daemon.hpp"

#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <clocale>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <thread>

#include "app/admin_commands.hpp"
#include "app/background.hpp"
#include "app/box.hpp"
#include "app/config.hpp"
#include "app/control.hpp"
#include "app/credentials_table.hpp"
#include "app/data_dir.hpp"
#include "app/log.hpp"
#include "app/paper_helper.hpp"
#include "app/paper_worker.hpp"
#include "app/sync_agent.hpp"
#include "app/travel_copies.hpp"
#include "app/usb_exchange.hpp"
#include "content/durable.hpp"
#include "domain/accounts.hpp"
#include "domain/box_clock.hpp"
#include "domain/demo.hpp"
#include "domain/hash_slots.hpp"
#include "domain/library.hpp"
#include "domain/school.hpp"
#include "domain/zim_library.hpp"
#include "http/server.hpp"
#include "sync/identity.hpp"
#include "web/app.hpp"
#include "web/resources.hpp"
#include "web/static_assets.hpp"

namespace parta::app {

namespace fs = std::filesystem;

namespace {

// The district hub serves only sign-in and its own pages.
void register_district_app(web::App& app) {
  web::register_static_views(app);
  web::register_auth_views(app);
  web::register_district_views(app);
}

// A district hub started with --demo gets one admin account to sign in with.
std::vector<domain::Credential> demo_district_admin(storage::Connection& c,
                                                    const domain::Clock& clock) {
  if (c.scalar("SELECT 1 FROM users LIMIT 1")) return {};
  domain::create_user(c, clock,
                      {"admin", "Районный", "Администратор", "", domain::Role::admin,
                       domain::SecretKind::password, ""},
                      "demo2026");
  return {{"Районный Администратор", "", domain::Role::admin, "admin", "demo2026", false}};
}

void print_demo_logins(const std::vector<domain::Credential>& creds, const std::string& url) {
  std::printf("\nДемо-школа создана. Откройте %s\nDemo school created. Open %s\n\n%s\n",
              url.c_str(), url.c_str(), credentials_table(creds).c_str());
  std::fflush(stdout);
}

}  // namespace

namespace {

// Runs an admin command asked for over the control socket, on partad's own box. The files and
// folders the command names arrive as descriptors; the command sees them as /proc/self/fd/N
// paths, and its output shows the caller's own names again.
control::Reply run_for_cli(Box& box, const control::Request& req, const std::vector<int>& fds) {
  std::vector<std::string> args = req.args;
  auto expected = path_arguments(args);
  if (expected.size() != req.fd_args.size())
    return {2, "", "partad: the command's files were not passed along\n"};
  std::vector<std::pair<std::string, std::string>> shown;  // local path -> the caller's
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (expected[i].index != req.fd_args[i])
      return {2, "", "partad: the command's files were not passed along\n"};
    std::string local = "/proc/self/fd/" + std::to_string(fds[i]);
    std::string& arg = args[expected[i].index];
    if (expected[i].kind == PathArg::out_file) {
      fs::path theirs(arg);
      shown.emplace_back(local, theirs.parent_path().empty() ? "." : theirs.parent_path().string());
      arg = local + "/" + theirs.filename().string();
    } else {
      shown.emplace_back(local, arg);
      arg = local;
    }
  }
  std::ostringstream out, err;
  CommandIo io{out, err, web::parse_lang(req.lang)};
  for (const auto& [local, theirs] : shown) io.caller_paths[local] = theirs;
  int rc = 0;
  try {
    rc = run_admin_command(box, args, io);
  } catch (const std::exception& e) {
    err << "parta: " << e.what() << "\n";
    rc = 1;
  }
  auto restore = [&](std::string text) {
    for (const auto& [local, theirs] : shown)
      for (std::size_t at; (at = text.find(local)) != std::string::npos;)
        text.replace(at, local.size(), theirs);
    return text;
  };
  std::string who;
  for (const auto& a : req.args) who += " " + a;
  log::info("control: parta" + who + " -> " + std::to_string(rc));
  return {rc, restore(out.str()), restore(err.str())};
}

// Whether partad's own HTTP side answers a request within a few seconds (the watchdog's proof
// that the portal is alive, not just the process).
bool answers_http(const std::string& host, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  // Listening on every address, or on a name: loopback reaches it.
  if (host == "0.0.0.0" || ::inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1)
    ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  const std::string ask = "GET /favicon.ico HTTP/1.0\r\nHost: localhost\r\n\r\n";
  ok = ok && content::write_all(fd, ask.data(), ask.size());
  char head[12] = {};
  ok = ok && content::read_all(fd, head, sizeof head - 1) && std::string(head, 7) == "HTTP/1.";
  ::close(fd);
  return ok;
}

}  // namespace

int run_partad(int argc, char** argv) {
  // Before any thread exists, so every thread inherits the mask and SIGTERM reaches sigwait()
  // below, never a worker thread's default action (which would skip saving the clock).
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  // libarchive and iconv need a UTF-8 locale for Cyrillic names.
  std::setlocale(LC_CTYPE, "C.UTF-8");
  // One malloc arena, not one per worker thread's core share (glibc's 8 per core): each arena
  // keeps what its threads freed, and with 64 workers reading an archive's clusters (megabytes
  // each) that was 250 MiB after 30 phones read a Wikipedia, on a 512 MB box; two arenas still
  // peaked at 110 MiB where one peaks at 84, as fast (the threads' own caches take the small
  // allocations; tests/bench/RESULTS.md).
  mallopt(M_ARENA_MAX, 1);
  Config cfg;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (auto err = parse_args(args, &cfg)) {
    std::cerr << "partad: " << *err << "\n";
    return 2;
  }
  if (cfg.help) {
    std::cout << partad_usage();
    return 0;
  }
  log::set_level(cfg.log_level == "debug"     ? log::Level::debug
                 : cfg.log_level == "warning" ? log::Level::warning
                 : cfg.log_level == "error"   ? log::Level::error
                                              : log::Level::info);
  if (sodium_init() < 0) {
    log::error("libsodium failed to initialise");
    return 1;
  }
  try {
    if (cfg.list_routes) {
      domain::SystemClock clock;
      storage::Database db(":memory:");
      web::App app(db, clock);
      if (cfg.role == "district")
        register_district_app(app);
      else
        web::register_all_views(app);
      for (const auto& r : app.routes())
        std::cout << r.method << " " << r.pattern << " " << r.access << "\n";
      return 0;
    }
    // Password hashing never takes more memory at once than the box can spare.
    unsigned slots =
        cfg.hash_slots > 0 ? static_cast<unsigned>(cfg.hash_slots) : default_hash_slots();
    domain::hash_slots().configure(slots, std::chrono::milliseconds(cfg.hash_wait_ms));
    DataDir dir = open_data_dir(cfg.data_dir);
    if (!cfg.district_db.empty()) {
      if (cfg.role != "district") {
        log::error("district_db is for a district hub (role = district)");
        return 1;
      }
      // A folder whose hub already keeps its data in SQLite is not switched over silently.
      std::error_code ec;
      if (!dir.postgres() && std::filesystem::exists(dir.db_path(), ec)) {
        log::error("this data folder's hub keeps its data in " + dir.db_path() +
                   " (SQLite): start it without district_db, or give the PostgreSQL hub a new "
                   "data folder");
        return 1;
      }
      // Remembered in the folder, for the admin CLI and the hub's other processes.
      if (dir.database() != cfg.district_db)
        content::write_file_durably(dir.hub_database_path(), cfg.district_db + "\n", 0600);
    }
    // One writer per data folder: an admin command working on it directly finishes first. The
    // processes of a hub on PostgreSQL share the folder (and keep the CLI out together).
    auto lock = DataLock::take(dir.root, "partad", std::chrono::seconds(60), dir.postgres());
    if (!lock) {
      log::error("the data folder " + dir.root + " is in use by " + DataLock::holder(dir.root) +
                 ": partad does not start beside another writer");
      return 1;
    }
    auto box = open_box(cfg, dir, std::move(*lock), true);
    auto& clock = *box->clock;
    sync::Role role = box->node->role;
    std::vector<domain::Credential> demo;
    if (cfg.demo && role == sync::Role::district) {
      auto c = box->db->acquire();
      demo = demo_district_admin(*c, clock);
    } else if (cfg.demo) {
      auto c = box->db->acquire();
      demo = domain::fill_demo(*c, clock);
      if (demo.empty()) log::info("demo: the database already has a school; left as it is");
    }
    if (!demo.empty() && role == sync::Role::school) {
      // The demo library: the sample content pack compiled into the binary (ours, so trusted).
      if (auto pack = web::resource("../content/sample/sample-pack.tar.gz")) {
        std::string path = box->scratch + "/sample-pack.tar.gz";
        content::write_file_durably(path, *pack, 0640);
        auto c = box->db->acquire();
        auto r = domain::import_pack_file(*c, clock, *box->blobs, path, 0, 0, {"", true, false});
        if (r.problem) log::warning("demo: the sample pack was not imported: " + r.problem->msgid);
        std::remove(path.c_str());
      }
      // And a small reference archive (content/sample/sample-reference.zim): the demo's library
      // has an encyclopedia to search, read, attach and print.
      if (auto zim = web::resource("../content/sample/sample-reference.zim")) {
        std::error_code ec;
        std::filesystem::create_directories(dir.zim_dir(), ec);
        std::string path = dir.zim_dir() + "/.demo-sample.part";
        content::write_file_durably(path, *zim, 0640);
        auto c = box->db->acquire();
        auto r = domain::add_zim(*c, clock, dir.zim_dir(), path, true, 0, 0);
        if (r.problem) log::warning("demo: the sample archive was not added: " + r.problem->msgid);
        std::filesystem::remove(path, ec);
      }
    }
    // The reference archives: what a power cut left half-added goes; the rest opens on first use.
    content::size_zim_caches();
    content::ZimShelf zims;
    Background background;  // the admin's archive checks; stopped before the database closes
    {
      std::error_code ec;
      std::filesystem::create_directories(dir.zim_dir(), ec);
      auto c = box->db->acquire();
      if (auto n = domain::sweep_zim_dir(*c, dir.zim_dir()))
        log::info("removed " + std::to_string(n) + " half-added archive file(s) from " +
                  dir.zim_dir());
    }
    unsigned decode = cfg.decode_threads > 0 ? static_cast<unsigned>(cfg.decode_threads)
                                             : default_decode_threads();
    // Paper work runs in the parta-paper helper, one process per job, within the box's limits.
    const PaperHelper& helper = *box->helper;
    log::info("paper helper: " + helper.limits().path + " (" + std::to_string(cfg.paper_memory_mb) +
              " MiB, " + std::to_string(cfg.paper_timeout_s) + " s a unit, " +
              std::to_string(decode) + " at once for scans)");
    // Photos handed in travel to the district as smaller copies, made by the same helper when no
    // paper work waits (and any still missing before a bundle is written: the box's node).
    TravelCopies& travel = *box->travel;
    PaperWorker paper(*box->db, *box->blobs, clock, helper, decode);
    // When idle, the paper worker also counts the link budget for the sync page, once a minute.
    if (role == sync::Role::school)
      paper.set_idle_work([&travel, &box, &clock, copies = cfg.travel_long_side > 0,
                           last = std::int64_t{0},
                           made = false](const std::atomic<bool>* stop) mutable {
        if (copies && travel.make_one(stop)) return made = true;
        // Counted again when copies were just made (the page shows the new photos waiting) and
        // once a minute.
        if (made || clock.now() - last >= 60) {
          made = false;
          last = clock.now();
          auto c = box->db->acquire();
          // Nothing travels before the box is enrolled: its outbox is not counted every minute.
          if (sync::district_peer(*c)) sync::refresh_link_budget(*c, last);
        }
        return false;
      });
    paper.start();
    sync::NetOptions net;
    net.url = cfg.district_url;
    net.rate_bytes_per_s = cfg.sync_rate_kbit * 125;
    SyncAgent agent(*box->node, net, cfg.sync_interval_min);
    if (role == sync::Role::school && !cfg.district_url.empty()) agent.start();
    web::App app(*box->db, clock, box->blobs.get());
    app.settings.sync = box->node.get();
    app.settings.district_url = cfg.district_url;
    app.settings.link_kbit = cfg.sync_rate_kbit;
    if (role == sync::Role::school && !cfg.district_url.empty()) {
      app.settings.wake_sync = [&agent] { agent.wake(); };
      app.settings.sync_status = [&agent] { return agent.status(); };
    }
    app.settings.box_clock = box->clock.get();
    app.settings.usb_status_file = box->dir.usb_status_path();
    app.settings.first_admin_password_file = box->dir.first_admin_password_path();
    app.settings.first_admin_delivery_file = box->dir.first_admin_delivery_path();
    app.settings.packs_waiting_dir = packs_waiting_dir(*box);
    app.settings.zim_dir = dir.zim_dir();
    app.settings.zims = &zims;
    app.settings.max_upload = cfg.max_upload_mb << 20;
    app.settings.background = [&background](std::function<void()> job) {
      background.post(std::move(job));
    };
    app.settings.database = box->db.get();
    app.settings.zim_wait_ms = cfg.zim_wait_ms;
    app.settings.wake_paper = [&paper] { paper.wake(); };
    app.settings.paper = [&helper](const printer::Job& job) { return helper.answer(job); };
    app.settings.usb_dir = cfg.usb_dir;
    app.settings.portal_host = cfg.portal_host;
    app.settings.disk_reserve = cfg.disk_reserve_mb * 1024 * 1024;
    app.settings.hand_in_quota = cfg.hand_in_quota_mb * 1024 * 1024;
    app.settings.count_statements = cfg.count_statements;
    if (role == sync::Role::district)
      register_district_app(app);
    else
      web::register_all_views(app);

    // The admin CLI's way in: partad is the only writer of its data folder while it runs.
    control::Server control(control::socket_path(box->dir.root),
                            [&box](const control::Request& req, const std::vector<int>& fds) {
                              return run_for_cli(*box, req, fds);
                            });
    control.start();

    http::ServerOptions http_options;
    http_options.listen = cfg.listen;
    http_options.threads = cfg.threads;
    http_options.max_form = cfg.max_form;
    http_options.max_upload = cfg.max_upload_mb * 1024 * 1024;
    http_options.temp_dir = box->scratch;
    http_options.front = {cfg.trusted_front, cfg.accel_prefix, box->dir.root + "/blobs/"};
    http_options.disk_reserve = cfg.disk_reserve_mb * 1024 * 1024;
    if (!cfg.accel_prefix.empty()) {
      // The front sends /static/ itself, from files left where it can read them, and keeps the
      // bodies it buffers in front/ on the data partition (its sandbox sees only these two
      // folders and blobs/ of the data folder: firmware/systemd/parta-front.service).
      web::StaticAssets::instance().export_to(box->dir.root + "/static");
      std::filesystem::create_directories(box->dir.root + "/front");
    }
    http::Server server(
        std::move(http_options), [&app](http::Request& req) { return app.handle(req); },
        [&app](const http::Request& req, int status, const std::string& msgid) {
          return app.render_error(req, status, msgid);
        });
    server.start();
    std::string host = cfg.listen.substr(0, cfg.listen.rfind(':'));
    if (host.empty() || host == cfg.listen) host = "127.0.0.1";
    std::string url = "http://" + host + ":" + std::to_string(server.port()) + "/";
    // Behind a front, people open the front's address, not partad's.
    if (!cfg.trusted_front.empty() && !cfg.portal_host.empty())
      url = "http://" + cfg.portal_host + "/";
    if (!demo.empty()) print_demo_logins(demo, url);
    log::info("password hashing: " + std::to_string(slots) + " at once, waits up to " +
              std::to_string(cfg.hash_wait_ms) + " ms");
    log::info("partad listening on " + cfg.listen + " (port " + std::to_string(server.port()) +
              "), data in " + box->dir.root);
    // Under systemd (Type=notify): ready now, and a watchdog ping while the portal answers a
    // request end to end and the database answers.
    sd_notify(0, "READY=1");
    std::atomic<bool> stopping{false};
    std::thread watchdog;
    // The last known good time, saved every kSaveInterval (and at the end); and every 10 s the
    // memory a burst freed goes back to the system (glibc keeps the free middle of its heaps:
    // 40 MiB after 30 phones browsed a Wikipedia), with the clusters of the archives nobody read
    // for 20 s.
    std::thread clock_saver([&] {
      for (int tick = 0; !stopping; ++tick) {
        if (tick % (domain::BoxClock::kSaveInterval * 10) == 0) clock.save();
        if (tick % 100 == 99) {
          zims.close_idle(std::chrono::seconds(20));
          malloc_trim(0);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0) {
      watchdog = std::thread([&] {
        while (!stopping) {
          try {
            auto c = box->db->acquire();
            c->scalar("SELECT 1");
            // A wedged HTTP side (every worker stuck) must restart partad too: ask it something.
            if (answers_http(host, server.port()))
              sd_notify(0, "WATCHDOG=1");
            else
              log::error("watchdog: the portal does not answer on its own port");
          } catch (const std::exception& e) {
            log::error(std::string("watchdog: the database does not answer: ") + e.what());
          }
          for (std::uint64_t slept = 0; slept < usec / 2 && !stopping; slept += 100000)
            std::this_thread::sleep_for(std::chrono::microseconds(100000));
        }
      });
    }
    int sig = 0;
    sigwait(&set, &sig);
    log::info("stopping on signal " + std::to_string(sig));
    sd_notify(0, "STOPPING=1");
    stopping = true;
    box->stopping = true;
    // No new work first (the portal, then the CLI), then the background threads end (the sync
    // agent's and the paper worker's destructors), the clock is saved (the box's destructor) and
    // the lock released.
    server.stop();
    control.stop();
    if (watchdog.joinable()) watchdog.join();
    clock_saver.join();
    return 0;
  } catch (const std::exception& e) {
    log::error(std::string("partad: ") + e.what());
    return 1;
  }
}

}  // namespace parta::app
