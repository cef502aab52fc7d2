#include "session/session_buffers.hpp"

#include <algorithm>

namespace server {

void session_buffers::before_read(steady_clock::time_point now) {
  const bool tight = budget_->tight();
  // A busy buffer that would have to grow (for a large frame) grows only
  // within the budget; otherwise the connection reads as a quiet one.
  const bool must_grow = in.capacity() - in.size() < busy_read_;
  if (should_cool_down(now, tight) ||
      (busy_ && !always_busy_ && must_grow &&
       !budget_->fits(std::max<std::size_t>(busy_read_, in.capacity())))) {
    cool_down();
  }
}

std::span<std::byte> session_buffers::busy_space(std::size_t expected_total) {
  const auto space = in.prepare(busy_read_, expected_total);
  account();  // held from now on, while the read waits
  return space.first(std::min(space.size(), max_read));
}

void session_buffers::busy_read(std::size_t n) {
  in.commit(n);
  // A read that fills what it asked for says more was waiting: ask for more.
  if (n >= busy_read_ && busy_read_ < max_read && budget_->fits(busy_read_)) busy_read_ *= 2;
  account();
}

void session_buffers::keep(std::span<const std::byte> bytes, std::size_t expected_total) {
  auto space = in.prepare(bytes.size(), expected_total);
  std::copy(bytes.begin(), bytes.end(), space.begin());
  in.commit(bytes.size());
  account();
}

void session_buffers::queue_replies(std::span<const std::byte> replies) {
  auto space = out.prepare(replies.size());
  std::copy(replies.begin(), replies.end(), space.begin());
  out.commit(replies.size());
  account();
}

bool session_buffers::after_read(steady_clock::time_point now) {
  bool became_busy = false;
  if (!busy_) {
    if (in.empty()) in.release();  // a quiet connection keeps no buffer
    // Reads in a row, each soon after the last; a pause starts the count
    // again, so that a quiet connection never gets a buffer of its own.
    busy_streak_ = now - last_read_ < busy_gap ? busy_streak_ + 1 : 1;
    if (busy_streak_ >= reads_to_get_busy && budget_->fits(min_busy_read)) {
      busy_ = became_busy = true;
      busy_read_ = min_busy_read;
    }
  }
  last_read_ = now;
  account();
  return became_busy;
}

void session_buffers::replies_sent() {
  out.release();
  account();
}

void session_buffers::cool_down() {
  busy_ = always_busy_;
  busy_streak_ = 0;
  busy_read_ = always_busy_ ? first_always_busy_read : min_busy_read;
  in.shrink_to_fit();  // keeps the start of a frame, if any, at its size
  account();
}

void session_buffers::clear() {
  // Not busy any more either: the watchdog must not interrupt a goodbye's
  // linger to cool a buffer down that is gone.
  busy_ = always_busy_;
  busy_streak_ = 0;
  busy_read_ = always_busy_ ? first_always_busy_read : min_busy_read;
  in.consume(in.size());
  in.release();
  out.consume(out.size());
  out.release();
  account();
}

void session_buffers::account() noexcept {
  const std::size_t holding = in.capacity() + out.capacity();
  if (holding > charged_) {
    budget_->charge(holding - charged_);
  } else if (holding < charged_) {
    budget_->release(charged_ - holding);
  }
  charged_ = holding;
}

}  // namespace server
