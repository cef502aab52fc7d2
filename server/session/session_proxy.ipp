// A proxied connection's first bytes: the PROXY header its load balancer
// sends (proxy_header.hpp), read before anything else, under the greeting's
// deadline. Included by session.ipp.
//
// The header is read without reading past it: each wait for bytes peeks at
// what came, and takes off the socket only bytes of the header, so what
// follows is the stream's (a TLS ClientHello, the first frame) untouched.

template <typename Stream>
task<void> session<Stream>::proxy_header() {
  auto& socket = lowest(stream_);
  const auto refuse = [&](std::string_view why) {
    owner_.metrics().refuse(metrics::refusal::proxy_header);
    spdlog::debug("{}: {}, closed", peer_.text(), why);
    ending_ = end_reason::handshake_failed;  // logged here
  };
  if constexpr (!std::is_same_v<Stream, unix_stream>) {
    // A Unix socket's peers are whom its file's mode lets in.
    error_code ignored;
    if (!settings_->config.proxy_from.contains(socket.remote_endpoint(ignored).address())) {
      refuse("a connection to a PROXY listener from outside --proxy-from " +
             settings_->config.proxy_from.text());
      co_return;
    }
  }
  std::vector<std::byte> header(proxy::max_header_size);  // for the header's time only
  std::size_t have = 0;
  for (;;) {
    waiting_ = waiting::to_read;
    auto [ec] = co_await socket.async_wait(tcp_stream::wait_read, tuple_op);
    waiting_ = waiting::nothing;
    if (ec == asio::error::operation_aborted && stream_.is_open()) {
      ending_ = reason_to_stop(steady_clock::now());
      if (!ending_) continue;  // interrupted for no reason of its own
      if (ending_ == end_reason::handshake_timeout) {
        refuse("no whole PROXY header within --handshake-timeout");
      }
      co_return;
    }
    if (ec) {
      ending_ = stream_.is_open() ? end_reason::connection_lost : end_reason::closed_by_server;
      co_return;
    }
    const ssize_t peeked =
        ::recv(socket.native_handle(), header.data() + have, header.size() - have, MSG_PEEK);
    if (peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    if (peeked <= 0) {
      ending_ = peeked == 0 ? end_reason::peer_closed : end_reason::connection_lost;
      if (peeked == 0) spdlog::debug("{}: closed before its PROXY header", peer_.text());
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
      ending_ = end_reason::connection_lost;
      co_return;
    }
    have += static_cast<std::size_t>(n);
    owner_.metrics().bytes_in.add(static_cast<std::size_t>(n));
    if (r.state == proxy::status::complete && have == r.consumed) {
      const peer_name proxy = peer_;
      if (r.source) peer_ = peer_name(*r.source);
      if (spdlog::should_log(spdlog::level::debug)) {
        spdlog::debug("{}: connected, through the proxy {}{}", peer_.text(), proxy.text(),
                      r.source ? "" : " (its own connection: no client address)");
      }
      co_return;
    }
  }
}
