#include "frame_codec.hpp"

#include <cstring>

namespace proto {
namespace {

std::uint32_t load_u32(const std::byte* p) noexcept {
  return (std::uint32_t{std::to_integer<std::uint8_t>(p[0])} << 24) |
         (std::uint32_t{std::to_integer<std::uint8_t>(p[1])} << 16) |
         (std::uint32_t{std::to_integer<std::uint8_t>(p[2])} << 8) |
         std::uint32_t{std::to_integer<std::uint8_t>(p[3])};
}

void store_u32(std::byte* p, std::uint32_t v) noexcept {
  p[0] = std::byte(v >> 24);
  p[1] = std::byte(v >> 16);
  p[2] = std::byte(v >> 8);
  p[3] = std::byte(v);
}

void store_header(std::byte* p, frame_type type, std::uint32_t request_id,
                  std::uint32_t length) noexcept {
  p[0] = std::byte{magic};
  p[1] = std::byte{version};
  p[2] = std::byte(static_cast<std::uint8_t>(type));
  p[3] = std::byte{0};  // flags: we send none
  store_u32(p + 4, request_id);
  store_u32(p + 8, length);
}

// Grows `out` by `n` bytes and returns where they start.
std::byte* extend(std::vector<std::byte>& out, std::size_t n) {
  const std::size_t at = out.size();
  out.resize(at + n);
  return out.data() + at;
}

}  // namespace

decode_result decode_frame(bytes_view input, std::uint32_t max_payload) noexcept {
  decode_result r;
  // Reject a bad first byte at once: a peer that is not speaking the protocol
  // should not have to send 11 more bytes to find out.
  if (!input.empty() && std::to_integer<std::uint8_t>(input[0]) != magic) {
    r.status = decode_status::bad_magic;
    return r;
  }
  if (input.size() >= 2 && std::to_integer<std::uint8_t>(input[1]) != version) {
    r.status = decode_status::bad_version;
    return r;
  }
  if (input.size() < header_size) {
    r.needed = header_size;
    return r;
  }
  frame_header& h = r.decoded.header;
  h.type = std::to_integer<std::uint8_t>(input[2]);
  h.flags = std::to_integer<std::uint8_t>(input[3]);
  h.request_id = load_u32(input.data() + 4);
  h.length = load_u32(input.data() + 8);
  if (h.length > max_payload) {
    r.status = decode_status::too_large;
    return r;
  }
  r.needed = header_size + std::size_t{h.length};
  if (input.size() < r.needed) return r;
  r.status = decode_status::complete;
  r.decoded.payload = input.subspan(header_size, h.length);
  r.consumed = r.needed;
  return r;
}

std::size_t encode_frame(std::span<std::byte> out, frame_type type, std::uint32_t request_id,
                         bytes_view payload) noexcept {
  const std::size_t total = header_size + payload.size();
  if (out.size() < total || payload.size() > UINT32_MAX) return 0;
  store_header(out.data(), type, request_id, static_cast<std::uint32_t>(payload.size()));
  if (!payload.empty()) std::memcpy(out.data() + header_size, payload.data(), payload.size());
  return total;
}

void append_frame(std::vector<std::byte>& out, frame_type type, std::uint32_t request_id,
                  bytes_view payload) {
  std::byte* p = extend(out, header_size + payload.size());
  store_header(p, type, request_id, static_cast<std::uint32_t>(payload.size()));
  if (!payload.empty()) std::memcpy(p + header_size, payload.data(), payload.size());
}

void append_frame(std::vector<std::byte>& out, frame_type type, std::uint32_t request_id,
                  std::string_view payload) {
  append_frame(out, type, request_id, as_bytes(payload));
}

void append_error(std::vector<std::byte>& out, std::uint32_t request_id, error_code code,
                  std::string_view text) {
  const auto length = static_cast<std::uint32_t>(2 + text.size());
  std::byte* p = extend(out, header_size + length);
  store_header(p, frame_type::error, request_id, length);
  const auto c = static_cast<std::uint16_t>(code);
  p[header_size] = std::byte(c >> 8);
  p[header_size + 1] = std::byte(c);
  if (!text.empty()) std::memcpy(p + header_size + 2, text.data(), text.size());
}

void append_goaway(std::vector<std::byte>& out, std::uint32_t last_request_id) {
  std::byte* p = extend(out, header_size + 4);
  store_header(p, frame_type::goaway, 0, 4);
  store_u32(p + header_size, last_request_id);
}

std::optional<error_payload> parse_error(bytes_view payload) noexcept {
  if (payload.size() < 2) return std::nullopt;
  error_payload e;
  e.code = static_cast<std::uint16_t>((std::to_integer<std::uint16_t>(payload[0]) << 8) |
                                      std::to_integer<std::uint16_t>(payload[1]));
  e.text = {reinterpret_cast<const char*>(payload.data()) + 2, payload.size() - 2};
  return e;
}

std::optional<std::uint32_t> parse_goaway(bytes_view payload) noexcept {
  if (payload.size() != 4) return std::nullopt;
  return load_u32(payload.data());
}

std::string_view type_name(std::uint8_t type) noexcept {
  switch (static_cast<frame_type>(type)) {
    case frame_type::hello:
      return "HELLO";
    case frame_type::message:
      return "MESSAGE";
    case frame_type::echo:
      return "ECHO";
    case frame_type::ping:
      return "PING";
    case frame_type::hello_reply:
      return "HELLO_REPLY";
    case frame_type::ack:
      return "ACK";
    case frame_type::echo_reply:
      return "ECHO_REPLY";
    case frame_type::pong:
      return "PONG";
    case frame_type::goaway:
      return "GOAWAY";
    case frame_type::error:
      return "ERROR";
  }
  return "UNKNOWN";
}

std::string_view error_name(std::uint16_t code) noexcept {
  switch (static_cast<error_code>(code)) {
    case error_code::malformed_frame:
      return "malformed frame";
    case error_code::frame_too_large:
      return "frame too large";
    case error_code::unknown_type:
      return "unknown type";
    case error_code::server_busy:
      return "server busy";
    case error_code::shutting_down:
      return "shutting down";
  }
  return "unknown error";
}

}  // namespace proto
