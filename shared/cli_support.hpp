// What both command lines share: the one-line error with a --help hint, and
// the version banner.
#pragma once

#include <string_view>

namespace proto {

// Prints "PROGRAM: REASON" and a hint to run --help on stderr; returns 64.
int usage_error(std::string_view program, std::string_view reason);

// Prints "PROGRAM VERSION (protocol version 1, Boost X.Y.Z)" on stdout.
void print_version(std::string_view program);

}  // namespace proto
