// Peer bytes made safe for a terminal or a log line: control characters
// escaped, trailing line ends dropped, long payloads cut with their size.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace proto {

std::string printable(std::string_view bytes, std::size_t max_chars = 200);

}  // namespace proto
