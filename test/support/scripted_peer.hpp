// A stand-in server on plain POSIX sockets for the client's tests: it
// listens on 127.0.0.1 and a free port and runs `script` on each connection
// it accepts, one at a time, on a thread of its own; or, with no script, it
// never accepts at all (the kernel still completes the connections into its
// backlog): a server that takes connections and never answers. Every wait
// is bounded; the destructor stops it.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>

namespace test {

class scripted_server {
 public:
  using script = std::function<void(int fd)>;

  explicit scripted_server(script s = {}) : script_(std::move(s)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) < 0 ||
        ::listen(fd_, 64) < 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) < 0) {
      throw std::runtime_error("scripted_server: cannot listen");
    }
    port_ = ntohs(addr.sin_port);
    if (script_) thread_ = std::thread([this] { serve(); });
  }
  ~scripted_server() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  scripted_server(const scripted_server&) = delete;
  scripted_server& operator=(const scripted_server&) = delete;

  std::uint16_t port() const { return port_; }
  std::string port_text() const { return std::to_string(port_); }

  // Helpers for scripts.
  static bool read_exactly(int fd, void* data, std::size_t n) {
    auto* p = static_cast<char*>(data);
    while (n > 0) {
      pollfd pf{fd, POLLIN, 0};
      if (::poll(&pf, 1, 10000) != 1) return false;
      const ssize_t got = ::recv(fd, p, n, 0);
      if (got <= 0) return false;
      p += got;
      n -= static_cast<std::size_t>(got);
    }
    return true;
  }
  static void write_all(int fd, const void* data, std::size_t n) {
    const auto* p = static_cast<const char*>(data);
    while (n > 0) {
      const ssize_t put = ::send(fd, p, n, MSG_NOSIGNAL);
      if (put <= 0) return;
      p += put;
      n -= static_cast<std::size_t>(put);
    }
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd pf{fd_, POLLIN, 0};
      if (::poll(&pf, 1, 50) != 1) continue;
      const int conn = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) continue;
      script_(conn);
      ::close(conn);
    }
  }

  script script_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace test
