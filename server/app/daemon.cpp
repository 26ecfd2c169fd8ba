#include "app/daemon.hpp"

#include <sodium.h>
#include <systemd/sd-daemon.h>

#include <atomic>
#include <chrono>
#include <clocale>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include "app/config.hpp"
#include "app/credentials_table.hpp"
#include "app/data_dir.hpp"
#include "app/log.hpp"
#include "app/paper_worker.hpp"
#include "app/sync_agent.hpp"
#include "domain/accounts.hpp"
#include "domain/box_clock.hpp"
#include "domain/demo.hpp"
#include "domain/library.hpp"
#include "domain/school.hpp"
#include "http/server.hpp"
#include "sync/identity.hpp"
#include "web/app.hpp"
#include "web/resources.hpp"

namespace parta::app {

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

int run_partad(int argc, char** argv) {
  // libarchive and iconv need a UTF-8 locale for Cyrillic names.
  std::setlocale(LC_CTYPE, "C.UTF-8");
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
    domain::SystemClock clock;
    if (cfg.list_routes) {
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
    DataDir dir = open_data_dir(cfg.data_dir);
    auto db = open_database(dir);
    // Who this box is for sync, and whether its database went back in time since the last start.
    sync::Role role = cfg.role == "district" ? sync::Role::district : sync::Role::school;
    auto identity = sync::load_or_create_identity(dir.root);
    {
      auto c = db->acquire();
      auto epoch = sync::ensure_epoch(*c, clock, dir.root, identity, role);
      if (epoch.changed && epoch.why != "first")
        log::warning("sync: new epoch " + epoch.epoch + " (" + epoch.why + ")");
    }
    if (role == sync::Role::district) {
      // The hub's pages carry its name where a school's carry the school's.
      auto c = db->acquire();
      auto info = domain::school_info(*c);
      if (info.name.empty()) {
        info.name = "Районный узел обмена";
        domain::save_school_info(*c, info);
      }
    }
    if (!cfg.district_key.empty() && !sync::write_district_key(dir.root, cfg.district_key))
      throw std::runtime_error("district_key is not a key");
    std::vector<domain::Credential> demo;
    if (cfg.demo && role == sync::Role::district) {
      auto c = db->acquire();
      demo = demo_district_admin(*c, clock);
    } else if (cfg.demo) {
      auto c = db->acquire();
      demo = domain::fill_demo(*c, clock);
      if (demo.empty()) log::info("demo: the database already has a school; left as it is");
    }
    content::BlobStore blobs(dir.root);
    if (!demo.empty() && role == sync::Role::school) {
      // The demo library: the sample content pack compiled into the binary.
      if (auto pack = web::resource("../content/sample/sample-pack.tar.gz")) {
        std::string path = dir.tmp_dir() + "/sample-pack.tar.gz";
        std::FILE* f = std::fopen(path.c_str(), "wb");
        if (f) {
          std::fwrite(pack->data(), 1, pack->size(), f);
          std::fclose(f);
          auto c = db->acquire();
          auto r = domain::import_pack_file(*c, clock, blobs, path, 0, 0);
          if (r.problem)
            log::warning("demo: the sample pack was not imported: " + r.problem->msgid);
          std::remove(path.c_str());
        }
      }
    }
    unsigned decode = cfg.decode_threads > 0 ? static_cast<unsigned>(cfg.decode_threads)
                                             : default_decode_threads();
    // The appliance's clock: never backwards, and says when it is not sure (no battery clock).
    domain::BoxClock box_clock(dir.root + "/clock", clock);
    PaperWorker paper(*db, blobs, box_clock, decode);
    paper.start();
    sync::Node node{*db,
                    box_clock,
                    blobs,
                    identity,
                    role,
                    dir.root,
                    sync::read_district_key(dir.root),
                    cfg.disk_reserve_mb * 1024 * 1024};
    node.box_clock = &box_clock;
    sync::NetOptions net;
    net.url = cfg.district_url;
    net.rate_bytes_per_s = cfg.sync_rate_kbit * 125;
    SyncAgent agent(node, net, cfg.sync_interval_min);
    if (role == sync::Role::school && !cfg.district_url.empty()) agent.start();
    web::App app(*db, box_clock, &blobs);
    app.settings.sync = &node;
    app.settings.district_url = cfg.district_url;
    if (role == sync::Role::school && !cfg.district_url.empty()) {
      app.settings.wake_sync = [&agent] { agent.wake(); };
      app.settings.sync_status = [&agent] { return agent.status(); };
    }
    app.settings.box_clock = &box_clock;
    app.settings.usb_status_file = dir.root + "/usb-status";
    app.settings.first_admin_password_file = dir.first_admin_password_path();
    app.settings.wake_paper = [&paper] { paper.wake(); };
    app.settings.usb_dir = cfg.usb_dir;
    app.settings.portal_host = cfg.portal_host;
    app.settings.disk_reserve = cfg.disk_reserve_mb * 1024 * 1024;
    app.settings.count_statements = cfg.count_statements;
    if (role == sync::Role::district)
      register_district_app(app);
    else
      web::register_all_views(app);

    // Block the stop signals in every thread; the main thread waits for them below.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    http::Server server(
        {cfg.listen, cfg.threads, cfg.max_form, cfg.max_upload_mb * 1024 * 1024, dir.tmp_dir()},
        [&app](http::Request& req) { return app.handle(req); },
        [&app](const http::Request& req, int status, const std::string& msgid) {
          return app.render_error(req, status, msgid);
        });
    server.start();
    std::string host = cfg.listen.substr(0, cfg.listen.rfind(':'));
    if (host.empty() || host == cfg.listen) host = "127.0.0.1";
    std::string url = "http://" + host + ":" + std::to_string(server.port()) + "/";
    if (!demo.empty()) print_demo_logins(demo, url);
    log::info("partad listening on " + cfg.listen + " (port " + std::to_string(server.port()) +
              "), data in " + dir.root);
    // Under systemd (Type=notify): ready now, and a watchdog ping while the database answers.
    sd_notify(0, "READY=1");
    std::atomic<bool> stopping{false};
    std::thread watchdog;
    // The last known good time, saved every minute (and at the end).
    std::thread clock_saver([&] {
      for (int tick = 0; !stopping; ++tick) {
        if (tick % 600 == 0) box_clock.save();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0) {
      watchdog = std::thread([&] {
        while (!stopping) {
          try {
            auto c = db->acquire();
            c->scalar("SELECT 1");
            sd_notify(0, "WATCHDOG=1");
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
    if (watchdog.joinable()) watchdog.join();
    clock_saver.join();
    box_clock.save();
    server.stop();
    return 0;
  } catch (const std::exception& e) {
    log::error(std::string("partad: ") + e.what());
    return 1;
  }
}

}  // namespace parta::app
