// The framed exchange's coroutines: the connections one after another, the
// writer and the receiver of each, standard input, the watchdog
// (conversation.hpp).
#include "conversation.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

namespace client {

awaitable<int> conversation::run() {
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

awaitable<void> conversation::connections() {
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
    again_.ended(current_.answered);
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

awaitable<void> conversation::write_requests() {
  for (;;) {
    co_await to_send_.wait_until([this] { return current_.over || can_send() || can_shut(); });
    if (current_.over) co_return;
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
    current_.shut = true;
    conn_->shutdown_send();  // the server answers what it has, then closes
    // Nothing pending: the receiver is waiting for a frame that will not
    // come (TLS cannot half-close).
    if (complete()) conn_->socket().cancel();
  }
}

awaitable<void> conversation::receive_replies() {
  current_ = {};
  std::optional<cli::exit_status> lost;  // why the connection was lost
  bool fatal = false;
  try {
    // After a GOAWAY with --reconnect, the connection is over once the
    // requests up to its id are answered.
    while (!complete() && !(current_.goaway && book_.awaiting_count() == 0)) {
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
      to_send_.notify_all();      // or input may end
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
  current_.over = true;
  to_send_.notify_all();
  window_room_.notify_all();
  if (!complete()) conn_->socket().cancel();  // a write still waiting ends
  if (fatal || timed_out_ || complete()) {
    finished_ = true;
    co_return;
  }
  if (config_.reconnect) {
    if (!current_.goaway) {
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
    raise(current_.goaway ? cli::exit_code::temp_fail : cli::exit_code::io_error);
  }
}

awaitable<void> conversation::read_input() {
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

awaitable<void> conversation::watchdog() {
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

}  // namespace client
