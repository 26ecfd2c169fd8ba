#pragma once
// The admin commands (`parta COMMAND ...`), one table of name, usage, help and function. They
// always run on an app::Box: inside partad when it is running (the CLI asks it over the control
// socket, so partad stays the only writer of its data folder), or in the CLI itself on a stopped
// box, under the data folder's lock.
#include <cstddef>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "app/box.hpp"
#include "web/i18n.hpp"

namespace parta::app {

struct CommandIo {
  std::ostream& out;
  std::ostream& err;
  web::Lang lang = web::Lang::ru;
  // Run for the CLI by partad: the files the caller named arrive as /proc/self/fd/N; their names
  // as the caller wrote them, by that path (a roster keeps its file's name in the district).
  std::map<std::string, std::string> caller_paths = {};
};

// Runs one command line (the command's name first, global options already taken off).
// Returns the exit code: 0 done, 1 failed, 2 wrong usage.
int run_admin_command(Box& box, const std::vector<std::string>& args, CommandIo& io);

void print_admin_usage(std::ostream& out);
bool known_admin_command(const std::string& name);

// The arguments of a command line that name files or folders the command reads or writes. The
// CLI opens them (with the caller's rights) and passes the descriptors to partad.
struct PathArg {
  enum Kind {
    existing,  // a file or folder that must exist
    dir,       // a folder the command writes into
    out_file,  // a file the command creates (its folder is passed)
  };
  std::size_t index = 0;  // into args
  Kind kind = existing;
};
std::vector<PathArg> path_arguments(const std::vector<std::string>& args);
// Adds the arguments whose default depends on a path the caller named (district enroll writes
// its certificate beside the request), so the CLI can open that path too.
std::vector<std::string> complete_arguments(const std::vector<std::string>& args);

}  // namespace parta::app
