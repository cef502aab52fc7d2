#include "tls_identity.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "cli_support.hpp"

namespace client {

namespace {

tls_no_identity none(std::string_view host, std::string_view why) {
  return {"cannot check the server's certificate for '" + std::string(host) +
          "': " + std::string(why)};
}

// inet_pton, which takes no zone and no brackets: exactly an address or not.
bool parse(int family, const std::string& text, tls_address& out) {
  out.size = family == AF_INET ? 4 : 16;
  return ::inet_pton(family, text.c_str(), out.bytes.data()) == 1;
}

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

}  // namespace

tls_identity tls_identity_of(std::string_view host) {
  const std::string_view bare = cli::strip_brackets(host);
  if (bare.empty()) return none(host, "it is empty");
  tls_address address;
  // An IPv6 address with a zone: the zone names the link, not the server.
  if (const auto zone = bare.find('%'); zone != std::string_view::npos) {
    if (zone > 0 && zone + 1 < bare.size() &&
        parse(AF_INET6, std::string(bare.substr(0, zone)), address)) {
      return address;
    }
    return none(host, "'%' belongs only in an IPv6 address with a zone, such as fe80::1%2");
  }
  if (parse(AF_INET, std::string(bare), address) || parse(AF_INET6, std::string(bare), address)) {
    return address;
  }
  // A DNS name: compared without regard to case, and a trailing dot (the
  // root) is not part of what a certificate names.
  std::string name(bare);
  if (name.back() == '.') name.pop_back();
  if (name.empty() || name.front() == '.' || name.find("..") != std::string::npos ||
      !std::all_of(name.begin(), name.end(), is_name_char)) {
    return none(host, "not a DNS name or an IP address (a port goes in --port)");
  }
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return tls_name{std::move(name)};
}

}  // namespace client
