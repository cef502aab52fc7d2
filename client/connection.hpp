// The client side of the protocol over one connection, built on the
// shared codec: queue requests (each gets the next id), flush them in one
// write, receive frames as they come. Used by the command-line client, the
// tests and the load generator alike.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "client_errors.hpp"
#include "frame_buffer.hpp"
#include "frame_codec.hpp"
#include "transport.hpp"

namespace client {

// Waits for `d`; with the awaitable operators, a timeout: (op() || sleep_for(d)).
boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds d);

class framed_connection {
 public:
  explicit framed_connection(stream socket, std::uint32_t max_frame = proto::default_max_payload);

  // Appends a request to the output queue and returns its id (1, 2, 3...).
  std::uint32_t queue(proto::frame_type type, proto::bytes_view payload);
  std::uint32_t queue(proto::frame_type type, std::string_view payload) {
    return queue(type, proto::as_bytes(payload));
  }
  bool has_queued() const noexcept { return !queued_.empty(); }
  // The id the next queue() will return.
  std::uint32_t next_id() const noexcept { return next_id_; }
  // Whether receive() has a whole frame buffered, so would not read.
  bool frame_ready() const noexcept;

  // Writes everything queued. One flush at a time; queue() may be called
  // while it runs. Throws boost::system::system_error.
  boost::asio::awaitable<void> flush();

  // The next frame from the server, a view valid until the next call; no
  // value when the server closed cleanly between frames. Throws
  // protocol_error or boost::system::system_error.
  boost::asio::awaitable<std::optional<proto::frame>> receive();

  // Half-closes: the server sees end of stream, answers what it has and
  // closes its side, which ends receive().
  void shutdown_send();
  // The connection, whatever its transport.
  stream& socket() noexcept { return socket_; }

 private:
  stream socket_;
  proto::frame_buffer in_;
  std::size_t consumed_ = 0;  // the frame last returned, dropped on the next call
  std::vector<std::byte> queued_;
  std::vector<std::byte> sending_;
  std::uint32_t next_id_ = 1;
  std::uint32_t max_frame_;
};

}  // namespace client
