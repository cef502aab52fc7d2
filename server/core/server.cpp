#include "core/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <csignal>

#include "core/listener.hpp"
#include "exit_codes.hpp"
#include "failure.hpp"
#include "http/metrics_report.hpp"
#include "service/logging.hpp"
#include "service/systemd.hpp"
#include "tls/tls_context.hpp"

namespace server {

namespace asio = boost::asio;

server::server(server_config config)
    : config_(std::move(config)),
      shared_(config_,
              [this] {
                // The last session of a drain closed (on any worker's thread).
                if (destroying_.load()) return;
                asio::post(workers_[0]->context(), [this] { finish_drain(); });
              }),
      workers_([this, n = std::max(1u, config_.threads)] {
        std::vector<std::unique_ptr<worker>> w;
        for (unsigned i = 0; i < n; ++i) {
          w.push_back(std::make_unique<worker>(
              i, shared_, [this](std::exception_ptr e) { fail(e, "a completion handler"); }));
          shared_.worker_metrics.push_back(&w.back()->metrics());
        }
        return w;
      }()),
      drain_timer_(std::in_place, workers_[0]->context()) {
  if (config_.handle_signals) {
    signals_.emplace(workers_[0]->context(), SIGINT, SIGTERM, SIGHUP);
    signals_->add(SIGUSR1);
  }
}

server::~server() {
  destroying_.store(true);
  for (auto& w : workers_) {
    w->context().stop();
    w->join();
  }
  listeners_.clear();
  signals_.reset();
  drain_timer_.reset();
  watchdog_timer_.reset();
  for (auto& w : workers_) w.reset();  // worker 0 first
}

std::vector<server::listening> server::listen() {
  std::vector<listening> opened;
  if (auto passed = systemd::take_passed_sockets(); !passed.empty()) {
    spdlog::info("serving {} socket(s) passed by systemd (socket activation){}", passed.size(),
                 config_.listeners.empty() ? "" : "; --listen is not used");
    for (const auto& p : passed) {
      const transport kind = p.name == "tls" ? transport::tls : transport::tcp;
      if (kind == transport::tls) {
        if (config_.tls.cert_file.empty() || config_.tls.key_file.empty()) {
          throw cli::failure(
              cli::exit_code::usage,
              "systemd passed a socket named tls: it needs --tls-cert and --tls-key");
        }
        if (!tls_) tls_ = make_tls_context(config_.tls);
        has_tls_ = true;
      }
      listeners_.push_back(
          std::make_unique<listener>(p.fd, kind, config_, workers_[0]->context(), &tls_));
      opened.push_back(
          {listeners_.back()->kind(), listeners_.back()->name(), listeners_.back()->port()});
    }
    // Probes still reach --http, which systemd did not pass.
    if (config_.http) {
      listeners_.push_back(
          std::make_unique<listener>(*config_.http, config_, workers_[0]->context(), &tls_));
      opened.push_back({transport::http, listeners_.back()->name(), listeners_.back()->port()});
    }
    return opened;
  }
  std::vector<listen_address> where = config_.listeners;
  if (where.empty()) where.push_back({transport::tcp, config_.bind_address, config_.port, {}});
  if (config_.http) where.push_back(*config_.http);
  for (const auto& w : where) {
    if (w.kind == transport::tls) {
      if (!tls_) tls_ = make_tls_context(config_.tls);
      has_tls_ = true;
    }
  }
  for (const auto& w : where) {
    listeners_.push_back(std::make_unique<listener>(w, config_, workers_[0]->context(), &tls_));
    opened.push_back({w.kind, listeners_.back()->name(), listeners_.back()->port()});
  }
  return opened;
}

int server::run() {
  spawn_listeners();
  for (std::size_t i = 1; i < workers_.size(); ++i) workers_[i]->start_thread();
  workers_[0]->run();
  for (auto& w : workers_) w->join();
  return status_.load();
}

void server::start() {
  spawn_listeners();
  for (auto& w : workers_) w->start_thread();
}

void server::spawn_listeners() {
  if (signals_) wait_for_signal();
  if (const auto every = systemd::watchdog_interval()) {
    watchdog_timer_.emplace(workers_[0]->context());
    ping_watchdog(*every);
  }
  // An accept loop ends when its listener closes. If one ends any other way
  // the server could no longer take connections, so it stops, loudly.
  for (auto& l : listeners_) {
    asio::co_spawn(workers_[0]->context(), l->accept_connections(workers_),
                   [this](std::exception_ptr e) {
                     if (e) fail(e, "the accept loop");
                   });
  }
}

void server::stop() {
  asio::post(workers_[0]->context(), [this] {
    if (draining_) {
      force_close_all();
    } else {
      begin_drain();
    }
  });
}

void server::fail(std::exception_ptr e, std::string_view where) noexcept {
  status_.store(cli::exit_code::software);
  try {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      what = x.what();
    } catch (...) {
    }
    spdlog::error("{} failed: {}; shutting down", where, what);
    asio::post(workers_[0]->context(), [this] { begin_drain(); });
  } catch (...) {
    // Out of memory even for this: stop the workers outright.
    for (auto& w : workers_) w->context().stop();
  }
}

