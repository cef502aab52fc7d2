// The session's side of the watchdog (core/watchdog.hpp): how a session is
// drained, closed, and looked at when its deadline may have passed. Included
// by session.ipp, whose coroutine decides what an interruption means.

template <typename Stream>
void session<Stream>::go_away() {
  // Only a wait for requests is interrupted: a write in progress finishes
  // first, and the loop sees the drain before it reads again.
  if ((waiting_ == waiting::to_read && state_.current() != phase::closing) ||
      waiting_ == waiting::for_memory) {
    interrupt();
  }
}

template <typename Stream>
void session<Stream>::force_close() {
  error_code ignored;
  stream_.close(ignored);
}

template <typename Stream>
steady_clock::time_point session<Stream>::watch(steady_clock::time_point now, bool tight) {
  if (waiting_ == waiting::nothing) return state_.deadline();  // it will look itself
  if (waiting_ == waiting::for_memory) {
    if (!tight || state_.expired(now)) interrupt();
    return std::min(state_.deadline(), now + watchdog::memory_look);
  }
  if (waiting_ == waiting::to_write) {
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
  const bool reading = waiting_ == waiting::to_read;
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
  error_code ignored;
  stream_.cancel(ignored);
}

template <typename Stream>
std::size_t session<Stream>::pending_frame_size() const noexcept {
  if (buffers_.in.empty() || engine_.kind() != peer_kind::framed) return 0;
  return proto::decode_frame(buffers_.in.readable(), UINT32_MAX).needed;
}

template <typename Stream>
bool session<Stream>::took_some(steady_clock::time_point now) noexcept {
  const std::uint32_t unsent = unsent_in_kernel();
  if (unsent >= unsent_) return false;
  unsent_ = unsent;
  state_.wrote(now);
  return true;
}

template <typename Stream>
std::uint32_t session<Stream>::unsent_in_kernel() noexcept {
  int unsent = 0;
  if (::ioctl(lowest(stream_).native_handle(), SIOCOUTQ, &unsent) != 0 || unsent < 0) return 0;
  return static_cast<std::uint32_t>(unsent);
}
