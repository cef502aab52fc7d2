// A listener: one listening socket (the lecture's socket, setsockopt, bind,
// listen) for TCP, TLS or a Unix socket, and its accept loop, which hands
// each connection to the next worker, round-robin, as its own co_spawned
// session coroutine.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "core/listen_address.hpp"
#include "core/server_config.hpp"
#include "core/worker.hpp"
#include "failure.hpp"
#include "tls/tls_context_ptr.hpp"

namespace server {

// The listening socket could not be set up; what() is the whole sentence,
// "cannot listen on ADDRESS:PORT: REASON" (exit 69).
struct listen_error : cli::unavailable {
  using cli::unavailable::unavailable;
};

class listener {
 public:
  // Opens, binds and listens on `where`; `tls` holds the server's TLS
  // context, needed by a tls:// listener (a reload may replace it: each
  // handshake takes the one it holds then). TCP with no host: IPv6
  // dual-stack "::", or "0.0.0.0" where IPv6 is unavailable. Throws
  // listen_error.
  listener(const listen_address& where, const server_config& config,
           boost::asio::io_context& context, const tls_context_ptr* tls);
  // Serves a socket that is already listening (systemd's socket
  // activation): TCP or TLS as `kind` says, or Unix by its family. Its file,
  // if any, is not this listener's to remove.
  listener(int fd, transport kind, const server_config& config, boost::asio::io_context& context,
           const tls_context_ptr* tls);
  // Closes it; a Unix socket's file is removed, if it is still ours.
  ~listener();
  listener(const listener&) = delete;
  listener& operator=(const listener&) = delete;

  transport kind() const noexcept { return where_.kind; }
  // As printed in "listening on ...": 127.0.0.1:8080, tls://[::1]:8443,
  // unix:/run/asio.sock; the real port when asked for 0.
  const std::string& name() const noexcept { return name_; }
  std::uint16_t port() const noexcept { return port_; }

  // Accepts until close(), starting a session on the next worker for each
  // connection. Runs on the io_context given above.
  boost::asio::awaitable<void> accept_connections(std::span<const std::unique_ptr<worker>> workers);
  void close() noexcept;
  // The drain: stops accepting, but first takes every connection already
  // in the kernel's accept queue (each gets a session, which says GOAWAY),
  // since Linux resets what is still queued when a listener closes. Where
  // the kernel moves that queue to another listener of the same port itself
  // (SO_REUSEPORT with net.ipv4.tcp_migrate_req = 1), it just closes.
  void stop_accepting() noexcept;

 private:
  template <typename Acceptor, typename Socket, typename Start>
  boost::asio::awaitable<void> accept_loop(Acceptor& acceptor,
                                           std::span<const std::unique_ptr<worker>> workers,
                                           Start start);
  void open_tcp(boost::asio::io_context& context);
  void open_unix(boost::asio::io_context& context);

  listen_address where_;
  const server_config& config_;
  const tls_context_ptr* tls_;
  std::optional<boost::asio::ip::tcp::acceptor> tcp_;
  std::optional<boost::asio::local::stream_protocol::acceptor> unix_;
  std::string name_;
  std::uint16_t port_ = 0;
  unsigned long unix_inode_ = 0;  // the socket file we made, so that only it is removed
  // While accept_connections() runs: takes what the kernel has queued.
  std::shared_ptr<std::function<void()>> take_queued_ = std::make_shared<std::function<void()>>();
};

}  // namespace server
