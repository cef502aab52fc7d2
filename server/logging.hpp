// The server's log: spdlog with an asynchronous logger, so that a slow
// terminal or pipe never blocks an I/O thread.
#pragma once

#include <string_view>

namespace server {

// Names accepted by --log-level.
inline constexpr std::string_view log_levels = "trace, debug, info, warn, error, off";
bool is_log_level(std::string_view name);

// Installs the asynchronous logger as spdlog's default.
void start_logging(std::string_view level);
// Flushes what is queued and stops the logging thread; reports lines dropped
// because the queue was full.
void stop_logging();

}  // namespace server
