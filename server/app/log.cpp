#include "app/log.hpp"

#include <unistd.h>

#include <atomic>
#include <string>

namespace parta::log {

namespace {
std::atomic<int> g_max{static_cast<int>(Level::info)};
}

void set_level(Level max) { g_max = static_cast<int>(max); }

bool enabled(Level level) { return static_cast<int>(level) <= g_max; }

void write(Level level, std::string_view message) {
  if (!enabled(level)) return;
  std::string line = "<" + std::to_string(static_cast<int>(level)) + ">";
  for (char c : message) line += (c == '\n' || c == '\r') ? ' ' : c;  // one event, one line
  line += '\n';
  // One write() per line so lines from worker threads never interleave.
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace parta::log
