// Everything the client can be told, as one plain struct filled by
// client_options.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "protocol.hpp"

namespace client {

struct client_config {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::string hello = "Hello (client)";
  std::vector<std::string> messages;  // --message, in order
  bool read_stdin = false;            // --stdin: one message per line
  bool raw = false;                   // --raw: plain bytes, like the lecture's client.c
  std::uint32_t max_frame = proto::default_max_payload;
  // For connecting, and for each reply while any is outstanding.
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
  // --stdin stops reading input while this many messages await their ack.
  std::size_t max_in_flight = 1024;
};

}  // namespace client
