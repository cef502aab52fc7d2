// One client connection, served by one coroutine on its worker's thread.
//
// The loop is the protocol: wait until bytes arrive, read them, answer every
// complete request in them, send all the answers in one write, wait again.
// Reading and writing never overlap, so there is one writer per connection
// by construction and a peer that stops reading stops being read from.
//
// Memory, after Redis: a quiet connection is "parked": it waits for
// readability with a plain completion handler, holding no buffer and no
// coroutine frame, then serve() runs as a coroutine again and reads into its
// worker's scratch buffer. Once its reads keep coming (a few in a row) it is
// "hot": serve() stays, reading into a buffer of its own, which lets Asio
// wait with the socket's standing epoll registration instead of re-arming it
// for every wait (one system call less per read); after a second without a
// request the watchdog turns it quiet again and the buffer is freed. Replies
// are built in the worker's reply buffer and written at once with a
// non-blocking write, which almost always takes all of them. Only what
// cannot be finished now stays with the session: the start of a frame whose
// rest has not arrived (`in_`) and replies the peer is slow to take
// (`out_`). So an idle connection costs a socket, a timer and this object
// (under 1 KiB of server memory in all), and a busy one allocates nothing
// per request.
//
// One steady_timer per session is a watchdog over a single deadline (idle,
// then linger while closing) and, while hot, the cool-down; it is re-armed
// only when it fires, so no timer is touched per request.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <vector>

#include "frame_buffer.hpp"
#include "frame_codec.hpp"
#include "server_config.hpp"
#include "worker.hpp"

namespace server {

class session_tracker;

// Starts serving `socket` on `owner`'s thread, in a coroutine of its own,
// until the connection ends.
// A socket and a timer bound to an io_context's own executor: smaller than
// with the type-erased any_io_executor, which every idle connection pays.
using session_socket =
    boost::asio::basic_stream_socket<boost::asio::ip::tcp, boost::asio::io_context::executor_type>;
using session_timer =
    boost::asio::basic_waitable_timer<std::chrono::steady_clock,
                                      boost::asio::wait_traits<std::chrono::steady_clock>,
                                      boost::asio::io_context::executor_type>;

void start_session(session_socket socket, worker& owner, const server_config& config,
                   session_tracker& tracker);

class session final : public drainable_session, public std::enable_shared_from_this<session> {
 public:
  session(session_socket socket, worker& owner, const server_config& config,
          session_tracker& tracker);
  ~session();

  // Joins the worker and arms the handshake deadline; on the owner's thread.
  void start();
  // Waits for readability with a plain handler, which spawns serve().
  void park();
  // After serve(), however it ended: closes the socket, logs a failure.
  void finish(std::exception_ptr failure);

  void go_away() override;
  void force_close() override;

 private:
  enum class peer_kind : std::uint8_t { undecided, framed, raw, echo };

  // What a session may keep between requests: the start of a small frame,
  // or replies to a slow reader. Anything larger is freed once it is used.
  static constexpr std::size_t retained_partial_bytes = 4 * 1024;
  static constexpr std::size_t retained_reply_bytes = 64 * 1024;
  // A connection whose reads keep coming gets a read buffer of its own
  // ("hot"), and gives it back after a quiet second.
  static constexpr std::uint32_t min_hot_read_bytes = 16 * 1024;
  static constexpr std::uint32_t max_hot_read_bytes = 64 * 1024;
  static constexpr std::uint8_t reads_to_get_hot = 4;
  static constexpr std::chrono::seconds cool_down_after{1};

  enum class next_step : std::uint8_t { read_again, go_away, end };

  // The connection, on the owner's thread, until it closes (false) or parks
  // (true) because it is quiet; `woken` when it was parked and is readable
  // now (or `wake` says why not).
  boost::asio::awaitable<bool> serve(boost::system::error_code wake, bool woken);
  // Runs serve() as a coroutine of its own on the owner's thread.
  void spawn(boost::system::error_code wake, bool woken);

  // Reads what has arrived into the worker's scratch buffer, without
  // waiting: the bytes read (0 if none after all), or an error.
  std::size_t read_now(boost::system::error_code& ec);
  // What a failed wait or read means for the connection (and its log line).
  next_step after_read_error(const boost::system::error_code& ec);
  // Answers the `n` bytes just read into the worker's reply buffer; false
  // when the connection must close after the replies.
  bool answer(std::size_t n);
  // Answers every complete request in `in_` + `chunk` into `replies` and
  // keeps the start of an incomplete one; false when the connection must
  // close.
  bool answer_frames(proto::bytes_view chunk, std::vector<std::byte>& replies);
  void answer_raw_chunk(proto::bytes_view chunk, std::vector<std::byte>& replies);
  // Writes the worker's reply buffer (leaving it empty) as far as the socket
  // takes it now; what it does not take moves to `out_`. True when all went.
  bool send_now(boost::system::error_code& ec);
  // Waits until `out_` is written; false (and logged) when the peer is gone
  // or `ec` already says so.
  boost::asio::awaitable<bool> send_rest(boost::system::error_code ec);
  boost::asio::awaitable<void> say_goaway_and_close();
  boost::asio::awaitable<void> close_gracefully();

  void set_deadline(std::chrono::steady_clock::duration from_now);
  void heat_up();
  void arm_watchdog();
  void on_watchdog();

  session_socket socket_;
  session_timer watchdog_;
  worker& owner_;
  const server_config& config_;
  session_tracker& tracker_;
  boost::asio::ip::tcp::endpoint peer_;

  proto::frame_buffer in_;      // an incomplete frame, until the rest arrives
  std::vector<std::byte> out_;  // replies the peer has not taken yet
  std::size_t next_frame_size_ = proto::header_size;
  std::chrono::steady_clock::time_point deadline_;
  std::chrono::steady_clock::time_point last_activity_;
  std::uint32_t last_request_id_ = 0;
  std::uint64_t chunks_ = 0;

  peer_kind kind_ = peer_kind::undecided;
  bool reading_ = false;     // a read is pending: go_away() may cancel it
  bool going_away_ = false;  // drain requested
  bool closing_ = false;     // half-closed, draining the peer's last bytes
  bool timed_out_ = false;   // the watchdog fired
  bool finished_ = false;    // run() is over
  bool watchdog_armed_ = false;
  bool spoke_ = false;    // the peer has sent its first byte
  bool hot_ = false;      // reads into `in_` rather than waiting without a buffer
  bool cooling_ = false;  // the watchdog cancelled a hot read to go quiet
  std::uint8_t busy_reads_ = 0;
  std::uint32_t read_size_ = min_hot_read_bytes;  // bytes a hot read asks for; grows for bulk
};

}  // namespace server
