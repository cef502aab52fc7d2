#include "exchange.hpp"

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <optional>
#include <string>
#include <unordered_map>

#include "client_asio.hpp"
#include "connection.hpp"
#include "exit_codes.hpp"
#include "failure.hpp"
#include "printable.hpp"
#include "standard_input.hpp"

namespace client {

using std::chrono::steady_clock;

namespace {

// One framed conversation: a sender (greeting, messages, stdin) and a
// receiver (replies, matched by id) running side by side on one thread. It
// is over when input has ended and every request has its answer, when the
// server closes, or when no awaited answer comes for --timeout.
class exchange {
 public:
  exchange(framed_connection& conn, const client_config& config, std::ostream& out,
           std::ostream& err)
      : conn_(conn), config_(config), out_(out), err_(err), wakeup_(conn.socket().get_executor()) {}

  awaitable<int> run() {
    pending_.emplace(conn_.queue(proto::frame_type::hello, config_.hello), outstanding{});
    for (const auto& m : config_.messages) send_message(m);
    co_await conn_.flush();
    out_ << "Message sent (client)" << std::endl;
    if (!config_.read_stdin) end_input();
    refresh_deadline();
    co_await ((receive_replies() && send_stdin()) || watchdog());
    co_return status_;
  }

 private:
  struct outstanding {
    std::size_t number = 0;  // 0 for the greeting, else the message's place
    std::string text;
  };

  void send_message(std::string_view text) {
    const std::uint32_t id = conn_.queue(proto::frame_type::message, text);
    pending_.emplace(id, outstanding{++messages_, std::string(text)});
  }

  void end_input() {
    if (input_done_) return;
    input_done_ = true;
    conn_.shutdown_send();  // the server answers what it has, then closes
    wakeup_.cancel();
  }

  // Everything sent has its answer and nothing more will be sent: done,
  // without waiting for the server's close (no reply is left to lose).
  bool complete() const { return input_done_ && pending_.empty(); }

  void refresh_deadline() { deadline_ = steady_clock::now() + config_.timeout; }

  // Returns rather than throws: the || in run() waits for an operand to
  // succeed, so a failure here must end the exchange as a result.
  awaitable<void> receive_replies() {
    bool lost = false, cancelled = false;
    try {
      while (!complete()) {
        auto frame = co_await conn_.receive();
        if (!frame) break;
        on_frame(*frame);
        wakeup_.cancel();  // the window may have room again, or input may end
      }
    } catch (const boost::system::system_error& e) {
      // Cancelled: the exchange ended another way, which says so itself.
      cancelled = e.code() == asio::error::operation_aborted;
      lost = !cancelled;
      if (lost) fail(cli::describe(std::current_exception()));
    } catch (...) {
      lost = true;
      fail(cli::describe(std::current_exception()));
    }
    finished_ = true;
    wakeup_.cancel();
    if (stdin_) stdin_->close();
    if (cancelled) co_return;
    if (!pending_.empty() && !lost) {
      err_ << "asio_client: the server closed the connection with " << pending_.size()
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
      report_error(f);  // about the connection, not a request: it closes next
      return;
    }
    const auto it = pending_.find(f.id());
    if (it == pending_.end()) {
      throw protocol_error("the server sent " + std::string(proto::type_name(f.header.type)) +
                           " for request " + std::to_string(f.id()) +
                           ", which is not awaiting an answer");
    }
    refresh_deadline();
    if (f.type() == frame_type::error) {
      report_error(f);
    } else if (f.type() == frame_type::hello_reply) {
      out_ << proto::printable(f.text()) << std::endl;
    } else if (f.type() == frame_type::ack) {
      out_ << proto::printable(f.text()) << " (message " << it->second.number << ": "
           << proto::printable(it->second.text, 60) << ")" << std::endl;
    } else {
      throw protocol_error("the server answered request " + std::to_string(f.id()) + " with " +
                           std::string(proto::type_name(f.header.type)));
    }
    pending_.erase(it);
  }

  void report_error(const proto::frame& f) {
    const auto e = proto::parse_error(f.payload);
    err_ << "asio_client: server error " << (e ? e->code : 0) << " ("
         << proto::error_name(e ? e->code : 0) << ")";
    if (f.id() != 0) err_ << " for request " << f.id();
    err_ << ": " << proto::printable(e ? e->text : std::string_view{}) << std::endl;
    raise(cli::exit_code::protocol);
  }

