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
#include "domain/box_clock.hpp"
#include "domain/demo.hpp"
#include "domain/library.hpp"
#include "http/server.hpp"
#include "web/app.hpp"
#include "web/resources.hpp"

namespace parta::app {

namespace {

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
      web::register_all_views(app);
      for (const auto& r : app.routes())
        std::cout << r.method << " " << r.pattern << " " << r.access << "\n";
      return 0;
    }
    DataDir dir = open_data_dir(cfg.data_dir);
    auto db = open_database(dir);
    std::vector<domain::Credential> demo;
    if (cfg.demo) {
      auto c = db->acquire();
      demo = domain::fill_demo(*c, clock);
      if (demo.empty()) log::info("demo: the database already has a school; left as it is");
    }
    content::BlobStore blobs(dir.root);
    if (!demo.empty()) {
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
                                             : std::max(1u, std::thread::hardware_concurrency());
    // The appliance's clock: never backwards, and says when it is not sure (no battery clock).
    domain::BoxClock box_clock(dir.root + "/clock", clock);
    PaperWorker paper(*db, blobs, box_clock, decode);
    paper.start();
    web::App app(*db, box_clock, &blobs);
    app.settings.box_clock = &box_clock;
    app.settings.usb_status_file = dir.root + "/usb-status";
    app.settings.wake_paper = [&paper] { paper.wake(); };
    app.settings.usb_dir = cfg.usb_dir;
    app.settings.portal_host = cfg.portal_host;
    app.settings.disk_reserve = cfg.disk_reserve_mb * 1024 * 1024;
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
