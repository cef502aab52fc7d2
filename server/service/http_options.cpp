#include "service/http_options.hpp"

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
     "takes one) must be whole this long after its header; else 408 and a close");
  // clang-format on
}

void http_option_values::apply(cli::range_checks& checks, server_config& config) const {
  constexpr double ms = 0.001;
  checks.check("--http-header-timeout", header_timeout, ms, cli::max_seconds)
      .check("--http-body-timeout", body_timeout, ms, cli::max_seconds);
  config.http_header_timeout = header_timeout.ms();
  config.http_body_timeout = body_timeout.ms();
}

}  // namespace server
