// A session's life: set up, parked and woken, the serving loop, sending,
// and the ways it ends. Turning bytes into replies is session_requests.cpp;
// the deadlines are session_deadlines.cpp.
#include "session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "session_tracker.hpp"

namespace server {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using std::chrono::steady_clock;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

double seconds(std::chrono::milliseconds d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

void start_session(session_socket socket, worker& owner, const server_config& config,
                   session_tracker& tracker) {
  auto s = std::make_shared<session>(std::move(socket), owner, config, tracker);
  // Set up on the owner's thread (the acceptor runs on another worker's, and
  // a session's state is only ever touched by its own), then wait for the
  // first bytes parked, with no coroutine yet.
  asio::post(owner.context(), [s] {
    s->start();
    s->park();
  });
}

void session::spawn(boost::system::error_code wake, bool woken) {
  // The completion handler keeps the session alive while serve() runs (the
  // watchdog holds it too while it waits) and ends it however it ended: no
  // exception escapes a session, and none is swallowed silently. serve()
  // returning true means it parked: the connection is quiet, and waits for
  // its next bytes with a plain handler instead of a coroutine frame.
  asio::co_spawn(owner_.context(), serve(wake, woken),
                 [self = shared_from_this()](std::exception_ptr e, bool parked) {
                   if (!e && parked) {
                     self->park();
                   } else {
                     self->finish(e);
                   }
                 });
}

void session::park() {
  if (going_away_) {
    spawn({}, /*woken=*/false);  // started during a drain: say GOAWAY now
    return;
  }
  reading_ = true;  // go_away() and the watchdog cancel this wait like a read
  socket_.async_wait(tcp::socket::wait_read,
                     [self = shared_from_this()](boost::system::error_code ec) {
                       self->reading_ = false;
                       self->spawn(ec, /*woken=*/true);
                     });
}

session::session(session_socket socket, worker& owner, const server_config& config,
                 session_tracker& tracker)
    : socket_(std::move(socket)),
      watchdog_(socket_.get_executor()),
      owner_(owner),
      config_(config),
      tracker_(tracker) {
  tracker_.opened();
  boost::system::error_code ec;
  peer_ = socket_.remote_endpoint(ec);
}

session::~session() { tracker_.closed(); }

void session::start() {
  owner_.attach(*this);
  ++owner_.connections;
  going_away_ = owner_.draining();
  if (config_.mode == service_mode::echo) kind_ = peer_kind::echo;
  spdlog::debug("{}: connected", peer_.address().to_string());
  boost::system::error_code ec;
  socket_.non_blocking(true, ec);  // reads and writes that would wait say so instead
  set_deadline(config_.handshake_timeout);
}

void session::finish(std::exception_ptr failure) {
  if (failure) {
    // Nothing should throw (expected errors are values), so say so loudly;
    // only this session ends.
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      spdlog::error("{}: session failed: {}", peer_.address().to_string(), e.what());
    } catch (...) {
      spdlog::error("{}: session failed", peer_.address().to_string());
    }
  }
  finished_ = true;
  watchdog_.cancel();
  boost::system::error_code ignored;
  socket_.close(ignored);
  spdlog::debug("{}: closed", peer_.address().to_string());
}

awaitable<bool> session::serve(boost::system::error_code wake, bool woken) {
  // Everything that is not waiting happens in plain functions: this frame,
  // which every idle connection keeps, holds little more than the loop.
  for (;;) {
    if (going_away_) break;
    boost::system::error_code ec;
    std::size_t n = 0;
    reading_ = true;
    if (hot_) {
      // A busy connection reads into its own buffer: Asio then waits for
      // it with the descriptor's standing epoll registration.
      auto space = in_.prepare(std::max<std::size_t>(read_size_, next_frame_size_ - in_.size()));
      std::tie(ec, n) =
          co_await socket_.async_read_some(asio::buffer(space.data(), space.size()), use_tuple);
      if (!ec) in_.commit(n);
      // A read that fills the buffer says more was waiting: read more at a
      // time (bulk transfers), up to the scratch buffer's size.
      if (!ec && n == space.size()) read_size_ = std::min(read_size_ * 2, max_hot_read_bytes);
    } else if (woken) {
      // A quiet one was parked until readable (see spawn()): its bytes go
      // to the worker's scratch buffer, so it needs no buffer of its own.
      woken = false;
      ec = wake;
      if (!ec) n = read_now(ec);
    } else {
      reading_ = false;
      co_return true;  // park: wait with no buffer and no coroutine frame
    }
    reading_ = false;
    if (ec) {
      const auto next = after_read_error(ec);
      if (next == next_step::read_again) continue;
      if (next == next_step::go_away) break;
      co_return false;
    }
    cooling_ = false;      // a read that completed keeps the connection hot
    if (n == 0) continue;  // woken, but nothing to read after all
    if (!spoke_) {
      spoke_ = true;  // from now on the idle timeout applies, not the handshake's
      set_deadline(config_.idle_timeout);
    }
    const bool keep_open = answer(n);
    // Replies almost always go out at once; only a peer that is behind
    // makes us wait. (Awaiting inside a condition miscompiles with GCC 12:
    // keep each await a statement.)
    if (!send_now(ec)) {
      const bool sent = co_await send_rest(ec);
      if (!sent) co_return false;
    }
    if (!keep_open) {
      co_await close_gracefully();
      co_return false;
    }
  }
  co_await say_goaway_and_close();
  co_return false;
}

std::size_t session::read_now(boost::system::error_code& ec) {
  // The socket is non-blocking: this takes everything that has arrived, up
  // to the scratch buffer's size, or nothing.
  const auto scratch = owner_.read_scratch();
  const std::size_t n = socket_.read_some(asio::buffer(scratch.data(), scratch.size()), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) ec.clear();
  return n;
}

session::next_step session::after_read_error(const boost::system::error_code& ec) {
  if (ec == asio::error::operation_aborted && going_away_ && socket_.is_open()) {
    return next_step::read_again;  // go_away() interrupted the wait
  }
  if (ec == asio::error::operation_aborted && cooling_ && socket_.is_open()) {
    // The watchdog found the connection quiet: give its buffer back and wait
    // without one from now on.
    cooling_ = false;
    hot_ = false;
    busy_reads_ = 0;
    read_size_ = min_hot_read_bytes;
    in_.release();
    return next_step::read_again;
  }
  if (timed_out_ && socket_.is_open()) {
    if (spoke_) {
      spdlog::info("{}: no complete request for {} s (--idle-timeout), closing",
                   peer_.address().to_string(), seconds(config_.idle_timeout));
    } else {
      spdlog::info("{}: sent nothing for {} s after connecting (--handshake-timeout), closing",
                   peer_.address().to_string(), seconds(config_.handshake_timeout));
    }
    return next_step::go_away;
  }
  if (ec != asio::error::eof && ec != asio::error::operation_aborted) {
    spdlog::debug("{}: read: {}", peer_.address().to_string(), ec.message());
  }
  if (!in_.empty()) {
    spdlog::info("{}: {} in the middle of a frame ({} of {} bytes received)",
                 peer_.address().to_string(),
                 ec == asio::error::eof ? "closed" : "connection lost: " + ec.message(), in_.size(),
                 next_frame_size_);
  }
  return next_step::end;  // the peer is gone or closed: there is no one left to answer
}

bool session::send_now(boost::system::error_code& ec) {
  std::vector<std::byte>& replies = owner_.reply_scratch();
  std::size_t sent = 0;
  while (sent < replies.size()) {
    sent += socket_.write_some(asio::buffer(replies.data() + sent, replies.size() - sent), ec);
    if (ec) break;
  }
  if (sent == replies.size()) {
    replies.clear();
    return true;
  }
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    // The peer is behind: what is left waits in this session's own buffer,
    // since the scratch is the next session's as soon as we await.
    out_.assign(replies.begin() + static_cast<std::ptrdiff_t>(sent), replies.end());
    ec.clear();
  }
  replies.clear();
  return false;
}

