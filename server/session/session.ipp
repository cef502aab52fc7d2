// The session coroutine and its steps, for any stream (the map: session.hpp).
// Instantiated by session.cpp (TCP, Unix sockets) and tls/tls_session.cpp.
#pragma once

#include "session/session.hpp"

#include <linux/sockios.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <memory>

#include "asio_support.hpp"
#include "session/session_log.hpp"

namespace server {

namespace asio = boost::asio;
using boost::system::error_code;
using net::tuple_op;

template <typename Stream>
void start_session(Stream stream, worker& owner, bool proxied) {
  session_tracker::ticket counted(owner.shared().tracker);
  // Set up on the owner's thread, not the acceptor's: a session's memory is
  // allocated, and its state touched, only by the thread that serves it.
  asio::post(owner.context(), [stream = std::move(stream), &owner, counted = std::move(counted),
                               proxied]() mutable {
    try {
      auto s = std::make_unique<session<Stream>>(std::move(stream), owner, proxied);
      counted.hand_over();
      auto& serving = *s;
      // The handler owns the session, so it lives until run() has returned;
      // it logs anything run() let escape, so that no failure is silent.
      asio::co_spawn(owner.context(), serving.run(),
                     [s = std::move(s)](std::exception_ptr e) { log_session_failure(e); });
    } catch (const std::bad_alloc&) {
      // Out of memory for this one connection: it is closed (the
      // stream, or the session holding it, is destroyed here) and
      // the server goes on serving the others.
      std::string note;
      if (owner.warnings().allow(note)) {
        spdlog::warn("out of memory for a new connection: closed it{}", note);
      }
    }
  });
}

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
  begin();
  try {
    if (proxied_) co_await proxy_header();
    if constexpr (stream_traits<Stream>::tls) {
      if (!ending_) co_await handshake();
    }
    // Until something ends it (session_state.hpp lists what can): wait for
    // bytes, read them, answer every complete request, send the replies.
    for (;;) {
      const read_kind next = next_read();
      if (next == read_kind::stop) break;
      if (next == read_kind::throttled) {
        co_await wait_for_memory();
        continue;
      }
      auto [ec, n] = co_await next_bytes();
      if (took(ec, n)) co_await send_rest();
    }
    co_await goodbye();
  } catch (const std::exception& e) {
    // Whatever this session left in its worker's scratch is not the next
    // session's to send.
    owner_.reply_scratch().clear();
    ending_ = end_reason::internal_error;
    spdlog::error("{}: session failed: {}", peer_.text(), e.what());
  }
  finish();
}

template <typename Stream>
void session<Stream>::begin() {
  owner_.attach(*this);
  owner_.metrics().open(link_of<Stream>());
  if (!proxied_ && spdlog::should_log(spdlog::level::debug)) {  // proxied: once the client is known
    spdlog::debug("{}: connected{}", peer_.text(), peer_details(stream_));
  }
  error_code ignored;
  lowest(stream_).non_blocking(true, ignored);  // reads and writes that would wait say so instead
  owner_.watchdog().due(state_.deadline());
}

template <typename Stream>
bool session<Stream>::bytes_waiting() const noexcept {
  int n = 0;
  return ::ioctl(lowest(const_cast<Stream&>(stream_)).native_handle(), FIONREAD, &n) == 0 && n > 0;
}

template <typename Stream>
typename session<Stream>::read_kind session<Stream>::next_read() {
  const auto now = steady_clock::now();
  if (!ending_) ending_ = reason_to_stop(now);
  if (ending_) return read_kind::stop;
  // When the budget is used up, a connection holding more than a little
  // stops being read until there is room.
  buffers_.before_read(now);
  if (buffers_.read_allowance() == 0) return read_kind::throttled;
  if (state_.current() == phase::throttled) {
    state_.unthrottled(now);
    owner_.watchdog().due(state_.deadline());
  }
  return read_kind::read;
}

template <typename Stream>
std::optional<end_reason> session<Stream>::reason_to_stop(steady_clock::time_point now) const {
  if (!stream_.is_open()) return end_reason::closed_by_server;
  // A drain: a connection that has read nothing yet still reads once what
  // the kernel already holds for it (a client that connected and sent its
  // request as the drain began, or from the accept queue the drain took),
  // and answers it before its GOAWAY.
  if (owner_.draining() && !(state_.current() == phase::greeting && bytes_waiting())) {
    return end_reason::shutdown;
  }
  if (state_.expired(now)) return state_.timeout_reason();
  return std::nullopt;
}

