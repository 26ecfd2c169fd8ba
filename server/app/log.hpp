#pragma once
// Logging to stderr with sd-daemon priority prefixes ("<3>", "<4>", "<6>", "<7>"), which journald
// turns into levels; one line per event, no timestamps (journald adds them).
#include <string_view>

namespace parta::log {

enum class Level { error = 3, warning = 4, info = 6, debug = 7 };
void set_level(Level max);
void write(Level level, std::string_view message);
// Whether a message at this level would be written (to skip building it when not).
bool enabled(Level level);
inline void error(std::string_view m) { write(Level::error, m); }
inline void warning(std::string_view m) { write(Level::warning, m); }
inline void info(std::string_view m) { write(Level::info, m); }
inline void debug(std::string_view m) { write(Level::debug, m); }

}  // namespace parta::log
