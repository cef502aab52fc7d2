// The server's options (Boost.Program_options), from the command line and
// the file of --config, turned into a config. Read at start, and again on
// SIGHUP from the same command line and file.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/server_config.hpp"
#include "service/logging.hpp"

namespace server {

struct server_options {
  server_config config;
  log_settings log;
  bool daemon = false;   // --daemon: the classic SysV daemon (daemonize.hpp)
  std::string pid_file;  // absolute; empty: none
  // What these options were read from, to read them again on SIGHUP.
  std::vector<std::string> args;  // the command line, without the program's name
  std::string config_file;        // absolute; empty: no --config
  std::string start_dir;          // relative paths are relative to it, on reload too
};

// Parses argv (and the --config file). Returns the options, or an exit code
// when the program should stop now: 0 after --help, --version or
// --check-config, 64 after a bad command line or config file (with a
// one-line reason and a --help hint on stderr).
struct parse_result {
  std::optional<server_options> options;
  int exit_code = 0;
};
parse_result parse_command_line(int argc, const char* const argv[]);

// The same command line and config file read again (SIGHUP): the options,
// or the problem in one line. Prints nothing.
std::variant<server_options, std::string> reread_options(const server_options& running);

}  // namespace server
