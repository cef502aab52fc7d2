// How a connection ends, once the session knows why (session_state.hpp's
// end_reason): what it says last, and the linger after it.
//
// The order, for a peer still there to hear it: the last words (GOAWAY,
// ERROR 4 or nothing), TLS's close_notify, a half-close, then reading and
// discarding until the peer closes or --linger-timeout passes. Closing with
// unread bytes in the receive queue would send a reset, and a reset can
// destroy replies the peer has not read yet.
#pragma once

#include <boost/asio/error.hpp>
#include <cstdint>
#include <span>

#include "asio_support.hpp"
#include "core/streams.hpp"
#include "core/watchdog.hpp"
#include "session/session_state.hpp"

namespace server {

enum class last_words : std::uint8_t {
  go_away,  // every request read is answered: GOAWAY names the last (framed peers)
  refuse,   // ERROR 4 for the frame the budget could not hold
  nothing,  // an ERROR went already, or nothing was asked: close gracefully
  none,     // the peer is gone, or will not be waited for: just close
};

// What a session says when it ends for `why`.
last_words last_words_for(end_reason why) noexcept;

// The half-close and the linger: reads into `sink` and discards until the
// peer closes or `state`'s closing deadline passes (the watchdog, told
// before each wait, interrupts it then).
template <typename Socket>
task<void> linger(Socket& socket, session_state& state, watchdog& dog, std::span<std::byte> sink) {
  boost::system::error_code ec;
  socket.shutdown(Socket::shutdown_send, ec);
  while (!ec && !state.expired(steady_clock::now())) {
    state.awaiting(activity::reading);
    dog.due(state.deadline());
    std::tie(ec) = co_await socket.async_wait(Socket::wait_read, net::tuple_op);
    state.awaiting(activity::working);
    if (ec) break;
    socket.read_some(boost::asio::buffer(sink.data(), sink.size()), ec);
    if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) ec.clear();
  }
}

}  // namespace server
