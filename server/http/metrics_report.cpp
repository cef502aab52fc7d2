#include "http/metrics_report.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/version.hpp>
#include <charconv>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>

#include "cli_support.hpp"
#include "protocol.hpp"

namespace server::metrics {

std::uint64_t totals::open(link l) const noexcept {
  const auto i = static_cast<std::size_t>(l);
  // A scrape reads `closed` after `opened`, worker by worker, so it cannot
  // see more closed than opened for a worker; still, never wrap.
  return opened[i] >= closed[i] ? opened[i] - closed[i] : 0;
}

std::uint64_t totals::requests_total() const noexcept {
  std::uint64_t n = 0;
  for (auto r : requests) n += r;
  return n;
}

std::uint64_t totals::errors_total() const noexcept {
  std::uint64_t n = 0;
  for (auto e : errors) n += e;
  return n;
}

std::optional<double> totals::latency_quantile(double q) const noexcept {
  std::uint64_t count = 0;
  for (auto b : latency) count += b;
  if (count == 0) return std::nullopt;
  const double rank = q * static_cast<double>(count);
  std::uint64_t below = 0;
  const auto& bounds = latency_histogram::bounds;
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (static_cast<double>(below + latency[i]) >= rank && latency[i] != 0) {
      const double lower = i == 0 ? 0.0 : bounds[i - 1];
      const double within = (rank - static_cast<double>(below)) / static_cast<double>(latency[i]);
      return lower + (bounds[i] - lower) * within;
    }
    below += latency[i];
  }
  return bounds.back();  // in the +Inf bucket: the last bound is all that is known
}

totals sum(std::span<const worker_metrics* const> workers) noexcept {
  totals t;
  for (const worker_metrics* w : workers) {
    for (std::size_t i = 0; i < t.opened.size(); ++i) {
      t.opened[i] += w->opened[i].value();
      t.closed[i] += w->closed[i].value();
    }
    for (std::size_t i = 0; i < t.refused.size(); ++i) t.refused[i] += w->refused[i].value();
    for (std::size_t i = 0; i < t.requests.size(); ++i) {
      t.requests[i] += w->engine.requests[i].value();
    }
    for (std::size_t i = 0; i < t.errors.size(); ++i) t.errors[i] += w->engine.errors[i].value();
    t.bytes_in += w->bytes_in.value();
    t.bytes_out += w->bytes_out.value();
    for (std::size_t i = 0; i < t.latency.size(); ++i) t.latency[i] += w->latency.bucket(i);
    t.latency_sum_ns += w->latency.sum_ns();
  }
  return t;
}

namespace {

// What the process uses, from /proc (as Prometheus' own client libraries
// read it).
struct process_figures {
  double cpu_seconds = 0;
  double start_time_seconds = 0;  // since the Unix epoch
  std::uint64_t virtual_bytes = 0;
  std::uint64_t resident_bytes = 0;
  std::uint64_t open_fds = 0;
  std::uint64_t max_fds = 0;
};

process_figures read_process() {
  process_figures p;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::string text;
  {
    std::ifstream stat("/proc/self/stat");  // closed before the descriptors are counted
    text.assign(std::istreambuf_iterator<char>(stat), std::istreambuf_iterator<char>());
  }
  // The command name is in parentheses and may hold spaces: the fields
  // after it start at the last ')'; they are numbered from 3 (state).
  if (const auto close = text.rfind(')'); close != std::string::npos) {
    std::istringstream fields(text.substr(close + 2));
    std::string f;
    unsigned long long utime = 0, stime = 0, starttime = 0, vsize = 0;
    long long rss = 0;
    for (int field = 3; fields >> f; ++field) {
      if (field == 14) utime = std::stoull(f);
      if (field == 15) stime = std::stoull(f);
      if (field == 22) starttime = std::stoull(f);
      if (field == 23) vsize = std::stoull(f);
      if (field == 24) {
        rss = std::stoll(f);
        break;
      }
    }
    p.cpu_seconds = static_cast<double>(utime + stime) / ticks;
    p.virtual_bytes = vsize;
    p.resident_bytes = static_cast<std::uint64_t>(rss < 0 ? 0 : rss) *
                       static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    // starttime is in ticks since boot; btime is the boot's epoch time.
    std::ifstream machine("/proc/stat");
    for (std::string line; std::getline(machine, line);) {
      if (line.rfind("btime ", 0) == 0) {
        p.start_time_seconds = static_cast<double>(std::stoull(line.substr(6))) +
                               static_cast<double>(starttime) / ticks;
        break;
      }
    }
  }
  // Linux 6.2 and later say how many descriptors are open as the size of
  // /proc/self/fd, at once; reading the folder costs about 0.6 us a
  // descriptor, 6 ms with 10,000 connections open, so it is only the
  // fallback for older kernels (and gVisor).
  struct stat fd_dir {};
  if (::stat("/proc/self/fd", &fd_dir) == 0 && fd_dir.st_size > 0) {
    p.open_fds = static_cast<std::uint64_t>(fd_dir.st_size);
  } else if (DIR* fds = ::opendir("/proc/self/fd")) {
    while (const dirent* e = ::readdir(fds)) {
      if (e->d_name[0] != '.') ++p.open_fds;
    }
    ::closedir(fds);
    if (p.open_fds != 0) --p.open_fds;  // the one opendir() holds
  }
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) p.max_fds = limit.rlim_cur;
  return p;
}

