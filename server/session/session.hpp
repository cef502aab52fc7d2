// One connection, served by one coroutine for its whole life.
//
// How a byte flows, from accept to reply:
//  1. listener.cpp accepts the connection onto the next worker's io_context;
//     start_session() posts it to that worker, which creates the session
//     and co_spawns session::run() there, once, with a handler that logs
//     anything thrown (nothing should be: run() catches what it can).
//  2. run() (session_loop.hpp) waits for bytes (session_buffers::read). A
//     quiet connection waits for readability with no buffer (async_wait),
//     then reads what came into its worker's scratch buffer, so an idle
//     connection holds no buffer at all. A busy one (its
//     reads keep coming) reads into a buffer of its own (async_read_some):
//     Asio then tries the read first and waits on the socket's standing
//     epoll registration, instead of an epoll_ctl per wait. After a quiet
//     second the watchdog interrupts that read and the buffer is given back.
//  3. The protocol engine (protocol_engine.hpp) answers every complete
//     request in those bytes into the worker's reply buffer. The start of an
//     incomplete frame is kept in `buffers_.in`, grown as its bytes arrive and
//     charged to the server's memory budget (memory_budget.hpp).
//  4. The replies go out in one non-blocking write, which nearly always takes
//     them all; what the peer is slow to take waits in `buffers_.out` (charged too)
//     while the connection is not read: one writer by construction, and a
//     peer that does not read stops being read.
//  5. Back to 2, until the peer closes, a deadline passes, the engine finds
//     the stream broken, the budget refuses a frame, or the server drains.
//     Then goodbye: GOAWAY (or ERROR), a half-close, and lingering until the
//     peer closes, so that no reply is destroyed by a reset.
//
// The control state is one object (session_state.hpp): the phase and its one
// deadline, what the coroutine awaits, and why the conversation ends. Before
// every wait the session tells the worker's watchdog (watchdog.hpp) when to
// look (session::wait); the watchdog interrupts a wait whose deadline
// passed (session_watch.hpp), and the coroutine decides what that means
// from the state and the clock, never from a flag left behind. The goodbye's
// words and linger are in goodbye.hpp, the PROXY preamble in
// proxy_preamble.hpp. The worker's scratch buffers can be shared
// by all its sessions because nothing awaits between reading into them and
// writing from them.
//
// The session is a template over its stream (streams.hpp), so that every
// transport is served by this same coroutine and engine: plain TCP and Unix
// sockets are instantiated in session.cpp, TLS in tls/tls_session.cpp, and
// plain TCP pays for nothing the others need. A TLS session begins with its
// handshake and says close_notify in its goodbye; a WebSocket session reads
// into its own buffer always and queues its replies before writing them
// (Beast does its I/O by completion); the rest is the same code.
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
  // The steps of run(), in the order of a connection's life (session_loop.hpp).
  // Only the task<> ones await; the coroutine's frame, which every idle
  // connection keeps, holds little more than its loop.
  void greet();
  // TLS: the handshake, under the greeting's deadline. Plain: nothing.
  task<void> handshake();
  // Whether the conversation must end now, and why.
  std::optional<end_reason> should_stop(steady_clock::time_point now) const;
  // Whether the budget lets this connection read now (if not, it waits for
  // memory).
  bool may_read(steady_clock::time_point now);
  // Before every wait: what it waits for, and when the watchdog must look.
  void wait(activity what, steady_clock::time_point now);
  // The wait for bytes completed: reads what came (quiet), answers every
  // complete request and sends what the socket takes now; true when replies
  // are left for send_rest().
  bool took(boost::system::error_code ec, std::size_t n);
  bool answer(proto::bytes_view fresh);
  bool send_now(boost::system::error_code& ec);
  task<void> send_rest();
  task<void> wait_for_memory(steady_clock::time_point now);
  task<void> goodbye();
  void close();

  end_reason read_failed(const boost::system::error_code& ec) const;
  // The watchdog's side (session_watch.hpp).
  void interrupt() noexcept;
  std::size_t pending_frame_size() const noexcept;
  // Whether the peer took bytes from the kernel since the last look; if so
  // the write clock restarts.
  bool took_some(steady_clock::time_point now) noexcept;
  int fd() const noexcept { return lowest(const_cast<Stream&>(stream_)).native_handle(); }

  Stream stream_;
  worker& owner_;
  // The settings this connection started with (a reload changes them for
  // the ones after it); engine_ and state_ point into them.
  std::shared_ptr<const session_settings> settings_;
  peer_name peer_;
  protocol_engine engine_;
  session_state state_;  // phase, deadline, what it awaits, why it ends
  session_buffers buffers_;
  std::uint32_t unacked_ = 0;    // unacknowledged bytes when the write clock last restarted
  bool warned_unknown_ = false;  // an unknown type is logged once per connection
  bool proxied_ = false;         // a PROXY header comes first
};

extern template class session<tcp_stream>;
extern template void start_session<tcp_stream>(tcp_stream, worker&, bool);
extern template class session<unix_stream>;
extern template void start_session<unix_stream>(unix_stream, worker&, bool);

}  // namespace server
