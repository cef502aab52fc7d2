// A worker is one io_context and the one thread that runs it.
//
// Threading design: one io_context per thread ("one loop per thread", as in
// muduo), with the acceptor handing connections out round-robin. A session is
// created on its worker's io_context and never leaves it, so a session, its
// socket and its buffers are only ever touched by one thread and need no
// lock and no strand. We chose this over one shared io_context with a strand
// per session because the strand design pays for a lock or an atomic on
// every handler and moves sessions between cores, while this one costs
// nothing per operation; its price, an uneven spread when connections differ
// in weight, does not matter for a request/response server with short
// requests. The only cross-thread traffic is post() (thread-safe by Asio's
// contract), the acceptor's thread opening each socket on its worker's
// reactor (which Asio locks), the live-session count (session_tracker.hpp)
// and the memory budget (memory_budget.hpp), both atomics.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/intrusive/list.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "core/heap_trimmer.hpp"
#include "core/memory_budget.hpp"
#include "core/server_config.hpp"
#include "core/session_tracker.hpp"
#include "core/watchdog.hpp"
#include "http/http_session.hpp"
#include "protocol/metrics.hpp"
#include "protocol/protocol_engine.hpp"
#include "service/logging.hpp"
#include "session/session_state.hpp"

namespace server {

// What a worker needs of a session: to drain it, to close it, and to have
// it look at its deadlines. Sessions link themselves into their worker's
// list and unlink when they end (or, at the latest, when destroyed).
class worker_session : public boost::intrusive::list_base_hook<
                           boost::intrusive::link_mode<boost::intrusive::auto_unlink>> {
 public:
  // Stop waiting for requests; answer what was read, say GOAWAY, close.
  virtual void go_away() = 0;
  // Close now.
  virtual void force_close() = 0;
  // The watchdog's look at `now`: interrupt the wait the session is in if
  // its deadline passed (or, when memory is `tight`, if it holds more than
  // it may); returns when it wants the next look.
  virtual steady_clock::time_point watch(steady_clock::time_point now, bool tight) = 0;

 protected:
  ~worker_session() = default;
};

// What a reload (SIGHUP) can change: the settings a session starts with and
// keeps for its whole life. A reload makes new ones and hands them to every
// worker on the worker's own thread (post), so no lock; sessions already
// running keep theirs, which live as long as one of them does.
struct session_settings {
  explicit session_settings(const server_config& c);
  session_settings(const session_settings&) = delete;
  session_settings& operator=(const session_settings&) = delete;

  const server_config config;
  const engine_settings engine;  // its greeting views config's
  const session_timeouts timeouts;
};

// What all workers' sessions share, owned by the server, which outlives the
// workers (server.hpp).
struct shared_state {
  // `on_drained`: see session_tracker.
  shared_state(const server_config& config, std::function<void()> on_drained);
  // Every session is gone by now, or one would touch this after it went:
  // checked (in the debug and sanitizer builds) rather than hoped for.
  ~shared_state();
  shared_state(const shared_state&) = delete;
  shared_state& operator=(const shared_state&) = delete;

  const server_config& config;  // as the server started; see worker::settings() for the live ones
  const std::shared_ptr<const session_settings> first_settings;
  session_tracker tracker;
  memory_budget budget;
  heap_trimmer trimmer;  // malloc_trim off the I/O threads
  // For /readyz: false from the moment a drain starts (worker 0 writes it).
  std::atomic<bool> accepting{true};
  // HTTP connections open (--http), held to --max-connections apart from the
  // protocol's: they do not hold a drain.
  std::atomic<std::size_t> http_live{0};
  // Every worker's counts, for a scrape on any of them (set before any
  // thread starts), and when the server started, for its uptime.
  std::vector<const metrics::worker_metrics*> worker_metrics;
  const steady_clock::time_point started = steady_clock::now();
};

class worker {
 public:
  // `on_failure` is called (on this worker's thread) if an exception
  // escapes a handler, which would be a bug.
  worker(unsigned index, shared_state& shared, std::function<void(std::exception_ptr)> on_failure);
  ~worker();
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  boost::asio::io_context& context() noexcept { return context_; }
  unsigned index() const noexcept { return index_; }
  shared_state& shared() noexcept { return shared_; }
  // The settings new sessions start with: the latest reload's.
  const std::shared_ptr<const session_settings>& settings() const noexcept { return settings_; }
  const server_config& config() const noexcept { return settings_->config; }
  // A reload's new settings; on this worker's thread.
  void use(std::shared_ptr<const session_settings> s) noexcept { settings_ = std::move(s); }

