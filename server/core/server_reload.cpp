// SIGHUP: read the configuration again and apply what can change live;
// and the systemd watchdog's pings. Both run on worker 0.
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <exception>
#include <string>
#include <vector>

#include "core/server.hpp"
#include "failure.hpp"
#include "service/logging.hpp"
#include "service/systemd.hpp"
#include "tls/tls_context.hpp"

namespace server {

namespace asio = boost::asio;

namespace {

// Settings that only a restart changes: each one that differs is named, and
// put back as it runs.
std::vector<std::string> keep_what_needs_a_restart(const server_config& running,
                                                   server_config& fresh) {
  std::vector<std::string> kept;
  const auto keep = [&](const char* option, auto member) {
    if (!(fresh.*member == running.*member)) {
      kept.emplace_back(option);
      fresh.*member = running.*member;
    }
  };
  keep("--listen", &server_config::listeners);
  keep("--bind", &server_config::bind_address);
  keep("--port", &server_config::port);
  keep("--http", &server_config::http);
  keep("--threads", &server_config::threads);
  keep("--mode", &server_config::mode);
  keep("--backlog", &server_config::backlog);
  keep("--reuse-port", &server_config::reuse_port);
  keep("--proxy-protocol", &server_config::proxy_protocol);
  keep("--unix-mode", &server_config::unix_mode);
  keep("--max-buffered-bytes", &server_config::max_buffered_bytes);
  return kept;
}

}  // namespace

void server::reload() {
  if (!config_.reload) {
    spdlog::warn("SIGHUP: ignored; this server has no configuration to read again");
    return;
  }
  if (draining_) {
    spdlog::warn("SIGHUP: ignored while shutting down");
    return;
  }
  systemd::notify(systemd::reloading());
  const auto done = [] { systemd::notify("READY=1\nSTATUS=serving"); };
  reloaded r;
  try {
    config_.reload(r);
  } catch (const std::exception& e) {
    r.problem = e.what();
  }
  if (!r.config) {
    spdlog::error("SIGHUP: cannot reload: {}; the running configuration stays", r.problem);
    return done();
  }
  server_config fresh = std::move(*r.config);
  auto kept = keep_what_needs_a_restart(workers_[0]->config(), fresh);
  kept.insert(kept.end(), r.restart_only.begin(), r.restart_only.end());
  // New handshakes get the TLS files as they are now (a rotated
  // certificate); connections already made keep theirs.
  if (has_tls_) {
    try {
      tls_ = make_tls_context(fresh.tls);  // the old one stays if this throws
    } catch (...) {
      spdlog::error("SIGHUP: cannot reload: {}; the running configuration stays",
                    cli::describe(std::current_exception()).message);
      return done();
    }
  }
  set_log_level(r.log_level);
  fresh.handle_signals = config_.handle_signals;
  fresh.reload = config_.reload;
  auto settings = std::make_shared<const session_settings>(fresh);
  for (auto& w : workers_) {
    asio::post(w->context(), [w = w.get(), settings] { w->use(settings); });
  }
  std::string restart;
  for (const auto& k : kept) restart += (restart.empty() ? "" : ", ") + k;
  if (!restart.empty()) {
    spdlog::warn("SIGHUP: {} changed: needs a restart, and stays as it runs", restart);
  }
  spdlog::info(
      "SIGHUP: configuration reloaded (log level {}, max {} connections, idle timeout {} s{}); "
      "new connections use it",
      r.log_level, fresh.max_connections, std::chrono::duration<double>(fresh.idle_timeout).count(),
      has_tls_ ? ", TLS files loaded again" : "");
  done();
}

void server::ping_watchdog(std::chrono::microseconds every) {
  systemd::notify("WATCHDOG=1");
  watchdog_timer_->expires_after(every);
  watchdog_timer_->async_wait([this, every](boost::system::error_code ec) {
    if (!ec) ping_watchdog(every);
  });
}

}  // namespace server
