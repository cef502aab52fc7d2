// The session coroutine and its steps, for any stream (the map: session.hpp).
// Read run() first: every step below is called from it, in the order of a
// connection's life. Instantiated by session.cpp, tls/ and http/.
#pragma once

#include <spdlog/spdlog.h>

#include <algorithm>

#include "asio_support.hpp"
#include "core/socket_setup.hpp"
#include "session/goodbye.hpp"
#include "session/proxy_preamble.hpp"
#include "session/session.hpp"
#include "session/session_log.hpp"

namespace server {

namespace asio = boost::asio;
using boost::system::error_code;
using net::tuple_op;

template <typename Stream>
session<Stream>::session(Stream stream, worker& owner, bool proxied)
    : stream_(std::move(stream)),
      owner_(owner),
      settings_(owner.settings()),
      engine_(settings_->engine, &owner.metrics().engine),
      state_(settings_->timeouts, steady_clock::now()),
      buffers_(owner.shared().budget, !stream_traits<Stream>::readiness_io),
      proxied_(proxied) {
  peer_ = peer_of(stream_);
}

template <typename Stream>
session<Stream>::~session() {
  owner_.shared().tracker.closed();
}

template <typename Stream>
task<void> session<Stream>::run() {
  greet();
  try {
    if (proxied_) {
      co_await read_proxy_preamble(
          lowest(stream_), settings_->config, state_, owner_.watchdog(), owner_.metrics(), peer_,
          [this](steady_clock::time_point now) { return should_stop(now); });
    }
    if constexpr (stream_traits<Stream>::handshake) {
      if (!state_.ending()) co_await handshake();
    }
    // Until something ends it (session_state.hpp lists what can): wait for
    // bytes, read them, answer every complete request, send the replies.
    for (;;) {
      const auto now = steady_clock::now();
      if (!state_.ending()) state_.end(should_stop(now));
      if (state_.ending()) break;
      if (!may_read(now)) {
        co_await wait_for_memory(now);
        continue;
      }
      wait(activity::reading, now);
      auto [ec, n] = co_await buffers_.read(stream_, pending_frame_size());
      state_.awaiting(activity::working);
      if (took(ec, n)) co_await send_rest();
    }
    co_await goodbye();
  } catch (const std::exception& e) {
    // What it left in the worker's scratch is not the next session's to send.
    owner_.reply_scratch().clear();
    state_.end(end_reason::internal_error);
    spdlog::error("{}: session failed: {}", peer_.text(), e.what());
  }
  close();
}

template <typename Stream>
void session<Stream>::greet() {
  owner_.attach(*this);
  owner_.metrics().open(link_of<Stream>());
  if (!proxied_ && spdlog::should_log(spdlog::level::debug)) {  // proxied: once the client is known
    spdlog::debug("{}: connected{}", peer_.text(), peer_details(stream_));
  }
  error_code ignored;
  lowest(stream_).non_blocking(true, ignored);  // reads and writes that would wait say so instead
}

template <typename Stream>
std::optional<end_reason> session<Stream>::should_stop(steady_clock::time_point now) const {
  if (!stream_.is_open()) return end_reason::closed_by_server;
  // A drain: a connection that has read nothing yet still reads once what
  // the kernel already holds for it (a client that connected and sent its
  // request as the drain began, or from the accept queue the drain took),
  // and answers it before its GOAWAY.
  if (owner_.draining() && !(state_.current() == phase::greeting && unread_bytes(fd()) != 0)) {
    return end_reason::shutdown;
  }
  if (state_.expired(now)) return state_.timeout_reason();
  return std::nullopt;
}

template <typename Stream>
bool session<Stream>::may_read(steady_clock::time_point now) {
  // When the budget is used up, a connection holding more than a little
  // stops being read until there is room.
  buffers_.before_read(now);
  if (buffers_.read_allowance() == 0) return false;
  if (state_.current() == phase::throttled) state_.unthrottled(now);
  return true;
}

template <typename Stream>
void session<Stream>::wait(activity what, steady_clock::time_point now) {
  // The one place the watchdog hears of this session's deadlines, before
  // every wait (only a wait can be interrupted): the phase's deadline, a
  // busy buffer's cool-down, a look soon while memory is held or awaited,
  // and one that gives back a reply scratch grown by a large reply.
  state_.awaiting(what);
  auto next = state_.deadline();
  if (buffers_.busy()) next = std::min(next, buffers_.cool_down_at());
  if (!buffers_.in.empty() || what == activity::waiting_for_memory) {
    next = std::min(next, now + watchdog::memory_look);
  }
  if (owner_.reply_scratch().capacity() > worker::reply_scratch_keep) {
    next = std::min(next, now + std::chrono::seconds(1));
  }
  owner_.watchdog().due(next);
}

template <typename Stream>
bool session<Stream>::took(error_code ec, std::size_t n) {
  proto::bytes_view fresh;
  if (!ec && buffers_.busy()) {
    buffers_.busy_read(n);
  } else if constexpr (stream_traits<Stream>::readiness_io) {
    // Quiet: read what came now, within what the budget allows now.
    const auto scratch =
        owner_.read_scratch().first(std::min(buffers_.read_allowance(), session_buffers::max_read));
    if (!ec) n = stream_.read_some(asio::buffer(scratch.data(), scratch.size()), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) ec.clear();
    fresh = scratch.first(n);
  }
  if (ec == asio::error::operation_aborted && stream_.is_open()) return false;  // interrupted
  if (ec) {
    state_.end(read_failed(ec));
    return false;
  }
  if (n == 0) return false;  // readable, but nothing after all
  owner_.metrics().bytes_in.add(n);
  return answer(fresh);
}

template <typename Stream>
end_reason session<Stream>::read_failed(const error_code& ec) const {
  if (!stream_.is_open()) return end_reason::closed_by_server;
  // A TLS peer that closes without close_notify after a complete frame ends
  // as normally as a TCP one that closes.
  if (!stream_traits<Stream>::clean_end(ec)) {
    spdlog::debug("{}: read: {}", peer_.text(), ec.message());
    return end_reason::connection_lost;
  }
  return buffers_.in.empty() ? end_reason::peer_closed : end_reason::peer_closed_mid_frame;
}

template <typename Stream>
bool session<Stream>::answer(proto::bytes_view fresh) {
  // From the read to the write nothing awaits, so the worker's scratch
  // buffers are this session's alone. A busy connection's bytes are in
  // `in` already; a quiet one's are in `fresh`, and join `in` only when the
  // start of a frame is waiting there.
  proto::frame_buffer& in = buffers_.in;
  if (!fresh.empty() && !in.empty()) {
    buffers_.keep(fresh, pending_frame_size());
    fresh = {};
  }
  const auto now = steady_clock::now();
  if constexpr (stream_traits<Stream>::messages) {
    if (!stream_.message_done()) {
      // A message in progress is not fed until it is whole; the frame clock
      // runs from its first byte.
      state_.read(now, false, true);
      buffers_.after_read(now);
      return false;
    }
  }
  std::vector<std::byte>& replies = owner_.reply_scratch();
  replies.clear();  // empty already, unless a session failed between its read and write
  request_log log(peer_, owner_.warnings(), warned_unknown_);
  const feed_result r = engine_.feed(fresh.empty() ? in.readable() : fresh, replies, log);
  if (fresh.empty()) {
    in.consume(r.consumed);
  } else if (r.consumed < fresh.size()) {
    buffers_.keep(fresh.subspan(r.consumed), r.next_frame_size);
  }
  state_.read(now, r.answered != 0, !in.empty());
  buffers_.after_read(now);
  if (r.next == next_step::close_after_replies) state_.end(end_reason::bad_frame);
  if constexpr (stream_traits<Stream>::messages) {
    // A message must hold whole frames: what is left is no frame at all.
    if (!in.empty() && !state_.ending()) state_.end(end_reason::incomplete_message);
  }
  error_code ec;
  const bool all_sent = send_now(ec);
  // The requests' time in the server: from their read to their replies
  // written (or queued, for a peer that is slow to take them or for a
  // WebSocket, which writes asynchronously: a slow reader is not a slow
  // request).
  if (r.answered != 0) owner_.metrics().latency.observe(steady_clock::now() - now, r.answered);
  if (all_sent) return false;
  if (ec) {
    spdlog::debug("{}: write: {}", peer_.text(), ec.message());
    state_.end(stream_.is_open() ? end_reason::connection_lost : end_reason::closed_by_server);
    return false;
  }
  return true;
}

template <typename Stream>
bool session<Stream>::send_now(error_code& ec) {
  std::vector<std::byte>& replies = owner_.reply_scratch();
  if constexpr (!stream_traits<Stream>::readiness_io) {
    // Only an asynchronous write may take a WebSocket's messages: queue them.
    if (replies.empty()) return true;
    buffers_.queue_replies(replies);
    replies.clear();
    return false;
  } else {
    std::size_t sent = 0;
    while (sent < replies.size()) {
      sent += stream_.write_some(asio::buffer(replies.data() + sent, replies.size() - sent), ec);
      if (ec) break;
    }
    owner_.metrics().bytes_out.add(sent);
    const bool all = sent == replies.size();
    if (!all && (ec == asio::error::would_block || ec == asio::error::try_again)) {
      // The peer is behind: the rest waits in this session's own buffer,
      // since the scratch is the next session's as soon as this one awaits.
      ec.clear();
      buffers_.queue_replies(proto::bytes_view(replies).subspan(sent));
    }
    replies.clear();
    return all;
  }
}

template <typename Stream>
task<void> session<Stream>::send_rest() {
  // Nothing is read meanwhile, so a peer that sends but never reads stops
  // being read from; the write deadline, refreshed by every byte the peer
  // takes, closes it if it takes none for --write-timeout.
  state_.writing(steady_clock::now());
  unacked_ = static_cast<std::uint32_t>(unacknowledged_bytes(fd()));
  proto::frame_buffer& out = buffers_.out;
  while (!out.empty()) {
    const auto pending = out.readable();
    wait(activity::writing, steady_clock::now());
    auto [ec, n] = co_await stream_.async_write_some(
        asio::buffer(pending.data(), std::min(pending.size(), session_buffers::max_read)),
        tuple_op);
    state_.awaiting(activity::working);
    if (ec) {
      if (!stream_.is_open()) {
        state_.end(end_reason::closed_by_server);
      } else if (ec == asio::error::operation_aborted) {
        // The watchdog: no progress in time, or none while memory ran short.
        state_.end(state_.expired(steady_clock::now()) ? end_reason::write_timeout
                                                       : end_reason::over_budget_unread);
      } else {
        spdlog::debug("{}: write: {}", peer_.text(), ec.message());
        state_.end(end_reason::connection_lost);
      }
      co_return;
    }
    out.consume(n);
    owner_.metrics().bytes_out.add(n);
    state_.wrote(steady_clock::now());
    unacked_ = static_cast<std::uint32_t>(unacknowledged_bytes(fd()));
  }
  buffers_.replies_sent();
  state_.written(steady_clock::now(), !buffers_.in.empty());
}

template <typename Stream>
task<void> session<Stream>::wait_for_memory(steady_clock::time_point now) {
  // Not read until there is room again. The watchdog looks while memory is
  // held and interrupts this wait when there is room, or when the grace
  // period is over and the frame is refused; it completes by itself only if
  // the socket fails. No timer of its own: thousands may wait at once.
  if (state_.current() != phase::throttled) state_.throttled(now);
  wait(activity::waiting_for_memory, now);
  error_code ec;
  if constexpr (stream_traits<Stream>::messages) {
    std::tie(ec) = co_await stream_.async_wait_error(tuple_op);  // not on the socket: see there
  } else {
    std::tie(ec) = co_await lowest(stream_).async_wait(tcp_stream::wait_error, tuple_op);
  }
  state_.awaiting(activity::working);
  if (!ec) state_.end(end_reason::connection_lost);  // the socket has an error pending
}

template <typename Stream>
task<void> session<Stream>::handshake() {
  if constexpr (stream_traits<Stream>::handshake) {
    // Under --handshake-timeout, like a plain connection's first byte. A
    // drain lets a handshake that has begun (or whose ClientHello waits)
    // finish, and it goes on where it was left; then the connection ends as
    // any that has read nothing yet.
    error_code ec = asio::error::operation_aborted;
    while (ec == asio::error::operation_aborted && stream_.is_open() && !state_.ending()) {
      wait(activity::reading, steady_clock::now());
      std::tie(ec) = co_await stream_.async_handshake(tuple_op);
      state_.awaiting(activity::working);
      if (!ec) {
        stream_.handshake_done();
        co_return;
      }
      if (ec == asio::error::operation_aborted) {
        state_.end(should_stop(steady_clock::now()));
        if (state_.ending() == end_reason::shutdown && stream_.handshake_begun()) {
          state_.end(std::nullopt);
        }
      }
    }
    if (ec == asio::error::operation_aborted && stream_.is_open()) {
      if (state_.ending() == end_reason::handshake_timeout) {
        state_.end(end_reason::handshake_failed);  // said here, in the stream's words
        spdlog::info("{}: {} handshake not finished within {} s (--handshake-timeout), closing",
                     peer_.text(), stream_traits<Stream>::name,
                     std::chrono::duration<double>(settings_->config.handshake_timeout).count());
      }
    } else if (!stream_.is_open()) {
      state_.end(end_reason::closed_by_server);
    } else {
      state_.end(end_reason::handshake_failed);
      spdlog::info("{}: {} handshake failed: {}", peer_.text(), stream_traits<Stream>::name,
                   ec.message());
    }
  }
  co_return;
}

template <typename Stream>
task<void> session<Stream>::goodbye() {
  const end_reason why = *state_.ending();
  log_end(why, {peer_, settings_->config, owner_.warnings(), buffers_.in.size(),
                pending_frame_size(), buffers_.out.size()});
  if constexpr (stream_traits<Stream>::handshake) {
    if (!stream_.established) co_return;  // nothing can be said before the handshake
  }
  std::vector<std::byte>& replies = owner_.reply_scratch();
  switch (last_words_for(why)) {
    case last_words::go_away:
      engine_.say_goodbye(replies);
      break;
    case last_words::refuse:
      owner_.metrics().refuse(metrics::refusal::memory_budget);
      engine_.refuse(buffers_.in.readable(),
                     "server busy: out of memory for buffered frames (--max-buffered-bytes); "
                     "frame refused, send it again later",
                     replies);
      break;
    case last_words::nothing:
      break;
    case last_words::none:
      co_return;
  }
  buffers_.clear();
  error_code ec;
  if (!send_now(ec)) {
    if (ec) co_return;
    co_await send_rest();
    if (*state_.ending() != why) co_return;  // the peer did not take it
  }
  state_.closing(steady_clock::now());
  if constexpr (stream_traits<Stream>::handshake) {
    // The stream's own goodbye (TLS close_notify, a WebSocket close frame),
    // and the peer's in answer, within the linger: a peer that never
    // answers does not hold the connection (the watchdog interrupts). If it
    // sends more requests instead, the wait fails, and they are discarded by
    // the linger like any others.
    wait(activity::reading, steady_clock::now());
    std::tie(ec) = co_await stream_.async_shutdown(why, tuple_op);
    state_.awaiting(activity::working);
  }
  co_await linger(lowest(stream_), state_, owner_.watchdog(), owner_.read_scratch());
}

template <typename Stream>
void session<Stream>::close() {
  state_.awaiting(activity::working);
  error_code ignored;
  stream_.close(ignored);
  buffers_.clear();
  owner_.detach(*this);
  owner_.metrics().close(link_of<Stream>());
  spdlog::debug("{}: closed", peer_.text());
}

}  // namespace server
