// A small WebSocket client over a plain socket, so that every byte the
// server is sent is the test's: the upgrade, masked frames out (whole, or a
// message announced longer than what is sent), frames in. Header-only, for
// the web tests.
#pragma once

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "blocking_peer.hpp"
#include "frame_codec.hpp"
#include "transport_support.hpp"

namespace test {

// RFC 6455 from the client's side: an upgrade, masked frames out, frames in.
class ws_client {
 public:
  enum opcode : std::uint8_t { text = 1, binary = 2, close = 8 };
  struct message {
    std::uint8_t op = 0;
    std::string data;
    std::uint16_t close_code() const {
      return data.size() >= 2 ? static_cast<std::uint16_t>(static_cast<std::uint8_t>(data[0]) << 8 |
                                                           static_cast<std::uint8_t>(data[1]))
                              : 0;
    }
  };

  // Connects and asks for the upgrade; response() is the server's answer.
  explicit ws_client(std::uint16_t port, const std::string& origin = {}) : peer_(port) {
    std::string req =
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
        "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    if (!origin.empty()) req += "Origin: " + origin + "\r\n";
    peer_.send(req + "\r\n");
    while (buf_.find("\r\n\r\n") == std::string::npos) {
      const auto chunk = peer_.read_some();
      if (chunk.empty()) break;
      buf_ += chunk;
    }
    const auto end = buf_.find("\r\n\r\n");
    response_ = buf_.substr(0, end == std::string::npos ? buf_.size() : end + 4);
    buf_.erase(0, response_.size());
  }
  const std::string& response() const { return response_; }
  int fd() const { return peer_.fd(); }
  bool upgraded() const { return response_.rfind("HTTP/1.1 101 ", 0) == 0; }

  // A message of `payload`; with `announced`, a message of that many bytes
  // of which only `payload` is sent (the rest never comes).
  void send(std::string_view payload, opcode op = binary, std::size_t announced = 0) {
    std::string f(1, static_cast<char>(0x80 | op));
    const auto n = announced != 0 ? announced : payload.size();
    if (n < 126) {
      f += static_cast<char>(0x80 | n);
    } else if (n < 65536) {
      f += static_cast<char>(0x80 | 126);
      f += static_cast<char>(n >> 8);
      f += static_cast<char>(n & 0xff);
    } else {
      f += static_cast<char>(0x80 | 127);
      for (int shift = 56; shift >= 0; shift -= 8) f += static_cast<char>((n >> shift) & 0xff);
    }
    const char mask[4] = {0x12, 0x34, 0x56, 0x78};
    f.append(mask, 4);
    for (std::size_t i = 0; i < payload.size(); ++i) {
      f += static_cast<char>(payload[i] ^ mask[i % 4]);
    }
    peer_.send(f);
  }
  void send_frame(proto::frame_type type, std::uint32_t id, std::string_view payload = {}) {
    send(transport::frame_bytes(type, id, payload));
  }

  // The next message, or none when the connection ends first.
  std::optional<message> read() {
    if (!need(2)) return std::nullopt;
    message m{static_cast<std::uint8_t>(buf_[0] & 0x0f), {}};
    std::size_t n = static_cast<std::uint8_t>(buf_[1]) & 0x7f;
    std::size_t header = 2;
    if (n == 126 || n == 127) {
      const std::size_t bytes = n == 126 ? 2 : 8;
      if (!need(2 + bytes)) return std::nullopt;
      n = 0;
      for (std::size_t i = 0; i < bytes; ++i) n = n << 8 | static_cast<std::uint8_t>(buf_[2 + i]);
      header += bytes;
    }
    if (!need(header + n)) return std::nullopt;
    m.data = buf_.substr(header, n);
    buf_.erase(0, header + n);
    return m;
  }
  // The next message as a protocol frame.
  test::received_frame read_frame() {
    const auto m = read();
    BOOST_REQUIRE(m);
    BOOST_REQUIRE(m->op == binary);
    BOOST_REQUIRE(m->data.size() >= proto::header_size);
    const auto d = proto::decode_frame(proto::as_bytes(m->data), UINT32_MAX);
    BOOST_REQUIRE(d.status == proto::decode_status::complete);
    BOOST_REQUIRE(d.consumed == m->data.size());  // one frame per message
    return {d.decoded.header.type, d.decoded.id(), std::string(d.decoded.text())};
  }

 private:
  bool need(std::size_t n) {
    while (buf_.size() < n) {
      std::string chunk;
      try {
        chunk = peer_.read_some();
      } catch (const std::exception&) {
        return false;
      }
      if (chunk.empty()) return false;
      buf_ += chunk;
    }
    return true;
  }

  test::blocking_peer peer_;
  std::string buf_;
  std::string response_;
};

}  // namespace test
