// A TLS connection as the session coroutine sees it: Asio's ssl::stream over
// a TCP socket, with the few names the session uses. TLS does its I/O by
// completion (streams.hpp): a read may need a write and the other way round,
// so it never reads or writes the socket without an asynchronous operation.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <utility>

#include "core/streams.hpp"
#include "session/session_state.hpp"
#include "tls/handshake_slot.hpp"

namespace server {

class tls_stream {
 public:
  tls_stream(tcp_stream socket, boost::asio::ssl::context& context, handshake_slot slot)
      : stream_(std::move(socket), context), slot_(std::move(slot)) {}

  template <typename Token>
  auto async_handshake(Token&& token) {
    return stream_.async_handshake(boost::asio::ssl::stream_base::server,
                                   std::forward<Token>(token));
  }
  template <typename Buffer, typename Token>
  auto async_read_some(const Buffer& buffer, Token&& token) {
    return stream_.async_read_some(buffer, std::forward<Token>(token));
  }
  template <typename Buffer, typename Token>
  auto async_write_some(const Buffer& buffer, Token&& token) {
    return stream_.async_write_some(buffer, std::forward<Token>(token));
  }
  // Sends close_notify and waits for the peer's; the caller bounds the wait.
  // Whatever the reason the connection ends for.
  template <typename Token>
  auto async_shutdown(end_reason, Token&& token) {
    return stream_.async_shutdown(std::forward<Token>(token));
  }

  bool is_open() const { return stream_.next_layer().is_open(); }
  void cancel(boost::system::error_code& ec) { stream_.next_layer().cancel(ec); }
  void close(boost::system::error_code& ec) { stream_.next_layer().close(ec); }
  tcp_stream& next_layer() noexcept { return stream_.next_layer(); }
  const tcp_stream& next_layer() const noexcept { return stream_.next_layer(); }

  // Handshake bytes have been exchanged (OpenSSL is past its first state).
  bool handshake_begun() noexcept { return ::SSL_in_before(stream_.native_handle()) == 0; }

  // The handshake completed: TLS records can be exchanged, and close_notify
  // said at the end.
  bool established = false;
  void handshake_done() noexcept {
    established = true;
    slot_.release();
  }

 private:
  boost::asio::ssl::stream<tcp_stream> stream_;
  handshake_slot slot_;  // released when the handshake is done, or with the stream
};

template <>
struct stream_traits<tls_stream> {
  static constexpr bool readiness_io = false;
  static constexpr bool waits_on_socket = true;
  static constexpr bool handshake = true;
  static constexpr const char* name = "TLS";
  static constexpr bool messages = false;
  static constexpr metrics::link link = metrics::link::tls;
  // close_notify (eof), or none: a peer that vanishes after a complete frame
  // is as normal as one that closes, as with plain TCP.
  static bool clean_end(const boost::system::error_code& ec) noexcept {
    return ec == boost::asio::error::eof || ec == boost::asio::ssl::error::stream_truncated;
  }
};

inline peer_name peer_of(const tls_stream& s) { return peer_of(s.next_layer()); }
inline tcp_stream& lowest(tls_stream& s) noexcept { return s.next_layer(); }

}  // namespace server
