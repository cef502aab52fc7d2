// The acceptor: opening the listening socket (the lecture's socket,
// setsockopt, bind, listen) and the accept loop that hands each connection to
// a worker, round-robin, as its own co_spawned session coroutine.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "server_config.hpp"
#include "session_tracker.hpp"
#include "worker.hpp"

namespace server {

// The listening socket could not be set up; what() is the whole sentence.
struct listen_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Opens, binds and listens on `config.bind_address` and `config.port`: with
// no address, IPv6 dual-stack "::", or "0.0.0.0" where IPv6 is unavailable.
// Throws listen_error("cannot listen on ADDRESS:PORT: REASON").
void open_listener(boost::asio::ip::tcp::acceptor& acceptor, const server_config& config);

// Accepts until the acceptor is closed.
boost::asio::awaitable<void> accept_connections(boost::asio::ip::tcp::acceptor& acceptor,
                                                std::span<const std::unique_ptr<worker>> workers,
                                                const server_config& config,
                                                session_tracker& tracker);

}  // namespace server