class exposition {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  template <typename Value>
  void sample(std::string_view name, std::string_view labels, Value v) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      out_ += labels;
      out_ += '}';
    }
    out_ += ' ';
    if constexpr (std::is_floating_point_v<Value>) {
      char buf[32];  // the shortest text that reads back as the same double
      const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
      out_.append(buf, end);
    } else {
      out_ += std::to_string(v);
    }
    out_ += '\n';
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// key="value"[,key="value"]: our own label values, with no quote,
// backslash or newline to escape.
std::string label(std::string_view key, std::string_view value, std::string_view key2 = {},
                  std::string_view value2 = {}) {
  std::string s;
  s.reserve(64);
  s.append(key).append("=\"").append(value).append("\"");
  if (!key2.empty()) s.append(",").append(key2).append("=\"").append(value2).append("\"");
  return s;
}

constexpr std::array<std::string_view, error_codes> error_reasons{
    "malformed_frame", "frame_too_large", "unknown_type", "server_busy", "shutting_down"};

double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

std::string prometheus_text(const totals& t, const report_context& c) {
  exposition e;
  e.family("asio_server_connections_open", "gauge", "Connections open now, by transport.");
  for (std::size_t i = 0; i < link_names.size(); ++i) {
    e.sample("asio_server_connections_open", label("transport", link_names[i]),
             t.open(static_cast<link>(i)));
  }
  e.family("asio_server_connections_total", "counter",
           "Connections accepted since the server started, by transport (a WebSocket is also "
           "counted as the HTTP connection it was upgraded from).");
  for (std::size_t i = 0; i < link_names.size(); ++i) {
    e.sample("asio_server_connections_total", label("transport", link_names[i]), t.opened[i]);
  }
  e.family("asio_server_connections_refused_total", "counter",
           "Connections refused or closed by the server to protect itself, by reason.");
  for (std::size_t i = 0; i < refusal_names.size(); ++i) {
    e.sample("asio_server_connections_refused_total", label("reason", refusal_names[i]),
             t.refused[i]);
  }
  e.family("asio_server_requests_total", "counter",
           "Protocol requests answered, on every transport, by type (raw: a plain-bytes peer's "
           "message; echo_mode: a chunk under --mode echo).");
  for (std::size_t i = 0; i < request_names.size(); ++i) {
    e.sample("asio_server_requests_total", label("type", request_names[i]), t.requests[i]);
  }
  e.family("asio_server_errors_total", "counter", "ERROR frames sent, by code (PROTOCOL.md).");
  for (std::size_t i = 0; i < error_codes; ++i) {
    e.sample("asio_server_errors_total",
             label("code", std::to_string(i + 1), "reason", error_reasons[i]), t.errors[i]);
  }
  e.family("asio_server_received_bytes_total", "counter",
           "Protocol bytes received (after TLS decryption).");
  e.sample("asio_server_received_bytes_total", "", t.bytes_in);
  e.family("asio_server_sent_bytes_total", "counter",
           "Protocol bytes sent (before TLS encryption).");
  e.sample("asio_server_sent_bytes_total", "", t.bytes_out);

  e.family("asio_server_request_duration_seconds", "histogram",
           "Time from the read that brought a request in to its reply written to the socket.");
  std::uint64_t cumulative = 0;
  char le[32];
  for (std::size_t i = 0; i < latency_histogram::bounds.size(); ++i) {
    cumulative += t.latency[i];
    std::snprintf(le, sizeof le, "%g", latency_histogram::bounds[i]);
    e.sample("asio_server_request_duration_seconds_bucket", label("le", le), cumulative);
  }
  cumulative += t.latency.back();
  e.sample("asio_server_request_duration_seconds_bucket", label("le", "+Inf"), cumulative);
  e.sample("asio_server_request_duration_seconds_sum", "",
           static_cast<double>(t.latency_sum_ns) / 1e9);
  e.sample("asio_server_request_duration_seconds_count", "", cumulative);

  e.family("asio_server_draining", "gauge",
           "1 from the moment a drain starts (SIGTERM): /readyz answers 503.");
  e.sample("asio_server_draining", "", c.draining ? 1 : 0);
  e.family("asio_server_buffered_bytes", "gauge",
           "Memory connections hold between reads, charged to --max-buffered-bytes.");
  e.sample("asio_server_buffered_bytes", "", c.buffered_bytes);
  e.family("asio_server_buffered_bytes_limit", "gauge", "--max-buffered-bytes.");
  e.sample("asio_server_buffered_bytes_limit", "", c.buffered_limit);
  e.family("asio_server_uptime_seconds", "gauge", "Seconds since the server started.");
  e.sample("asio_server_uptime_seconds", "", seconds(c.uptime));
  e.family("asio_server_build_info", "gauge", "The server's version; the value is always 1.");
  char boost[16];
  std::snprintf(boost, sizeof boost, "%d.%d", BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000);
  std::string info = label("version", cli::version(), "protocol", std::to_string(proto::version));
  info.append(",boost=\"").append(boost).append("\"");
  e.sample("asio_server_build_info", info, 1);

  const process_figures p = read_process();
  e.family("process_cpu_seconds_total", "counter",
           "Total user and system CPU time spent in seconds.");
  e.sample("process_cpu_seconds_total", "", p.cpu_seconds);
  e.family("process_open_fds", "gauge", "Number of open file descriptors.");
  e.sample("process_open_fds", "", p.open_fds);
  e.family("process_max_fds", "gauge", "Maximum number of open file descriptors.");
  e.sample("process_max_fds", "", p.max_fds);
  e.family("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
  e.sample("process_virtual_memory_bytes", "", p.virtual_bytes);
  e.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
  e.sample("process_resident_memory_bytes", "", p.resident_bytes);
  e.family("process_start_time_seconds", "gauge",
           "Start time of the process since unix epoch in seconds.");
  e.sample("process_start_time_seconds", "", p.start_time_seconds);
  return e.take();
}

std::string stats_json(const totals& t, const report_context& c) {
  namespace json = boost::json;
  json::object open;
  for (std::size_t i = 0; i < link_names.size(); ++i) {
    open[link_names[i]] = t.open(static_cast<link>(i));
  }
  json::object latency;
  const auto p50 = t.latency_quantile(0.5);
  const auto p99 = t.latency_quantile(0.99);
  latency["p50"] = p50 ? json::value(*p50) : json::value(nullptr);
  latency["p99"] = p99 ? json::value(*p99) : json::value(nullptr);
  json::object o;
  o["version"] = cli::version();
  o["uptime_seconds"] = seconds(c.uptime);
  o["draining"] = c.draining;
  o["connections_open"] = std::move(open);
  o["requests_total"] = t.requests_total();
  o["errors_total"] = t.errors_total();
  o["bytes_in_total"] = t.bytes_in;
  o["bytes_out_total"] = t.bytes_out;
  o["latency_seconds"] = std::move(latency);
  return json::serialize(o) + "\n";
}

}  // namespace server::metrics
