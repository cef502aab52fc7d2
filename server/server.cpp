#include "server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <csignal>

#include "listener.hpp"

namespace server {

namespace asio = boost::asio;

server::server(server_config config)
    : config_(std::move(config)),
      workers_([n = std::max(1u, config_.threads)] {
        std::vector<std::unique_ptr<worker>> w;
        for (unsigned i = 0; i < n; ++i) w.push_back(std::make_unique<worker>(i));
        return w;
      }()),
      acceptor_(workers_[0]->context()),
      drain_timer_(workers_[0]->context()),
      tracker_([this] { asio::post(workers_[0]->context(), [this] { finish_drain(); }); }) {
  if (config_.handle_signals) signals_.emplace(workers_[0]->context(), SIGINT, SIGTERM);
}

server::~server() {
  for (auto& w : workers_) {
    w->context().stop();
    w->join();
  }
}

asio::ip::tcp::endpoint server::listen() {
  open_listener(acceptor_, config_);
  return acceptor_.local_endpoint();
}

void server::run() {
  // The accept loop ends when the acceptor closes; anything it throws would
  // be a bug, and it is logged by the worker.
  asio::co_spawn(workers_[0]->context(), accept_connections(acceptor_, workers_, config_, tracker_),
                 asio::detached);
  if (signals_) wait_for_signal();
  for (std::size_t i = 1; i < workers_.size(); ++i) workers_[i]->start_thread();
  workers_[0]->run();
  for (auto& w : workers_) w->join();
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

void server::wait_for_signal() {
  signals_->async_wait([this](boost::system::error_code ec, int signo) {
    if (ec) return;  // cancelled: the drain is over
    if (!draining_) {
      spdlog::info("{}: shutting down, draining {} connection(s) (up to {} s; again to force)",
                   signo == SIGINT ? "SIGINT" : "SIGTERM", tracker_.live(),
                   std::chrono::duration<double>(config_.drain_timeout).count());
      begin_drain();
      wait_for_signal();
    } else {
      spdlog::warn("second signal: closing {} connection(s) now", tracker_.live());
      force_close_all();
    }
  });
}

void server::begin_drain() {
  if (draining_) return;
  draining_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  for (auto& w : workers_) {
    asio::post(w->context(), [w = w.get()] { w->begin_drain(); });
  }
  drain_timer_.expires_after(config_.drain_timeout);
  drain_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || drained_) return;
    spdlog::warn("drain timeout: closing {} connection(s) still open", tracker_.live());
    force_close_all();
  });
  tracker_.begin_drain();
}

void server::finish_drain() {
  if (drained_ || !draining_) return;
  drained_ = true;
  // With the timer and the signal wait gone, every io_context runs out of
  // work and run() returns.
  drain_timer_.cancel();
  if (signals_) signals_->cancel();
}

void server::force_close_all() {
  for (auto& w : workers_) {
    asio::post(w->context(), [this, w = w.get()] { force_closed_ += w->force_close_all(); });
  }
}

server::totals server::summary() const {
  totals t;
  for (const auto& w : workers_) {
    t.connections += w->connections;
    t.requests += w->requests;
  }
  t.force_closed = force_closed_.load();
  return t;
}

}  // namespace server
