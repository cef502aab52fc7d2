#include "logging.hpp"

#include <spdlog/async.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>

namespace server {

namespace {
// Lines waiting for the logging thread. When full, the oldest line is
// dropped rather than stall the I/O threads; the drop count is reported.
// spdlog allocates every slot at start (408 bytes each): 4,096 lines are
// 1.6 MiB, where 32,768 were 13 MiB, most of the server's memory at start.
// Bursts larger than that come only at info level under load, which the
// README says not to use; warnings a peer can cause are rate-limited.
constexpr std::size_t queue_lines = 4 * 1024;
}  // namespace

bool is_log_level(std::string_view name) {
  const auto level = spdlog::level::from_str(std::string(name));
  // from_str() answers "off" for any name it does not know.
  return level != spdlog::level::off || name == "off";
}

void start_logging(std::string_view level) {
  spdlog::init_thread_pool(queue_lines, 1);
  auto sink = std::make_shared<spdlog::sinks::stdout_color_sink_mt>();
  auto logger =
      std::make_shared<spdlog::async_logger>("asio_server", std::move(sink), spdlog::thread_pool(),
                                             spdlog::async_overflow_policy::overrun_oldest);
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
  logger->set_level(spdlog::level::from_str(std::string(level)));
  // Flushing happens on the logging thread, so a line reaches a pipe (a test,
  // a supervisor) as soon as it is written, at no cost to the I/O threads.
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

void stop_logging() {
  const auto dropped = spdlog::thread_pool()->overrun_counter();
  spdlog::shutdown();
  if (dropped != 0) {
    std::fprintf(stderr, "asio_server: %zu log lines were dropped (the output could not keep up)\n",
                 dropped);
  }
}

bool log_limiter::allow(std::string& note) {
  const auto now = std::chrono::steady_clock::now();
  if (now - window_ >= std::chrono::seconds(1)) {
    window_ = now;
    in_window_ = 0;
  }
  if (in_window_ == per_second) {
    ++held_back_;
    return false;
  }
  ++in_window_;
  note.clear();
  if (held_back_ != 0) {
    note = " (" + std::to_string(held_back_) + " similar warnings not logged)";
    held_back_ = 0;
  }
  return true;
}

}  // namespace server
