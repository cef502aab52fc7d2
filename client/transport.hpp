// How the client reaches the server: TCP, TLS over TCP, or a Unix socket.
// `stream` is one connection whatever the transport, usable wherever Asio
// takes a stream (async_write, async_read); `connector` makes them, resolving
// the server's name once and loading the TLS settings once.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "client_config.hpp"
#include "tls_identity.hpp"

namespace client {

class stream {
 public:
  using executor_type = boost::asio::any_io_executor;
  using tcp_socket = boost::asio::ip::tcp::socket;
  using unix_socket = boost::asio::local::stream_protocol::socket;
  using tls_socket = boost::asio::ssl::stream<tcp_socket>;

  explicit stream(tcp_socket s) : s_(std::move(s)) {}
  explicit stream(unix_socket s) : s_(std::move(s)) {}
  explicit stream(std::unique_ptr<tls_socket> s) : s_(std::move(s)) {}

  executor_type get_executor() {
    return std::visit([](auto& s) -> executor_type { return layer(s).get_executor(); }, s_);
  }

  template <typename Buffers, typename Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const Buffers& b) {
          std::visit([&](auto& s) { layer(s).async_read_some(b, std::move(handler)); }, s_);
        },
        token, buffers);
  }
  template <typename Buffers, typename Token>
  auto async_write_some(const Buffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const Buffers& b) {
          std::visit([&](auto& s) { layer(s).async_write_some(b, std::move(handler)); }, s_);
        },
        token, buffers);
  }

  // TCP and Unix: half-closes, so that the server answers what it has and
  // closes. TLS: nothing, since Asio cannot say close_notify and go on
  // reading; the caller knows from its replies when it is done.
  void shutdown_send() noexcept;
  void cancel() noexcept;
  void close() noexcept;
  bool is_tls() const noexcept { return s_.index() == 2; }
  // The TCP socket, for a connection over TCP or TLS.
  tcp_socket* tcp() noexcept;
  unix_socket* unix() noexcept { return std::get_if<unix_socket>(&s_); }
  tls_socket* tls() noexcept {
    auto* p = std::get_if<std::unique_ptr<tls_socket>>(&s_);
    return p ? p->get() : nullptr;
  }

 private:
  static tcp_socket& layer(tcp_socket& s) noexcept { return s; }
  static unix_socket& layer(unix_socket& s) noexcept { return s; }
  static tls_socket& layer(std::unique_ptr<tls_socket>& s) noexcept { return *s; }

  std::variant<tcp_socket, unix_socket, std::unique_ptr<tls_socket>> s_;
};

// The server's end of the stream: a close (eof), or for TLS also a close
// without close_notify, which a server may do after its last reply.
inline bool is_end_of_stream(const boost::system::error_code& ec) noexcept {
  return ec == boost::asio::error::eof || ec == boost::asio::ssl::error::stream_truncated;
}

class connector {
 public:
  // Loads the TLS settings (--ca, --cert, --key): throws cli::failure (64)
  // naming a file that cannot be read.
  explicit connector(const client_config& config);
  ~connector();

  // "HOST:PORT" or "unix:PATH", as error messages name the server.
  const std::string& where() const noexcept { return where_; }

  // A stream of the right kind, not connected yet (so that it can be
  // closed from outside while it connects).
  stream make(const boost::asio::any_io_executor& executor);
  // Connects it (and for TLS, does the handshake, checking the server's
  // certificate and name). No timeout of its own. On failure returns the
  // reason, as the end of "cannot connect to WHERE: REASON".
  boost::asio::awaitable<std::optional<std::string>> open(stream& s);
  // Resolves the server's name now, once (nothing for a Unix socket); the
  // reason on failure.
  boost::asio::awaitable<std::optional<std::string>> resolve();
  // make() and open() within `timeout`; throws connect_error.
  boost::asio::awaitable<stream> connect(std::chrono::milliseconds timeout);

 private:
  const client_config& config_;
  std::string where_;
  std::string host_;  // without brackets
  // Sets the certificate check for identity_ on a new TLS connection;
  // false if any part of it could not be set.
  bool require_identity(SSL* tls) const;

  std::unique_ptr<boost::asio::ssl::context> tls_;
  tls_identity identity_;  // with --tls: what the certificate must name
  std::optional<boost::asio::ip::tcp::resolver::results_type> endpoints_;  // resolved once
};

// Plain TCP to HOST:PORT within `timeout`, for callers with nothing more to
// say (the tests). Throws connect_error.
boost::asio::awaitable<stream> connect(std::string host, std::uint16_t port,
                                       std::chrono::milliseconds timeout);

}  // namespace client
