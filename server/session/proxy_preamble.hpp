// A proxied connection's first bytes: the PROXY header its load balancer
// sends (proxy_header.hpp), read before anything else (the TLS handshake
// too), under the greeting's deadline.
//
// The header is read without reading past it: each wait for bytes peeks at
// what came, and takes off the socket only bytes of the header, so what
// follows is the stream's (a TLS ClientHello, the first frame) untouched.
// The coroutine only waits; each look is a plain function (proxy_preamble.cpp),
// so that a silent peer costs little more than a quiet plain connection:
// the wait, and the bytes of the header taken so far.
#pragma once

#include <spdlog/spdlog.h>

#include <string>
#include <type_traits>
#include <vector>

#include "asio_support.hpp"
#include "core/server_config.hpp"
#include "core/streams.hpp"
#include "core/watchdog.hpp"
#include "protocol/metrics.hpp"
#include "session/session_state.hpp"

namespace server {

// What a look at the socket found.
enum class preamble_step {
  more,  // all that came is header: wait for the rest
  done,  // the header is read; `peer` names the client it carries
  ended  // `state` says why the connection ends
};

// Whether a peer at `from` may send a PROXY header; if not, counted, logged
// and `state` ends.
bool proxy_allowed(const boost::asio::ip::address& from, const server_config& config,
                   session_state& state, metrics::worker_metrics& counts, const peer_name& peer);

// Looks at what came on `fd` and takes the header's bytes off it, keeping
// them in `taken` until the header is whole.
preamble_step take_proxy_bytes(int fd, std::vector<std::byte>& taken, session_state& state,
                               metrics::worker_metrics& counts, peer_name& peer);

// Reads the header off `socket`. Afterwards either `peer` names the client
// it carries (or the proxy, for a header with no address), or `state` says
// why the connection ends (a refusal is counted and logged).
// `should_stop(now)` is asked when the watchdog interrupts the wait.
template <typename Socket, typename StopCheck>
task<void> read_proxy_preamble(Socket& socket, const server_config& config, session_state& state,
                               watchdog& dog, metrics::worker_metrics& counts, peer_name& peer,
                               StopCheck should_stop) {
  namespace asio = boost::asio;
  if constexpr (!std::is_same_v<Socket, unix_stream>) {
    // A Unix socket's peers are whom its file's mode lets in.
    boost::system::error_code ignored;
    if (!proxy_allowed(socket.remote_endpoint(ignored).address(), config, state, counts, peer)) {
      co_return;
    }
  }
  std::vector<std::byte> taken;
  for (;;) {
    state.awaiting(activity::reading);
    dog.due(state.deadline());
    auto [ec] = co_await socket.async_wait(Socket::wait_read, net::tuple_op);
    state.awaiting(activity::working);
    if (ec == asio::error::operation_aborted && socket.is_open()) {
      state.end(should_stop(steady_clock::now()));
      if (!state.ending()) continue;  // interrupted for no reason of its own
      if (state.ending() == end_reason::handshake_timeout) {
        state.end(end_reason::handshake_failed);  // said here
        counts.refuse(metrics::refusal::proxy_header);
        spdlog::debug("{}: no whole PROXY header within --handshake-timeout, closed", peer.text());
      }
      co_return;
    }
    if (ec) {
      state.end(socket.is_open() ? end_reason::connection_lost : end_reason::closed_by_server);
      co_return;
    }
    if (take_proxy_bytes(socket.native_handle(), taken, state, counts, peer) !=
        preamble_step::more) {
      co_return;
    }
  }
}

}  // namespace server
