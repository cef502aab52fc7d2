#include "service/http_options.hpp"

#include <regex>

namespace server {

namespace po = boost::program_options;

namespace {

cli::duration seconds_of(std::chrono::milliseconds d) {
  return {std::chrono::duration<double>(d).count()};
}

}  // namespace

http_option_values::http_option_values(const server_config& defaults)
    : header_timeout(seconds_of(defaults.http_header_timeout)),
      body_timeout(seconds_of(defaults.http_body_timeout)) {}

void http_option_values::add_to(po::options_description& settings) {
  // clang-format off
  settings.add_options()
    ("http-header-timeout", po::value(&header_timeout)->default_value(header_timeout)->value_name("DURATION"),
     "--http: a request's header must be whole this long after its first byte "
     "(the first request's: after the connection; its first byte must come "
     "within --handshake-timeout, a later request's within --idle-timeout); "
     "else 408 and a close. An HTTP connection holds only a small read buffer "
     "and no body, charged to --max-buffered-bytes; when the connections "
     "fill --max-connections, a new one closes the one that has waited "
     "longest for its request, so that probes are still answered")
    ("http-body-timeout", po::value(&body_timeout)->default_value(body_timeout)->value_name("DURATION"),
     "--http: a request's body (64 KiB at most; read and dropped, as no path "
     "takes one) must be whole this long after its header; else 408 and a close")
    ("http-allowed-origin", po::value(&allowed_origins)->composing()->value_name("ORIGIN"),
     "--http: a page that may open a WebSocket at /ws besides the server's own "
     "(http://ADDRESS:PORT of the --http listener, and http://localhost:PORT "
     "on a loopback address), repeatable: scheme://host[:port], such as "
     "https://asio.example.com for the page behind a TLS proxy, or "
     "http://myhost:8081 for the page reached by a host name. Another "
     "origin gets 403 (a browser always says which page opens a WebSocket; "
     "the Host header is not trusted for it, as a site whose name was "
     "rebound to this address chooses it); a client sending no Origin is "
     "let in");
  // clang-format on
}

void http_option_values::apply(cli::range_checks& checks, server_config& config) const {
  constexpr double ms = 0.001;
  checks.check("--http-header-timeout", header_timeout, ms, cli::max_seconds)
      .check("--http-body-timeout", body_timeout, ms, cli::max_seconds);
  // scheme://host[:port], a host name, an IPv4 address or an IPv6 one in
  // brackets; compared without case, as browsers send it in lower case.
  static const std::regex origin(R"(https?://([a-z0-9.-]+|\[[0-9a-f:.]+\])(:[0-9]{1,5})?)",
                                 std::regex::icase);
  for (const auto& o : allowed_origins) {
    checks.require(std::regex_match(o, origin),
                   "--http-allowed-origin " + o +
                       ": not an origin; write scheme://host[:port], such as https://example.com");
  }
  config.http_allowed_origins = allowed_origins;
  config.http_header_timeout = header_timeout.ms();
  config.http_body_timeout = body_timeout.ms();
}

}  // namespace server