  void on_goaway(const proto::frame& f) {
    const auto last = proto::parse_goaway(f.payload);
    if (!last) throw protocol_error("the server sent a GOAWAY that cannot be read");
    if (goaway_) return;  // said once is enough
    goaway_ = *last;
    // Stop sending; what the server will not answer is reported now, the
    // rest is still on its way.
    if (stdin_) stdin_->close();
    end_input();
    std::size_t dropped = 0;
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->first > *goaway_) {
        ++dropped;
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
    err_ << "asio_client: the server is shutting down (GOAWAY after request " << *goaway_ << ")";
    if (dropped != 0) {
      err_ << "; " << dropped << " request(s) were not processed and can be sent again";
      raise(cli::exit_code::temp_fail);
    }
    err_ << std::endl;
  }

  awaitable<void> send_stdin() {
    if (!config_.read_stdin) co_return;
    standard_input input;
    if (!input.valid()) {
      err_ << "asio_client: cannot read standard input: " << input.error() << std::endl;
      raise(cli::exit_code::io_error);
      end_input();
      co_return;
    }
    asio::posix::stream_descriptor in(co_await asio::this_coro::executor, input.release());
    stdin_ = &in;
    std::string buffered;
    char chunk[16 * 1024];
    while (!finished_ && !input_done_) {
      while (pending_.size() >= config_.max_in_flight && !finished_ && !input_done_) {
        wakeup_.expires_at(steady_clock::time_point::max());
        co_await wakeup_.async_wait(use_tuple);
      }
      if (finished_ || input_done_) break;
      auto [ec, n] = co_await in.async_read_some(asio::buffer(chunk), use_tuple);
      if (ec) {
        if (ec != asio::error::eof && !finished_ && !input_done_) {
          err_ << "asio_client: reading standard input: " << ec.message() << std::endl;
          raise(cli::exit_code::io_error);
        }
        if (!buffered.empty() && !finished_ && !input_done_) send_line(buffered);
        break;
      }
      buffered.append(chunk, n);
      std::size_t start = 0;
      for (std::size_t nl; (nl = buffered.find('\n', start)) != std::string::npos; start = nl + 1) {
        send_line(std::string_view(buffered).substr(start, nl - start));
      }
      buffered.erase(0, start);
      const bool flushed = co_await flush_quietly();
      if (!flushed) break;
    }
    stdin_ = nullptr;
    if (!finished_ && !input_done_) {
      co_await flush_quietly();
      end_input();
      // Nothing pending: the receiver is waiting for a frame that will not
      // come; it has nothing left to wait for.
      if (complete()) conn_.socket().cancel();
    }
  }

  void send_line(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    send_message(line);
  }

  // A failed write means the connection is gone; the receiver sees that too
  // and reports it, so the sender just stops.
  awaitable<bool> flush_quietly() {
    try {
      co_await conn_.flush();
      co_return true;
    } catch (const boost::system::system_error&) {
      input_done_ = true;
      co_return false;
    }
  }

  awaitable<void> watchdog() {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
      timer.expires_at(deadline_);
      co_await timer.async_wait(use_tuple);
      if (steady_clock::now() < deadline_) continue;
      if (pending_.empty() && !input_done_) {
        refresh_deadline();  // waiting for the user's input is not a timeout
        continue;
      }
      err_ << "asio_client: no answer from the server for "
           << std::chrono::duration<double>(config_.timeout).count() << " s (--timeout); "
           << pending_.size() << " request(s) unanswered" << std::endl;
      raise(cli::exit_code::io_error);
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

  framed_connection& conn_;
  const client_config& config_;
  std::ostream& out_;
  std::ostream& err_;
  asio::steady_timer wakeup_;  // the sender waits here while the window is full
  asio::posix::stream_descriptor* stdin_ = nullptr;
  std::unordered_map<std::uint32_t, outstanding> pending_;
  std::size_t messages_ = 0;
  std::optional<std::uint32_t> goaway_;
  steady_clock::time_point deadline_;
  bool input_done_ = false;
  bool finished_ = false;
  int status_ = cli::exit_code::ok;
};

}  // namespace

awaitable<int> run_exchange(const client_config& config, std::ostream& out, std::ostream& err) {
  std::exception_ptr failure;
  try {
    connector server(config);
    framed_connection conn(co_await server.connect(config.timeout), config.max_frame);
    exchange ex(conn, config, out, err);
    const int status = co_await ex.run();
    co_return status;
  } catch (...) {
    failure = std::current_exception();
  }
  co_return cli::report(err, "asio_client", failure);
}

}  // namespace client
