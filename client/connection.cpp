#include "connection.hpp"

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

}  // namespace

awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(use_tuple);
}

framed_connection::framed_connection(stream socket, std::uint32_t max_frame)
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
    if (is_end_of_stream(ec)) {
      if (in_.empty()) co_return std::nullopt;
      throw cut_mid_frame("server closed the connection in the middle of a frame");
    }
    if (ec) throw boost::system::system_error(ec);
    in_.commit(n);
  }
}

void framed_connection::shutdown_send() { socket_.shutdown_send(); }

}  // namespace client