template <typename Stream>
auto session<Stream>::next_bytes() {
  waiting_ = waiting::to_read;
  return asio::async_initiate<decltype(tuple_op), void(error_code, std::size_t)>(
      [this](auto handler) {
        // Every path hands the handler on: a completion stream (TLS) is
        // always busy, and a readiness one reads or waits.
        auto read_into_own_buffer = [this](auto h) {
          const auto space = buffers_.busy_space(pending_frame_size());
          // Within what the budget allows now (only a connection that never
          // cools down, a TLS one, can be busy while it is used up).
          const std::size_t n = std::min(space.size(), buffers_.read_allowance());
          stream_.async_read_some(asio::buffer(space.data(), n), std::move(h));
        };
        if constexpr (!stream_traits<Stream>::readiness_io) {
          read_into_own_buffer(std::move(handler));
        } else if (buffers_.busy()) {
          read_into_own_buffer(std::move(handler));
        } else {
          stream_.async_wait(
              Stream::wait_read,
              asio::bind_allocator(net::exact_allocator<void>(),
                                   [h = std::move(handler)](error_code ec) mutable { h(ec, 0); }));
        }
      },
      tuple_op);
}

template <typename Stream>
bool session<Stream>::took(error_code ec, std::size_t n) {
  waiting_ = waiting::nothing;
  proto::bytes_view fresh;
  if (!ec && buffers_.busy()) {
    buffers_.busy_read(n);
  } else if (!ec) {
    // Asked now, not before the wait: the budget may have run short since.
    n = read_now(buffers_.read_allowance(), ec);
    fresh = owner_.read_scratch().first(n);
  }
  if (ec == asio::error::operation_aborted && stream_.is_open()) {
    return false;  // interrupted: next_read() looks at why
  }
  if (ec) {
    ending_ = read_failed(ec);
    return false;
  }
  if (n == 0) return false;  // readable, but nothing after all
  owner_.metrics().bytes_in.add(n);
  return answer(fresh);
}

template <typename Stream>
std::size_t session<Stream>::read_now(std::size_t at_most, error_code& ec) {
  // The socket is non-blocking: this takes what has arrived, or nothing.
  const auto scratch = owner_.read_scratch().first(std::min(at_most, session_buffers::max_read));
  const std::size_t n = lowest(stream_).read_some(asio::buffer(scratch.data(), scratch.size()), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) ec.clear();
  return n;
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
  std::vector<std::byte>& replies = owner_.reply_scratch();
  replies.clear();  // empty already, unless a session failed between its read and write
  request_log log(peer_, owner_.warnings(), warned_unknown_);
  const auto now = steady_clock::now();
  const feed_result r = engine_.feed(fresh.empty() ? in.readable() : fresh, replies, log);
  if (fresh.empty()) {
    in.consume(r.consumed);
  } else if (r.consumed < fresh.size()) {
    buffers_.keep(fresh.subspan(r.consumed), r.next_frame_size);
  }
  state_.read(now, r.answered != 0, !in.empty());
  if (buffers_.after_read(now)) owner_.watchdog().due(buffers_.cool_down_at());
  owner_.watchdog().due(state_.deadline());
  // While connections hold memory the watchdog looks often, so that it can
  // take it back promptly if the budget runs short.
  if (!in.empty()) owner_.watchdog().due(now + watchdog::memory_look);
  if (r.next == next_step::close_after_replies) ending_ = end_reason::bad_frame;
  error_code ec;
  const bool all_sent = send_now(ec);
  // The requests' time in the server: from their read to their replies
  // written (or queued, for a peer that is slow to take them or for TLS,
  // which writes asynchronously: a slow reader is not a slow request).
  if (r.answered != 0) owner_.metrics().latency.observe(steady_clock::now() - now, r.answered);
  if (all_sent) return false;
  if (ec) {
    spdlog::debug("{}: write: {}", peer_.text(), ec.message());
    ending_ = stream_.is_open() ? end_reason::connection_lost : end_reason::closed_by_server;
    return false;
  }
  return true;
}

template <typename Stream>
bool session<Stream>::send_now(error_code& ec) {
  std::vector<std::byte>& replies = owner_.reply_scratch();
  if constexpr (!stream_traits<Stream>::readiness_io) {
    // Only an asynchronous write may take TLS records: queue them all.
    if (replies.empty()) return true;
    buffers_.queue_replies(replies);
    replies.clear();
    return false;
  }
  std::size_t sent = 0;
  while (sent < replies.size()) {
    sent +=
        lowest(stream_).write_some(asio::buffer(replies.data() + sent, replies.size() - sent), ec);
    if (ec) break;
  }
  owner_.metrics().bytes_out.add(sent);
  const bool all = sent == replies.size();
  if (!all && (ec == asio::error::would_block || ec == asio::error::try_again)) {
    // The peer is behind: the rest waits in this session's own buffer, since
    // the scratch is the next session's as soon as this one awaits.
    ec.clear();
    buffers_.queue_replies(proto::bytes_view(replies).subspan(sent));
  }
  replies.clear();
  // A large reply (an ECHO of a large frame) must not leave the worker
  // holding its size for good, outside the budget: the watchdog's next look
  // gives it back (worker.cpp), not this, which would free and allocate it
  // again for every large request.
  if (replies.capacity() > worker::reply_scratch_keep) {
    owner_.watchdog().due(steady_clock::now() + std::chrono::seconds(1));
  }
  return all;
}

