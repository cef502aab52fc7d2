// What the fault-injection tests share: the bound on the server's memory,
// the check every attack ends with, and raw frames. Header-only, for
// fault_test.cpp and fault_memory_test.cpp.
#pragma once

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "blocking_peer.hpp"
#include "server_process.hpp"

namespace test {

using proto::frame_type;

// The sanitizers' shadow memory and quarantine make a process's resident
// memory say nothing about what the program itself holds: so under a
// sanitizer build of the server (ASIO_SERVER_SANITIZED in the environment,
// test/CMakeLists.txt) memory bounds are not checked.
inline const bool memory_is_measurable = std::getenv("ASIO_SERVER_SANITIZED") == nullptr;

// The bound on the server's resident memory during every attack below. An
// idle server uses about 10 MiB; a session queues at most the replies to
// one read, so no attack here should come near it.
constexpr long rss_bound_kib = 64 * 1024;

// What every case ends with: memory in bounds, and a fresh client served.
inline void check_still_serving(server_process& srv, long bound_kib = rss_bound_kib) {
  const long rss = srv.rss_kib();
  BOOST_TEST_MESSAGE("server RSS: " << rss << " KiB");
  BOOST_TEST(rss > 0);
  if (memory_is_measurable) BOOST_TEST(rss < bound_kib);
  // Bounded, but not tight: under a sanitizer a server that has just been
  // flooded may take a while to come round to a new connection.
  blocking_peer fresh(static_cast<std::uint16_t>(srv.port()), "127.0.0.1",
                      std::chrono::seconds(60));
  fresh.send_frame(frame_type::hello, 1, "Hello (client)");
  const auto f = fresh.read_frame();
  BOOST_REQUIRE(f.has_value());
  BOOST_TEST(f->payload == "Hello (server)!");
}

inline std::string frame_bytes(frame_type type, std::uint32_t id, std::string_view payload) {
  std::vector<std::byte> out;
  proto::append_frame(out, type, id, payload);
  return {reinterpret_cast<const char*>(out.data()), out.size()};
}

inline std::uint16_t port_of(const server_process& srv) {
  return static_cast<std::uint16_t>(srv.port());
}

// The median time, in microseconds, for a fresh client to connect and get
// its HELLO answered, over `n` clients: a figure for the log, not a check.
inline double median_hello_us(const server_process& srv, int n = 21) {
  std::vector<double> us;
  for (int i = 0; i < n; ++i) {
    const auto began = std::chrono::steady_clock::now();
    blocking_peer fresh(port_of(srv));
    fresh.send_frame(frame_type::hello, 1, "Hello (client)");
    if (!fresh.read_frame()) continue;
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - began)
                     .count());
  }
  std::sort(us.begin(), us.end());
  return us.empty() ? -1 : us[us.size() / 2];
}

}  // namespace test
