#include "core/worker.hpp"

#include <algorithm>
#include <cassert>

namespace server {

session_settings::session_settings(const server_config& c)
    : config(c),
      engine{config.max_frame, config.greeting, config.mode == service_mode::echo},
      timeouts{config.handshake_timeout, config.idle_timeout,   config.frame_timeout,
               config.write_timeout,     config.linger_timeout, config.budget_grace} {}

shared_state::shared_state(const server_config& c, std::function<void()> on_drained)
    : config(c),
      first_settings(std::make_shared<const session_settings>(c)),
      tracker(std::move(on_drained)),
      budget(c.max_buffered_bytes) {}

shared_state::~shared_state() {
  assert(tracker.live() == 0 && "a session outlived the server's shared state");
  assert(budget.used() == 0 && "a session outlived the server's memory budget");
}

worker::worker(unsigned index, shared_state& shared,
               std::function<void(std::exception_ptr)> on_failure)
    : index_(index),
      shared_(shared),
      on_failure_(std::move(on_failure)),
      settings_(shared.first_settings),
      read_scratch_(std::make_unique_for_overwrite<std::byte[]>(read_scratch_size)),
      keep_running_(context_.get_executor()),
      watchdog_(context_, [this](steady_clock::time_point now) { return look_at_sessions(now); }) {
  reply_scratch_.reserve(read_scratch_size);
}

worker::~worker() { join(); }

void worker::start_thread() {
  thread_ = std::thread([this] { run(); });
}

void worker::join() {
  if (thread_.joinable()) thread_.join();
}

void worker::run() {
  // Sessions and the accept loop catch their own exceptions; anything that
  // reaches here escaped a completion handler, which is a bug: say so and
  // let the server stop, rather than go on in a state nobody knows.
  for (;;) {
    try {
      context_.run();
      return;
    } catch (...) {
      on_failure_(std::current_exception());
    }
  }
}

void worker::attach(worker_session& s) { sessions_.push_back(s); }

void worker::detach(worker_session& s) noexcept {
  s.unlink();
  // The last session of a drain: nothing left to watch, so the io_context
  // runs out of work and run() returns.
  if (draining_ && sessions_.empty()) watchdog_.stop();
}

void worker::begin_drain() {
  draining_ = true;
  // With --http, HTTP connections are served until the process exits
  // (close_http_connections()); without it, nothing more will arrive.
  if (!shared_.config.http) keep_running_.reset();
  if (sessions_.empty()) watchdog_.stop();
  // go_away() never unlinks synchronously, so iterating is safe.
  for (auto& s : sessions_) s.go_away();
}

void worker::close_http_connections() noexcept {
  http_stopped_ = true;
  keep_running_.reset();
  // close() cancels; each coroutine unlinks itself when it ends, later.
  for (auto& c : http_connections_) c.close();
}

void worker::http_closed() noexcept { shared_.http_live.fetch_sub(1, std::memory_order_relaxed); }

void worker::http_reading(http_connection& c, bool reading) noexcept {
  const bool was = c.reading_since != steady_clock::time_point::max();
  if (reading == was) return;
  c.reading_since = reading ? steady_clock::now() : steady_clock::time_point::max();
  if (!c.evicted) http_evictable_.fetch_add(reading ? 1 : -1, std::memory_order_relaxed);
}

bool worker::reserve_http_eviction() noexcept {
  long n = http_evictable_.load(std::memory_order_relaxed);
  while (n > 0 && !http_evictable_.compare_exchange_weak(n, n - 1, std::memory_order_relaxed)) {
  }
  return n > 0;
}

void worker::evict_http_connection() noexcept {
  http_connection* oldest = nullptr;
  for (auto& c : http_connections_) {
    if (!c.evicted && (oldest == nullptr || c.reading_since < oldest->reading_since)) oldest = &c;
  }
  if (oldest == nullptr || oldest->reading_since == steady_clock::time_point::max()) {
    // The connections that were reading have got their requests since:
    // the reservation goes back.
    http_evictable_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  oldest->evicted = true;  // the reservation stands for it from now on
  metrics_.refuse(metrics::refusal::http_evicted);
  oldest->close();
}

std::size_t worker::force_close_all() {
  std::size_t n = 0;
  for (auto& s : sessions_) {
    s.force_close();
    ++n;
  }
  return n;
}

steady_clock::time_point worker::look_at_sessions(steady_clock::time_point now) {
  const bool tight = shared_.budget.tight();
  // After a flood of large frames is refused or done, give its memory back.
  if (shared_.budget.worth_trimming()) shared_.trimmer.request();
  if (reply_scratch_.capacity() > reply_scratch_keep) {
    std::vector<std::byte>().swap(reply_scratch_);
    reply_scratch_.reserve(read_scratch_size);
  }
  auto next = steady_clock::time_point::max();
  for (auto& s : sessions_) next = std::min(next, s.watch(now, tight));
  // While connections hold much memory (over half the budget, or more than
  // a trim's worth), look often enough to take it back promptly when the
  // budget runs short, and to trim after it is given back. Not for what
  // idle connections hold (a WebSocket's buffer): that would walk
  // every session four times a second for as long as one is open.
  const auto& budget = shared_.budget;
  if (budget.used() > std::min(budget.limit() / 2, memory_budget::trim_step) &&
      !sessions_.empty()) {
    next = std::min(next, now + watchdog::memory_look);
  }
  return next;
}

}  // namespace server
