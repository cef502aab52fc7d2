// Counts live sessions across all worker threads and tells the server when
// the last one has closed during a drain. Shared by every worker's thread
// (as is the memory budget), so an atomic; the callback must be thread-safe.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <utility>

namespace server {

class session_tracker {
 public:
  explicit session_tracker(std::function<void()> on_drained) : on_drained_(std::move(on_drained)) {}

  void opened() noexcept { live_.fetch_add(1, std::memory_order_relaxed); }
  void closed() {
    if (live_.fetch_sub(1, std::memory_order_acq_rel) == 1 && draining_.load()) on_drained_();
  }
  // From now on, the last close calls on_drained (at once if none is open).
  // on_drained may thus run twice and must not mind.
  void begin_drain() {
    draining_.store(true);
    if (live_.load() == 0) on_drained_();
  }
  std::size_t live() const noexcept { return live_.load(std::memory_order_relaxed); }

  // A connection counted from the moment it is accepted until whatever
  // holds the ticket lets it go: the session that serves it, or, if that
  // session is never made (its io_context destroyed first, say), the
  // ticket itself.
  class ticket {
   public:
    explicit ticket(session_tracker& t) noexcept : tracker_(&t) { t.opened(); }
    ticket(ticket&& other) noexcept : tracker_(std::exchange(other.tracker_, nullptr)) {}
    ticket& operator=(ticket&&) = delete;
    ~ticket() {
      if (tracker_) tracker_->closed();
    }
    // The session took over the count: it calls closed() when it goes.
    void hand_over() noexcept { tracker_ = nullptr; }

   private:
    session_tracker* tracker_;
  };

 private:
  std::function<void()> on_drained_;
  std::atomic<std::size_t> live_{0};
  std::atomic<bool> draining_{false};
};

}  // namespace server
