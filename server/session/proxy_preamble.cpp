#include "session/proxy_preamble.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "session/proxy_header.hpp"

namespace server {

namespace {

void refuse(std::string_view why, session_state& state, metrics::worker_metrics& counts,
            const peer_name& peer) {
  counts.refuse(metrics::refusal::proxy_header);
  spdlog::debug("{}: {}, closed", peer.text(), why);
  state.end(end_reason::handshake_failed);  // logged here
}

}  // namespace

bool proxy_allowed(const boost::asio::ip::address& from, const server_config& config,
                   session_state& state, metrics::worker_metrics& counts, const peer_name& peer) {
  if (config.proxy_from.contains(from)) return true;
  refuse("a connection to a PROXY listener from outside --proxy-from " + config.proxy_from.text(),
         state, counts, peer);
  return false;
}

preamble_step take_proxy_bytes(int fd, std::vector<std::byte>& taken, session_state& state,
                               metrics::worker_metrics& counts, peer_name& peer) {
  // The header so far and what came after it, looked at in a scratch of the
  // thread's (sessions are confined to their worker's thread, and nothing
  // waits between the look and the take).
  thread_local std::vector<std::byte> scratch(proxy::max_header_size);
  const std::size_t have = taken.size();
  std::copy(taken.begin(), taken.end(), scratch.begin());
  const ssize_t peeked = ::recv(fd, scratch.data() + have, scratch.size() - have, MSG_PEEK);
  if (peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    return preamble_step::more;
  }
  if (peeked <= 0) {
    state.end(peeked == 0 ? end_reason::peer_closed : end_reason::connection_lost);
    if (peeked == 0) spdlog::debug("{}: closed before its PROXY header", peer.text());
    return preamble_step::ended;
  }
  const auto r = proxy::parse(std::span(scratch.data(), have + static_cast<std::size_t>(peeked)));
  if (r.state == proxy::status::bad) {
    refuse("not a PROXY header (" + std::string(r.problem) + ")", state, counts, peer);
    return preamble_step::ended;
  }
  // Complete: the rest of the header; otherwise all that came is header.
  const std::size_t take =
      r.state == proxy::status::complete ? r.consumed - have : static_cast<std::size_t>(peeked);
  const ssize_t n = ::recv(fd, scratch.data() + have, take, 0);
  if (n < 0) {
    state.end(end_reason::connection_lost);
    return preamble_step::ended;
  }
  counts.bytes_in.add(static_cast<std::size_t>(n));
  const std::size_t now_have = have + static_cast<std::size_t>(n);
  if (r.state == proxy::status::complete && now_have == r.consumed) {
    const peer_name proxy = peer;
    if (r.source) peer = peer_name(*r.source);
    if (spdlog::should_log(spdlog::level::debug)) {
      spdlog::debug("{}: connected, through the proxy {}{}", peer.text(), proxy.text(),
                    r.source ? "" : " (its own connection: no client address)");
    }
    return preamble_step::done;
  }
  taken.assign(scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(now_have));
  return preamble_step::more;
}

}  // namespace server
