// A test peer on plain POSIX sockets, written the way the lecture's client.c
// is (socket, connect, send, read), with a receive timeout so that no test
// can hang. It speaks raw bytes or frames, and can misbehave on purpose.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "frame_codec.hpp"

namespace test {

struct received_frame {
  std::uint8_t type = 0;
  std::uint32_t id = 0;
  std::string payload;

  proto::frame_type frame_type() const { return static_cast<proto::frame_type>(type); }
};

class blocking_peer {
 public:
  // Connects to HOST:PORT (IPv4 or IPv6 literal); throws std::runtime_error.
  explicit blocking_peer(std::uint16_t port, const char* host = "127.0.0.1",
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~blocking_peer();
  blocking_peer(const blocking_peer&) = delete;
  blocking_peer& operator=(const blocking_peer&) = delete;

  void send(std::string_view bytes);
  void send_frame(proto::frame_type type, std::uint32_t id, std::string_view payload = {});
  // A header only, with any type, version and length.
  void send_header(std::uint8_t type, std::uint32_t id, std::uint32_t length,
                   std::uint8_t version = proto::version);

  // One read() of up to 1024 bytes, like the lecture's client; "" at end of
  // stream. Throws on timeout or error.
  std::string read_some();
  // The next whole frame; no value at a clean end of stream.
  std::optional<received_frame> read_frame();
  // Reads until end of stream; true if it was a clean close (FIN), false
  // on a reset. Throws on timeout.
  bool reads_to_clean_close();

  void shutdown_send();
  // Closes with SO_LINGER 0: the kernel sends a reset, like a crashed peer.
  void reset();
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  std::string buffered_;
};

}  // namespace test
