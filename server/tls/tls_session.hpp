// Starting a session over TLS, declared apart so that the listener needs no
// OpenSSL header: the session and its TLS stream are made in tls_session.cpp.
#pragma once

#include "core/streams.hpp"
#include "core/worker.hpp"
#include "tls/handshake_slot.hpp"

namespace boost::asio::ssl {
class context;
}

namespace server {

// Serves `socket` over TLS with `context` on `owner`'s thread, as
// start_session() does for plain streams; the handshake is the session's
// first step, under --handshake-timeout, and holds `slot` until it ends.
void start_tls_session(tcp_stream socket, boost::asio::ssl::context& context, worker& owner,
                       bool proxied, handshake_slot slot);

}  // namespace server
