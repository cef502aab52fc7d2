#include "in_flight_window.hpp"

namespace client {

in_flight_window::in_flight_window(unsigned depth) : book_(std::size_t{depth} * 2), depth_(depth) {}

bool in_flight_window::put(std::uint32_t id, bench_clock::time_point now) {
  if (book_.unsent_count() == 0) {
    book_.send(id, now);
    return false;
  }
  book_.send_next(id);  // timed from when it was first sent
  return true;
}

}  // namespace client
