// How a session ends: what it says last (GOAWAY, ERROR or nothing, by the
// reason it ends), close_notify for TLS, the half-close and the linger that
// keep a reset from destroying replies, and the close. Included by
// session.ipp.

template <typename Stream>
task<void> session<Stream>::goodbye() {
  const end_reason why = *ending_;
  log_end(why, {peer_, settings_->config, owner_.warnings(), buffers_.in.size(),
                pending_frame_size(), buffers_.out.size()});
  if constexpr (stream_traits<Stream>::tls) {
    if (!stream_.established) co_return;  // no record can be said before the handshake
  }
  std::vector<std::byte>& replies = owner_.reply_scratch();
  switch (why) {
    case end_reason::shutdown:
    case end_reason::idle_timeout:
    case end_reason::frame_timeout:
      // Every request read has been answered; GOAWAY tells a framed peer the
      // last one, so it knows what to send again elsewhere.
      engine_.say_goodbye(replies);
      break;
    case end_reason::over_budget:
      owner_.metrics().refuse(metrics::refusal::memory_budget);
      engine_.refuse(buffers_.in.readable(),
                     "server busy: out of memory for buffered frames (--max-buffered-bytes); "
                     "frame refused, send it again later",
                     replies);
      break;
    case end_reason::handshake_timeout:
    case end_reason::bad_frame:
      break;  // nothing more to say (an ERROR went already), but close gracefully
    case end_reason::peer_closed:
    case end_reason::peer_closed_mid_frame:
    case end_reason::connection_lost:
    case end_reason::handshake_failed:
    case end_reason::write_timeout:
    case end_reason::over_budget_unread:
    case end_reason::closed_by_server:
    case end_reason::internal_error:
      co_return;  // the peer is gone, or will not be waited for
  }
  buffers_.clear();
  error_code ec;
  if (!send_now(ec)) {
    if (ec) co_return;
    co_await send_rest();
    if (*ending_ != why) co_return;  // the peer did not take it
  }
  state_.closing(steady_clock::now());
  owner_.watchdog().due(state_.deadline());
  if constexpr (stream_traits<Stream>::tls) {
    // close_notify, and the peer's in answer, within the linger: a peer that
    // never answers does not hold the connection (the watchdog interrupts).
    // If it sends more requests instead, the wait fails, and they are
    // discarded below like any others.
    waiting_ = waiting::to_read;
    std::tie(ec) = co_await stream_.async_shutdown(tuple_op);
    waiting_ = waiting::nothing;
    ec.clear();
  }
  // Half-close, then read and discard until the peer closes or the linger
  // runs out: closing with unread bytes in the receive queue would send a
  // reset, and a reset can destroy replies the peer has not read yet.
  auto& socket = lowest(stream_);
  socket.shutdown(socket.shutdown_send, ec);
  while (!ec && !state_.expired(steady_clock::now())) {
    waiting_ = waiting::to_read;
    std::tie(ec) = co_await socket.async_wait(socket.wait_read, tuple_op);
    waiting_ = waiting::nothing;
    if (!ec) read_now(session_buffers::max_read, ec);
  }
}

template <typename Stream>
void session<Stream>::finish() {
  waiting_ = waiting::nothing;
  error_code ignored;
  stream_.close(ignored);
  buffers_.clear();
  owner_.detach(*this);
  owner_.metrics().close(link_of<Stream>());
  spdlog::debug("{}: closed", peer_.text());
}