awaitable<bool> session::send_rest(boost::system::error_code ec) {
  if (!ec) {
    // Nothing is read meanwhile, so a peer that sends but never reads
    // stops being read from; the write timeout then closes it.
    set_deadline(config_.write_timeout);
    std::tie(ec, std::ignore) = co_await asio::async_write(socket_, asio::buffer(out_), use_tuple);
    out_.clear();
    if (out_.capacity() > retained_reply_bytes) std::vector<std::byte>().swap(out_);
    if (!ec) {
      set_deadline(config_.idle_timeout);
      co_return true;
    }
  }
  if (timed_out_) {
    spdlog::info("{}: took none of its replies for {} s (--write-timeout), closing",
                 peer_.address().to_string(), seconds(config_.write_timeout));
  } else {
    spdlog::debug("{}: write: {}", peer_.address().to_string(), ec.message());
  }
  co_return false;
}

awaitable<void> session::say_goaway_and_close() {
  // Everything read so far has been answered; GOAWAY tells a framed peer the
  // last id it will get an answer for, so it knows what to retry elsewhere.
  // A raw peer would not understand the frame, so it just sees the close.
  if (kind_ == peer_kind::framed) {
    proto::append_goaway(owner_.reply_scratch(), last_request_id_);
    boost::system::error_code ec;
    if (!send_now(ec)) {
      const bool sent = co_await send_rest(ec);
      if (!sent) co_return;
    }
  }
  co_await close_gracefully();
}

awaitable<void> session::close_gracefully() {
  // Half-close, then read and discard until the peer closes (or the linger
  // time runs out). Closing with unread bytes in the receive queue would
  // send a reset, and a reset can destroy replies the peer has not read yet.
  closing_ = true;
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  timed_out_ = false;
  set_deadline(config_.linger_timeout);
  while (!ec) {
    auto [wait_ec] = co_await socket_.async_wait(tcp::socket::wait_read, use_tuple);
    ec = wait_ec;
    if (!ec) read_now(ec);
  }
  in_.consume(in_.size());
  in_.release();
}

void session::go_away() {
  if (going_away_ || closing_) return;
  going_away_ = true;
  // Only a pending read is interrupted: a write in progress finishes first,
  // and the loop checks going_away_ before it reads again.
  if (reading_) {
    boost::system::error_code ignored;
    socket_.cancel(ignored);
  }
}

void session::force_close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

}  // namespace server
