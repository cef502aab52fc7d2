// What a worker counts, for /metrics and the page's /stats (metrics_report.hpp).
//
// Every counter here has one writer, the thread of the worker that owns it
// (the acceptor's counts are worker 0's: the accept loops run there), and is
// read by a scrape on any thread. So a count is a relaxed load and a relaxed
// store, which compile to a plain add on x86: no locked instruction and no
// cache line shared with another worker on the per-request path. A scrape
// sums the workers' counts; it may see one worker's a request older than
// another's, never a torn value.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace server::metrics {

class counter {
 public:
  void add(std::uint64_t n = 1) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// The label values, in the order of the arrays below.
enum class link : std::uint8_t { tcp, tls, unix_socket, http, websocket };
inline constexpr std::array<std::string_view, 5> link_names{"tcp", "tls", "unix", "http",
                                                            "websocket"};

// Requests by what they asked: the protocol's four types, a type the server
// does not serve, a plain-bytes peer's message and an --mode echo chunk.
enum class request : std::uint8_t { hello, message, echo, ping, unknown, raw, echo_mode };
inline constexpr std::array<std::string_view, 7> request_names{
    "hello", "message", "echo", "ping", "unknown", "raw", "echo_mode"};

// Connections refused: over --max-connections (at accept), a frame the
// memory budget will not buffer (ERROR 4), a WebSocket from another origin.
// proxy_header: a PROXY listener's connection without a valid header, or
// from outside --proxy-from.
enum class refusal : std::uint8_t {
  max_connections,
  memory_budget,
  websocket_origin,
  proxy_header,
  http_evicted  // an HTTP connection still reading a request, closed for a new one over the cap
};
inline constexpr std::array<std::string_view, 5> refusal_names{
    "max_connections", "memory_budget", "websocket_origin", "proxy_header", "http_evicted"};

// ERROR frames sent, by their code (PROTOCOL.md): index code - 1.
inline constexpr std::size_t error_codes = 5;

// The protocol engine's counts (protocol_engine.hpp).
struct engine_counts {
  std::array<counter, request_names.size()> requests;
  std::array<counter, error_codes> errors;

  void request(enum request r) noexcept { requests[static_cast<std::size_t>(r)].add(); }
  void error(std::uint16_t code) noexcept {
    if (code >= 1 && code <= error_codes) errors[code - 1].add();
  }
};

// How long requests take in the server: from the read that brought a
// request in to the write that handed its reply to the kernel. A read's
// requests are answered together, so each of them is counted with that
// read's duration (observe(d, n)).
class latency_histogram {
 public:
  // Upper bounds, in seconds (Prometheus' `le`), and the same in ns.
  static constexpr std::array<double, 14> bounds{0.000001, 0.0000025, 0.000005, 0.00001, 0.000025,
                                                 0.00005,  0.0001,    0.00025,  0.0005,  0.001,
                                                 0.0025,   0.01,      0.1,      1.0};

  void observe(std::chrono::nanoseconds d, std::uint64_t n) noexcept {
    const auto ns = d.count() < 0 ? 0 : static_cast<std::uint64_t>(d.count());
    std::size_t i = 0;
    while (i < bounds.size() && ns > bounds_ns[i]) ++i;
    buckets_[i].add(n);  // i == bounds.size(): over the last bound (+Inf only)
    sum_ns_.add(ns * n);
  }
  // Per bucket, not cumulative; the last is over the last bound.
  std::uint64_t bucket(std::size_t i) const noexcept { return buckets_[i].value(); }
  std::uint64_t sum_ns() const noexcept { return sum_ns_.value(); }

 private:
  static constexpr auto bounds_ns = [] {
    std::array<std::uint64_t, bounds.size()> ns{};
    for (std::size_t i = 0; i < bounds.size(); ++i) {
      ns[i] = static_cast<std::uint64_t>(bounds[i] * 1e9 + 0.5);
    }
    return ns;
  }();
  std::array<counter, bounds.size() + 1> buckets_;
  counter sum_ns_;
};

// One worker's counts: on cache lines of their own, since their writer is
// that worker alone.
struct alignas(64) worker_metrics {
  engine_counts engine;
  std::array<counter, link_names.size()> opened;
  std::array<counter, link_names.size()> closed;
  std::array<counter, refusal_names.size()> refused;
  counter bytes_in;
  counter bytes_out;
  latency_histogram latency;

  void open(link l) noexcept { opened[static_cast<std::size_t>(l)].add(); }
  void close(link l) noexcept { closed[static_cast<std::size_t>(l)].add(); }
  void refuse(refusal r) noexcept { refused[static_cast<std::size_t>(r)].add(); }
};

}  // namespace server::metrics
