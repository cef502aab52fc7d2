// The PROXY protocol header (HAProxy's, versions 1 and 2), which a load
// balancer sends first on each connection to say whom it is from: pure
// parsing over the bytes received so far, no sockets, like the frame codec.
//
//   v1: "PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\n" (107 bytes at most),
//       or "PROXY UNKNOWN ...\r\n"
//   v2: a 12-byte signature, version and command, family, a 16-bit length,
//       the addresses, then TLVs (skipped)
//
// Strict: anything that is not exactly one of these is bad, never guessed
// at. A LOCAL command (v2: HAProxy's own health checks), UNKNOWN (v1) or an
// unspecified or Unix family carries no client address: the connection's
// own address stands.
#pragma once

#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace server::proxy {

// The longest header accepted: v2's 16 bytes and up to 2 KiB of addresses
// and TLVs (HAProxy's own, with SSL and unique-id TLVs, stay far below).
inline constexpr std::size_t max_header_size = 16 + 2048;

enum class status {
  complete,   // the header took `consumed` bytes
  need_more,  // keep what came; the header needs `needed` bytes in all, at least
  bad,        // not a PROXY header: `problem` says why
};

struct result {
  status state = status::need_more;
  std::size_t consumed = 0;
  std::size_t needed = 0;
  // The client and the address it connected to, as the proxy saw them;
  // none for LOCAL, UNKNOWN and address families other than IPv4 and IPv6.
  std::optional<boost::asio::ip::tcp::endpoint> source;
  std::optional<boost::asio::ip::tcp::endpoint> destination;
  std::string_view problem;
};

// Looks at the bytes at the front of a connection for a PROXY header.
result parse(std::span<const std::byte> input) noexcept;

// Who may send a PROXY header (--proxy-from): IPv4 and IPv6 networks. An
// IPv4 peer on a dual-stack socket (::ffff:a.b.c.d) is matched as IPv4.
class trusted_networks {
 public:
  // "127.0.0.0/8,::1/128"; an address alone is a network of one. Nothing
  // on failure, with `problem` saying why.
  static std::optional<trusted_networks> parse(std::string_view list, std::string& problem);
  static trusted_networks loopback();

  bool contains(const boost::asio::ip::address& a) const noexcept;
  const std::string& text() const noexcept { return text_; }

 private:
  std::vector<boost::asio::ip::network_v4> v4_;
  std::vector<boost::asio::ip::network_v6> v6_;
  std::string text_;
};

}  // namespace server::proxy
