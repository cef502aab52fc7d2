#include "core/watchdog.hpp"

#include <algorithm>

namespace server {

watchdog::watchdog(boost::asio::io_context& context,
                   std::function<clock::time_point(clock::time_point)> look)
    : timer_(context.get_executor()), look_(std::move(look)) {}

void watchdog::arm(clock::time_point when) {
  when = std::max(when, clock::now() + min_gap);
  next_look_ = when;
  timer_.expires_at(when);  // replaces a wait already pending
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;  // replaced by a sooner look, or stopped
    next_look_ = clock::time_point::max();
    const auto next = look_(clock::now());
    if (next < next_look_) arm(next);
  });
}

void watchdog::stop() {
  next_look_ = clock::time_point::max();  // the next due() arms it again
  timer_.cancel();
}

}  // namespace server
