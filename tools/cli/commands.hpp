#pragma once
// The admin CLI `parta`: takes the global options, then either asks the running partad to run
// the command (over its control socket, passing the files and folders the command names as open
// descriptors) or, when partad is stopped, runs it on the data folder itself under the folder's
// lock. The commands themselves are app::run_admin_command's table.
#include <string>
#include <vector>

namespace parta::cli {

// Runs `parta ARGS...`; returns the exit code. Output goes to stdout, errors to stderr.
int run(const std::vector<std::string>& args);

}  // namespace parta::cli
