// The session coroutine instantiated for TLS, in a file of its own so that
// only this file compiles the session with OpenSSL's headers.
#include "tls/tls_session.hpp"

#include "session/session_loop.hpp"
#include "session/session_watch.hpp"
#include "session/start_session.hpp"
#include "tls/tls_stream.hpp"

namespace server {

void start_tls_session(tcp_stream socket, boost::asio::ssl::context& context, worker& owner,
                       bool proxied, handshake_slot slot) {
  start_session(tls_stream(std::move(socket), context, std::move(slot)), owner, proxied);
}

template class session<tls_stream>;
template void start_session<tls_stream>(tls_stream, worker&, bool);

}  // namespace server
