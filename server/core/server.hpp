// The server: N workers (one io_context and thread each, see worker.hpp), an
// acceptor on worker 0, and the shutdown sequence.
//
// Shutdown (SIGINT, SIGTERM or stop()): the acceptor closes, every session
// answers what it has read, sends GOAWAY and closes gracefully; run() returns
// when the last session is gone, or when --drain-timeout expires and the rest
// are closed. A second signal closes the rest at once. SIGHUP reloads
// (reload(), below); SIGUSR1 reopens the log file. If the accept loop fails, or an exception
// escapes a handler (a bug either way), the error is logged and the server drains and returns 70.
#pragma once

#include <atomic>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/listen_address.hpp"
#include "core/server_config.hpp"
#include "core/worker.hpp"
#include "tls/tls_context_ptr.hpp"

namespace server {

class listener;

class server {
 public:
  explicit server(server_config config);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  struct listening {
    transport kind;
    std::string name;  // as in "listening on NAME": 127.0.0.1:8080, tls://..., unix:PATH
    std::uint16_t port;
  };
  // Opens every listener (--listen, or the one TCP listener of --bind and
  // --port), with the real port when asked for port 0; or, under systemd's
  // socket activation, serves the sockets it passed instead. Throws
  // listen_error ("cannot listen on ...") or, for TLS settings that cannot
  // be loaded, cli::failure.
  std::vector<listening> listen();

  // Serves until shut down: worker 0 on the calling thread, the others on
  // threads of their own. Returns the exit status: 0 after a drain, 70 after
  // an internal error.
  int run();
  // Serves on threads of its own, worker 0's too, and returns at once.
  // Destroying the server then closes whatever is still open, without a
  // drain.
  void start();

  // Starts the graceful shutdown; a second call closes what is left. Safe
  // from any thread.
  void stop();

  struct totals {
    std::uint64_t connections = 0;
    std::uint64_t requests = 0;
    std::size_t force_closed = 0;
  };
  // Valid after run() returned.
  totals summary() const;
  int exit_status() const noexcept { return status_.load(); }
  // What connections hold between reads now (see memory_budget.hpp).
  std::size_t buffered_bytes() const noexcept { return shared_.budget.used(); }
  std::size_t live_connections() const noexcept { return shared_.tracker.live(); }

 private:
  void spawn_listeners();
  void wait_for_signal();
  // SIGHUP: the config read again (config_.reload). Applied: the log level,
  // and for new connections the greeting, limits and timeouts, and for new
  // handshakes the TLS files; what needs a restart (listeners, threads,
  // --mode, --backlog, --reuse-port, --unix-mode, --max-buffered-bytes) is
  // logged as such and stays. A config or certificate that fails to load:
  // an error line, and nothing changes. On worker 0.
  void reload();
  void ping_watchdog(std::chrono::microseconds every);
  void begin_drain();   // on worker 0
  void finish_drain();  // on worker 0
  void force_close_all();
  // A bug somewhere: log it, drain, and make run() return 70.
  void fail(std::exception_ptr e, std::string_view where) noexcept;

  // Declared in the order of their lifetimes (members are destroyed in
  // reverse): what sessions touch, the config, the TLS context and the
  // shared state, outlives the workers, whose io_contexts destroy the
  // sessions still in them. The destructor ends the rest in an order of its
  // own: the listeners, the signals and the drain timer, bound to worker 0's
  // io_context, go before it, and worker 0 before the others, since its
  // accept loops hold sockets bound to theirs.
  server_config config_;
  std::atomic<bool> destroying_{false};
  tls_context_ptr tls_;  // when a tls:// listener needs it
  shared_state shared_;
  std::vector<std::unique_ptr<worker>> workers_;
  std::vector<std::unique_ptr<listener>> listeners_;
  std::optional<boost::asio::signal_set> signals_;
  std::optional<boost::asio::steady_timer> drain_timer_;
  std::optional<boost::asio::steady_timer> watchdog_timer_;  // WatchdogSec: WATCHDOG=1 pings
  std::atomic<std::size_t> force_closed_{0};                 // added to by every worker
  std::atomic<int> status_{0};
  // Worker 0's thread only:
  bool draining_ = false;
  bool drained_ = false;
  bool has_tls_ = false;  // a TLS listener: a reload loads the TLS files again
};

}  // namespace server
