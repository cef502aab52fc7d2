#include "session/proxy_header.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>

namespace server::proxy {

namespace {

namespace ip = boost::asio::ip;

constexpr std::string_view v1_prefix = "PROXY ";
constexpr std::size_t v1_max = 107;  // the spec's longest line, CRLF included
constexpr std::array<unsigned char, 12> v2_signature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                        0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr std::size_t v2_fixed = 16;

result bad(std::string_view why) {
  result r;
  r.state = status::bad;
  r.problem = why;
  return r;
}

result need(std::size_t bytes) {
  result r;
  r.state = status::need_more;
  r.needed = bytes;
  return r;
}

// Whether what came so far can still be the start of `prefix`.
bool starts_like(std::span<const std::byte> input, const unsigned char* prefix, std::size_t size) {
  const std::size_t n = std::min(input.size(), size);
  return std::memcmp(input.data(), prefix, n) == 0;
}

// A decimal port as v1 writes it: 1 to 5 digits, no leading zero, <= 65535.
std::optional<std::uint16_t> port_of(std::string_view text) {
  if (text.empty() || text.size() > 5 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

std::optional<ip::address> address_of(std::string_view text, bool v6) {
  // inet_pton's strict forms only: no IPv6 scope, no shortened IPv4.
  if (text.empty() || text.size() > 45 || text.find('%') != std::string_view::npos) {
    return std::nullopt;
  }
  boost::system::error_code ec;
  const std::string s(text);
  if (v6) {
    const auto a = ip::make_address_v6(s, ec);
    if (ec) return std::nullopt;
    return ip::address(a);
  }
  const auto a = ip::make_address_v4(s, ec);
  if (ec) return std::nullopt;
  return ip::address(a);
}

result parse_v1(std::span<const std::byte> input) {
  const std::string_view text(reinterpret_cast<const char*>(input.data()),
                              std::min(input.size(), v1_max));
  const auto lf = text.find('\n');
  if (lf == std::string_view::npos) {
    if (input.size() >= v1_max) return bad("a PROXY v1 line longer than 107 bytes");
    return need(input.size() + 1);
  }
  if (lf == 0 || text[lf - 1] != '\r') return bad("a PROXY v1 line not ended by CRLF");
  std::string_view line = text.substr(v1_prefix.size(), lf - 1 - v1_prefix.size());
  result r;
  r.state = status::complete;
  r.consumed = lf + 1;
  if (line == "UNKNOWN" || line.starts_with("UNKNOWN ")) return r;  // the socket's own address
  std::array<std::string_view, 5> field;
  for (std::size_t i = 0; i < field.size(); ++i) {
    const auto space = line.find(' ');
    if ((space == std::string_view::npos) != (i == field.size() - 1)) {
      return bad("a PROXY v1 line without exactly six fields");
    }
    field[i] = line.substr(0, space);
    line = space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
  }
  bool v6 = false;
  if (field[0] == "TCP6") {
    v6 = true;
  } else if (field[0] != "TCP4") {
    return bad("a PROXY v1 protocol other than TCP4, TCP6 or UNKNOWN");
  }
  const auto source = address_of(field[1], v6);
  const auto destination = address_of(field[2], v6);
  if (!source || !destination) return bad("a PROXY v1 address that is not of its family");
  const auto source_port = port_of(field[3]);
  const auto destination_port = port_of(field[4]);
  if (!source_port || !destination_port) return bad("a PROXY v1 port that is not 0 to 65535");
  r.source = ip::tcp::endpoint(*source, *source_port);
  r.destination = ip::tcp::endpoint(*destination, *destination_port);
  return r;
}

std::uint16_t be16(const std::byte* p) {
  return static_cast<std::uint16_t>((std::to_integer<unsigned>(p[0]) << 8) |
                                    std::to_integer<unsigned>(p[1]));
}

result parse_v2(std::span<const std::byte> input) {
  if (input.size() < v2_fixed) return need(v2_fixed);
  const unsigned version_command = std::to_integer<unsigned>(input[12]);
  const unsigned family = std::to_integer<unsigned>(input[13]);
  const std::size_t length = be16(input.data() + 14);
  if ((version_command >> 4) != 2) return bad("a PROXY v2 header of another version");
  const unsigned command = version_command & 0x0F;
  if (command > 1) return bad("a PROXY v2 command other than LOCAL or PROXY");
  if (v2_fixed + length > max_header_size) return bad("a PROXY v2 header longer than 2 KiB");
  if (input.size() < v2_fixed + length) return need(v2_fixed + length);
  result r;
  r.state = status::complete;
  r.consumed = v2_fixed + length;
  if (command == 0) return r;  // LOCAL: the proxy's own connection (a health check)
  const unsigned address_family = family >> 4;
  const unsigned transport = family & 0x0F;
  if (address_family > 3 || transport > 2) return bad("a PROXY v2 family that does not exist");
  if (address_family == 0) return r;  // UNSPEC: the socket's own address
  if (transport != 1) return bad("a PROXY v2 header for another transport than a stream");
  const std::byte* a = input.data() + v2_fixed;
  if (address_family == 1) {  // INET: 4 + 4 + 2 + 2 bytes
    if (length < 12) return bad("a PROXY v2 header too short for its IPv4 addresses");
    ip::address_v4::bytes_type s, d;
    std::memcpy(s.data(), a, 4);
    std::memcpy(d.data(), a + 4, 4);
    r.source = ip::tcp::endpoint(ip::address_v4(s), be16(a + 8));
    r.destination = ip::tcp::endpoint(ip::address_v4(d), be16(a + 10));
  } else if (address_family == 2) {  // INET6: 16 + 16 + 2 + 2 bytes
    if (length < 36) return bad("a PROXY v2 header too short for its IPv6 addresses");
    ip::address_v6::bytes_type s, d;
    std::memcpy(s.data(), a, 16);
    std::memcpy(d.data(), a + 16, 16);
    r.source = ip::tcp::endpoint(ip::address_v6(s), be16(a + 32));
    r.destination = ip::tcp::endpoint(ip::address_v6(d), be16(a + 34));
  } else if (length < 216) {  // UNIX: two 108-byte paths, no address of ours to show
    return bad("a PROXY v2 header too short for its Unix addresses");
  }
  return r;  // what follows the addresses (TLVs) is skipped
}

}  // namespace

result parse(std::span<const std::byte> input) noexcept {
  try {
    if (input.empty()) return need(v1_prefix.size());
    const auto* v1 = reinterpret_cast<const unsigned char*>(v1_prefix.data());
    if (starts_like(input, v1, v1_prefix.size())) {
      return input.size() < v1_prefix.size() ? need(v1_prefix.size()) : parse_v1(input);
    }
    if (starts_like(input, v2_signature.data(), v2_signature.size())) return parse_v2(input);
    return bad("no PROXY header");
  } catch (...) {
    // Only the address strings allocate; without memory, the header is not taken.
    return bad("out of memory reading a PROXY header");
  }
}

std::optional<trusted_networks> trusted_networks::parse(std::string_view list,
                                                        std::string& problem) {
  trusted_networks t;
  t.text_ = std::string(list);
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string item(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (comma != std::string_view::npos && list.empty()) item.clear();  // a trailing comma
    boost::system::error_code ec;
    const bool v6 = item.find(':') != std::string::npos;
    if (item.find('/') == std::string::npos && !item.empty()) item += v6 ? "/128" : "/32";
    if (v6) {
      const auto n = ip::make_network_v6(item, ec);
      if (!ec) t.v6_.push_back(n);
    } else {
      const auto n = ip::make_network_v4(item, ec);
      if (!ec) t.v4_.push_back(n);
    }
    if (ec || item.empty()) {
      problem =
          "'" + item + "' is not a network: write ADDRESS/PREFIX, such as 10.0.0.0/8 or ::1/128";
      return std::nullopt;
    }
  }
  if (t.v4_.empty() && t.v6_.empty()) {
    problem = "no network given";
    return std::nullopt;
  }
  return t;
}

trusted_networks trusted_networks::loopback() {
  std::string ignored;
  return *parse("127.0.0.0/8,::1/128", ignored);
}

bool trusted_networks::contains(const ip::address& a) const noexcept {
  ip::address address = a;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    // As IPv4, or as written (::ffff:10.0.0.0/104, ::/0).
    for (const auto& n : v6_) {
      if (ip::network_v6(a.to_v6(), n.prefix_length()).network() == n.network()) return true;
    }
    address = ip::make_address_v4(ip::v4_mapped, a.to_v6());
  }
  if (address.is_v4()) {
    for (const auto& n : v4_) {
      if (ip::network_v4(address.to_v4(), n.prefix_length()).network() == n.network()) return true;
    }
    return false;
  }
  for (const auto& n : v6_) {
    if (ip::network_v6(address.to_v6(), n.prefix_length()).network() == n.network()) return true;
  }
  return false;
}

}  // namespace server::proxy
