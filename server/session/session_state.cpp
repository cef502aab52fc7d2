#include "session/session_state.hpp"

#include <algorithm>

namespace server {

std::string_view describe(phase p) noexcept {
  switch (p) {
    case phase::greeting:
      return "greeting";
    case phase::reading:
      return "reading";
    case phase::mid_frame:
      return "mid_frame";
    case phase::throttled:
      return "throttled";
    case phase::writing:
      return "writing";
    case phase::closing:
      return "closing";
  }
  return "?";
}

steady_clock::time_point saturating_add(steady_clock::time_point now,
                                        std::chrono::milliseconds d) noexcept {
  const auto room = steady_clock::time_point::max() - now;
  if (d <= std::chrono::milliseconds::zero()) return now;
  if (std::chrono::duration_cast<std::chrono::milliseconds>(room) <= d) {
    return steady_clock::time_point::max();
  }
  return now + d;
}

session_state::session_state(const session_timeouts& timeouts,
                             steady_clock::time_point now) noexcept
    : timeouts_(&timeouts),
      deadline_(saturating_add(now, timeouts.handshake)),
      last_answer_(now),
      frame_began_(now) {}

end_reason session_state::timeout_reason() const noexcept {
  switch (phase_) {
    case phase::greeting:
      return end_reason::handshake_timeout;
    case phase::reading:
      return end_reason::idle_timeout;
    case phase::mid_frame:
      // Whichever clock set the deadline.
      return deadline_ == saturating_add(last_answer_, timeouts_->idle) ? end_reason::idle_timeout
                                                                        : end_reason::frame_timeout;
    case phase::throttled:
      return end_reason::over_budget;
    case phase::writing:
      return end_reason::write_timeout;
    case phase::closing:
      break;
  }
  return end_reason::closed_by_server;  // closing: the linger is over, close
}

void session_state::read(steady_clock::time_point now, bool answered, bool partial) noexcept {
  const bool new_frame = answered || phase_ != phase::mid_frame;
  if (answered || phase_ == phase::greeting) last_answer_ = now;
  if (partial && new_frame) frame_began_ = now;
  wait_for_requests(partial);
}

void session_state::writing(steady_clock::time_point now) noexcept {
  phase_ = phase::writing;
  deadline_ = saturating_add(now, timeouts_->write);
  // The idle clock restarts when all is written; until then this remembers
  // when the frame clock stopped.
  last_answer_ = now;
}

void session_state::wrote(steady_clock::time_point now) noexcept {
  deadline_ = saturating_add(now, timeouts_->write);
}

void session_state::written(steady_clock::time_point now, bool partial) noexcept {
  frame_began_ += now - last_answer_;  // not read meanwhile: the frame's time stood still
  last_answer_ = now;
  wait_for_requests(partial);
}

void session_state::throttled(steady_clock::time_point now) noexcept {
  phase_ = phase::throttled;
  deadline_ = saturating_add(now, timeouts_->budget_grace);
}

void session_state::unthrottled(steady_clock::time_point now) noexcept {
  // Not read meanwhile, by the server's choice: neither clock ran.
  const auto since = std::min(now, deadline_ - timeouts_->budget_grace);
  frame_began_ += now - since;
  last_answer_ += now - since;
  wait_for_requests(true);
}

void session_state::closing(steady_clock::time_point now) noexcept {
  phase_ = phase::closing;
  deadline_ = saturating_add(now, timeouts_->linger);
}

void session_state::wait_for_requests(bool partial) noexcept {
  phase_ = partial ? phase::mid_frame : phase::reading;
  deadline_ = saturating_add(last_answer_, timeouts_->idle);
  if (partial) deadline_ = std::min(deadline_, saturating_add(frame_began_, timeouts_->frame));
}

}  // namespace server
