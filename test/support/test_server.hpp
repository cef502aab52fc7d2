// An asio_server running in the test process, on 127.0.0.1 and a free port,
// with its workers on threads of its own. Destroying it drains it.
#pragma once

#include <spdlog/spdlog.h>

#include <cstdint>
#include <thread>

#include "core/server.hpp"

namespace test {

inline server::server_config test_config() {
  server::server_config c;
  c.bind_address = "127.0.0.1";
  c.port = 0;
  c.threads = 2;
  return c;
}

class test_server {
 public:
  explicit test_server(server::server_config config = test_config()) : server_(config) {
    spdlog::set_level(spdlog::level::warn);  // the lecture's lines would drown the test log
    port_ = server_.listen().front().port;
    thread_ = std::thread([this] { server_.run(); });
  }
  ~test_server() {
    stop();
    join();
  }

  std::uint16_t port() const { return port_; }
  // What SIGINT does.
  void stop() { server_.stop(); }
  // Waits for run() to return (after stop()).
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  server::server::totals summary() const { return server_.summary(); }
  std::size_t buffered_bytes() const { return server_.buffered_bytes(); }

 private:
  server::server server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace test
