// Failures that end a program, and the one mapping from a failure to an exit
// code and a line for the user. A failure that knows its exit code derives
// from cli::failure; anything else thrown is mapped by its type.
#pragma once

#include <exception>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "exit_codes.hpp"

namespace cli {

struct failure : std::runtime_error {
  failure(int exit_code, const std::string& what) : std::runtime_error(what), code(exit_code) {}
  int code;
};

// "cannot listen on ADDRESS:PORT: REASON", "cannot connect to HOST:PORT: REASON".
struct unavailable : failure {
  explicit unavailable(const std::string& what) : failure(exit_code::unavailable, what) {}
};
// The peer sent bytes that are not the protocol, or an ERROR.
struct protocol_violation : failure {
  explicit protocol_violation(const std::string& what) : failure(exit_code::protocol, what) {}
};

struct exit_status {
  int code = exit_code::ok;
  std::string message;  // one line, without the program's name; empty for ok
};

// cli::failure: its code and text; boost::system::system_error: a lost
// connection (74); std::bad_alloc and any other exception: an internal
// error (70). Never throws.
exit_status describe(std::exception_ptr failure) noexcept;

// describe(), said on `err` as "PROGRAM: MESSAGE"; returns the exit code.
int report(std::ostream& err, std::string_view program, std::exception_ptr failure);

}  // namespace cli
