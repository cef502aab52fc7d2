// The server-wide budget for the memory connections hold between reads:
// the start of frames whose rest has not arrived, replies their peers have
// not taken, and busy connections' read buffers. Without it, 4,000 peers
// that each send all but the last byte of a 1 MiB frame hold 4 GiB.
//
// Sessions charge what they hold and release it; a busy connection takes a
// read buffer of its own only when it fits(); when the budget is tight(),
// connections holding more than a few KiB stop being read, and those whose
// frames cannot go on are refused (see session.hpp). Shared by every
// worker's thread, so an atomic; it is touched when a session's buffers
// change size, not per request.
#pragma once

#include <atomic>
#include <cstddef>

namespace server {

class memory_budget {
 public:
  explicit memory_budget(std::size_t limit) noexcept : limit_(limit) {}
  memory_budget(const memory_budget&) = delete;
  memory_budget& operator=(const memory_budget&) = delete;

  void charge(std::size_t bytes) noexcept { used_.fetch_add(bytes, std::memory_order_relaxed); }
  void release(std::size_t bytes) noexcept { used_.fetch_sub(bytes, std::memory_order_relaxed); }

  // Whether `bytes` more would still be within the limit. Asked, then
  // charged, without a lock: threads asking at once may together go over
  // by what one step of each charges (a 64 KiB read at most), which the
  // limit can take; a lock on every buffer change could not be afforded.
  bool fits(std::size_t bytes) const noexcept { return used() + bytes <= limit_; }
  // Used up: from here on only the small holdings every connection may
  // have are allowed to grow.
  bool tight() const noexcept { return used() >= limit_; }

  std::size_t used() const noexcept { return used_.load(std::memory_order_relaxed); }

  // Whether much of what was held has been given back since the last time
  // this said so: then it is worth asking malloc to return the free memory
  // to the system, which it does not do by itself for memory in the middle
  // of its heaps. Any thread; cheap.
  bool worth_trimming() noexcept {
    const std::size_t now = used();
    std::size_t peak = peak_.load(std::memory_order_relaxed);
    while (now > peak && !peak_.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
    }
    if (peak < now + trim_step) return false;
    return peak_.compare_exchange_strong(peak, now, std::memory_order_relaxed);
  }
  static constexpr std::size_t trim_step = 32 * 1024 * 1024;
  std::size_t limit() const noexcept { return limit_; }

 private:
  const std::size_t limit_;
  std::atomic<std::size_t> used_{0};
  std::atomic<std::size_t> peak_{0};  // the most held since the last trim
};

// What one holder (an HTTP connection) has charged, kept equal to what it
// holds by set(), and released when it goes, however it goes.
class budget_hold {
 public:
  explicit budget_hold(memory_budget& budget) noexcept : budget_(budget) {}
  ~budget_hold() { budget_.release(held_); }
  budget_hold(const budget_hold&) = delete;
  budget_hold& operator=(const budget_hold&) = delete;

  void set(std::size_t bytes) noexcept {
    if (bytes > held_) budget_.charge(bytes - held_);
    if (bytes < held_) budget_.release(held_ - bytes);
    held_ = bytes;
  }
  std::size_t held() const noexcept { return held_; }

 private:
  memory_budget& budget_;
  std::size_t held_ = 0;
};

}  // namespace server
