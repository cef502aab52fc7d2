#include "connection.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>

#include "cli_support.hpp"
#include "client_asio.hpp"

namespace client {

namespace {

// The free space of a frame_buffer as an Asio buffer.
asio::mutable_buffer writable(proto::frame_buffer& b, std::size_t at_least) {
  const auto s = b.prepare(at_least);
  return {s.data(), s.size()};
}
constexpr std::size_t read_chunk = 16 * 1024;

// Errors are returned, not thrown: the || below waits for the first
// operation to *succeed*, so an exception would only be seen at the timeout.
struct connected {
  tcp::socket socket;
  std::string error;
};

awaitable<connected> resolve_and_connect(std::string host, std::uint16_t port) {
  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  auto [resolve_ec, endpoints] = co_await resolver.async_resolve(
      host, std::to_string(port), tcp::resolver::numeric_service, use_tuple);
  if (resolve_ec) co_return connected{tcp::socket(executor), resolve_ec.message()};

  tcp::socket socket(executor);
  auto [ec, endpoint] = co_await asio::async_connect(socket, endpoints, use_tuple);
  if (ec) co_return connected{tcp::socket(executor), ec.message()};
  socket.set_option(tcp::no_delay(true), ec);
  co_return connected{std::move(socket), {}};
}

}  // namespace

awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(use_tuple);
}

awaitable<tcp::socket> connect(std::string_view host, std::uint16_t port,
                               std::chrono::milliseconds timeout) {
  const std::string where = std::string(host) + ":" + std::to_string(port);
  host = cli::strip_brackets(host);
  auto result = co_await (resolve_and_connect(std::string(host), port) || sleep_for(timeout));
  if (result.index() == 1) throw connect_error("cannot connect to " + where + ": timed out");
  auto& c = std::get<0>(result);
  if (!c.error.empty()) throw connect_error("cannot connect to " + where + ": " + c.error);
  co_return std::move(c.socket);
}

framed_connection::framed_connection(tcp::socket socket, std::uint32_t max_frame)
    : socket_(std::move(socket)), max_frame_(max_frame) {}

std::uint32_t framed_connection::queue(proto::frame_type type, proto::bytes_view payload) {
  const std::uint32_t id = next_id_++;
  proto::append_frame(queued_, type, id, payload);
  return id;
}

awaitable<void> framed_connection::flush() {
  while (!queued_.empty()) {
    // Swap so that queue() can go on filling the other buffer meanwhile;
    // both keep their capacity.
    sending_.swap(queued_);
    queued_.clear();
    co_await asio::async_write(socket_, asio::buffer(sending_), asio::use_awaitable);
    sending_.clear();
  }
}

bool framed_connection::frame_ready() const noexcept {
  return proto::decode_frame(in_.readable().subspan(consumed_), max_frame_).status ==
         proto::decode_status::complete;
}

awaitable<std::optional<proto::frame>> framed_connection::receive() {
  in_.consume(consumed_);
  consumed_ = 0;
  for (;;) {
    const auto r = proto::decode_frame(in_.readable(), max_frame_);
    switch (r.status) {
      case proto::decode_status::complete:
        consumed_ = r.consumed;
        co_return r.decoded;
      case proto::decode_status::need_more:
        break;
      case proto::decode_status::too_large:
        throw protocol_error("server sent a frame of " + std::to_string(r.decoded.header.length) +
                             " bytes, over the limit of " + std::to_string(max_frame_));
      case proto::decode_status::bad_magic:
      case proto::decode_status::bad_version:
        throw protocol_error("server sent bytes that are not a protocol frame");
    }
    const std::size_t want = std::max(read_chunk, r.needed - in_.size());
    auto [ec, n] = co_await socket_.async_read_some(writable(in_, want), use_tuple);
    if (ec == asio::error::eof) {
      if (in_.empty()) co_return std::nullopt;
      throw protocol_error("server closed the connection in the middle of a frame");
    }
    if (ec) throw boost::system::system_error(ec);
    in_.commit(n);
  }
}

void framed_connection::shutdown_send() {
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace client
