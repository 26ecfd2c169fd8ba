#pragma once
// The admin CLI's subcommands, one table (name, usage, function), run against the data folder
// directly; safe while partad runs (SQLite WAL).
#include <string>
#include <vector>

namespace parta::cli {

// Runs `parta ARGS...`; returns the exit code. Output goes to stdout, errors to stderr.
int run(const std::vector<std::string>& args);

}  // namespace parta::cli
