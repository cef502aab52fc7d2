// The wire protocol shared by asio_server and asio_client: constants and
// names only. The rules and the reasons for them are in shared/PROTOCOL.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace proto {

inline constexpr std::uint8_t magic = 0xA5;
inline constexpr std::uint8_t version = 1;
inline constexpr std::size_t header_size = 12;
inline constexpr std::uint32_t default_max_payload = 1024 * 1024;

enum class frame_type : std::uint8_t {
  // requests (client to server)
  hello = 0x01,
  message = 0x02,
  echo = 0x03,
  ping = 0x04,
  // responses: the request's type with the high bit set
  hello_reply = 0x81,
  ack = 0x82,
  echo_reply = 0x83,
  pong = 0x84,
  // server-initiated
  goaway = 0x7E,
  error = 0x7F,
};

enum class error_code : std::uint16_t {
  malformed_frame = 1,  // bad magic or unsupported version; the server closes
  frame_too_large = 2,  // payload over the server's --max-frame; the server closes
  unknown_type = 3,     // the connection stays usable
  server_busy = 4,      // the server closes
  shutting_down = 5,
};

// The server's fixed replies.
inline constexpr std::string_view default_greeting = "Hello (server)!";
inline constexpr std::string_view ack_text = "Received";

// "HELLO", "ACK", ... or "UNKNOWN" for a byte that names no type.
std::string_view type_name(std::uint8_t type) noexcept;
std::string_view error_name(std::uint16_t code) noexcept;

}  // namespace proto