template <typename Stream>
task<void> session<Stream>::send_rest() {
  // Nothing is read meanwhile, so a peer that sends but never reads stops
  // being read from; the write deadline, refreshed by every byte the peer
  // takes, closes it if it takes none for --write-timeout.
  state_.writing(steady_clock::now());
  unsent_ = unsent_in_kernel();
  owner_.watchdog().due(state_.deadline());
  proto::frame_buffer& out = buffers_.out;
  while (!out.empty()) {
    const auto pending = out.readable();
    waiting_ = waiting::to_write;
    auto [ec, n] = co_await stream_.async_write_some(
        asio::buffer(pending.data(), std::min(pending.size(), session_buffers::max_read)),
        tuple_op);
    waiting_ = waiting::nothing;
    if (ec) {
      if (!stream_.is_open()) {
        ending_ = end_reason::closed_by_server;
      } else if (ec == asio::error::operation_aborted) {
        // The watchdog: no progress in time, or none while memory ran short.
        ending_ = state_.expired(steady_clock::now()) ? end_reason::write_timeout
                                                      : end_reason::over_budget_unread;
      } else {
        spdlog::debug("{}: write: {}", peer_.text(), ec.message());
        ending_ = end_reason::connection_lost;
      }
      co_return;
    }
    out.consume(n);
    owner_.metrics().bytes_out.add(n);
    state_.wrote(steady_clock::now());
    unsent_ = unsent_in_kernel();
  }
  buffers_.replies_sent();
  state_.written(steady_clock::now(), !buffers_.in.empty());
  owner_.watchdog().due(state_.deadline());
}

template <typename Stream>
task<void> session<Stream>::wait_for_memory() {
  // Not read until there is room again. The watchdog looks while memory is
  // held and interrupts this wait when there is room, or when the grace
  // period is over and the frame is refused; it completes by itself only if
  // the socket fails. No timer of its own: thousands may wait at once.
  const auto now = steady_clock::now();
  if (state_.current() != phase::throttled) {
    state_.throttled(now);
    owner_.watchdog().due(now + watchdog::memory_look);
  }
  waiting_ = waiting::for_memory;
  auto [ec] = co_await lowest(stream_).async_wait(tcp_stream::wait_error, tuple_op);
  waiting_ = waiting::nothing;
  if (!ec) ending_ = end_reason::connection_lost;  // the socket has an error pending
}

template <typename Stream>
task<void> session<Stream>::handshake() {
  if constexpr (stream_traits<Stream>::tls) {
    // Under --handshake-timeout, like a plain connection's first byte. A
    // drain lets a handshake that has begun (or whose ClientHello waits)
    // finish, and it goes on where OpenSSL left it; then the connection
    // ends as any that has read nothing yet.
    error_code ec = asio::error::operation_aborted;
    while (ec == asio::error::operation_aborted && stream_.is_open() && !ending_) {
      waiting_ = waiting::to_read;
      std::tie(ec) = co_await stream_.async_handshake(tuple_op);
      waiting_ = waiting::nothing;
      if (!ec) {
        stream_.established = true;
        co_return;
      }
      if (ec == asio::error::operation_aborted) {
        ending_ = reason_to_stop(steady_clock::now());
        if (ending_ == end_reason::shutdown && stream_.handshake_begun()) ending_.reset();
      }
    }
    if (ec == asio::error::operation_aborted && stream_.is_open()) {
      if (ending_ == end_reason::handshake_timeout) {
        ending_ = end_reason::handshake_failed;  // said here, in TLS's words
        spdlog::info("{}: TLS handshake not finished within {} s (--handshake-timeout), closing",
                     peer_.text(),
                     std::chrono::duration<double>(settings_->config.handshake_timeout).count());
      }
    } else if (!stream_.is_open()) {
      ending_ = end_reason::closed_by_server;
    } else {
      ending_ = end_reason::handshake_failed;
      spdlog::info("{}: TLS handshake failed: {}", peer_.text(), ec.message());
    }
  }
  co_return;
}

#include "session/session_goodbye.ipp"
#include "session/session_proxy.ipp"
#include "session/session_watch.ipp"

}  // namespace server
