#include "printable.hpp"

#include <algorithm>
#include <cstdio>

namespace proto {

std::string printable(std::string_view bytes, std::size_t max_chars) {
  // The lecture's peers send "text\n" or a C string with its NUL; neither the
  // line end nor the terminator is part of what a reader wants to see.
  while (!bytes.empty() && (bytes.back() == '\n' || bytes.back() == '\r' || bytes.back() == '\0'))
    bytes.remove_suffix(1);

  std::string out;
  out.reserve(std::min(bytes.size(), max_chars) + 16);
  std::size_t shown = 0;
  for (; shown < bytes.size() && out.size() < max_chars; ++shown) {
    const auto c = static_cast<unsigned char>(bytes[shown]);
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char hex[5];
          std::snprintf(hex, sizeof hex, "\\x%02x", c);
          out += hex;
        } else {
          out += static_cast<char>(c);  // UTF-8 passes through
        }
    }
  }
  if (shown < bytes.size()) {
    out += "... (" + std::to_string(bytes.size()) + " bytes)";
  }
  return out;
}

}  // namespace proto
