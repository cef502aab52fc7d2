// The loops that keep requests in flight on one connection: the framed
// closed loop (with --reconnect), the fixed rate (--rate) and the raw
// closed loop (--raw).
#include <boost/asio/read.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>

#include "bench_run.hpp"
#include "client_asio.hpp"
#include "connection.hpp"
#include "frame_buffer.hpp"
#include "reconnect.hpp"
#include "wakeup.hpp"

namespace client {

awaitable<void> bench_run::framed_closed_loop(std::size_t slot) {
  // Its requests, carried from one connection to the next.
  in_flight_window window(options.depth);
  std::optional<stream> socket(co_await server.connect(config.timeout));
  reconnector again(
      server, config,
      static_cast<std::uint32_t>(slot * 7919 + bench_clock::now().time_since_epoch().count()));
  for (;;) {
    std::uint64_t answered = 0;
    if (!co_await framed_connection_run(slot, std::move(*socket), window, answered)) co_return;
    again.ended(answered);
    socket = co_await again.connect(stopping_);
    if (!socket) {
      if (!stopping_) fail(cli::exit_code::unavailable, again.why());
      co_return;
    }
    ++result_.reconnects;
  }
}

awaitable<bool> bench_run::framed_connection_run(std::size_t slot, stream socket,
                                                 in_flight_window& window,
                                                 std::uint64_t& answered) {
  framed_connection conn(std::move(socket), config.max_frame);
  live_socket registered(*this, slot, conn.socket());
  // After a GOAWAY nothing more is sent, and what it leaves unprocessed is
  // carried over.
  bool goaway = false;
  // Fills the window, requests carried over from the last connection first;
  // the requests go out together in the next flush.
  auto fill = [&] {
    const auto now = bench_clock::now();
    while (!stopping_ && !goaway && window.has_room(conn.next_id())) {
      const std::uint32_t id = conn.next_id();
      conn.queue(options.type, proto::bytes_view(payload_for(id)));
      if (window.put(id, now)) ++result_.resends;
    }
  };
  // Without --reconnect, an error ends the run as before; with it, the
  // connection ends and its unanswered requests are sent again.
  bool lost = false;
  auto flush = [&]() -> awaitable<void> {
    try {
      co_await conn.flush();
    } catch (const boost::system::system_error&) {
      if (!config.reconnect) throw;
      lost = true;
    }
  };
  fill();
  co_await flush();
  // A frame still buffered is read even when nothing is in flight: it may
  // be a GOAWAY.
  while ((!window.empty() || conn.frame_ready()) && !lost) {
    std::optional<proto::frame> f;
    try {
      f = co_await conn.receive();
    } catch (const boost::system::system_error&) {
      if (!config.reconnect) throw;
      break;
    } catch (const cut_mid_frame&) {  // a proxy's connection cut
      if (!config.reconnect) throw;
      break;
    }
    const auto now = bench_clock::now();
    if (!f) {
      if (!config.reconnect) {
        closed_early(window.size());
        co_return false;
      }
      break;
    }
    if (config.reconnect && f->type() == proto::frame_type::goaway) {
      window.goaway(read_goaway(f->payload));
      goaway = true;
    } else if (!take_reply(*f, window, now)) {
      co_return false;
    } else {
      ++answered;
    }
    // Everything the server will answer is answered: the rest goes elsewhere.
    if (goaway && window.empty()) break;
    // Answer a whole read's worth of replies with one write.
    if (!conn.frame_ready()) {
      fill();
      if (conn.has_queued()) co_await flush();
    }
  }
  if (window.empty() && !goaway && !lost) {
    conn.shutdown_send();
    co_return false;  // the run is over
  }
  // --reconnect: the connection ended with requests unanswered, or the
  // server said GOAWAY; a stopped run does not go on.
  window.carry_over();
  co_return !stopping_;
}

awaitable<void> bench_run::framed_fixed_rate(std::size_t slot, bench_clock::time_point first_due) {
  framed_connection conn(co_await server.connect(config.timeout), config.max_frame);
  live_socket registered(*this, slot, conn.socket());
  in_flight_window window(options.depth);
  const auto executor = co_await asio::this_coro::executor;
  wakeup room(executor);  // the sender waits here while the window is full
  bool sender_done = false;
  const auto interval = std::chrono::duration_cast<bench_clock::duration>(
      std::chrono::duration<double>(double(options.connections) / options.rate));

  auto sender = [&]() -> awaitable<void> {
    asio::steady_timer timer(executor);
    auto due = first_due;
    while (!stopping_) {
      const auto now = bench_clock::now();
      if (due > now) {
        timer.expires_at(due);
        co_await timer.async_wait(use_tuple);
        continue;
      }
      if (!window.has_room(conn.next_id())) {
        co_await room.wait();  // for an answer
        continue;
      }
      // Everything due by now goes out, each stamped with when it was due.
      while (due <= now && window.has_room(conn.next_id())) {
        const std::uint32_t id = conn.next_id();
        conn.queue(options.type, proto::bytes_view(payload_for(id)));
        window.put(id, due);
        due += interval;
      }
      co_await conn.flush();
    }
    sender_done = true;
    conn.shutdown_send();  // the server answers what it has, then closes
    // TLS cannot half-close: the receiver stops when all are answered.
    if (window.empty()) conn.socket().cancel();
  };
  auto receiver = [&]() -> awaitable<void> {
    while (!(sender_done && window.empty())) {
      std::optional<proto::frame> f;
      try {
        f = co_await conn.receive();
      } catch (const boost::system::system_error&) {
        if (sender_done && window.empty()) break;  // cancelled: all answered
        throw;
      }
      const auto now = bench_clock::now();
      if (!f || !take_reply(*f, window, now)) break;
      room.notify_all();
    }
    if (!window.empty()) closed_early(window.size());
    room.notify_all();
  };
  co_await (sender() && receiver());
}

awaitable<void> bench_run::raw_closed_loop(std::size_t slot) {
  stream socket = co_await server.connect(config.timeout);
  live_socket registered(*this, slot, socket);
  in_flight_window window(options.depth);
  const std::size_t size = options.size;
  std::vector<std::byte> out;
  proto::frame_buffer in;
  std::uint32_t next = 1, expected = 1;

  auto fill = [&] {
    const auto now = bench_clock::now();
    while (!stopping_ && window.has_room(next)) {
      const auto& message = payload_for(next);
      out.insert(out.end(), message.begin(), message.end());
      window.put(next, now);
      if (++next == 0) next = 1;
    }
  };
  fill();
  while (!window.empty()) {
    if (!out.empty()) {
      auto [ec, n] = co_await asio::async_write(socket, asio::buffer(out), use_tuple);
      out.clear();
      if (ec) {
        fail(cli::exit_code::io_error, "write: " + ec.message());
        co_return;
      }
    }
    auto space = in.prepare(64 * 1024);
    auto [ec, n] =
        co_await socket.async_read_some(asio::buffer(space.data(), space.size()), use_tuple);
    if (ec) {
      fail(cli::exit_code::io_error,
           (is_end_of_stream(ec) ? std::string("the server closed a connection")
                                 : "read: " + ec.message()) +
               " with " + std::to_string(window.size()) + " messages in flight");
      co_return;
    }
    in.commit(n);
    const auto now = bench_clock::now();
    // An echo server keeps no message boundaries: cut the stream into
    // messages of the size sent, in order.
    while (in.size() >= size) {
      if (!echoed_correctly(in.readable().first(size), expected)) {
        fail(cli::exit_code::protocol,
             "message " + std::to_string(expected) + " came back different");
        co_return;
      }
      if (const auto sent = window.take(expected)) record(*sent, now);
      in.consume(size);
      if (++expected == 0) expected = 1;
    }
    fill();
  }
  socket.shutdown_send();
}

}  // namespace client
