#include "service/logging.hpp"

#include <spdlog/async.h>
#include <spdlog/details/file_helper.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>
#include <syslog.h>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <stdexcept>

namespace server {

namespace {
// Lines waiting for the logging thread. When full, the oldest line is
// dropped rather than stall the I/O threads; the drop count is reported.
// spdlog allocates every slot at start (408 bytes each): 4,096 lines are
// 1.6 MiB, where 32,768 were 13 MiB, most of the server's memory at start.
// Bursts larger than that come only at info level under load, which the
// README says not to use; warnings a peer can cause are rate-limited.
constexpr std::size_t queue_lines = 4 * 1024;

constexpr const char* text_pattern = "%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v";

// --log-file: appends, and opens the file again on SIGUSR1 (reopen()), so
// that logrotate can move it away and the next line starts a new one.
class reopening_file_sink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit reopening_file_sink(const std::string& path) {
    // spdlog would make the folders too: a typo must not make directories.
    probe(path);
    file_.open(path, /*truncate=*/false);
  }
  // Throws, and keeps writing to the file it has, when the path cannot be
  // opened (spdlog's reopen() would close it first and then write to
  // nothing).
  void reopen() {
    std::lock_guard lock(mutex_);
    probe(file_.filename());
    file_.reopen(/*truncate=*/false);
  }
  static void probe(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "ab");
    if (f == nullptr) throw std::runtime_error(path + ": " + std::strerror(errno));
    std::fclose(f);
  }

 private:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    file_.write(line);
  }
  void flush_() override { file_.flush(); }
  spdlog::details::file_helper file_;
};

// `text` with every byte that is not part of valid UTF-8 written as \xHH:
// JSON must be UTF-8, and a peer's bytes need not be.
std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n;) {
    const unsigned char c = p[i];
    std::size_t len = c < 0x80           ? 1
                      : (c >> 5) == 0x6  ? 2
                      : (c >> 4) == 0xE  ? 3
                      : (c >> 3) == 0x1E ? 4
                                         : 0;
    bool ok = len != 0 && i + len <= n;
    for (std::size_t k = 1; ok && k < len; ++k) ok = (p[i + k] >> 6) == 0x2;
    if (ok && len == 2) ok = c >= 0xC2;  // no overlong
    if (ok && len == 3) ok = !(c == 0xE0 && p[i + 1] < 0xA0) && !(c == 0xED && p[i + 1] >= 0xA0);
    if (ok && len == 4)
      ok = c <= 0xF4 && !(c == 0xF0 && p[i + 1] < 0x90) && !(c == 0xF4 && p[i + 1] >= 0x90);
    if (ok) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xF];
      ++i;
    }
  }
  return out;
}

// --log-format json: {"time":"2026-11-25T07:15:11.123+00:00","level":"info","message":"..."}
class json_formatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    spdlog::memory_buf_t time;
    time_.format(msg, time);
    const auto level = spdlog::level::to_string_view(msg.level);
    const auto message = boost::json::serialize(
        boost::json::string(valid_utf8(std::string_view(msg.payload.data(), msg.payload.size()))));
    fmt::format_to(std::back_inserter(dest), R"({{"time":"{}","level":"{}","message":{}}})",
                   std::string_view(time.data(), time.size()),
                   std::string_view(level.data(), level.size()), message);
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<json_formatter>();
  }

 private:
  spdlog::pattern_formatter time_{"%Y-%m-%dT%H:%M:%S.%e%z", spdlog::pattern_time_type::local, ""};
};

std::shared_ptr<reopening_file_sink> log_file;  // set by start_logging() with --log-file
}  // namespace

bool is_log_level(std::string_view name) {
  const auto level = spdlog::level::from_str(std::string(name));
  // from_str() answers "off" for any name it does not know.
  return level != spdlog::level::off || name == "off";
}

void start_logging(const log_settings& settings) {
  spdlog::sink_ptr sink;
  switch (settings.target) {
    case log_target::stdout_:
      sink = std::make_shared<spdlog::sinks::stdout_color_sink_mt>();
      break;
    case log_target::file:
      sink = log_file = std::make_shared<reopening_file_sink>(settings.file);
      break;
    case log_target::syslog:
      sink = std::make_shared<spdlog::sinks::syslog_sink_mt>("asio_server", LOG_PID, LOG_DAEMON,
                                                             /*enable_formatting=*/true);
      break;
  }
  spdlog::init_thread_pool(queue_lines, 1);
  auto logger =
      std::make_shared<spdlog::async_logger>("asio_server", std::move(sink), spdlog::thread_pool(),
                                             spdlog::async_overflow_policy::overrun_oldest);
  if (settings.json) {
    logger->set_formatter(std::make_unique<json_formatter>());
  } else {
    // syslog stamps the time and the level itself.
    logger->set_pattern(settings.target == log_target::syslog ? "%v" : text_pattern);
  }
  logger->set_level(spdlog::level::from_str(settings.level));
  // Flushing happens on the logging thread, so a line reaches a pipe (a test,
  // a supervisor) as soon as it is written, at no cost to the I/O threads.
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

std::string reopen_log_file() {
  if (!log_file) return {};
  try {
    log_file->reopen();
  } catch (const std::exception& e) {
    return e.what();
  }
  return {};
}

bool has_log_file() noexcept { return log_file != nullptr; }

void set_log_level(std::string_view level) {
  spdlog::default_logger()->set_level(spdlog::level::from_str(std::string(level)));
}

void stop_logging() {
  auto pool = spdlog::thread_pool();
  const auto dropped = pool->overrun_counter();
  // The logger ends after the logging thread has been joined, not beside
  // it: the queue drained, the join orders its last write before the
  // logger's end (ThreadSanitizer cannot see the order a reference count
  // kept inside the uninstrumented libspdlog gives).
  auto logger = spdlog::default_logger();
  spdlog::shutdown();
  pool.reset();  // the last reference: drains the queue and joins the thread
  logger.reset();
  log_file.reset();
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
