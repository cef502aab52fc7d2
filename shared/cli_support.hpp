// What both command lines share: the one-line error with a --help hint, the
// version banner, and host names as users write them.
#pragma once

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>
#include <optional>
#include <string_view>

namespace cli {

// Parses argv against `desc` into `vm`. Returns an exit code when the
// program should stop now: 0 after --help (the options, then `epilogue`) or
// --version, 64 after a bad command line (one line and a --help hint);
// nothing when it should go on.
std::optional<int> parse_options(int argc, const char* const argv[],
                                 const boost::program_options::options_description& desc,
                                 std::string_view program,
                                 boost::program_options::variables_map& vm,
                                 std::string_view epilogue);

// Prints "PROGRAM: REASON" and a hint to run --help on stderr; returns 64.
int usage_error(std::string_view program, std::string_view reason);

// The project's version, "0.1.0".
std::string_view version() noexcept;

// Prints "PROGRAM VERSION (protocol version 1, Boost X.Y.Z)" on stdout.
void print_version(std::string_view program);

// "[::1]" as in a URL is "::1"; anything else is returned as it is.
std::string_view strip_brackets(std::string_view host) noexcept;

}  // namespace cli
