// The one timer of a worker, watching the deadlines of all its sessions.
//
// Each session keeps its own deadline (session_state.hpp) as a plain time
// point; the watchdog wakes when the earliest of them is due, asks every
// session of the worker to look at its clock (worker_session::watch), and
// sleeps until the next one. A session whose deadline passed has the wait it
// is in interrupted; the session coroutine then sees why from its state.
//
// Why one timer per worker rather than one per connection: an idle
// connection then costs no timer and no pending timer operation (about
// 170 bytes each); no timer handler can outlive its session, since the
// watchdog only sees sessions still in its worker's list; and refreshing a
// deadline is a store, not a timer call. The price is a walk over the
// worker's sessions when something is due, which happens at most every
// `min_gap`, so deadlines are kept to within that.
#pragma once

#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>

namespace server {

class watchdog {
 public:
  using clock = std::chrono::steady_clock;
  // The longest a deadline may be overshot; also the shortest sleep.
  static constexpr std::chrono::milliseconds min_gap{50};
  // How often it looks while connections hold memory (memory_budget.hpp).
  static constexpr std::chrono::milliseconds memory_look{250};

  // `look` walks the sessions at `now` and returns when the next one is
  // due (clock::time_point::max() for never).
  watchdog(boost::asio::io_context& context,
           std::function<clock::time_point(clock::time_point)> look);

  // Something is due at `when`: make sure the watchdog looks by then. A
  // comparison and nothing more when it already does, as nearly always.
  void due(clock::time_point when) {
    if (when < next_look_) arm(when);
  }
  // No more looks until something is due again: nothing is left to watch,
  // and a pending wait would keep the worker's io_context running.
  void stop();

 private:
  void arm(clock::time_point when);

  boost::asio::basic_waitable_timer<clock, boost::asio::wait_traits<clock>,
                                    boost::asio::io_context::executor_type>
      timer_;
  std::function<clock::time_point(clock::time_point)> look_;
  clock::time_point next_look_ = clock::time_point::max();
};

}  // namespace server
