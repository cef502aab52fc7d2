#include "session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "printable.hpp"
#include "request_handler.hpp"
#include "session_tracker.hpp"

namespace server {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using std::chrono::steady_clock;

namespace {

// The free space of a frame_buffer as an Asio buffer.
asio::mutable_buffer writable(proto::frame_buffer& b, std::size_t at_least) {
  const auto s = b.prepare(at_least);
  return {s.data(), s.size()};
}

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// Bytes asked of each read when no frame needs more: large enough to take a
// pipelined burst in one system call.
constexpr std::size_t read_chunk = 16 * 1024;
// Buffers larger than this are freed once empty.
constexpr std::size_t retained_buffer_bytes = 64 * 1024;

void log_request(const proto::frame& f, const tcp::endpoint& peer) {
  switch (f.type()) {
    case proto::frame_type::hello:
      if (spdlog::should_log(spdlog::level::info)) spdlog::info("{}", proto::printable(f.text()));
      break;
    case proto::frame_type::message:
      if (spdlog::should_log(spdlog::level::info))
        spdlog::info("(server) Received: {}", proto::printable(f.text()));
      break;
    case proto::frame_type::echo:
    case proto::frame_type::ping:
      break;  // load traffic: not worth a line each
    default:
      spdlog::warn("{}: unknown frame type 0x{:02x} (request {}), answered ERROR 3",
                   peer.address().to_string(), unsigned{f.header.type}, f.id());
  }
}

}  // namespace

awaitable<void> serve_connection(tcp::socket socket, worker& owner, const server_config& config,
                                 session_tracker& tracker) {
  // The shared_ptr lives in this coroutine frame; the watchdog holds another
  // while it waits, so the session outlives both.
  auto s = std::make_shared<session>(std::move(socket), owner, config, tracker);
  co_await s->run();
}

session::session(tcp::socket socket, worker& owner, const server_config& config,
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

awaitable<void> session::run() {
  owner_.attach(*this);
  ++owner_.connections;
  going_away_ = owner_.draining();
  spdlog::debug("{}: connected", peer_.address().to_string());
  try {
    set_deadline(config_.idle_timeout);
    co_await serve();
  } catch (const std::exception& e) {
    // Nothing should throw here (expected errors are values), so say so
    // loudly, but only this session ends.
    spdlog::error("{}: session failed: {}", peer_.address().to_string(), e.what());
  }
  finished_ = true;
  watchdog_.cancel();
  boost::system::error_code ignored;
  socket_.close(ignored);
  spdlog::debug("{}: closed", peer_.address().to_string());
}

awaitable<void> session::serve() {
  for (;;) {
    if (going_away_) {
      co_await say_goaway_and_close();
      co_return;
    }

    const std::size_t want = std::max(read_chunk, next_frame_size_ - in_.size());
    reading_ = true;
    auto [ec, n] = co_await socket_.async_read_some(writable(in_, want), use_tuple);
    reading_ = false;
    if (ec) {
      if (ec == asio::error::operation_aborted && going_away_ && socket_.is_open()) continue;
      if (timed_out_ && socket_.is_open()) {
        spdlog::info("{}: idle for {} s, closing", peer_.address().to_string(),
                     std::chrono::duration<double>(config_.idle_timeout).count());
        co_await say_goaway_and_close();
        co_return;
      }
      if (ec != asio::error::eof && ec != asio::error::operation_aborted) {
        spdlog::debug("{}: read: {}", peer_.address().to_string(), ec.message());
      } else if (!in_.empty() && kind_ == peer_kind::framed) {
        spdlog::debug("{}: left with {} bytes of an incomplete frame", peer_.address().to_string(),
                      in_.size());
      }
      co_return;  // the peer is gone or closed: there is no one left to answer
    }
    in_.commit(n);

    if (kind_ == peer_kind::undecided) {
      kind_ = std::to_integer<std::uint8_t>(in_.readable()[0]) == proto::magic ? peer_kind::framed
                                                                               : peer_kind::raw;
    }
    bool keep_open = true;
    if (kind_ == peer_kind::framed) {
      keep_open = answer_frames();
    } else {
      answer_raw_chunk();
    }
    // (Awaiting inside a condition miscompiles with GCC 12: keep it a statement.)
    if (!out_.empty()) {
      const bool written = co_await write_replies();
      if (!written) co_return;
    }
    if (!keep_open) {
      co_await close_gracefully();
      co_return;
    }
    shrink_buffers();
  }
}

bool session::answer_frames() {
  for (;;) {
    const auto r = proto::decode_frame(in_.readable(), config_.max_frame);
    if (r.status == proto::decode_status::need_more) {
      next_frame_size_ = r.needed;
      return true;
    }
    if (r.status != proto::decode_status::complete) {
      reply_to_bad_frame(r, config_.max_frame, out_);
      spdlog::warn(
          "{}: {} ({} bytes buffered), answered ERROR and closing", peer_.address().to_string(),
          r.status == proto::decode_status::too_large   ? "frame too large"
          : r.status == proto::decode_status::bad_magic ? "malformed frame: bad magic"
                                                        : "malformed frame: unsupported version",
          in_.size());
      in_.consume(in_.size());
      return false;
    }
    log_request(r.decoded, peer_);
    handle_request(r.decoded, config_.greeting, out_);
    last_request_id_ = r.decoded.id();
    ++owner_.requests;
    in_.consume(r.consumed);
    next_frame_size_ = proto::header_size;
    set_deadline(config_.idle_timeout);  // a complete request is activity
  }
}

void session::answer_raw_chunk() {
  // A raw peer has no framing: each read is taken as one message, as the
  // lecture's server does. The first is its greeting.
  const auto chunk = in_.readable();
  const std::string_view text{reinterpret_cast<const char*>(chunk.data()), chunk.size()};
  if (spdlog::should_log(spdlog::level::info)) {
    if (chunks_ == 0) {
      spdlog::info("{}", proto::printable(text));
    } else {
      spdlog::info("(server) Received: {}", proto::printable(text));
    }
  }
  handle_raw_chunk(chunks_ == 0, config_.greeting, out_);
  ++chunks_;
  ++owner_.requests;
  in_.consume(chunk.size());
  set_deadline(config_.idle_timeout);
}

void session::shrink_buffers() {
  // A big frame grows the buffers to its size; give that memory back once it
  // is answered, rather than keep it for the life of the connection. The
  // steady state of small requests stays below the bound and allocates
  // nothing.
  if (in_.capacity() > retained_buffer_bytes) in_.release();
  if (out_.capacity() > retained_buffer_bytes) std::vector<std::byte>().swap(out_);
}

awaitable<bool> session::write_replies() {
  auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(out_), use_tuple);
  out_.clear();  // keeps the capacity for the next batch
  if (ec) {
    if (timed_out_) {
      spdlog::info("{}: peer stopped reading for {} s, closing", peer_.address().to_string(),
                   std::chrono::duration<double>(config_.idle_timeout).count());
    } else {
      spdlog::debug("{}: write: {}", peer_.address().to_string(), ec.message());
    }
    co_return false;
  }
  co_return true;
}

awaitable<void> session::say_goaway_and_close() {
  // Everything read so far has been answered; GOAWAY tells a framed peer the
  // last id it will get an answer for, so it knows what to retry elsewhere.
  // A raw peer would not understand the frame, so it just sees the close.
  if (kind_ == peer_kind::framed) {
    proto::append_goaway(out_, last_request_id_);
    const bool written = co_await write_replies();
    if (!written) co_return;
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
  for (;;) {
    auto [read_ec, n] = co_await socket_.async_read_some(writable(in_, read_chunk), use_tuple);
    if (read_ec) break;
  }
  in_.consume(in_.size());
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

void session::set_deadline(steady_clock::duration from_now) {
  const auto when = steady_clock::now() + from_now;
  const bool sooner = when < deadline_;
  deadline_ = when;
  // A later deadline needs no timer call: the watchdog re-arms itself when
  // it wakes early. Only a sooner one (linger after idle) re-arms it now.
  if (!finished_ && (!watchdog_armed_ || sooner)) arm_watchdog();
}

void session::arm_watchdog() {
  watchdog_armed_ = true;
  watchdog_.expires_at(deadline_);  // cancels a wait already pending
  watchdog_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec) return;  // replaced by a newer wait, or the session is over
    self->watchdog_armed_ = false;
    self->on_watchdog();
  });
}

void session::on_watchdog() {
  if (finished_) return;
  if (deadline_ > steady_clock::now()) {
    arm_watchdog();  // the deadline moved while we slept
    return;
  }
  timed_out_ = true;
  boost::system::error_code ignored;
  socket_.cancel(ignored);
}

}  // namespace server
