// The send times of the requests in flight on one connection of --bench.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

namespace client {

using bench_clock = std::chrono::steady_clock;

// Send times of the requests in flight on one connection, by id, in a ring
// twice the depth: no allocation per request. Id 0 marks a free slot.
class in_flight_window {
 public:
  explicit in_flight_window(unsigned depth);
  bool has_room(std::uint32_t next_id) const noexcept {
    return count_ < depth_ && slots_[next_id & mask_].id == 0;
  }
  void put(std::uint32_t id, bench_clock::time_point sent) noexcept {
    slots_[id & mask_] = {id, sent};
    ++count_;
  }
  // The send time of `id`, which is no longer in flight; none if it was not.
  std::optional<bench_clock::time_point> take(std::uint32_t id) noexcept;
  bool empty() const noexcept { return count_ == 0; }
  std::size_t size() const noexcept { return count_; }
  // Whether a request with an id up to `last` is in flight.
  bool any_up_to(std::uint32_t last) const noexcept;
  // Empties the window: the send times of what was in flight, oldest first.
  std::vector<bench_clock::time_point> take_all();

 private:
  struct slot {
    std::uint32_t id = 0;
    bench_clock::time_point sent;
  };
  std::vector<slot> slots_;
  std::size_t mask_;
  std::size_t count_ = 0;
  std::size_t depth_;
};

}  // namespace client
