#include "cli_support.hpp"

#include <boost/version.hpp>
#include <cstdio>

#include "exit_codes.hpp"
#include "protocol.hpp"

#ifndef ASIO_SERVER_VERSION
#define ASIO_SERVER_VERSION "0.0.0"
#endif

namespace cli {

int usage_error(std::string_view program, std::string_view reason) {
  std::fprintf(stderr, "%.*s: %.*s\nTry '%.*s --help' for more information.\n",
               static_cast<int>(program.size()), program.data(), static_cast<int>(reason.size()),
               reason.data(), static_cast<int>(program.size()), program.data());
  return exit_code::usage;
}

void print_version(std::string_view program) {
  std::printf("%.*s %s (protocol version %d, Boost %d.%d.%d)\n", static_cast<int>(program.size()),
              program.data(), ASIO_SERVER_VERSION, int{proto::version}, BOOST_VERSION / 100000,
              BOOST_VERSION / 100 % 1000, BOOST_VERSION % 100);
}

std::string_view strip_brackets(std::string_view host) noexcept {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

}  // namespace cli
