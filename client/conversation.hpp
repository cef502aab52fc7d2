// The framed exchange behind run_exchange() (exchange.hpp): its state and
// its coroutines. conversation.cpp holds the coroutines,
// conversation_frames.cpp what each frame from the server means.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "client_asio.hpp"
#include "client_config.hpp"
#include "connection.hpp"
#include "exit_codes.hpp"
#include "failure.hpp"
#include "input_lines.hpp"
#include "reconnect.hpp"
#include "request_book.hpp"
#include "wakeup.hpp"

namespace client {

// One framed conversation: the greeting, the --message texts, then standard
// input line by line (--stdin), each reply matched to its request by id in
// whatever order they come. Three coroutines on one thread:
//  - read_input() reads standard input into `book_` (the whole run);
//  - per connection, write_requests() sends what is unsent and
//    receive_replies() matches the replies;
//  - watchdog() ends the run when no awaited answer comes for --timeout.
// It is over when input has ended and every request has its answer, when
// the server closes, or, with --reconnect, when no new connection is
// answered for --reconnect-for; with --reconnect, a connection that ends
// early is opened again and what it left unanswered is sent again.
class conversation {
 public:
  using steady_clock = std::chrono::steady_clock;

  conversation(connector& server, stream first, const client_config& config, std::ostream& out,
               std::ostream& err)
      : server_(server),
        config_(config),
        out_(out),
        err_(err),
        again_(server, config,
               static_cast<std::uint32_t>(steady_clock::now().time_since_epoch().count())),
        conn_(std::in_place, std::move(first), config.max_frame),
        window_room_(conn_->socket().get_executor()),
        to_send_(conn_->socket().get_executor()) {}

  // Runs the exchange; returns the exit code.
  awaitable<int> run();

 private:
  struct request {
    proto::frame_type type;
    std::size_t number = 0;  // 0 for the greeting, else the message's place
    std::string text;
  };

  void add_message(std::string_view text) {
    book_.add({proto::frame_type::message, ++messages_, std::string(text)});
  }

  // Everything read has its answer and nothing more will be read: done,
  // without waiting for the server's close (no reply is left to lose).
  bool complete() const { return input_done_ && book_.empty(); }

  void refresh_deadline() { deadline_ = steady_clock::now() + config_.timeout; }

  // The connections, one after another (with --reconnect; else just one).
  awaitable<void> connections();

  // Sends what is unsent on the current connection, until receive_replies()
  // says it is over. A failed write means the connection is gone: the
  // receiver is told (its read is cancelled) and decides what follows.
  awaitable<void> write_requests();

  // Requests wait to go out on the current connection (none go after its
  // GOAWAY).
  bool can_send() const { return book_.unsent_count() != 0 && !current_.goaway; }
  // All input has ended and gone out: the connection can be half-closed.
  bool can_shut() const { return input_done_ && book_.unsent_count() == 0 && !current_.shut; }

  // Reads replies until the connection is over, then says whether it is
  // worth opening again (with --reconnect) or the exchange is finished.
  // Returns rather than throws: the || in run() waits for an operand to
  // succeed, so a failure here must end the exchange as a result.
  awaitable<void> receive_replies();

  // A frame from the server. A reply refreshes the deadline only when it
  // answers a request awaiting one; anything else cannot keep the client
  // waiting. Throws protocol_error for a reply nobody asked for.
  void on_frame(const proto::frame& f);
  // Says what an ERROR frame says; it decides the exit code if `counts`.
  void report_error(const proto::frame& f, bool counts);
  // Stops sending; what the GOAWAY leaves unprocessed is sent again on the
  // next connection (--reconnect) or reported (exit 75).
  void on_goaway(const proto::frame& f);

  // --stdin: one message per line, while fewer than --max-in-flight await
  // their answer. Input goes on being read while a connection is opened
  // again; what is read then waits in `book_`, unsent.
  awaitable<void> read_input();

  void end_input() {
    input_done_ = true;
    to_send_.notify_all();
  }

  awaitable<void> watchdog();

  void fail(const cli::exit_status& why) {
    err_ << "asio_client: " << why.message << std::endl;
    raise(why.code);
  }

  // The first problem decides the exit code.
  void raise(int code) {
    if (status_ == cli::exit_code::ok) status_ = code;
  }

  connector& server_;
  const client_config& config_;
  std::ostream& out_;
  std::ostream& err_;
  reconnector again_;
  std::optional<framed_connection> conn_;
  // read_input() waits here while the window (--max-in-flight) is full.
  wakeup window_room_;
  // write_requests() waits here for can_send(), can_shut() or the end of
  // its connection; connections(), between connections, for something to
  // send or the end of input.
  wakeup to_send_;
  std::optional<input_lines> stdin_;  // --stdin
  // What was read: unsent, or sent on this connection and awaiting its reply.
  request_book<request> book_;
  std::size_t messages_ = 0;
  steady_clock::time_point deadline_;
  bool input_done_ = false;
  bool finished_ = false;  // the exchange is over: no connection follows
  bool said_sent_ = false;
  bool reconnecting_ = false;
  bool timed_out_ = false;
  unsigned reconnects_ = 0;
  // The current connection's state, made anew for each.
  struct connection_state {
    std::optional<std::uint32_t> goaway;  // its last processed id, after a GOAWAY
    std::uint64_t answered = 0;           // replies it brought
    bool shut = false;                    // half-closed: all input went out on it
    bool over = false;                    // receive_replies() is done with it
  };
  connection_state current_;
  int status_ = cli::exit_code::ok;
};

}  // namespace client
