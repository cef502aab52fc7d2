// The server's log: spdlog with an asynchronous logger, so that a slow
// terminal or pipe never blocks an I/O thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace server {

// Names accepted by --log-level.
inline constexpr std::string_view log_levels = "trace, debug, info, warn, error, off";
bool is_log_level(std::string_view name);

enum class log_target : std::uint8_t { stdout_, file, syslog };

struct log_settings {
  std::string level = "info";
  log_target target = log_target::stdout_;
  std::string file;   // log_target::file
  bool json = false;  // one JSON object a line: {"time","level","message"}
};

// Installs the asynchronous logger as spdlog's default. Throws
// std::runtime_error when the log file cannot be opened.
void start_logging(const log_settings& settings);
// SIGUSR1: closes and opens again the log file (logrotate moved it away);
// nothing for the other targets. Returns the problem, if any.
std::string reopen_log_file();
bool has_log_file() noexcept;
void set_log_level(std::string_view level);
// Flushes what is queued and stops the logging thread; reports lines dropped
// because the queue was full.
void stop_logging();

// Warnings a peer can cause (a bad frame, an unknown type), limited so that
// no peer can write to the operator's disk at line rate: at most
// `per_second` a second, the rest counted and the count said with the next
// one logged. One per worker, used on its thread only.
class log_limiter {
 public:
  static constexpr std::uint32_t per_second = 10;

  // Whether to log one now. When it is, `note` is "" or " (N similar
  // warnings not logged)" to append to it.
  bool allow(std::string& note);

 private:
  std::chrono::steady_clock::time_point window_;
  std::uint32_t in_window_ = 0;
  std::uint64_t held_back_ = 0;
};

}  // namespace server
