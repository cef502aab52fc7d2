// What one connection holds between reads, and what that costs the server:
// the start of a frame still arriving (`in`), replies the peer has not taken
// yet (`out`) and, while the connection is busy, its own read buffer (which
// is `in` then). Every change in their size goes through here, so that the
// server's memory budget (memory_budget.hpp) always knows what is held.
//
// Quiet or busy: a quiet connection reads through its worker's scratch
// buffer and keeps nothing; once its reads keep coming (reads_to_get_busy
// in a row, each within busy_gap of the last) it reads into a buffer of its
// own, which spares Asio an epoll_ctl per wait, and gives it back after
// cool_down_after without a read, or at once when the budget runs short.
#pragma once

#include <algorithm>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/buffer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

#include "asio_support.hpp"
#include "core/memory_budget.hpp"
#include "core/streams.hpp"
#include "frame_buffer.hpp"
#include "session/session_state.hpp"

namespace server {

class session_buffers {
 public:
  // No read asks for more than this, so one read's replies are bounded and
  // a frame's buffer grows in steps of at most this.
  static constexpr std::size_t max_read = 64 * 1024;
  // A busy connection's buffer starts here and doubles while reads fill it.
  static constexpr std::size_t min_busy_read = 16 * 1024;
  // Where an always-busy (WebSocket) connection's buffer starts: it is held while
  // the connection idles, so small, and doubles like any other when reads
  // fill it.
  static constexpr std::size_t first_always_busy_read = 4 * 1024;
  // What any connection may keep of a frame even when the budget is used
  // up, so that small requests split across reads are always served.
  static constexpr std::size_t small_holding = 4 * 1024;
  static constexpr std::chrono::milliseconds busy_gap{10};
  static constexpr std::uint8_t reads_to_get_busy = 4;
  static constexpr std::chrono::seconds cool_down_after{1};

  // `always_busy`: reads always go into the connection's own buffer, which
  // is never given back while it lives (a WebSocket, see streams.hpp).
  session_buffers(memory_budget& budget, bool always_busy) noexcept
      : budget_(&budget),
        busy_read_(always_busy ? first_always_busy_read : min_busy_read),
        always_busy_(always_busy),
        busy_(always_busy) {}
  ~session_buffers() { budget_->release(charged_); }
  session_buffers(const session_buffers&) = delete;
  session_buffers& operator=(const session_buffers&) = delete;

  proto::frame_buffer in;
  proto::frame_buffer out;

  bool busy() const noexcept { return busy_; }
  // Before each wait for bytes: gives a busy buffer back if the connection
  // went quiet or the budget is short.
  void before_read(steady_clock::time_point now);
  // How much a read may take now: all it can, or when the budget is used
  // up, what fills the little every connection may hold (0: nothing until
  // there is room).
  std::size_t read_allowance() const noexcept {
    if (!budget_->tight()) return max_read;
    return small_holding - std::min(small_holding, in.size());
  }
  // Whether the watchdog should interrupt a busy read so that it cools down.
  bool should_cool_down(steady_clock::time_point now, bool tight) const noexcept {
    return busy_ && !always_busy_ && (tight || now - last_read_ >= cool_down_after);
  }
  steady_clock::time_point cool_down_at() const noexcept { return last_read_ + cool_down_after; }

  // The wait for the next bytes from `stream`, as one operation completing
  // with (error, bytes). Busy (and a completion stream, always): a read
  // into `in`, within what the budget allows now, landed by busy_read().
  // Quiet: a wait until readable, with no buffer, completing with 0 bytes;
  // the session then reads what came into its worker's scratch.
  // `expected_total` is the size of the frame `in` holds the start of.
  template <typename Stream>
  auto read(Stream& stream, std::size_t expected_total);

  // Where a busy read goes.
  std::span<std::byte> busy_space(std::size_t expected_total);
  // A busy read of `n` bytes landed in `in`.
  void busy_read(std::size_t n);
  // Keeps the start of a frame, growing `in` with its bytes toward the
  // frame's `expected_total`, never to what its header announces at once.
  void keep(std::span<const std::byte> bytes, std::size_t expected_total);
  // Keeps replies the peer has not taken.
  void queue_replies(std::span<const std::byte> replies);
  // After a read was answered at `now`; true when the connection just became
  // busy (the watchdog must then look for its cool-down).
  bool after_read(steady_clock::time_point now);
  void replies_sent();
  void cool_down();
  // Drops everything held.
  void clear();

 private:
  void account() noexcept;

  memory_budget* budget_;
  std::size_t charged_ = 0;
  steady_clock::time_point last_read_{};
  std::uint32_t busy_read_;
  std::uint8_t busy_streak_ = 0;
  bool always_busy_;
  bool busy_;
};

template <typename Stream>
auto session_buffers::read(Stream& stream, std::size_t expected_total) {
  namespace asio = boost::asio;
  using boost::system::error_code;
  return asio::async_initiate<decltype(net::tuple_op), void(error_code, std::size_t)>(
      [this, &stream, expected_total](auto handler) {
        if constexpr (stream_traits<Stream>::readiness_io) {
          if (!busy_) {
            // The one operation an idle connection keeps: memory of its size.
            stream.async_wait(Stream::wait_read,
                              asio::bind_allocator(
                                  net::exact_allocator<void>(),
                                  [h = std::move(handler)](error_code ec) mutable { h(ec, 0); }));
            return;
          }
        }
        const auto space = busy_space(expected_total);
        const std::size_t n = std::min(space.size(), read_allowance());
        stream.async_read_some(asio::buffer(space.data(), n), std::move(handler));
      },
      net::tuple_op);
}

}  // namespace server
