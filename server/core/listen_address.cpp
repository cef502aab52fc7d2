#include "core/listen_address.hpp"

#include <charconv>

namespace server {

namespace {

std::optional<listen_address> host_and_port(transport kind, std::string_view rest,
                                            std::string& problem) {
  listen_address a;
  a.kind = kind;
  std::string_view host;
  std::string_view port;
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
      problem = "an IPv6 address goes in brackets, followed by :PORT ([::1]:8080)";
      return std::nullopt;
    }
    host = rest.substr(1, close - 1);
    port = rest.substr(close + 2);
  } else {
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) {
      problem = "no port: write HOST:PORT";
      return std::nullopt;
    }
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      problem = "an IPv6 address goes in brackets ([::1]:8080)";
      return std::nullopt;
    }
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535) {
    problem = "the port must be a number from 0 to 65535";
    return std::nullopt;
  }
  a.host = host == "*" ? std::string() : std::string(host);
  a.port = static_cast<std::uint16_t>(value);
  return a;
}

}  // namespace

namespace {

std::optional<listen_address> without_options(std::string_view url, std::string& problem) {
  if (url.starts_with("tcp://")) return host_and_port(transport::tcp, url.substr(6), problem);
  if (url.starts_with("tls://")) return host_and_port(transport::tls, url.substr(6), problem);
  if (url.starts_with("unix:")) {
    listen_address a;
    a.kind = transport::unix_socket;
    a.path = std::string(url.substr(5));
    if (a.path.starts_with("//")) a.path.erase(0, 2);  // unix:///run/x.sock, as some write it
    if (a.path.empty()) {
      problem = "no path: write unix:PATH";
      return std::nullopt;
    }
    if (a.path.size() > max_unix_path) {
      problem = "the path is " + std::to_string(a.path.size()) +
                " bytes long; a Unix socket's path can be at most " + std::to_string(max_unix_path);
      return std::nullopt;
    }
    return a;
  }
  problem = "expected tcp://HOST:PORT, tls://HOST:PORT or unix:PATH";
  return std::nullopt;
}

}  // namespace

std::optional<listen_address> parse_listen_address(std::string_view url, std::string& problem) {
  constexpr std::string_view proxy_suffix = "?proxy";
  const bool proxy = url.ends_with(proxy_suffix);
  if (proxy) url.remove_suffix(proxy_suffix.size());
  auto a = without_options(url, problem);
  if (a) a->proxy = proxy;
  return a;
}

std::string describe_listener(transport kind, std::string_view endpoint_text) {
  switch (kind) {
    case transport::tcp:
      return std::string(endpoint_text);
    case transport::tls:
      return "tls://" + std::string(endpoint_text);
    case transport::unix_socket:
      return "unix:" + std::string(endpoint_text);
    case transport::http:
      return "http://" + std::string(endpoint_text);
  }
  return std::string(endpoint_text);
}

}  // namespace server
