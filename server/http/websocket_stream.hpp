// A WebSocket (GET /ws, upgraded) as the session coroutine sees a stream,
// so that a WebSocket peer is served by the same session as TCP, Unix and
// TLS peers: the same state, deadlines, budget and goodbye.
//
// Beast's websocket::stream over the TCP socket, with completion I/O like
// TLS (streams.hpp): reads land in the session's own buffer, replies are
// queued and written asynchronously. One thing Beast (1.81) does not
// allow is what the watchdog and a drain do to every session: interrupt
// its read. Any error in a read, operation_aborted included, fails the
// whole stream, so that no GOAWAY or close frame could follow. So Beast's
// read runs underneath, into a small inbox, and an interruption completes
// only the session's wait for it. What differs is the message:
//  - in: a binary message carries whole frames of the protocol
//    (shared/PROTOCOL.md), a text message a plain-bytes peer's message; the
//    session feeds the engine a message once it is complete
//    (message_done()), and one that is not whole frames is closed with 1007.
//    A message over --max-frame (plus the header) is closed by Beast with
//    1009 before it is read.
//  - out: each reply frame goes as a message of its own; a plain-bytes or
//    echo peer's reply as one message (of at most 64 KiB, the session's
//    largest write) of the kind the peer sent.
//  - the goodbye: after GOAWAY (or ERROR 4), a close frame with the code for
//    why the connection ends: 1001 going away, 1013 try again later (the
//    memory budget), 1008 a malformed frame, 1007 a message that is not
//    whole frames.
#pragma once

#include <boost/asio/any_completion_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <memory>
#include <utility>

#include "core/server_config.hpp"
#include "core/streams.hpp"
#include "frame_codec.hpp"
#include "http/http_stream.hpp"
#include "session/session_state.hpp"

namespace server {

class worker;

class websocket_stream {
 public:
  // `upgrade`: the request that asked for it, answered by the handshake.
  websocket_stream(tcp_stream socket, http_request upgrade, const server_config& config);
  websocket_stream(websocket_stream&&) noexcept;
  ~websocket_stream();
  websocket_stream& operator=(websocket_stream&&) = delete;

  template <typename Token>
  auto async_handshake(Token&& token) {
    return ws_.async_accept(upgrade_, std::forward<Token>(token));
  }
  // Message bytes, as they come. Interrupting this read (cancel()) does
  // not disturb Beast's own read underneath, which would fail the whole
  // stream: that read goes on, and its bytes wait for the next call.
  template <typename Buffer, typename Token>
  auto async_read_some(const Buffer& buffer, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, boost::asio::mutable_buffer into) { read(into, std::move(handler)); },
        token, boost::asio::mutable_buffer(buffer));
  }
  // Completes when cancel() interrupts it (operation_aborted), or with
  // success when the connection fails: the session's wait for memory.
  template <typename Token>
  auto async_wait_error(Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
        [this](auto handler) { wait_error(std::move(handler)); }, token);
  }
  // Writes from the front of `buffer` what belongs to the message being
  // sent (a new one begins where the last ended).
  template <typename Token>
  auto async_write_some(const boost::asio::const_buffer& buffer, Token&& token) {
    if (message_left_ == 0) begin_message(buffer);
    const std::size_t n = std::min(buffer.size(), message_left_);
    message_left_ -= n;
    return ws_.async_write_some(message_left_ == 0, boost::asio::buffer(buffer.data(), n),
                                std::forward<Token>(token));
  }
  // The close frame for `why`, then the peer's close and the end of the
  // TCP connection (Beast's teardown); the caller bounds the wait.
  template <typename Token>
  auto async_shutdown(end_reason why, Token&& token) {
    return ws_.async_close(close_reason_for(why), std::forward<Token>(token));
  }

  // The message being read is complete: the last read ended it.
  bool message_done() const noexcept;
  // Beast's view, right after its read: that read ended a message.
  bool message_done_now() const noexcept { return ws_.is_message_done(); }

  bool is_open() const { return ws_.next_layer().is_open(); }
  // Interrupts the session's wait: a read or a wait for memory completes
  // with operation_aborted; anything else (a write, the close) is cancelled
  // on the socket, which ends the stream. The upgrade's answer is not
  // interrupted: it is a write of a few hundred bytes.
  void cancel(boost::system::error_code& ec);
  void close(boost::system::error_code& ec) { ws_.next_layer().close(ec); }
  tcp_stream& next_layer() noexcept { return ws_.next_layer(); }
  const tcp_stream& next_layer() const noexcept { return ws_.next_layer(); }

  // The upgrade request was read whole already: a drain lets it finish.
  bool handshake_begun() const noexcept { return true; }
  bool established = false;
  void handshake_done() noexcept {
    established = true;
    upgrade_ = {};  // not needed any more
  }

  // What Beast's read delivered and the session has not taken yet, and the
  // session's wait; shared with Beast's read, which may complete after the
  // stream is gone (when its socket is closed).
  struct inbox;

 private:
  using read_handler =
      boost::asio::any_completion_handler<void(boost::system::error_code, std::size_t)>;
  using wait_handler = boost::asio::any_completion_handler<void(boost::system::error_code)>;
  void read(boost::asio::mutable_buffer into, read_handler handler);
  void wait_error(wait_handler handler);
  void begin_message(const boost::asio::const_buffer& buffer);
  static boost::beast::websocket::close_reason close_reason_for(end_reason why);

  boost::beast::websocket::stream<tcp_stream> ws_;
  http_request upgrade_;
  std::shared_ptr<inbox> inbox_;
  std::size_t message_left_ = 0;  // bytes of the message being written still to go
};

template <>
struct stream_traits<websocket_stream> {
  static constexpr bool readiness_io = false;
  static constexpr bool handshake = true;
  static constexpr const char* name = "WebSocket";
  static constexpr bool messages = true;
  static constexpr metrics::link link = metrics::link::websocket;
  // The peer's close frame (answered by Beast), or a TCP end between
  // messages.
  static bool clean_end(const boost::system::error_code& ec) noexcept {
    return ec == boost::beast::websocket::error::closed || ec == boost::asio::error::eof;
  }
};

inline peer_name peer_of(const websocket_stream& s) { return peer_of(s.next_layer()); }
inline tcp_stream& lowest(websocket_stream& s) noexcept { return s.next_layer(); }

// Serves an upgraded connection on `owner`'s thread, as start_session()
// does for the other streams (websocket_session.cpp).
void start_websocket_session(tcp_stream socket, http_request upgrade, worker& owner);

}  // namespace server
