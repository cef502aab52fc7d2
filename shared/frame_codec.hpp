// The frame codec: pure functions over bytes. No sockets, no allocation.
//
// Decoding works on whatever bytes have arrived so far (a TCP read is not a
// message): decode_frame() either finds one complete frame at the front of its
// input, says how many bytes the next frame needs, or names what is wrong with
// the header. The payload length is checked against the limit as soon as the
// 12-byte header is in, before a caller would grow any buffer for it.
//
// Encoding writes into memory the caller owns (a span, or a byte vector whose
// capacity is reused from frame to frame).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "protocol.hpp"

namespace proto {

using bytes_view = std::span<const std::byte>;

struct frame_header {
  std::uint8_t type = 0;
  std::uint8_t flags = 0;
  std::uint32_t request_id = 0;
  std::uint32_t length = 0;
};

// A decoded frame: a view into the caller's buffer, valid until it changes.
struct frame {
  frame_header header;
  bytes_view payload;

  frame_type type() const noexcept { return static_cast<frame_type>(header.type); }
  std::uint32_t id() const noexcept { return header.request_id; }
  std::string_view text() const noexcept {
    return {reinterpret_cast<const char*>(payload.data()), payload.size()};
  }
};

enum class decode_status {
  complete,     // `decoded` is valid and took `consumed` bytes
  need_more,    // the next frame needs `needed` bytes in all; keep what you have
  bad_magic,    // first byte is not 0xA5
  bad_version,  // version byte is not 1
  too_large,    // header.length exceeds the limit; `decoded.header` is filled in
};

struct decode_result {
  decode_status status = decode_status::need_more;
  frame decoded{};  // complete: the frame; too_large: its header
  std::size_t consumed = 0;
  std::size_t needed = header_size;
};

// Looks at the front of `input` for one frame whose payload is at most
// `max_payload` bytes.
decode_result decode_frame(bytes_view input, std::uint32_t max_payload) noexcept;

// Encoding into a span: returns the bytes written, or 0 when `out` is smaller
// than header_size + payload.size().
std::size_t encode_frame(std::span<std::byte> out, frame_type type, std::uint32_t request_id,
                         bytes_view payload) noexcept;

// Appending to an output buffer whose capacity is kept between writes.
void append_frame(std::vector<std::byte>& out, frame_type type, std::uint32_t request_id,
                  bytes_view payload);
void append_frame(std::vector<std::byte>& out, frame_type type, std::uint32_t request_id,
                  std::string_view payload);
// ERROR: u16 code, then UTF-8 text.
void append_error(std::vector<std::byte>& out, std::uint32_t request_id, error_code code,
                  std::string_view text);
// GOAWAY: u32 id of the last request on this connection the server answers.
void append_goaway(std::vector<std::byte>& out, std::uint32_t last_request_id);

struct error_payload {
  std::uint16_t code = 0;
  std::string_view text;
};
std::optional<error_payload> parse_error(bytes_view payload) noexcept;
std::optional<std::uint32_t> parse_goaway(bytes_view payload) noexcept;

inline bytes_view as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace proto
