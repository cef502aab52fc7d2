#include "bench_result.hpp"

#include <boost/json.hpp>
#include <cstdio>
#include <string>

#include "protocol.hpp"

namespace client {

namespace {

// 1234567 -> "1,234,567": figures a person reads at a glance.
std::string grouped(std::uint64_t n) {
  char digits[24], out[32];
  const int length =
      std::snprintf(digits, sizeof digits, "%llu", static_cast<unsigned long long>(n));
  int at = 0;
  for (int i = 0; i < length; ++i) {
    if (i != 0 && (length - i) % 3 == 0) out[at++] = ',';
    out[at++] = digits[i];
  }
  return std::string(out, static_cast<std::size_t>(at));
}

// Nanoseconds in the unit that suits them: "850 ns", "12.3 us", "4.56 ms".
std::string duration_text(std::uint64_t ns) {
  char text[32];
  if (ns < 1000) {
    std::snprintf(text, sizeof text, "%llu ns", static_cast<unsigned long long>(ns));
  } else if (ns < 1'000'000) {
    std::snprintf(text, sizeof text, "%.1f us", double(ns) / 1e3);
  } else if (ns < 1'000'000'000) {
    std::snprintf(text, sizeof text, "%.2f ms", double(ns) / 1e6);
  } else {
    std::snprintf(text, sizeof text, "%.2f s", double(ns) / 1e9);
  }
  return text;
}

std::string type_text(const client_config& c) {
  if (c.raw) return "raw echo";
  return std::string(proto::type_name(static_cast<std::uint8_t>(c.bench.type)));
}

double micros(std::uint64_t ns) { return double(ns) / 1e3; }

}  // namespace

std::string describe_load(const client_config& c) {
  // (snprintf rather than std::string's operator+, which GCC 12 at -O3
  // warns about falsely.)
  const auto& b = c.bench;
  char size[32] = "", load[160];
  if (c.raw || b.type != proto::frame_type::ping)
    std::snprintf(size, sizeof size, " %zu B", b.size);
  if (b.idle) {
    std::snprintf(load, sizeof load, "%s%s, %s idle connections", type_text(c).c_str(), size,
                  grouped(b.connections).c_str());
  } else if (b.connect_per_request) {
    std::snprintf(load, sizeof load, "%s%s, a new connection per request, %u workers",
                  type_text(c).c_str(), size, b.connections);
  } else {
    const int n =
        std::snprintf(load, sizeof load, "%s%s, %u connection%s x depth %u", type_text(c).c_str(),
                      size, b.connections, b.connections == 1 ? "" : "s", b.depth);
    if (b.rate > 0 && n > 0 && static_cast<std::size_t>(n) < sizeof load) {
      std::snprintf(load + n, sizeof load - static_cast<std::size_t>(n), ", fixed rate %s/s",
                    grouped(static_cast<std::uint64_t>(b.rate)).c_str());
    }
  }
  return load;
}

void print_text(const bench_result& r, const client_config& c, std::ostream& out) {
  char line[256];
  out << "asio_client bench: " << c.host << ":" << c.port << ", " << describe_load(c) << "\n";
  if (c.bench.idle) {
    std::snprintf(line, sizeof line, "held       %s connections (opened in %.2f s), errors %llu\n",
                  grouped(r.connections_held).c_str(), r.connect_time.count(),
                  static_cast<unsigned long long>(r.errors));
    out << line;
  } else {
    const char* unit = c.bench.connect_per_request ? "connections/s" : "msg/s";
    std::snprintf(line, sizeof line, "answered   %s in %.2f s: %s %s, %.1f MB/s, errors %llu\n",
                  grouped(r.answered).c_str(), r.elapsed.count(),
                  grouped(static_cast<std::uint64_t>(r.per_second())).c_str(), unit,
                  r.elapsed.count() > 0 ? double(r.payload_bytes) / 1e6 / r.elapsed.count() : 0.0,
                  static_cast<unsigned long long>(r.errors));
    out << line;
    const auto& h = r.latency;
    out << "latency    p50 " << duration_text(h.percentile(50)) << ", p90 "
        << duration_text(h.percentile(90)) << ", p99 " << duration_text(h.percentile(99))
        << ", p99.9 " << duration_text(h.percentile(99.9)) << ", max " << duration_text(h.max())
        << (c.bench.rate > 0 ? " (from when each request was due)" : "") << "\n";
  }
  if (c.reconnect) {
    out << "reconnects " << r.reconnects << ", requests sent again " << r.resends
        << ", slowest second " << grouped(static_cast<std::uint64_t>(r.min_1s_per_second))
        << " msg/s\n";
  }
  if (!r.first_error.empty()) out << "first error: " << r.first_error << "\n";
  out.flush();
}

void print_json(const bench_result& r, const client_config& c, std::ostream& out) {
  const auto& b = c.bench;
  const auto& h = r.latency;
  boost::json::object o{
      {"host", c.host},
      {"port", c.port},
      {"load", describe_load(c)},
      {"mode", b.idle                  ? "idle"
               : b.connect_per_request ? "connect-per-request"
               : b.rate > 0            ? "fixed-rate"
                                       : "closed-loop"},
      {"type", c.raw ? "raw" : std::string(proto::type_name(static_cast<std::uint8_t>(b.type)))},
      {"connections", b.connections},
      {"depth", b.depth},
      {"size", b.size},
      {"rate", b.rate},
      {"seconds", r.elapsed.count()},
      {"answered", r.answered},
      {"per_second", r.per_second()},
      {"mb_per_second",
       r.elapsed.count() > 0 ? double(r.payload_bytes) / 1e6 / r.elapsed.count() : 0.0},
      {"errors", r.errors},
      {"first_error", r.first_error},
      {"latency_us",
       {{"p50", micros(h.percentile(50))},
        {"p90", micros(h.percentile(90))},
        {"p99", micros(h.percentile(99))},
        {"p99_9", micros(h.percentile(99.9))},
        {"max", micros(h.max())},
        {"mean", h.mean() / 1e3}}},
  };
  if (c.reconnect) {
    o["reconnects"] = r.reconnects;
    o["resends"] = r.resends;
  }
  if (!b.idle) o["min_1s_msgs_per_s"] = r.min_1s_per_second;
  if (b.idle) {
    o["connections_held"] = r.connections_held;
    o["connect_seconds"] = r.connect_time.count();
  }
  out << boost::json::serialize(o) << std::endl;
}

void print_result(const bench_result& r, const client_config& config, std::ostream& out) {
  if (config.bench.json) {
    print_json(r, config, out);
  } else {
    print_text(r, config, out);
  }
}

void print_progress(std::chrono::duration<double> since_start, std::uint64_t per_second,
                    const latency_histogram& last_second, std::uint64_t errors, bool warming_up,
                    std::ostream& out) {
  char line[160];
  std::snprintf(line, sizeof line, "\r%5.0f s %s %12s/s   p50 %-9s p99 %-9s errors %llu\033[K",
                since_start.count(), warming_up ? "(warm-up)" : "         ",
                grouped(per_second).c_str(), duration_text(last_second.percentile(50)).c_str(),
                duration_text(last_second.percentile(99)).c_str(),
                static_cast<unsigned long long>(errors));
  out << line << std::flush;
}

}  // namespace client
