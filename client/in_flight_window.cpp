#include "in_flight_window.hpp"

#include <algorithm>
#include <bit>

namespace client {

in_flight_window::in_flight_window(unsigned depth)
    : slots_(std::bit_ceil(std::size_t{depth} * 2)), mask_(slots_.size() - 1), depth_(depth) {}

bool in_flight_window::any_up_to(std::uint32_t last) const noexcept {
  return std::any_of(slots_.begin(), slots_.end(),
                     [last](const slot& s) { return s.id != 0 && s.id <= last; });
}

std::vector<bench_clock::time_point> in_flight_window::take_all() {
  std::vector<bench_clock::time_point> sent;
  for (auto& s : slots_) {
    if (s.id != 0) sent.push_back(s.sent);
    s.id = 0;
  }
  count_ = 0;
  std::sort(sent.begin(), sent.end());
  return sent;
}

std::optional<bench_clock::time_point> in_flight_window::take(std::uint32_t id) noexcept {
  slot& s = slots_[id & mask_];
  if (s.id != id || id == 0) return std::nullopt;
  s.id = 0;
  --count_;
  return s.sent;
}

}  // namespace client
