// The session's side of the watchdog (core/watchdog.hpp) and the worker:
// how a session is drained, closed, and looked at when a deadline may have
// passed. These only interrupt the wait the coroutine is in; the coroutine
// (session_loop.hpp) then decides from its state and the clock what that
// means.
#pragma once

#include <algorithm>

#include "core/socket_setup.hpp"
#include "session/session.hpp"

namespace server {

template <typename Stream>
void session<Stream>::go_away() {
  // Only a wait for requests is interrupted: a write in progress finishes
  // first, and the loop sees the drain before it reads again.
  const activity doing = state_.doing();
  if ((doing == activity::reading && state_.current() != phase::closing) ||
      doing == activity::waiting_for_memory) {
    interrupt();
  }
}

template <typename Stream>
void session<Stream>::force_close() {
  boost::system::error_code ignored;
  stream_.close(ignored);
}

template <typename Stream>
steady_clock::time_point session<Stream>::watch(steady_clock::time_point now, bool tight) {
  const activity doing = state_.doing();
  if (doing == activity::working) return state_.deadline();  // it will look itself
  if (doing == activity::waiting_for_memory) {
    if (!tight || state_.expired(now)) interrupt();
    return std::min(state_.deadline(), now + watchdog::memory_look);
  }
  if (doing == activity::writing) {
    const bool stalled = tight && buffers_.out.size() >= session_buffers::small_holding &&
                         state_.stalled_for(now, settings_->timeouts.budget_grace);
    // Our write waits for room in the kernel's buffer, which a large buffer
    // gives back in large steps: the peer may be taking bytes all along.
    // Progress is what left the kernel, so ask it before giving up.
    if ((stalled || state_.expired(now)) && took_some(now)) return state_.deadline();
    if (stalled) {
      // Memory is short and this peer holds replies it does not take: it
      // goes first, before connections that are still being served.
      interrupt();
      return steady_clock::time_point::max();
    }
  }
  const bool reading = doing == activity::reading;
  const bool holds_too_much = tight && buffers_.in.size() >= session_buffers::small_holding;
  if (state_.expired(now) ||
      (reading && (buffers_.should_cool_down(now, tight) || holds_too_much))) {
    interrupt();  // the coroutine looks at the clock and the budget itself
    return steady_clock::time_point::max();
  }
  if (buffers_.busy()) return std::min(state_.deadline(), buffers_.cool_down_at());
  return state_.deadline();
}

template <typename Stream>
void session<Stream>::interrupt() noexcept {
  boost::system::error_code ignored;
  stream_.cancel(ignored);
}

template <typename Stream>
std::size_t session<Stream>::pending_frame_size() const noexcept {
  if (buffers_.in.empty() || engine_.kind() != peer_kind::framed) return 0;
  return proto::decode_frame(buffers_.in.readable(), UINT32_MAX).needed;
}

template <typename Stream>
bool session<Stream>::took_some(steady_clock::time_point now) noexcept {
  const auto unacked = static_cast<std::uint32_t>(unacknowledged_bytes(fd()));
  if (unacked >= unacked_) return false;
  unacked_ = unacked;
  state_.wrote(now);
  return true;
}

}  // namespace server
