// What both command lines share: the one-line error with a --help hint, the
// version banner, and host names as users write them.
#pragma once

#include <string_view>

namespace cli {

// Prints "PROGRAM: REASON" and a hint to run --help on stderr; returns 64.
int usage_error(std::string_view program, std::string_view reason);

// Prints "PROGRAM VERSION (protocol version 1, Boost X.Y.Z)" on stdout.
void print_version(std::string_view program);

// "[::1]" as in a URL is "::1"; anything else is returned as it is.
std::string_view strip_brackets(std::string_view host) noexcept;

}  // namespace cli
