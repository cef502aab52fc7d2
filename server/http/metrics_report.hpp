// The workers' counts (metrics.hpp) summed, and written out: as Prometheus'
// text exposition for GET /metrics, and as the small JSON document the page
// polls (GET /stats). A scrape costs the same whatever the number of
// connections: it reads each worker's counters once, and /proc.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "protocol/metrics.hpp"

namespace server::metrics {

struct totals {
  std::array<std::uint64_t, link_names.size()> opened{};
  std::array<std::uint64_t, link_names.size()> closed{};
  std::array<std::uint64_t, refusal_names.size()> refused{};
  std::array<std::uint64_t, request_names.size()> requests{};
  std::array<std::uint64_t, error_codes> errors{};
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::array<std::uint64_t, latency_histogram::bounds.size() + 1> latency{};  // per bucket
  std::uint64_t latency_sum_ns = 0;

  std::uint64_t open(link l) const noexcept;
  std::uint64_t requests_total() const noexcept;
  std::uint64_t errors_total() const noexcept;
  // The request duration below which a fraction `q` of requests took, by
  // linear interpolation within its bucket (as Prometheus'
  // histogram_quantile does); none before the first request.
  std::optional<double> latency_quantile(double q) const noexcept;
};

totals sum(std::span<const worker_metrics* const> workers) noexcept;

// What else a report says.
struct report_context {
  bool draining = false;
  std::chrono::steady_clock::duration uptime{};
  std::size_t buffered_bytes = 0;  // what the memory budget has charged, and its limit
  std::size_t buffered_limit = 0;
};

// Prometheus text exposition format 0.0.4: the server's counts, the
// asio_server_build_info metric and the process_* metrics.
std::string prometheus_text(const totals& t, const report_context& c);
// For the page: {"version", "uptime_seconds", "draining", "connections_open":
// {transport: n}, "requests_total", "errors_total", "bytes_in_total",
// "bytes_out_total", "latency_seconds": {"p50", "p99"}}.
std::string stats_json(const totals& t, const report_context& c);

}  // namespace server::metrics