  // Runs the io_context on a new thread; join() waits for it to return.
  void start_thread();
  void join();
  // Runs the io_context on the calling thread until it has no work left.
  void run();

  // The rest runs on this worker's thread only.
  void attach(worker_session& s);
  void detach(worker_session& s) noexcept;
  bool draining() const noexcept { return draining_; }
  // Every session says GOAWAY; run() returns once they are all gone.
  void begin_drain();
  // Closes every session still open; returns how many there were.
  std::size_t force_close_all();
  class watchdog& watchdog() noexcept {
    return watchdog_;
  }
  log_limiter& warnings() noexcept { return warnings_; }

  // HTTP connections (http_session.hpp). http_opened() on any thread (the
  // acceptor's), the rest on this worker's.
  void http_opened() noexcept { shared_.http_live.fetch_add(1, std::memory_order_relaxed); }
  void http_closed() noexcept;
  void attach(http_connection& c) { http_connections_.push_back(c); }
  // The process is exiting: close them, and any that arrive after.
  // (A WebSocket is a session: it said its goodbye during the drain.)
  void close_http_connections() noexcept;
  bool http_stopped() const noexcept { return http_stopped_; }
  // A connection waits for or reads a request (`reading`), or answers one.
  // Those that wait or read may be evicted: when HTTP connections fill
  // --max-connections, a new one closes the one that has waited longest,
  // so that a load balancer's probe is answered however many slow peers
  // hold connections. reserve_http_eviction() on any thread (the
  // acceptor's): true, and one such connection is set aside for
  // evict_http_connection(), to be posted to this worker.
  void http_reading(http_connection& c, bool reading) noexcept;
  bool reserve_http_eviction() noexcept;
  void evict_http_connection() noexcept;

  // Scratch memory for the one session running on this thread right now.
  // A session reads into `read_scratch` and builds its replies in
  // `reply_scratch` between two awaits, and leaves nothing there when it
  // awaits, so all sessions of a worker share them: an idle session holds no
  // buffer, and a busy one allocates nothing (the capacity stays here).
  static constexpr std::size_t read_scratch_size = 64 * 1024;
  std::span<std::byte> read_scratch() noexcept { return {read_scratch_.get(), read_scratch_size}; }
  std::vector<std::byte>& reply_scratch() noexcept { return reply_scratch_; }
  // Replies to one read grow the reply scratch past this only for large
  // frames; the watchdog's next look gives such a size back.
  static constexpr std::size_t reply_scratch_keep = 4 * read_scratch_size;

  // TLS handshakes in progress on this worker (tls/handshake_slot.hpp):
  // counted up by the accepting thread, down by this one.
  std::atomic<std::uint32_t>& tls_handshakes() noexcept { return tls_handshakes_; }

  // What this worker's sessions (and, on worker 0, the accept loops)
  // count: written on this worker's thread only, read by scrapes anywhere.
  metrics::worker_metrics& metrics() noexcept { return metrics_; }
  const metrics::worker_metrics& metrics() const noexcept { return metrics_; }

 private:
  using session_list =
      boost::intrusive::list<worker_session, boost::intrusive::constant_time_size<false>>;

  steady_clock::time_point look_at_sessions(steady_clock::time_point now);

  // Declared in the order of their lifetimes: what sessions touch comes
  // first, so that it outlives the io_context, whose destruction destroys
  // the sessions still in it; the watchdog's timer is last, since it must
  // go before its io_context.
  unsigned index_;
  metrics::worker_metrics metrics_;
  std::atomic<std::uint32_t> tls_handshakes_{0};
  shared_state& shared_;
  std::function<void(std::exception_ptr)> on_failure_;
  std::shared_ptr<const session_settings> settings_;
  std::unique_ptr<std::byte[]> read_scratch_;
  std::vector<std::byte> reply_scratch_;
  session_list sessions_;
  boost::intrusive::list<http_connection, boost::intrusive::constant_time_size<false>>
      http_connections_;
  bool http_stopped_ = false;
  // Connections reading and not evicted, less the evictions reserved.
  std::atomic<long> http_evictable_{0};
  log_limiter warnings_;
  bool draining_ = false;
  boost::asio::io_context context_{1};  // concurrency hint: one thread runs it
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> keep_running_;
  class watchdog watchdog_;
  std::thread thread_;
};

}  // namespace server
