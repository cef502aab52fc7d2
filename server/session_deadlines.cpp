// The session's one timer, a watchdog over a single deadline (handshake,
// idle, write, then linger while closing) and, while the connection is hot,
// its cool-down. It is re-armed only when it fires, so no timer is touched
// per request.
#include <spdlog/spdlog.h>

#include "session.hpp"

namespace server {

using std::chrono::steady_clock;

void session::set_deadline(steady_clock::duration from_now) {
  const auto now = steady_clock::now();
  last_activity_ = now;
  const auto when = now + from_now;
  const bool sooner = when < deadline_;
  deadline_ = when;
  // A later deadline needs no timer call: the watchdog re-arms itself when
  // it wakes early. Only a sooner one (linger after idle) re-arms it now.
  if (!finished_ && (!watchdog_armed_ || sooner)) arm_watchdog();
}

void session::heat_up() {
  hot_ = true;
  // The watchdog may be asleep until the idle deadline; it must now also
  // wake when the connection has been quiet long enough to cool down.
  if (!finished_) arm_watchdog();
}

void session::arm_watchdog() {
  watchdog_armed_ = true;
  auto wake = deadline_;
  if (hot_ && !closing_ && !cooling_) {
    // Wake when it has been quiet for the cool-down; if it could not cool
    // then (a frame half in, or a write pending), look again a little later.
    const auto cool_at = last_activity_ + cool_down_after;
    wake = std::min(wake, std::max(cool_at, steady_clock::now() + cool_down_after / 4));
  }
  watchdog_.expires_at(wake);  // cancels a wait already pending
  watchdog_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec) return;  // replaced by a newer wait, or the session is over
    self->watchdog_armed_ = false;
    self->on_watchdog();
  });
}

void session::on_watchdog() {
  if (finished_) return;
  const auto now = steady_clock::now();
  if (hot_ && reading_ && !closing_ && !cooling_ && in_.empty() &&
      now >= last_activity_ + cool_down_after) {
    cooling_ = true;  // serve() gives the buffer back when the read is cancelled
    boost::system::error_code ignored;
    socket_.cancel(ignored);
  }
  if (deadline_ > now) {
    arm_watchdog();  // the deadline moved while we slept
    return;
  }
  timed_out_ = true;
  boost::system::error_code ignored;
  socket_.cancel(ignored);
}
}  // namespace server
