// What the service tests share: asio_server started with an environment of
// the test's choosing (NOTIFY_SOCKET, LISTEN_FDS, WATCHDOG_USEC), a Unix
// datagram socket standing in for systemd's notify socket, and small file
// helpers. Header-only, for service_test.cpp and daemon_test.cpp.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "transport_support.hpp"

namespace test::service {

using namespace std::chrono_literals;
using test::transport::cert;
using test::transport::scratch;

inline std::string path_in_scratch(const std::string& name) { return scratch().path + "/" + name; }

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  BOOST_REQUIRE(out.flush());
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream all;
  all << in.rdbuf();
  return all.str();
}

// systemd's side of sd_notify(3): a datagram socket the server is pointed
// at with NOTIFY_SOCKET; each datagram is one notification.
class notify_socket {
 public:
  explicit notify_socket(const std::string& name) : path_(path_in_scratch(name)) {
    ::unlink(path_.c_str());
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    path_.copy(a.sun_path, sizeof a.sun_path - 1);
    BOOST_REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  }
  ~notify_socket() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  notify_socket(const notify_socket&) = delete;
  notify_socket& operator=(const notify_socket&) = delete;

  const std::string& path() const { return path_; }

  // The next notification, or none within `timeout`.
  std::optional<std::string> next(std::chrono::milliseconds timeout = 10s) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
  }
  // Notifications until one contains `text` (skipping WATCHDOG=1 pings,
  // which come at their own pace); returns it, or "" after 10 s.
  std::string next_with(const std::string& text) {
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < give_up) {
      const auto m = next(1s);
      if (m && m->find(text) != std::string::npos) return *m;
      if (m && *m != "WATCHDOG=1") return "unexpected: " + *m;
    }
    return {};
  }

 private:
  std::string path_;
  int fd_ = -1;
};

// asio_server under `env`, e.g. {"NOTIFY_SOCKET=/tmp/x"}, and `wrapper`,
// with `args`; the "listening on" lines read back, `listeners` of them.
class server_in_env : public test::transport::server {
 public:
  server_in_env(std::vector<std::string> env, std::vector<std::string> args, int listeners = 1,
                std::vector<std::string> wrapper = {})
      : server(std::move(args), listeners, prefix(std::move(env), std::move(wrapper))) {}

 private:
  static std::vector<std::string> prefix(std::vector<std::string> env,
                                         std::vector<std::string> wrapper) {
    std::vector<std::string> p{"/usr/bin/env"};
    p.insert(p.end(), env.begin(), env.end());
    p.insert(p.end(), wrapper.begin(), wrapper.end());
    return p;
  }
};

}  // namespace test::service
