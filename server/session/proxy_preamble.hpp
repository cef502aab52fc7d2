// A proxied connection's first bytes: the PROXY header its load balancer
// sends (proxy_header.hpp), read before anything else (the TLS handshake
// too), under the greeting's deadline.
//
// The header is read without reading past it: each wait for bytes peeks at
// what came, and takes off the socket only bytes of the header, so what
// follows is the stream's (a TLS ClientHello, the first frame) untouched.
#pragma once

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>
#include <type_traits>
#include <vector>

#include "asio_support.hpp"
#include "core/server_config.hpp"
#include "core/streams.hpp"
#include "core/watchdog.hpp"
#include "protocol/metrics.hpp"
#include "session/proxy_header.hpp"
#include "session/session_state.hpp"

namespace server {

// Reads the header off `socket`. Afterwards either `peer` names the client
// it carries (or the proxy, for a header with no address), or `state` says
// why the connection ends (a refusal is counted and logged here).
// `should_stop(now)` is asked when the watchdog interrupts the wait.
template <typename Socket, typename StopCheck>
task<void> read_proxy_preamble(Socket& socket, const server_config& config, session_state& state,
                               watchdog& dog, metrics::worker_metrics& counts, peer_name& peer,
                               StopCheck should_stop) {
  namespace asio = boost::asio;
  const auto refuse = [&](std::string_view why) {
    counts.refuse(metrics::refusal::proxy_header);
    spdlog::debug("{}: {}, closed", peer.text(), why);
    state.end(end_reason::handshake_failed);  // logged here
  };
  if constexpr (!std::is_same_v<Socket, unix_stream>) {
    // A Unix socket's peers are whom its file's mode lets in.
    boost::system::error_code ignored;
    if (!config.proxy_from.contains(socket.remote_endpoint(ignored).address())) {
      refuse("a connection to a PROXY listener from outside --proxy-from " +
             config.proxy_from.text());
      co_return;
    }
  }
  std::vector<std::byte> header(proxy::max_header_size);  // for the header's time only
  std::size_t have = 0;
  for (;;) {
    state.awaiting(activity::reading);
    dog.due(state.deadline());
    auto [ec] = co_await socket.async_wait(Socket::wait_read, net::tuple_op);
    state.awaiting(activity::working);
    if (ec == asio::error::operation_aborted && socket.is_open()) {
      state.end(should_stop(steady_clock::now()));
      if (!state.ending()) continue;  // interrupted for no reason of its own
      if (state.ending() == end_reason::handshake_timeout) {
        refuse("no whole PROXY header within --handshake-timeout");
      }
      co_return;
    }
    if (ec) {
      state.end(socket.is_open() ? end_reason::connection_lost : end_reason::closed_by_server);
      co_return;
    }
    const ssize_t peeked =
        ::recv(socket.native_handle(), header.data() + have, header.size() - have, MSG_PEEK);
    if (peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    if (peeked <= 0) {
      state.end(peeked == 0 ? end_reason::peer_closed : end_reason::connection_lost);
      if (peeked == 0) spdlog::debug("{}: closed before its PROXY header", peer.text());
      co_return;
    }
    const auto r = proxy::parse(std::span(header.data(), have + static_cast<std::size_t>(peeked)));
    if (r.state == proxy::status::bad) {
      refuse("not a PROXY header (" + std::string(r.problem) + ")");
      co_return;
    }
    // Complete: the rest of the header; otherwise all that came is header.
    const std::size_t take =
        r.state == proxy::status::complete ? r.consumed - have : static_cast<std::size_t>(peeked);
    const ssize_t n = ::recv(socket.native_handle(), header.data() + have, take, 0);
    if (n < 0) {
      state.end(end_reason::connection_lost);
      co_return;
    }
    have += static_cast<std::size_t>(n);
    counts.bytes_in.add(static_cast<std::size_t>(n));
    if (r.state == proxy::status::complete && have == r.consumed) {
      const peer_name proxy = peer;
      if (r.source) peer = peer_name(*r.source);
      if (spdlog::should_log(spdlog::level::debug)) {
        spdlog::debug("{}: connected, through the proxy {}{}", peer.text(), proxy.text(),
                      r.source ? "" : " (its own connection: no client address)");
      }
      co_return;
    }
  }
}

}  // namespace server
