// Everything the server can be told, as one plain struct. Filled in one place
// (server_options.cpp, from the command line) and passed down by reference.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/listen_address.hpp"
#include "protocol.hpp"
#include "session/proxy_header.hpp"

namespace server {

// What the server speaks.
enum class service_mode : std::uint8_t {
  protocol,  // the framed protocol, and plain-bytes peers as the lecture's server
  echo,      // every byte back as it came (RFC 862), for measuring against any echo server
};

// For tls:// listeners.
struct tls_settings {
  std::string cert_file;       // PEM, the server's certificate then the chain
  std::string key_file;        // PEM
  std::string client_ca_file;  // PEM; set: clients must present a certificate it signed
  std::string min_version = "1.3";
};

struct reloaded;

struct server_config {
  // --listen, in order. Empty: one TCP listener on bind_address and port.
  std::vector<listen_address> listeners;
  // Empty: every interface, IPv6 dual-stack ("::"), or IPv4 ("0.0.0.0") where
  // the machine has no IPv6.
  std::string bind_address;
  std::uint16_t port = 8080;
  tls_settings tls;
  // --http HOST:PORT: the HTTP listener (http_session.hpp); none by default.
  std::optional<listen_address> http;
  unsigned unix_mode = 0660;  // a Unix socket file's permissions
  // The listen queue's length; the kernel caps it at net.core.somaxconn.
  unsigned backlog = 4096;
  bool reuse_port = false;  // SO_REUSEPORT: several servers share one port
  // > 0: TCP keepalive probes after this many idle seconds (a dead peer is
  // found in about twice that).
  unsigned keepalive_seconds = 0;
  // --proxy-protocol: every protocol listener requires a PROXY header (as
  // `?proxy` does for one), accepted only from `proxy_from` (--proxy-from).
  bool proxy_protocol = false;
  proxy::trusted_networks proxy_from = proxy::trusted_networks::loopback();
  unsigned threads = 1;
  std::uint32_t max_frame = proto::default_max_payload;
  std::string greeting{proto::default_greeting};
  service_mode mode = service_mode::protocol;

  // Connections served at once; one more is answered ERROR 4 (busy) and
  // closed, and the server goes on accepting.
  std::size_t max_connections = 10000;
  // What all connections together may hold between reads: the start of
  // frames still arriving, replies their peers have not taken, and busy
  // connections' read buffers. When it is used up, connections holding more
  // than 4 KiB are not read, and a frame that cannot go on within
  // `budget_grace` is refused with ERROR 4.
  std::size_t max_buffered_bytes = 256 * 1024 * 1024;
  std::chrono::milliseconds budget_grace{std::chrono::seconds(1)};
  // TLS handshakes in progress at once on one worker (each also charged to
  // max_buffered_bytes, tls/handshake_slot.hpp); more TLS connections wait
  // in the listen queue until one finishes.
  std::size_t max_tls_handshakes = 32;
  // A connection that sends no byte for this long after connecting is closed.
  std::chrono::milliseconds handshake_timeout{std::chrono::seconds(10)};
  // A connection with no complete request for this long is closed (a frame
  // trickling in a byte at a time does not count as activity).
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(5)};
  // --http: a request's header must be whole this long after its first
  // byte (the first request's: after the connection), its body this long
  // after the header (http_session.cpp).
  std::chrono::milliseconds http_header_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds http_body_timeout{std::chrono::seconds(30)};
  // --http-allowed-origin: pages besides the server's own that may open a
  // WebSocket (scheme://host[:port]).
  std::vector<std::string> http_allowed_origins;
  // A frame must be complete this long after its first byte arrived, not
  // counting the time the server did not read (writing, or throttled).
  std::chrono::milliseconds frame_timeout{std::chrono::seconds(30)};
  // A peer that takes no reply bytes for this long is closed. The server does
  // not read while it waits to write, so one connection queues at most the
  // replies to one read (at most 64 KiB of requests, plus the frame that read
  // completed). When the budget is used up, a grace second instead.
  std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};
  // From SIGINT/SIGTERM (or server::stop) until the last session is closed.
  std::chrono::milliseconds drain_timeout{std::chrono::seconds(5)};
  // After the last reply and a half-close, how long to wait for the peer to
  // close before closing anyway.
  std::chrono::milliseconds linger_timeout{std::chrono::seconds(2)};

  // main() sets this; in-process tests stop the server with server::stop().
  bool handle_signals = false;
  // SIGHUP: the options read again (main() sets it; server_options.cpp).
  // Empty: SIGHUP is logged and ignored.
  std::function<void(reloaded& result)> reload;
};

// What SIGHUP reads again: the new config and log level, or the problem.
struct reloaded {
  std::optional<server_config> config;
  std::string log_level;
  std::string problem;
  // Options outside server_config that changed and need a restart.
  std::vector<std::string> restart_only;
};

}  // namespace server
