// A TLS connection as the session coroutine sees it: OpenSSL on the
// connection's own non-blocking socket (SSL_set_fd), driven by readiness
// like a plain socket, as nginx and HAProxy drive it. So the session serves
// it exactly as it serves TCP: a quiet connection waits for readable with
// no buffer, then reads through its worker's scratch (read_some), and
// replies go out with a non-blocking write (write_some); only what the
// socket does not take waits in the session's buffer.
//
// Why not Asio's ssl::stream: its engine keeps four 17 KiB buffers per
// connection from the start (its own input and output, and a BIO pair),
// which made an idle TLS connection cost 70 KB; here OpenSSL reads and
// writes the socket itself, and with SSL_MODE_RELEASE_BUFFERS an idle
// connection holds only OpenSSL's state. And nothing is ever left half
// done by a cancel: every OpenSSL call is synchronous and non-blocking, and
// only the waits between them are cancelled.
//
// One operation at a time: the session never reads and writes at once,
// which is what lets one `want_` say what OpenSSL waits for.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <cstddef>
#include <utility>

#include "core/streams.hpp"
#include "session/session_state.hpp"
#include "tls/handshake_slot.hpp"

namespace server {

class tls_stream {
 public:
  using wait_type = tcp_stream::wait_type;
  static constexpr wait_type wait_read = tcp_stream::wait_read;
  static constexpr wait_type wait_write = tcp_stream::wait_write;

  tls_stream(tcp_stream socket, boost::asio::ssl::context& context, handshake_slot slot);
  tls_stream(tls_stream&& other) noexcept;
  tls_stream& operator=(tls_stream&&) = delete;
  ~tls_stream();

  // Non-blocking, like a socket's: would_block when OpenSSL must wait for
  // the socket (then async_wait() waits for what it needs).
  std::size_t read_some(const boost::asio::mutable_buffer& buffer, boost::system::error_code& ec);
  std::size_t write_some(const boost::asio::const_buffer& buffer, boost::system::error_code& ec);

  // Until read_some() may have something: at once when OpenSSL holds bytes
  // of the peer's already (it reads ahead: one read() takes many records),
  // unless the last read found them to be only part of a record; else until
  // the socket is readable (writable, when OpenSSL must send something
  // first, such as a KeyUpdate's answer).
  template <typename Token>
  auto async_wait(wait_type, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
        [this](auto handler) {
          if (!drained_ && ::SSL_has_pending(ssl_) == 1) {
            auto ex = boost::asio::get_associated_executor(handler, socket_.get_executor());
            boost::asio::post(
                ex, [h = std::move(handler)]() mutable { h(boost::system::error_code{}); });
            return;
          }
          socket_.async_wait(want_ == want::write ? wait_write : wait_read, std::move(handler));
        },
        token);
  }
  template <typename Buffer, typename Token>
  auto async_read_some(const Buffer& buffer, Token&& token) {
    const boost::asio::mutable_buffer b(buffer);
    return run([this, b](boost::system::error_code& ec) { return read_some(b, ec); },
               std::forward<Token>(token));
  }
  template <typename Buffer, typename Token>
  auto async_write_some(const Buffer& buffer, Token&& token) {
    const boost::asio::const_buffer b(buffer);
    return run([this, b](boost::system::error_code& ec) { return write_some(b, ec); },
               std::forward<Token>(token));
  }
  template <typename Token>
  auto async_handshake(Token&& token) {
    return run_void(
        [this](boost::system::error_code& ec) {
          handshake_step(ec);
          return std::size_t{0};
        },
        std::forward<Token>(token));
  }
  // Sends close_notify and waits for the peer's; the caller bounds the
  // wait. Whatever the reason the connection ends for.
  template <typename Token>
  auto async_shutdown(end_reason, Token&& token) {
    return run_void(
        [this](boost::system::error_code& ec) {
          shutdown_step(ec);
          return std::size_t{0};
        },
        std::forward<Token>(token));
  }

  bool is_open() const { return socket_.is_open(); }
  void cancel(boost::system::error_code& ec) { socket_.cancel(ec); }
  void close(boost::system::error_code& ec) { socket_.close(ec); }
  tcp_stream& next_layer() noexcept { return socket_; }
  const tcp_stream& next_layer() const noexcept { return socket_; }

  // Handshake bytes have been exchanged (OpenSSL is past its first state).
  bool handshake_begun() noexcept { return ::SSL_in_before(ssl_) == 0; }

  // The handshake completed: TLS records can be exchanged, and close_notify
  // said at the end.
  bool established = false;
  void handshake_done() noexcept {
    established = true;
    drained_ = false;  // the first request may have come with the handshake's end
    slot_.release();
  }

 private:
  enum class want : unsigned char { nothing, read, write };

  void handshake_step(boost::system::error_code& ec);
  void shutdown_step(boost::system::error_code& ec);
  // After an OpenSSL call that returned `r` <= 0: would_block (and `want_`
  // set), eof for the peer's close_notify, stream_truncated for a close
  // without it, or the error.
  boost::system::error_code failure(int r);

  // One OpenSSL call, retried after each wait for what it wants, as one
  // asynchronous operation completing with (error, bytes), or (error) when
  // not `sized`. A call that completes at once completes through the
  // executor, never inside the initiating function.
  template <typename Step, bool sized>
  struct op {
    op(tls_stream& stream, Step first_step) : s(stream), step(std::move(first_step)) {}
    tls_stream& s;
    Step step;
    bool waited_once = false;
    bool posted = false;
    std::size_t n = 0;
    boost::system::error_code result;

    template <typename Self>
    void operator()(Self& self, boost::system::error_code waited = {}) {
      if (posted) return finish(self, result);
      if (waited) return finish(self, waited);  // interrupted, or the socket failed
      n = step(result);
      if (result == boost::asio::error::would_block) {
        waited_once = true;
        s.socket_.async_wait(s.want_ == want::write ? wait_write : wait_read, std::move(self));
        return;
      }
      if (!waited_once) {
        posted = true;
        boost::asio::post(s.socket_.get_executor(), std::move(self));
        return;
      }
      finish(self, result);
    }
    template <typename Self>
    void finish(Self& self, boost::system::error_code ec) {
      if constexpr (sized) {
        self.complete(ec, n);
      } else {
        self.complete(ec);
      }
    }
  };
  template <typename Step, typename Token>
  auto run(Step step, Token&& token) {
    return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        op<Step, true>(*this, std::move(step)), token, socket_);
  }
  template <typename Step, typename Token>
  auto run_void(Step step, Token&& token) {
    return boost::asio::async_compose<Token, void(boost::system::error_code)>(
        op<Step, false>(*this, std::move(step)), token, socket_);
  }

  tcp_stream socket_;
  SSL* ssl_;
  handshake_slot slot_;  // released when the handshake is done, or with the stream
  want want_ = want::nothing;
  // The last read wanted bytes from the socket: what OpenSSL holds, if
  // anything, is part of a record.
  bool drained_ = true;
};

template <>
struct stream_traits<tls_stream> {
  static constexpr bool readiness_io = true;  // see above
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
