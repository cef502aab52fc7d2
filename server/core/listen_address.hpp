// Where the server listens, as users write it: `tcp://HOST:PORT`,
// `tls://HOST:PORT` or `unix:PATH` (--listen), and how the server names a
// listener once it is open. Pure: no sockets.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace server {

enum class transport : std::uint8_t { tcp, tls, unix_socket, http };

struct listen_address {
  transport kind = transport::tcp;
  std::string host;  // tcp and tls: a name or a literal, without brackets; empty: every interface
  std::uint16_t port = 0;
  std::string path;  // unix
  bool proxy =
      false;  // `?proxy` after the URL: a PROXY header is required first (proxy_header.hpp)

  bool operator==(const listen_address&) const = default;
};

// Parses a --listen URL. IPv6 literals go in brackets (tcp://[::1]:8080);
// `*` or an empty host means every interface. A `?proxy` at the end makes a
// listener that requires a PROXY protocol header from its load balancer
// first (tcp://0.0.0.0:8080?proxy). On failure returns nothing
// and says why in `problem`.
std::optional<listen_address> parse_listen_address(std::string_view url, std::string& problem);

// The longest Unix socket path the kernel takes (sun_path, less its NUL).
inline constexpr std::size_t max_unix_path = 107;

// How a listener is named in "listening on ...": `127.0.0.1:8080` for
// plain TCP, as before --listen existed; `tls://127.0.0.1:8443`;
// `unix:/run/asio.sock`; `http://127.0.0.1:8081` (--http). `endpoint_text` is the bound address as
// Asio prints it ([::1]:8080, 127.0.0.1:8080).
std::string describe_listener(transport kind, std::string_view endpoint_text);

}  // namespace server
