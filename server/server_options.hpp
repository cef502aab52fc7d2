// The server's command line (Boost.Program_options) turned into a config.
#pragma once

#include <optional>
#include <string>

#include "server_config.hpp"

namespace server {

struct server_options {
  server_config config;
  std::string log_level = "info";
};

// Parses argv. Returns the options, or an exit code when the program should
// stop now: 0 after --help or --version, 64 after a bad command line (with a
// one-line reason and a --help hint on stderr).
struct parse_result {
  std::optional<server_options> options;
  int exit_code = 0;
};
parse_result parse_command_line(int argc, const char* const argv[]);

}  // namespace server
