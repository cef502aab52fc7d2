// What each benchmark connection does, and how replies are checked and
// counted.
#include <algorithm>
#include <bit>
#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <cstring>

#include "bench_run.hpp"
#include "client_asio.hpp"
#include "connection.hpp"
#include "frame_buffer.hpp"
#include "reconnect.hpp"

namespace client {

namespace {

proto::frame_type reply_type(proto::frame_type request) {
  return static_cast<proto::frame_type>(static_cast<std::uint8_t>(request) | 0x80);
}

void stamp(std::vector<std::byte>& bytes, std::uint32_t id) {
  for (std::size_t i = 0; i < std::min<std::size_t>(4, bytes.size()); ++i) {
    bytes[i] = std::byte(id >> (24 - 8 * i));
  }
}

// Registers a socket in its slot for close_all() while it lives.
struct live_socket {
  live_socket(bench_run& run, std::size_t slot, stream& s) : run(run), slot(slot) {
    run.live_sockets[slot] = &s;
  }
  ~live_socket() { run.live_sockets[slot] = nullptr; }
  bench_run& run;
  std::size_t slot;
};

}  // namespace

in_flight_window::in_flight_window(unsigned depth)
    : slots_(std::bit_ceil(std::size_t{depth} * 2)), mask_(slots_.size() - 1), depth_(depth) {}

bool in_flight_window::any_up_to(std::uint32_t last) const noexcept {
  return std::any_of(slots_.begin(), slots_.end(),
                     [last](const slot& s) { return s.id != 0 && s.id <= last; });
}

std::vector<bench_clock::time_point> in_flight_window::take_all() {
  std::vector<bench_clock::time_point> sent;
  for (auto& s : slots_) {
    if (s.id != 0) sent.push_back(s.sent);
    s.id = 0;
  }
  count_ = 0;
  std::sort(sent.begin(), sent.end());
  return sent;
}

std::optional<bench_clock::time_point> in_flight_window::take(std::uint32_t id) noexcept {
  slot& s = slots_[id & mask_];
  if (s.id != id || id == 0) return std::nullopt;
  s.id = 0;
  --count_;
  return s.sent;
}

bench_run::bench_run(const client_config& c, connector& s)
    : config(c),
      options(c.bench),
      server(s),
      payload_(c.bench.size, std::byte{'x'}),
      pattern_(c.bench.size, std::byte{'x'}) {}

void bench_run::start(bench_clock::time_point now) {
  measure_from_ = now + options.warmup;
  // One count per second of the window, made now: record() allocates nothing.
  // (The slowest second is looked for in the first day, at most.)
  const auto seconds = std::chrono::ceil<std::chrono::seconds>(options.duration).count();
  per_second_.assign(static_cast<std::size_t>(std::min<std::int64_t>(seconds, 86'400)) + 1, 0);
}

void bench_run::record(bench_clock::time_point sent, bench_clock::time_point now) noexcept {
  const auto ns = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(now - sent).count());
  ++answered_total;
  if (track_progress) this_second.record(ns);
  if (stopping_ || now < measure_from_) return;
  result_.latency.record(ns);
  ++result_.answered;
  const auto second = static_cast<std::size_t>((now - measure_from_) / std::chrono::seconds(1));
  if (second < per_second_.size()) ++per_second_[second];
  result_.payload_bytes += options.size;
  if (options.requests != 0 && result_.answered >= options.requests) stop(now);
}

void bench_run::stop(bench_clock::time_point now) noexcept {
  if (stopping_) return;
  stopping_ = true;
  stopped_at_ = now;
}

void bench_run::fail(int exit_code, std::string why) {
  if (++result_.errors == 1) result_.first_error = std::move(why);
  if (exit_code_ == cli::exit_code::ok) exit_code_ = exit_code;
}

void bench_run::close_all() {
  for (auto* s : live_sockets) {
    if (s) s->close();
  }
}

bench_result bench_run::finish(bench_clock::time_point now) {
  stop(now);
  result_.elapsed =
      stopped_at_ > measure_from_ ? stopped_at_ - measure_from_ : bench_clock::duration::zero();
  // Whole seconds only: the last, cut short by the stop, would look slow.
  const auto whole = std::min(per_second_.size(),
                              static_cast<std::size_t>(result_.elapsed / std::chrono::seconds(1)));
  if (whole > 0) {
    result_.min_1s_per_second =
        double(*std::min_element(per_second_.begin(), per_second_.begin() + whole));
  }
  return std::move(result_);
}

const std::vector<std::byte>& bench_run::payload_for(std::uint32_t id) {
  stamp(payload_, id);
  return payload_;
}

bool bench_run::echoed_correctly(proto::bytes_view got, std::uint32_t id) const {
  if (got.size() != pattern_.size()) return false;
  const std::size_t head = std::min<std::size_t>(4, got.size());
  for (std::size_t i = 0; i < head; ++i) {
    if (got[i] != std::byte(id >> (24 - 8 * i))) return false;
  }
  return std::memcmp(got.data() + head, pattern_.data() + head, got.size() - head) == 0;
}

bool bench_run::reply_is_right(const proto::frame& f) {
  if (f.type() == proto::frame_type::error) {
    const auto e = proto::parse_error(f.payload);
    fail(cli::exit_code::protocol, "server error " + std::to_string(e ? e->code : 0) + ": " +
                                       std::string(e ? e->text : "(unreadable)"));
    return false;
  }
  if (f.type() == proto::frame_type::goaway) {
    fail(cli::exit_code::temp_fail, "the server is shutting down (GOAWAY)");
    return false;
  }
  bool right = f.type() == reply_type(options.type);
  if (right && options.type == proto::frame_type::echo) right = echoed_correctly(f.payload, f.id());
  if (right && options.type == proto::frame_type::message) right = f.text() == proto::ack_text;
  if (right && options.type == proto::frame_type::ping) right = f.payload.empty();
  if (!right) {
    fail(cli::exit_code::protocol, "wrong reply to request " + std::to_string(f.id()) + ": " +
                                       std::string(proto::type_name(f.header.type)) + " with " +
                                       std::to_string(f.payload.size()) + " bytes");
  }
  return right;
}

bool bench_run::take_reply(const proto::frame& f, in_flight_window& window,
                           bench_clock::time_point now) {
  // GOAWAY (id 0) and an ERROR about the connection answer no request.
  if (f.type() == proto::frame_type::goaway ||
      (f.type() == proto::frame_type::error && f.id() == 0)) {
    return reply_is_right(f);
  }
  const auto sent = window.take(f.id());
  if (!sent) {
    fail(cli::exit_code::protocol,
         "reply to request " + std::to_string(f.id()) + ", which is not in flight");
    return false;
  }
  if (!reply_is_right(f)) return false;
  record(*sent, now);
  return true;
}

void bench_run::closed_early(std::size_t in_flight) {
  fail(cli::exit_code::io_error,
       "the server closed a connection with " + std::to_string(in_flight) + " requests in flight");
}

awaitable<void> bench_run::framed_closed_loop(std::size_t slot) {
  std::vector<bench_clock::time_point> carried;
  std::optional<stream> socket(co_await server.connect(config.timeout));
  reconnector again(
      server, config,
      static_cast<std::uint32_t>(slot * 7919 + bench_clock::now().time_since_epoch().count()));
  for (;;) {
    std::uint64_t answered = 0;
    if (!co_await framed_connection_run(slot, std::move(*socket), carried, answered)) co_return;
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
                                                 std::vector<bench_clock::time_point>& carried,
                                                 std::uint64_t& answered) {
  framed_connection conn(std::move(socket), config.max_frame);
  live_socket registered(*this, slot, conn.socket());
  in_flight_window window(options.depth);
  // After a GOAWAY: the last id the server processes. Nothing more is sent.
  std::optional<std::uint32_t> last_processed;
  // Fills the window, requests carried over from the last connection first;
  // the requests go out together in the next flush.
  auto fill = [&] {
    const auto now = bench_clock::now();
    while (!stopping_ && !last_processed && window.has_room(conn.next_id())) {
      const std::uint32_t id = conn.next_id();
      conn.queue(options.type, proto::bytes_view(payload_for(id)));
      if (carried.empty()) {
        window.put(id, now);
      } else {  // timed from when it was first sent
        window.put(id, carried.front());
        carried.erase(carried.begin());
        ++result_.resends;
      }
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
      const auto last = proto::parse_goaway(f->payload);
      if (!last) throw protocol_error("the server sent a GOAWAY that cannot be read");
      last_processed = *last;
    } else if (!take_reply(*f, window, now)) {
      co_return false;
    } else {
      ++answered;
    }
    // Everything the server will answer is answered: the rest goes elsewhere.
    if (last_processed && !window.any_up_to(*last_processed)) break;
    // Answer a whole read's worth of replies with one write.
    if (!conn.frame_ready()) {
      fill();
      if (conn.has_queued()) co_await flush();
    }
  }
  if (window.empty() && !last_processed && !lost) {
    conn.shutdown_send();
    co_return false;  // the run is over
  }
  // --reconnect: the connection ended with requests unanswered, or the
  // server said GOAWAY; a stopped run does not go on.
  auto unanswered = window.take_all();
  carried.insert(carried.begin(), unanswered.begin(), unanswered.end());
  co_return !stopping_;
}

awaitable<void> bench_run::framed_fixed_rate(std::size_t slot, bench_clock::time_point first_due) {
  framed_connection conn(co_await server.connect(config.timeout), config.max_frame);
  live_socket registered(*this, slot, conn.socket());
  in_flight_window window(options.depth);
  const auto executor = co_await asio::this_coro::executor;
  asio::steady_timer wakeup(executor);  // the sender waits here while the window is full
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
        wakeup.expires_at(bench_clock::time_point::max());
        co_await wakeup.async_wait(use_tuple);
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
      wakeup.cancel();
    }
    if (!window.empty()) closed_early(window.size());
    wakeup.cancel();
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

awaitable<void> bench_run::connect_per_request(std::size_t slot) {
  const auto executor = co_await asio::this_coro::executor;
  // The one request and the one reply it must get, made once.
  std::vector<std::byte> request, expected;
  if (config.raw) {
    request = payload_for(1);
    expected = request;
  } else {
    proto::append_frame(request, options.type, 1, proto::bytes_view(payload_for(1)));
    proto::append_frame(
        expected, reply_type(options.type), 1,
        options.type == proto::frame_type::message ? proto::as_bytes(proto::ack_text)
        : options.type == proto::frame_type::ping  ? proto::bytes_view{}
                                                   : proto::bytes_view(payload_for(1)));
  }
  std::vector<std::byte> reply(expected.size());
  while (!stopping_) {
    const auto began = bench_clock::now();
    stream socket = server.make(executor);
    live_socket registered(*this, slot, socket);
    if (const auto why = co_await server.open(socket)) {
      if (!stopping_) fail(cli::exit_code::unavailable, "connect: " + *why);
      co_return;
    }
    auto [ec, n] = co_await asio::async_write(socket, asio::buffer(request), use_tuple);
    if (!ec)
      std::tie(ec, std::ignore) = co_await asio::async_read(socket, asio::buffer(reply), use_tuple);
    if (ec) {
      fail(cli::exit_code::io_error, "request on a new connection: " + ec.message());
      co_return;
    }
    if (reply != expected) {
      fail(cli::exit_code::protocol, "wrong reply on a new connection");
      co_return;
    }
    record(began, bench_clock::now());
  }
}

awaitable<void> bench_run::open_idle(std::size_t slot, std::size_t& opened,
                                     std::vector<stream>& held) {
  const auto executor = co_await asio::this_coro::executor;
  std::vector<std::byte> request;
  std::size_t reply_size = 1;
  if (config.raw) {
    request.push_back(std::byte{'x'});
  } else {
    proto::append_frame(request, proto::frame_type::ping, 1, proto::bytes_view{});
    reply_size = proto::header_size;
  }
  std::vector<std::byte> reply(reply_size);
  // Connect, one request, its answer: all of it within --timeout.
  auto open_one = [&](stream& socket) -> awaitable<std::optional<std::string>> {
    if (auto why = co_await server.open(socket)) co_return why;
    auto [ec, n] = co_await asio::async_write(socket, asio::buffer(request), use_tuple);
    if (!ec)
      std::tie(ec, std::ignore) = co_await asio::async_read(socket, asio::buffer(reply), use_tuple);
    if (ec) co_return ec.message();
    co_return std::nullopt;
  };
  while (opened < options.connections && !stopping_) {
    const std::size_t number = ++opened;
    stream socket = server.make(executor);
    live_socket registered(*this, slot, socket);
    const auto result = co_await (open_one(socket) || sleep_for(config.timeout));
    if (stopping_) co_return;  // a signal: the result no longer matters
    if (result.index() == 1) {
      fail(cli::exit_code::io_error,
           "connection " + std::to_string(number) + ": no answer within --timeout");
      co_return;
    }
    if (const auto& why = std::get<0>(result)) {
      fail(cli::exit_code::unavailable, "connection " + std::to_string(number) + ": " + *why);
      co_return;
    }
    if (!config.raw) {
      const auto r = proto::decode_frame(reply, 0);
      if (r.status != proto::decode_status::complete ||
          r.decoded.type() != proto::frame_type::pong || r.decoded.id() != 1) {
        fail(cli::exit_code::protocol, "connection " + std::to_string(number) +
                                           ": the answer to its PING was " +
                                           std::string(proto::type_name(r.decoded.header.type)) +
                                           " for request " + std::to_string(r.decoded.id()));
        co_return;
      }
    }
    held.push_back(std::move(socket));
  }
}

}  // namespace client
