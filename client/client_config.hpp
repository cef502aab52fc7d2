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

// --bench: the load generator's settings.
struct bench_options {
  bool enabled = false;
  unsigned connections = 1;
  unsigned depth = 1;     // requests in flight per connection
  std::size_t size = 64;  // payload bytes per request (raw: bytes per message)
  proto::frame_type type = proto::frame_type::echo;
  std::chrono::milliseconds duration{std::chrono::seconds(10)};
  std::uint64_t requests = 0;  // > 0: stop after this many answers (or the duration)
  std::chrono::milliseconds warmup{std::chrono::seconds(1)};
  double rate = 0;  // > 0: requests per second in all, on a fixed schedule
  bool connect_per_request = false;
  bool idle = false;  // open the connections and hold them
  bool json = false;
};

// How to reach the server, besides --host and --port.
struct transport_settings {
  std::string unix_path;  // --unix: a Unix socket instead of TCP
  bool tls = false;       // --tls: TLS over TCP, the server's certificate checked
  std::string ca_file;    // --ca: trust this CA (PEM) instead of the system's
  std::string cert_file;  // --cert/--key: the client's certificate, for mutual TLS
  std::string key_file;
};

struct client_config {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  transport_settings transport;
  std::string hello = "Hello (client)";
  std::vector<std::string> messages;  // --message, in order
  bool read_stdin = false;            // --stdin: one message per line
  bool raw = false;                   // --raw: plain bytes, like the lecture's client.c
  std::uint32_t max_frame = proto::default_max_payload;
  // For connecting, and for each reply while any is outstanding.
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
  // --stdin stops reading input while this many messages await their ack.
  std::size_t max_in_flight = 1024;
  // --reconnect: a connection that ends (GOAWAY, or lost) is opened again,
  // and what it left unanswered is sent again on the new one (every request
  // type is idempotent: PROTOCOL.md); give up after `reconnect_for` without
  // an answered connection.
  bool reconnect = false;
  std::chrono::milliseconds reconnect_for{std::chrono::seconds(30)};
  bench_options bench;
};

}  // namespace client
