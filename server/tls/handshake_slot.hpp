// One TLS handshake in progress (--max-tls-handshakes): counted on its
// worker and charged to the memory budget from its accept until the
// handshake ends, however it ends (the slot is released with the stream).
//
// A handshake holds what OpenSSL reads of the ClientHello, up to the 128 KiB
// a ClientHello may announce (a stalled one: about 200 KB of RSS, measured),
// plus the TLS stream's own buffers, before anything can be asked of its
// peer; so the listener accepts a TLS connection only onto a worker with a
// free slot and while the budget has room for `charge`. The rest wait in
// the kernel's listen queue. The count is written by the accepting thread
// and by the worker (atomics, relaxed: it is a bound, not a handshake's
// state).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "core/memory_budget.hpp"

namespace server {

class handshake_slot {
 public:
  // What a handshake in progress is charged: about the worst one measured.
  static constexpr std::size_t charge = 200 * 1024;

  handshake_slot() noexcept = default;
  handshake_slot(std::atomic<std::uint32_t>& count, memory_budget& budget) noexcept
      : count_(&count), budget_(&budget) {
    count.fetch_add(1, std::memory_order_relaxed);
    budget.charge(charge);
  }
  handshake_slot(handshake_slot&& other) noexcept
      : count_(std::exchange(other.count_, nullptr)), budget_(other.budget_) {}
  handshake_slot& operator=(handshake_slot&& other) noexcept {
    if (this != &other) {
      release();
      count_ = std::exchange(other.count_, nullptr);
      budget_ = other.budget_;
    }
    return *this;
  }
  ~handshake_slot() { release(); }

  void release() noexcept {
    if (count_ == nullptr) return;
    count_->fetch_sub(1, std::memory_order_relaxed);
    budget_->release(charge);
    count_ = nullptr;
  }

 private:
  std::atomic<std::uint32_t>* count_ = nullptr;
  memory_budget* budget_ = nullptr;
};

}  // namespace server
