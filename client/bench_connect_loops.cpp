// The loops that measure opening connections: one request on each new
// connection (--connect-per-request), and connections opened and held
// (--idle).
#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>

#include "bench_run.hpp"
#include "client_asio.hpp"
#include "connection.hpp"

namespace client {

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
