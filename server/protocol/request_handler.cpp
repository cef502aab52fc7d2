#include "protocol/request_handler.hpp"

#include <cstdio>
#include <string>

namespace server {

using proto::frame_type;

void handle_request(const proto::frame& request, std::string_view greeting,
                    std::vector<std::byte>& replies) {
  const std::uint32_t id = request.id();
  switch (request.type()) {
    case frame_type::hello:
      proto::append_frame(replies, frame_type::hello_reply, id, greeting);
      return;
    case frame_type::message:
      proto::append_frame(replies, frame_type::ack, id, proto::ack_text);
      return;
    case frame_type::echo:
      proto::append_frame(replies, frame_type::echo_reply, id, request.payload);
      return;
    case frame_type::ping:
      proto::append_frame(replies, frame_type::pong, id, proto::bytes_view{});
      return;
    default: {
      char text[64];
      std::snprintf(text, sizeof text, "unknown frame type 0x%02x", unsigned{request.header.type});
      proto::append_error(replies, id, proto::error_code::unknown_type, text);
      return;
    }
  }
}

void reply_to_bad_frame(const proto::decode_result& bad, std::uint32_t max_frame,
                        std::vector<std::byte>& replies) {
  using proto::decode_status;
  using proto::error_code;
  switch (bad.status) {
    case decode_status::bad_magic:
      proto::append_error(replies, 0, error_code::malformed_frame, "bad magic byte");
      return;
    case decode_status::bad_version:
      proto::append_error(replies, 0, error_code::malformed_frame,
                          "unsupported protocol version (this server speaks version 1)");
      return;
    case decode_status::too_large:
      proto::append_error(replies, bad.decoded.id(), error_code::frame_too_large,
                          "payload of " + std::to_string(bad.decoded.header.length) +
                              " bytes is over the limit of " + std::to_string(max_frame));
      return;
    case decode_status::complete:
    case decode_status::need_more:
      return;  // nothing wrong
  }
}

void handle_raw_chunk(bool first_chunk, std::string_view greeting,
                      std::vector<std::byte>& replies) {
  const std::string_view reply = first_chunk ? greeting : proto::ack_text;
  const auto* p = reinterpret_cast<const std::byte*>(reply.data());
  replies.insert(replies.end(), p, p + reply.size());
}

}  // namespace server
