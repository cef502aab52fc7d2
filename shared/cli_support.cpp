#include "cli_support.hpp"

#include <boost/program_options/parsers.hpp>
#include <boost/version.hpp>
#include <cstdio>
#include <iostream>

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

std::string_view version() noexcept { return ASIO_SERVER_VERSION; }

void print_version(std::string_view program) {
  std::printf("%.*s %s (protocol version %d, Boost %d.%d.%d)\n", static_cast<int>(program.size()),
              program.data(), ASIO_SERVER_VERSION, int{proto::version}, BOOST_VERSION / 100000,
              BOOST_VERSION / 100 % 1000, BOOST_VERSION % 100);
}

std::optional<int> parse_options(int argc, const char* const argv[],
                                 const boost::program_options::options_description& desc,
                                 std::string_view program,
                                 boost::program_options::variables_map& vm,
                                 std::string_view epilogue) {
  namespace po = boost::program_options;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return usage_error(program, e.what());
  }
  if (vm.count("help")) {
    std::cout << desc << "\n" << epilogue;
    return exit_code::ok;
  }
  if (vm.count("version")) {
    print_version(program);
    return exit_code::ok;
  }
  return std::nullopt;
}

std::string_view strip_brackets(std::string_view host) noexcept {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

}  // namespace cli
