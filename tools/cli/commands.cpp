#include "cli/commands.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <thread>

#include "app/admin_commands.hpp"
#include "app/box.hpp"
#include "app/control.hpp"
#include "app/data_lock.hpp"

namespace parta::cli {

namespace fs = std::filesystem;

namespace {

struct Global {
  std::string data, config;
  std::string lang = "ru";
  bool help = false;
  std::vector<std::string> args;  // the command and its own arguments
};

// Takes --data, --config and --lang wherever they stand; the rest is the command line.
std::optional<std::string> take_globals(const std::vector<std::string>& in, Global* g) {
  for (std::size_t i = 0; i < in.size(); ++i) {
    const std::string& a = in[i];
    if (a == "--help" || a == "-h" || (a == "help" && g->args.empty())) {
      g->help = true;
    } else if (a == "--data" || a == "--config" || a == "--lang") {
      if (i + 1 >= in.size()) return a + " needs a value";
      (a == "--data" ? g->data : a == "--config" ? g->config : g->lang) = in[++i];
    } else {
      g->args.push_back(a);
    }
  }
  return std::nullopt;
}

std::string user_name(uid_t uid) {
  passwd* pw = ::getpwuid(uid);
  return pw ? pw->pw_name : std::to_string(uid);
}

// Opens what the command names, with the caller's own rights, for partad to use. Only plain
// files and folders: a FIFO or a device would hang or feed the reader.
std::optional<std::vector<int>> open_paths(const std::vector<std::string>& args,
                                           const std::vector<app::PathArg>& paths) {
  std::vector<int> fds;
  auto fail = [&](const std::string& what) -> std::optional<std::vector<int>> {
    std::cerr << "parta: " << what << "\n";
    for (int f : fds) ::close(f);
    return std::nullopt;
  };
  for (const auto& p : paths) {
    std::string path = args[p.index];
    if (p.kind == app::PathArg::out_file) {
      path = fs::path(path).parent_path().string();
      if (path.empty()) path.assign(1, '.');
    }
    int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK;
    if (p.kind != app::PathArg::existing) {
      flags |= O_DIRECTORY;
      std::error_code ec;
      fs::create_directories(path, ec);  // a folder to write into is made, by the caller
    }
    int fd = ::open(path.c_str(), flags);
    if (fd < 0) return fail("cannot open " + path + ": " + std::strerror(errno));
    fds.push_back(fd);
    struct stat st;
    if (::fstat(fd, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
      return fail(path + " is not a plain file or folder");
  }
  return fds;
}

int ask_partad(const Global& g, const std::string& data) {
  auto paths = app::path_arguments(g.args);
  auto fds = open_paths(g.args, paths);
  if (!fds) return 1;
  app::control::Request req;
  req.args = g.args;
  req.lang = g.lang;
  for (const auto& p : paths) req.fd_args.push_back(p.index);
  app::control::Reply reply;
  std::string error;
  auto status = app::control::call(app::control::socket_path(data), req, *fds, &reply, &error);
  for (int f : *fds) ::close(f);
  if (status == app::control::CallStatus::failed) {
    std::cerr << "parta: " << error << "\n";
    return 1;
  }
  if (status == app::control::CallStatus::no_server) return -1;
  std::cout << reply.out;
  std::cerr << reply.err;
  return reply.rc;
}

int run_here(const Global& g, app::Config cfg, app::DataLock lock) {
  // Whatever the command names must be a plain file or folder here too.
  auto fds = open_paths(g.args, app::path_arguments(g.args));
  if (!fds) return 1;
  for (int f : *fds) ::close(f);
  auto box = app::open_box(cfg, app::open_data_dir(cfg.data_dir), std::move(lock), false);
  app::CommandIo io{std::cout, std::cerr, web::parse_lang(g.lang)};
  return app::run_admin_command(*box, g.args, io);
}

}  // namespace

int run(const std::vector<std::string>& raw) {
  if (sodium_init() < 0) return 1;
  Global g;
  if (auto err = take_globals(raw, &g)) {
    std::cerr << "parta: " << *err << "\n";
    return 2;
  }
  if (g.help || g.args.empty()) {
    app::print_admin_usage(g.help ? std::cout : std::cerr);
    return g.help ? 0 : 2;
  }
  if (!app::known_admin_command(g.args[0])) {
    std::cerr << "unknown command " << g.args[0] << "\n\n";
    app::print_admin_usage(std::cerr);
    return 2;
  }
  g.args = app::complete_arguments(g.args);
  app::Config cfg;
  if (!g.config.empty()) {
    if (auto err = app::read_config_file(g.config, &cfg)) {
      std::cerr << "parta: " << *err << "\n";
      return 2;
    }
  }
  if (!g.data.empty()) cfg.data_dir = g.data;
  // A new folder becomes a hub's when the first command run on it is a district one.
  if (g.args[0] == "district") cfg.role = "district";
  const std::string& data = cfg.data_dir;
  try {
    // Another user's data folder (the box's, for root) is never touched directly: files made
    // here would belong to the wrong user and partad could not read them. Only partad may work
    // on it, when it runs.
    struct stat st;
    bool foreign = ::stat(data.c_str(), &st) == 0 && st.st_uid != ::geteuid();
    if (!foreign) fs::create_directories(data);  // a new box's folder is the caller's
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (true) {
      if (!foreign) {
        // A hub on PostgreSQL: the CLI works beside the hub's processes, as one more of them.
        const bool shared = app::DataDir{data}.postgres();
        if (auto lock =
                app::DataLock::take(data, "parta " + g.args[0], std::chrono::seconds(0), shared))
          return run_here(g, cfg, std::move(*lock));
      }
      int rc = ask_partad(g, data);
      if (rc >= 0) return rc;
      // Nobody answers: partad is starting (migrating) or another parta works on the folder.
      if (foreign) {
        std::cerr << "parta: partad is not running, and the data folder " << data
                  << " belongs to the user '" << user_name(st.st_uid)
                  << "': run this as that user (sudo -u " << user_name(st.st_uid)
                  << " parta ...)\n";
        return 1;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        std::cerr << "parta: the data folder " << data << " is busy ("
                  << app::DataLock::holder(data) << "); try again later\n";
        return 1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  } catch (const std::exception& e) {
    std::cerr << "parta: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace parta::cli
