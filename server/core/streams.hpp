// The streams a session can be served over, and what the session coroutine
// needs to know of each: plain TCP and Unix domain sockets here, TLS in
// tls_stream.hpp (kept apart so that plain code does not include OpenSSL).
//
// Two ways of doing I/O, chosen at compile time (stream_traits):
//  - readiness: the socket is non-blocking; a quiet connection waits for
//    readability with no buffer and reads into its worker's scratch, and
//    replies go out with a non-blocking write straight from the scratch.
//    Plain sockets and TLS (OpenSSL on the non-blocking socket), where this
//    costs nothing and saves memory.
//  - completion: every read goes into the connection's own buffer and every
//    reply is queued before it is written: a WebSocket, whose messages
//    Beast reads and writes with its own asynchronous operations.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <string>
#include <type_traits>

#include "protocol/metrics.hpp"

namespace server {

// Sockets and coroutines bound to an io_context's own executor: smaller
// than with the type-erased any_io_executor, which every connection pays.
using executor = boost::asio::io_context::executor_type;
template <typename T>
using task = boost::asio::awaitable<T, executor>;
using tcp_stream = boost::asio::basic_stream_socket<boost::asio::ip::tcp, executor>;
using unix_stream = boost::asio::basic_stream_socket<boost::asio::local::stream_protocol, executor>;

template <typename Stream>
struct stream_traits {
  static constexpr bool readiness_io = true;  // see above
  // The stream begins with a handshake of its own (TLS, a WebSocket's
  // upgrade), and ends with a goodbye of its own (close_notify, a close
  // frame); `name` says whose in the log.
  static constexpr bool handshake = false;
  static constexpr const char* name = "";
  // The peer's bytes come in messages, each of which must hold whole frames
  // (a WebSocket): the engine is fed a message once it is complete.
  static constexpr bool messages = false;
  static constexpr metrics::link link = metrics::link::tcp;
  // A read error that is the peer's ordinary end of the stream.
  static bool clean_end(const boost::system::error_code& ec) noexcept {
    return ec == boost::asio::error::eof;
  }
};

// Who is at the other end, for the log: the peer's address, or "unix" for a
// Unix socket peer (which has no address worth naming). As small as an
// endpoint, since every connection keeps one.
class peer_name {
 public:
  peer_name() = default;  // a Unix socket peer
  explicit peer_name(const boost::asio::ip::tcp::endpoint& ep) noexcept : ep_(ep) {}
  bool is_local() const noexcept { return ep_.port() == 0; }
  std::string text() const { return is_local() ? std::string("unix") : ep_.address().to_string(); }

 private:
  boost::asio::ip::tcp::endpoint ep_;
};

inline peer_name peer_of(const tcp_stream& s) {
  boost::system::error_code ignored;
  return peer_name(s.remote_endpoint(ignored));
}
inline peer_name peer_of(const unix_stream&) { return peer_name(); }

// More about the peer, for the debug log: a Unix socket peer's uid and pid
// (SO_PEERCRED); nothing for the others.
std::string peer_details(unix_stream& s);
inline std::string peer_details(const tcp_stream&) { return {}; }
template <typename Stream>
std::string peer_details(const Stream&) {
  return {};
}

// The socket under the stream: where waits for readiness, half-closes and
// the kernel's queues are.
inline tcp_stream& lowest(tcp_stream& s) noexcept { return s; }
inline unix_stream& lowest(unix_stream& s) noexcept { return s; }

// The transport a session is counted under in the metrics.
template <typename Stream>
constexpr metrics::link link_of() noexcept {
  if constexpr (std::is_same_v<Stream, unix_stream>) {
    return metrics::link::unix_socket;
  } else {
    return stream_traits<Stream>::link;
  }
}

}  // namespace server
