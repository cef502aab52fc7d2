// Request handling: frames in, reply bytes out. Knows nothing of sockets,
// threads or logging, so every rule here is tested without a network.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "frame_codec.hpp"

namespace server {

// Appends the reply to one decoded request. Every request gets exactly one
// reply; a type the server does not serve gets ERROR 3 and the connection
// stays usable.
void handle_request(const proto::frame& request, std::string_view greeting,
                    std::vector<std::byte>& replies);

// Appends the ERROR for a frame that cannot be decoded (bad magic or version,
// or a payload over `max_frame`). The connection must close after it.
void reply_to_bad_frame(const proto::decode_result& bad, std::uint32_t max_frame,
                        std::vector<std::byte>& replies);

// A raw peer (first byte not the magic, like the lecture's client.c): each
// chunk is one message; the first gets the greeting, every later one the ack.
void handle_raw_chunk(bool first_chunk, std::string_view greeting, std::vector<std::byte>& replies);

}  // namespace server
