#include "exchange.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <optional>
#include <string>

#include "client_asio.hpp"
#include "connection.hpp"
#include "exit_codes.hpp"
#include "failure.hpp"
#include "input_lines.hpp"
#include "printable.hpp"
#include "reconnect.hpp"
#include "request_book.hpp"
#include "wakeup.hpp"

namespace client {

using std::chrono::steady_clock;

namespace {

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
class exchange {
 public:
  exchange(connector& server, stream first, const client_config& config, std::ostream& out,
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

  awaitable<int> run() {
    book_.add({proto::frame_type::hello, 0, config_.hello});
    for (const auto& m : config_.messages) add_message(m);
    input_done_ = !config_.read_stdin;
    refresh_deadline();
    co_await ((connections() && read_input()) || watchdog());
    if (reconnects_ != 0) {
      err_ << "asio_client: " << reconnects_ << " reconnect(s), " << book_.resends()
           << " request(s) sent again" << std::endl;
    }
    co_return status_;
  }

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
  awaitable<void> connections() {
    for (;;) {
      co_await (receive_replies() && write_requests());
      if (finished_) break;
      conn_->socket().close();  // nothing more comes on it
      // Nothing was left unanswered: a new connection only once there is
      // something to send (an idle --stdin is no reason to connect, and
      // no reason to give up either).
      co_await to_send_.wait_until([this] { return !book_.empty() || input_done_; });
      if (complete()) break;
      // --reconnect: what the connection left unanswered goes first on the
      // next one, in its first order.
      book_.carry_over();
      again_.ended(answered_);
      reconnecting_ = true;
      auto next = co_await again_.connect(finished_);
      reconnecting_ = false;
      refresh_deadline();
      if (!next) {
        err_ << "asio_client: " << again_.why() << "; " << book_.unsent_count()
             << " request(s) unanswered" << std::endl;
        raise(cli::exit_code::unavailable);
        break;
      }
      conn_.emplace(std::move(*next), config_.max_frame);
      ++reconnects_;
      err_ << "asio_client: connected again to " << server_.where() << " (reconnect " << reconnects_
           << ")";
      const auto again = book_.unsent_again();
      if (again != 0) err_ << "; sending " << again << " request(s) again";
      err_ << std::endl;
    }
    finished_ = true;
    if (stdin_) stdin_->close();
    window_room_.notify_all();
  }

  // Sends what is unsent on the current connection, until receive_replies()
  // says it is over. A failed write means the connection is gone: the
  // receiver is told (its read is cancelled) and decides what follows.
  awaitable<void> write_requests() {
    for (;;) {
      co_await to_send_.wait_until([this] { return conn_over_ || can_send() || can_shut(); });
      if (conn_over_) co_return;
      if (can_send()) {
        while (book_.unsent_count() != 0) {
          const auto& r = book_.send_next(conn_->next_id());
          conn_->queue(r.type, r.text);
        }
        try {
          co_await conn_->flush();
        } catch (const boost::system::system_error&) {
          // The connection is gone; the receiver finds out too (replies
          // already on their way are still read) and decides what follows.
          co_return;
        }
        if (!said_sent_) out_ << "Message sent (client)" << std::endl;
        said_sent_ = true;
        continue;
      }
      // can_shut()
      shut_ = true;
      conn_->shutdown_send();  // the server answers what it has, then closes
      // Nothing pending: the receiver is waiting for a frame that will not
      // come (TLS cannot half-close).
      if (complete()) conn_->socket().cancel();
    }
  }

  // Requests wait to go out on the current connection (none go after its
  // GOAWAY).
  bool can_send() const { return book_.unsent_count() != 0 && !goaway_; }
  // All input has ended and gone out: the connection can be half-closed.
  bool can_shut() const { return input_done_ && book_.unsent_count() == 0 && !shut_; }

  // Reads replies until the connection is over, then says whether it is
  // worth opening again (with --reconnect) or the exchange is finished.
  // Returns rather than throws: the || in run() waits for an operand to
  // succeed, so a failure here must end the exchange as a result.
  awaitable<void> receive_replies() {
    conn_over_ = shut_ = false;
    goaway_.reset();
    answered_ = 0;
    std::optional<cli::exit_status> lost;  // why the connection was lost
    bool fatal = false;
    try {
      // After a GOAWAY with --reconnect, the connection is over once the
      // requests up to its id are answered.
      while (!complete() && !(goaway_ && book_.awaiting_count() == 0)) {
        std::optional<proto::frame> frame;
        try {
          frame = co_await conn_->receive();
        } catch (const cut_mid_frame&) {  // a proxy's connection cut, say
          lost = cli::describe(std::current_exception());
          break;
        }
        if (!frame) break;
        on_frame(*frame);
        window_room_.notify_all();  // an answer makes room
        to_send_.notify_all();      // a GOAWAY may end the input
      }
    } catch (const boost::system::system_error& e) {
      // Cancelled: everything is answered, or the watchdog ended the run
      // (and said so).
      if (e.code() != asio::error::operation_aborted) {
        lost = cli::describe(std::current_exception());
      }
    } catch (...) {
      fatal = true;
      fail(cli::describe(std::current_exception()));
    }
    conn_over_ = true;
    to_send_.notify_all();
    window_room_.notify_all();
    if (!complete()) conn_->socket().cancel();  // a write still waiting ends
    if (fatal || timed_out_ || complete()) {
      finished_ = true;
      co_return;
    }
    if (config_.reconnect) {
      if (!goaway_) {
        err_ << "asio_client: " << (lost ? lost->message : "the server closed the connection");
        if (book_.awaiting_count() != 0) {
          err_ << " with " << book_.awaiting_count() << " request(s) unanswered";
        }
        err_ << "; connecting again" << std::endl;
      }
      co_return;  // connections() opens the next one
    }
    finished_ = true;
    if (lost) {
      fail(*lost);
    } else if (book_.awaiting_count() != 0) {
      err_ << "asio_client: the server closed the connection with " << book_.awaiting_count()
           << " request(s) unanswered" << std::endl;
      raise(goaway_ ? cli::exit_code::temp_fail : cli::exit_code::io_error);
    }
  }

  // A frame from the server. A reply refreshes the deadline only when it
  // answers a request awaiting one; anything else cannot keep the client
  // waiting. Throws protocol_error for a reply nobody asked for.
  void on_frame(const proto::frame& f) {
    using proto::frame_type;
    if (f.type() == frame_type::goaway) return on_goaway(f);
    if (f.type() == frame_type::error && f.id() == 0) {
      // About the connection, not a request (the server is busy, say): it
      // closes next. With --reconnect, a reason to try again.
      report_error(f, !config_.reconnect);
      return;
    }
    const request* r = book_.find(f.id());
    if (!r) {
      throw protocol_error("the server sent " + std::string(proto::type_name(f.header.type)) +
                           " for request " + std::to_string(f.id()) +
                           ", which is not awaiting an answer");
    }
    refresh_deadline();
    ++answered_;
    if (f.type() == frame_type::error) {
      report_error(f, true);
    } else if (f.type() == frame_type::hello_reply) {
      out_ << proto::printable(f.text()) << std::endl;
    } else if (f.type() == frame_type::ack) {
      out_ << proto::printable(f.text()) << " (message " << r->number << ": "
           << proto::printable(r->text, 60) << ")" << std::endl;
    } else {
      throw protocol_error("the server answered request " + std::to_string(f.id()) + " with " +
                           std::string(proto::type_name(f.header.type)));
    }
    book_.answer(f.id());
  }

  void report_error(const proto::frame& f, bool counts) {
    const auto e = proto::parse_error(f.payload);
    err_ << "asio_client: server error " << (e ? e->code : 0) << " ("
         << proto::error_name(e ? e->code : 0) << ")";
    if (f.id() != 0) err_ << " for request " << f.id();
    err_ << ": " << proto::printable(e ? e->text : std::string_view{}) << std::endl;
    if (counts) raise(cli::exit_code::protocol);
  }

  void on_goaway(const proto::frame& f) {
    const auto last = read_goaway(f.payload);
    if (goaway_) return;  // said once is enough
    goaway_ = last;
    // Stop sending; the requests after its id were not processed: they
    // are unsent again, first.
    const auto again = book_.goaway(last);
    err_ << "asio_client: the server is shutting down (GOAWAY after request " << *goaway_ << ")";
    to_send_.notify_all();
    if (config_.reconnect) {
      // Sent again first on the next connection; read input waits there.
      if (again != 0) err_ << "; " << again << " request(s) will be sent again";
      err_ << "; connecting again" << std::endl;
      return;
    }
    // No more input; what the server will not answer is reported now, the
    // rest is still on its way.
    if (stdin_) stdin_->close();
    input_done_ = true;
    const auto dropped = book_.drop_unsent();
    if (dropped != 0) {
      err_ << "; " << dropped << " request(s) were not processed and can be sent again";
      raise(cli::exit_code::temp_fail);
    }
    err_ << std::endl;
  }

  // --stdin: one message per line, while fewer than --max-in-flight await
  // their answer. Input goes on being read while a connection is opened
  // again; what is read then waits in `book_`, unsent.
  awaitable<void> read_input() {
    if (input_done_) co_return;
    stdin_.emplace(co_await asio::this_coro::executor);
    if (!stdin_->valid()) {
      err_ << "asio_client: cannot read standard input: " << stdin_->error() << std::endl;
      raise(cli::exit_code::io_error);
      end_input();
      co_return;
    }
    while (!finished_ && !input_done_) {
      co_await window_room_.wait_until(
          [this] { return book_.size() < config_.max_in_flight || finished_ || input_done_; });
      if (finished_ || input_done_) break;
      const auto ec = co_await stdin_->read();
      if (finished_ || input_done_) break;
      if (ec && ec != asio::error::eof && ec != asio::error::operation_aborted) {
        err_ << "asio_client: reading standard input: " << ec.message() << std::endl;
        raise(cli::exit_code::io_error);
      }
      while (const auto line = stdin_->next()) add_message(*line);
      if (ec) break;
      to_send_.notify_all();
    }
    end_input();
  }

  void end_input() {
    input_done_ = true;
    to_send_.notify_all();
  }

  awaitable<void> watchdog() {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
      timer.expires_at(deadline_);
      co_await timer.async_wait(use_tuple);
      if (steady_clock::now() < deadline_) continue;
      // Waiting for the user's input is not a timeout, and --reconnect-for
      // bounds a reconnection.
      if ((book_.awaiting_count() == 0 && !input_done_) || reconnecting_) {
        refresh_deadline();
        continue;
      }
      err_ << "asio_client: no answer from the server for "
           << std::chrono::duration<double>(config_.timeout).count() << " s (--timeout); "
           << book_.awaiting_count() << " request(s) unanswered" << std::endl;
      raise(cli::exit_code::io_error);
      timed_out_ = true;
      co_return;
    }
  }

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
  // The current connection's state.
  std::optional<std::uint32_t> goaway_;  // its last processed id, after a GOAWAY
  std::uint64_t answered_ = 0;
  bool conn_over_ = false;
  bool shut_ = false;
  int status_ = cli::exit_code::ok;
};

}  // namespace

awaitable<int> run_exchange(const client_config& config, std::ostream& out, std::ostream& err) {
  std::exception_ptr failure;
  try {
    connector server(config);
    auto first = co_await server.connect(config.timeout);
    exchange ex(server, std::move(first), config, out, err);
    const int status = co_await ex.run();
    co_return status;
  } catch (...) {
    failure = std::current_exception();
  }
  co_return cli::report(err, "asio_client", failure);
}

}  // namespace client
