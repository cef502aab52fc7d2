// The client's command line (Boost.Program_options) turned into a config.
#pragma once

#include <optional>

#include "client_config.hpp"

namespace client {

// The config, or an exit code when the program should stop now: 0 after
// --help or --version, 64 after a bad command line.
struct parse_result {
  std::optional<client_config> config;
  int exit_code = 0;
};
parse_result parse_command_line(int argc, const char* const argv[]);

}  // namespace client
