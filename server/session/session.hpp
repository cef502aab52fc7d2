// One connection, served by one coroutine for its whole life.
//
// How a byte flows, from accept to reply:
//  1. listener.cpp accepts the connection onto the next worker's io_context;
//     start_session() posts it to that worker, which creates the session
//     and co_spawns session::run() there, once, with a handler that logs
//     anything thrown (nothing should be: run() catches what it can).
//  2. run() waits for bytes. A quiet connection waits for readability with
//     no buffer (async_wait), then reads what came into its worker's scratch
//     buffer, so an idle connection holds no buffer at all. A busy one (its
//     reads keep coming) reads into a buffer of its own (async_read_some):
//     Asio then tries the read first and waits on the socket's standing
//     epoll registration, instead of an epoll_ctl per wait. After a quiet
//     second the watchdog interrupts that read and the buffer is given back.
//  3. The protocol engine (protocol_engine.hpp) answers every complete
//     request in those bytes into the worker's reply buffer. The start of an
//     incomplete frame is kept in `in_`, grown as its bytes arrive and
//     charged to the server's memory budget (memory_budget.hpp).
//  4. The replies go out in one non-blocking write, which nearly always takes
//     them all; what the peer is slow to take waits in `out_` (charged too)
//     while the connection is not read: one writer by construction, and a
//     peer that does not read stops being read.
//  5. Back to 2, until the peer closes, a deadline passes, the engine finds
//     the stream broken, the budget refuses a frame, or the server drains.
//     Then goodbye: GOAWAY (or ERROR), a half-close, and lingering until the
//     peer closes, so that no reply is destroyed by a reset.
//
// The phase and its one deadline are explicit (session_state.hpp). The
// worker's watchdog (watchdog.hpp) interrupts a wait whose deadline passed,
// and the coroutine decides what that means from the state and the clock,
// never from a flag left behind. The worker's scratch buffers can be shared
// by all its sessions because nothing awaits between reading into them and
// writing from them.
//
// The session is a template over its stream (streams.hpp), so that every
// transport is served by this same coroutine and engine: plain TCP and Unix
// sockets are instantiated in session.cpp, TLS in tls_session.cpp, and
// plain TCP pays for nothing the others need. A TLS session begins with its
// handshake, reads into its own buffer always and queues its replies before
// writing them (TLS does its I/O by completion), and says close_notify in
// its goodbye; the rest is the same code.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "core/streams.hpp"
#include "core/worker.hpp"
#include "protocol/protocol_engine.hpp"
#include "session/session_buffers.hpp"
#include "session/session_state.hpp"

namespace server {

// Serves `stream` on `owner`'s thread, in a coroutine of its own, until the
// connection ends. Called on the acceptor's thread. `proxied`: the
// connection comes from a load balancer and begins with a PROXY header
// (proxy_header.hpp), read before anything else, the TLS handshake too.
template <typename Stream>
void start_session(Stream stream, worker& owner, bool proxied = false);

template <typename Stream>
class session final : public worker_session {
 public:
  // Runs on the owner's thread, like everything of a session.
  session(Stream stream, worker& owner, bool proxied);
  ~session();
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  // The connection's whole life.
  task<void> run();

  void go_away() override;
  void force_close() override;
  steady_clock::time_point watch(steady_clock::time_point now, bool tight) override;

 private:
  enum class waiting : std::uint8_t { nothing, to_read, to_write, for_memory };
  enum class read_kind : std::uint8_t { stop, throttled, read };

  // The steps of run(). Only the task<> ones await; the coroutine's frame,
  // which every idle connection keeps, holds little more than its loop.
  void begin();
  // A proxied connection's PROXY header, under the greeting's deadline:
  // afterwards peer_ names the client it carries.
  task<void> proxy_header();
  // TLS: the handshake, under the greeting's deadline. Plain: nothing.
  task<void> handshake();
  // Before every wait: whether to stop (and why, in ending_), to wait for
  // memory, or to read.
  read_kind next_read();
  // The wait for the next bytes, as one operation completing with (error,
  // bytes): a busy connection reads into its own buffer; a quiet one waits
  // until readable, with no buffer, and took() reads.
  auto next_bytes();
  // The wait completed: reads what came (quiet), answers every complete
  // request and sends what the socket takes now; true when replies are left
  // for send_rest().
  bool took(boost::system::error_code ec, std::size_t n);
  bool answer(proto::bytes_view fresh);
  bool send_now(boost::system::error_code& ec);
  task<void> send_rest();
  task<void> wait_for_memory();
  task<void> goodbye();
  void finish();

  std::optional<end_reason> reason_to_stop(steady_clock::time_point now) const;
  // Whether the kernel holds bytes not read yet (FIONREAD).
  bool bytes_waiting() const noexcept;
  std::size_t read_now(std::size_t at_most, boost::system::error_code& ec);
  end_reason read_failed(const boost::system::error_code& ec) const;
  void interrupt() noexcept;
  std::size_t pending_frame_size() const noexcept;
  // Bytes written to the socket that the peer has not acknowledged yet.
  std::uint32_t unsent_in_kernel() noexcept;
  // Whether the peer took bytes from the kernel since the last look; if so
  // the write clock restarts.
  bool took_some(steady_clock::time_point now) noexcept;

  Stream stream_;
  worker& owner_;
  // The settings this connection started with (a reload changes them for
  // the ones after it); engine_ and state_ point into them.
  std::shared_ptr<const session_settings> settings_;
  peer_name peer_;
  protocol_engine engine_;
  session_state state_;
  session_buffers buffers_;
  std::uint32_t unsent_ = 0;  // unsent_in_kernel() when the write deadline was last set
  waiting waiting_ = waiting::nothing;
  bool warned_unknown_ = false;       // an unknown type is logged once per connection
  bool proxied_ = false;              // a PROXY header comes first
  std::optional<end_reason> ending_;  // set once: the conversation is over
};

extern template class session<tcp_stream>;
extern template void start_session<tcp_stream>(tcp_stream, worker&, bool);
extern template class session<unix_stream>;
extern template void start_session<unix_stream>(unix_stream, worker&, bool);

}  // namespace server
