// What the server's certificate must name, from --host: an address (checked
// against the certificate's IP entries) or a DNS name (checked against its
// DNS entries, and sent as SNI). Pure: no OpenSSL, no sockets.
//
// An address is the one the client connects to, without its zone: a scoped
// link-local address such as fe80::1%2 is checked as fe80::1, as curl and
// `openssl s_client -verify_ip` do. A host that names neither (an empty one,
// "a%b", "[::1]:8443") has no identity: the client refuses to connect rather
// than connect unchecked.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace client {

struct tls_address {
  std::array<unsigned char, 16> bytes{};
  std::size_t size = 0;  // 4 (IPv4) or 16 (IPv6), as the certificate stores it
  bool operator==(const tls_address&) const = default;
};
struct tls_name {
  std::string name;  // lower case, no trailing dot
  bool operator==(const tls_name&) const = default;
};
struct tls_no_identity {
  std::string reason;  // "cannot check the server's certificate for HOST: WHY"
  bool operator==(const tls_no_identity&) const = default;
};
using tls_identity = std::variant<tls_no_identity, tls_address, tls_name>;

// `host` as given to --host, brackets and all.
tls_identity tls_identity_of(std::string_view host);

}  // namespace client