void server::wait_for_signal() {
  signals_->async_wait([this](boost::system::error_code ec, int signo) {
    if (ec) return;  // cancelled: the drain is over
    if (signo == SIGHUP) {
      reload();
    } else if (signo == SIGUSR1) {
      if (!has_log_file()) {
        spdlog::debug("SIGUSR1: ignored; there is no --log-file to reopen");
      } else if (const auto problem = reopen_log_file(); problem.empty()) {
        spdlog::info("SIGUSR1: log file reopened");
      } else {
        spdlog::error("SIGUSR1: cannot reopen the log file: {}", problem);
      }
    } else if (!draining_) {
      spdlog::info("{}: shutting down, draining {} connection(s) (up to {} s; again to force)",
                   signo == SIGINT ? "SIGINT" : "SIGTERM", shared_.tracker.live(),
                   std::chrono::duration<double>(workers_[0]->config().drain_timeout).count());
      begin_drain();
    } else {
      spdlog::warn("second signal: closing {} connection(s) now", shared_.tracker.live());
      force_close_all();
    }
    if (!drained_) wait_for_signal();  // drained: a last wait would keep run() from returning
  });
}

void server::begin_drain() {
  if (draining_) return;
  draining_ = true;
  systemd::notify("STOPPING=1\nSTATUS=draining");
  shared_.accepting.store(false, std::memory_order_relaxed);  // /readyz says 503 from now
  // The protocol's listeners stop at once (after taking what the kernel
  // already queued); HTTP answers /healthz and /readyz until the process
  // exits.
  for (auto& l : listeners_) {
    if (l->kind() != transport::http) l->stop_accepting();
  }
  for (auto& w : workers_) {
    asio::post(w->context(), [w = w.get()] { w->begin_drain(); });
  }
  drain_timer_->expires_after(workers_[0]->config().drain_timeout);
  drain_timer_->async_wait([this](boost::system::error_code ec) {
    if (ec || drained_) return;
    spdlog::warn("drain timeout: closing {} connection(s) still open", shared_.tracker.live());
    force_close_all();
  });
  shared_.tracker.begin_drain();
}

void server::finish_drain() {
  if (drained_ || !draining_) return;
  drained_ = true;
  // With the timer and the signal wait gone, every io_context runs out of
  // work and run() returns.
  drain_timer_->cancel();
  if (watchdog_timer_) watchdog_timer_->cancel();
  for (auto& l : listeners_) l->close();
  for (auto& w : workers_) {
    asio::post(w->context(), [w = w.get()] { w->close_http_connections(); });
  }
  if (signals_) signals_->cancel();
}

void server::force_close_all() {
  for (auto& w : workers_) {
    asio::post(w->context(), [this, w = w.get()] { force_closed_ += w->force_close_all(); });
  }
}

server::totals server::summary() const {
  const auto sum = metrics::sum(shared_.worker_metrics);
  totals t;
  for (auto l : {metrics::link::tcp, metrics::link::tls, metrics::link::unix_socket}) {
    t.connections += sum.opened[static_cast<std::size_t>(l)];
  }
  for (auto n : sum.requests) t.requests += n;
  t.force_closed = force_closed_.load();
  return t;
}

}  // namespace server
