// What the end-to-end tests share: asio_client run against a server
// process, and a port nobody listens on. For e2e_test.cpp and
// e2e_bench_test.cpp.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "server_process.hpp"

namespace test::e2e {

using namespace std::chrono_literals;

using test::client_bin;
using test::contains;
using test::server_bin;
using test::server_process;

inline test::run_result client(const server_process& srv, std::vector<std::string> args,
                               std::string input = {}) {
  std::vector<std::string> argv{client_bin, "--host", "127.0.0.1", "--port", srv.port_text()};
  argv.insert(argv.end(), args.begin(), args.end());
  return test::run(std::move(argv), std::move(input), 30s);
}

// A port with nothing listening on it (bound, then closed again).
inline int closed_port() {
  server_process srv;
  const int port = srv.port();
  srv.terminate();
  return port;
}

}  // namespace test::e2e
