// asio_server as a child process for the end-to-end and fault tests: on
// 127.0.0.1 and a port the kernel picks, read back from its "listening on"
// line, with its log (standard output) and its memory at hand.
#pragma once

#include <signal.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "child_process.hpp"

namespace test {

// The programs under test: this build's, or those that ASIO_SERVER_BIN and
// ASIO_CLIENT_BIN name in the environment (a sanitizer build runs the plain
// build's runners against its own programs: test/CMakeLists.txt).
inline std::string program(const char* variable, const char* built) {
  const char* named = std::getenv(variable);
  return named != nullptr && *named != '\0' ? named : built;
}
inline const std::string server_bin = program("ASIO_SERVER_BIN", ASIO_SERVER_BIN);
inline const std::string client_bin = program("ASIO_CLIENT_BIN", ASIO_CLIENT_BIN);

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// asio_server on 127.0.0.1 and a port the kernel picks, read back from its
// "listening on" line. Ended by SIGKILL if a test leaves it running.
class server_process {
 public:
  // With `open_files` > 0, the server runs under `ulimit -n open_files`.
  explicit server_process(std::vector<std::string> extra = {}, int open_files = 0) {
    std::vector<std::string> argv{server_bin, "--port", "0", "--bind", "127.0.0.1"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    if (open_files > 0) {
      argv.insert(
          argv.begin(),
          {"/bin/sh", "-c", "ulimit -n " + std::to_string(open_files) + " && exec \"$0\" \"$@\""});
    }
    child_.emplace(std::move(argv), std::string{}, /*keep_stdin_open=*/true);
    const auto line = child_->read_line(std::chrono::seconds(10));
    BOOST_REQUIRE_MESSAGE(line.has_value(), "no 'listening on' line; stderr: " << child_->err());
    BOOST_REQUIRE_MESSAGE(line->rfind("listening on 127.0.0.1:", 0) == 0, *line);
    port_ = std::stoi(line->substr(line->rfind(':') + 1));
    BOOST_REQUIRE(port_ > 0);
  }

  int port() const { return port_; }
  // Resident memory, from /proc.
  long rss_kib() const {
    std::ifstream status("/proc/" + std::to_string(child_->pid()) + "/status");
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1;
  }
  std::string port_text() const { return std::to_string(port_); }
  child_process& process() { return *child_; }

  // Waits (bounded) for a line of the log that contains `text`.
  bool log_shows(const std::string& text) {
    while (auto line = child_->read_line(std::chrono::seconds(10))) {
      if (contains(*line, text)) return true;
    }
    return false;
  }

  // Reads the log until it has been quiet for `quiet`, and counts the lines
  // that contain `text`.
  int count_log_lines(const std::string& text,
                      std::chrono::milliseconds quiet = std::chrono::milliseconds(500)) {
    int n = 0;
    while (auto line = child_->read_line(quiet)) n += contains(*line, text) ? 1 : 0;
    return n;
  }

  // SIGTERM, then the exit code (-1 if it did not exit within 10 s).
  int terminate(int signo = SIGTERM) {
    child_->send_signal(signo);
    return child_->wait(std::chrono::seconds(10));
  }

 private:
  std::optional<child_process> child_;
  int port_ = 0;
};

}  // namespace test
