// The acceptor: opening the listening socket (the lecture's socket,
// setsockopt, bind, listen) and the accept loop that hands each connection to
// a worker, round-robin, as its own co_spawned session coroutine.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <span>

#include "failure.hpp"
#include "server_config.hpp"
#include "worker.hpp"

namespace server {

// The listening socket could not be set up; what() is the whole sentence,
// "cannot listen on ADDRESS:PORT: REASON" (exit 69).
struct listen_error : cli::unavailable {
  using cli::unavailable::unavailable;
};

// Opens, binds and listens on `config.bind_address` and `config.port`: with
// no address, IPv6 dual-stack "::", or "0.0.0.0" where IPv6 is unavailable.
// Throws listen_error.
void open_listener(boost::asio::ip::tcp::acceptor& acceptor, const server_config& config);

// Accepts until the acceptor is closed, starting a session on the next
// worker for each connection. Runs on the acceptor's worker.
boost::asio::awaitable<void> accept_connections(boost::asio::ip::tcp::acceptor& acceptor,
                                                std::span<const std::unique_ptr<worker>> workers);

}  // namespace server
