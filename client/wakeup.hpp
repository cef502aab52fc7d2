// A condition variable for coroutines that share one thread: one waits
// until what it needs holds, another says when that may have changed.
// Like a condition variable it keeps no notification: wait_until() looks at
// its condition before it waits, and again after every wake. A wait also
// ends when the waiting coroutine is cancelled (the awaitable operators'
// ||), and one wakeup serves one waiter at a time.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "asio_support.hpp"

namespace client {

class wakeup {
 public:
  explicit wakeup(const boost::asio::any_io_executor& executor) : timer_(executor) {}

  // Waits for the next notify_all() (or a cancellation).
  boost::asio::awaitable<void> wait() {
    // A timer that never expires, cancelled to wake.
    timer_.expires_at(boost::asio::steady_timer::time_point::max());
    co_await timer_.async_wait(net::use_tuple);
  }
  // Returns once `ready()` is true; waits for notify_all() while it is not.
  template <typename Condition>
  boost::asio::awaitable<void> wait_until(Condition ready) {
    while (!ready()) co_await wait();
  }
  // Wakes the waiter, to look at its condition again.
  void notify_all() noexcept { timer_.cancel(); }

 private:
  boost::asio::steady_timer timer_;
};

}  // namespace client
