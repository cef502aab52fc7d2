// The PROXY protocol header, v1 and v2, as HAProxy sends it and as it must
// not be: every byte boundary, every field, and what is refused.
#include "session/proxy_header.hpp"

#include <boost/test/unit_test.hpp>
#include <string>

namespace proxy = server::proxy;
namespace ip = boost::asio::ip;

namespace {

proxy::result parse(const std::string& bytes) {
  return proxy::parse(std::span(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()));
}

std::string problem_of(const std::string& bytes) {
  const auto r = parse(bytes);
  BOOST_TEST((r.state == proxy::status::bad));
  return std::string(r.problem);
}

const std::string signature("\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A", 12);

// A v2 header: version 2 and `command`, `family`, then `body`.
std::string v2(unsigned command, unsigned family, const std::string& body) {
  std::string h = signature;
  h += static_cast<char>(0x20 | command);
  h += static_cast<char>(family);
  h += static_cast<char>(body.size() >> 8);
  h += static_cast<char>(body.size() & 0xFF);
  return h + body;
}

const std::string ipv4_body(
    "\xC0\x00\x02\x01"  // 192.0.2.1
    "\x7F\x00\x00\x01"  // 127.0.0.1
    "\xDC\x04"          // 56324
    "\x1F\x90",         // 8080
    12);

}  // namespace

BOOST_AUTO_TEST_SUITE(proxy_header)

BOOST_AUTO_TEST_CASE(v1_tcp4_names_the_client) {
  const std::string line = "PROXY TCP4 192.0.2.1 127.0.0.1 56324 8080\r\n";
  const auto r = parse(line + "frame bytes");
  BOOST_TEST((r.state == proxy::status::complete));
  BOOST_TEST(r.consumed == line.size());
  BOOST_REQUIRE(r.source.has_value());
  BOOST_TEST(r.source->address().to_string() == "192.0.2.1");
  BOOST_TEST(r.source->port() == 56324);
  BOOST_TEST(r.destination->address().to_string() == "127.0.0.1");
  BOOST_TEST(r.destination->port() == 8080);
}

BOOST_AUTO_TEST_CASE(v1_tcp6_and_unknown) {
  const auto r = parse("PROXY TCP6 2001:db8::1 ::1 65535 0\r\n");
  BOOST_TEST((r.state == proxy::status::complete));
  BOOST_TEST(r.source->address().to_string() == "2001:db8::1");
  BOOST_TEST(r.source->port() == 65535);
  BOOST_TEST(r.destination->port() == 0);
  for (const std::string line : {"PROXY UNKNOWN\r\n", "PROXY UNKNOWN ::1 ::1 1 2\r\n"}) {
    const auto u = parse(line);
    BOOST_TEST((u.state == proxy::status::complete));
    BOOST_TEST(u.consumed == line.size());
    BOOST_TEST(!u.source.has_value());  // the socket's own address stands
  }
}

BOOST_AUTO_TEST_CASE(every_prefix_of_a_header_asks_for_more) {
  const std::string line = "PROXY TCP4 192.0.2.1 127.0.0.1 56324 8080\r\n";
  for (std::size_t n = 0; n < line.size(); ++n) {
    const auto r = parse(line.substr(0, n));
    BOOST_TEST((r.state == proxy::status::need_more), n);
    BOOST_TEST(r.needed > n, n);
  }
  const std::string header = v2(1, 0x11, ipv4_body);
  for (std::size_t n = 0; n < header.size(); ++n) {
    const auto r = parse(header.substr(0, n));
    BOOST_TEST((r.state == proxy::status::need_more), n);
    BOOST_TEST(r.needed > n, n);
    BOOST_TEST(r.needed <= header.size(), n);
  }
}

BOOST_AUTO_TEST_CASE(v1_is_strict) {
  BOOST_TEST(problem_of("GET / HTTP/1.1\r\n") == "no PROXY header");
  BOOST_TEST(problem_of("\xA5\x01") == "no PROXY header");  // a protocol frame
  BOOST_TEST(problem_of("proxy TCP4 1.2.3.4 1.2.3.4 1 2\r\n") == "no PROXY header");
  BOOST_TEST(!problem_of("PROXY TCP4 1.2.3.4 1.2.3.4 1 2\n").empty());        // no CR
  BOOST_TEST(!problem_of("PROXY TCP4 1.2.3.4 1.2.3.4 1\r\n").empty());        // 5 fields
  BOOST_TEST(!problem_of("PROXY TCP4 1.2.3.4 1.2.3.4 1 2 3\r\n").empty());    // 7 fields
  BOOST_TEST(!problem_of("PROXY TCP4  1.2.3.4 1.2.3.4 1 2\r\n").empty());     // two spaces
  BOOST_TEST(!problem_of("PROXY UDP4 1.2.3.4 1.2.3.4 1 2\r\n").empty());      // protocol
  BOOST_TEST(!problem_of("PROXY TCP4 ::1 ::1 1 2\r\n").empty());              // family
  BOOST_TEST(!problem_of("PROXY TCP6 1.2.3.4 1.2.3.4 1 2\r\n").empty());      // family
  BOOST_TEST(!problem_of("PROXY TCP4 1.2.3 1.2.3.4 1 2\r\n").empty());        // short
  BOOST_TEST(!problem_of("PROXY TCP4 01.2.3.4 1.2.3.4 1 2\r\n").empty());     // octal?
  BOOST_TEST(!problem_of("PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n").empty());     // scope
  BOOST_TEST(!problem_of("PROXY TCP4 1.2.3.4 1.2.3.4 65536 2\r\n").empty());  // port
  BOOST_TEST(!problem_of("PROXY TCP4 1.2.3.4 1.2.3.4 080 2\r\n").empty());    // leading 0
  BOOST_TEST(!problem_of("PROXY TCP4 1.2.3.4 1.2.3.4 -1 2\r\n").empty());     // sign
  BOOST_TEST(!problem_of("PROXY TCP4 1.2.3.4 1.2.3.4 1 2 \r\n").empty());     // trailing
  BOOST_TEST(!problem_of("PROXY TCP4 1.2.3.4 1.2.3.4 1 2\r\r\n").empty());
  // No CRLF within 107 bytes: never waited for longer.
  BOOST_TEST(!problem_of("PROXY UNKNOWN " + std::string(93, 'x')).empty());
  BOOST_TEST((parse("PROXY UNKNOWN " + std::string(92, 'x')).state == proxy::status::need_more));
  BOOST_TEST((parse("PROXY UNKNOWN " + std::string(91, 'x') + "\r\n").state ==
              proxy::status::complete));  // 107 bytes exactly
}

BOOST_AUTO_TEST_CASE(v2_proxy_ipv4_and_ipv6_with_tlvs_skipped) {
  const auto r = parse(v2(1, 0x11, ipv4_body) + "next");
  BOOST_TEST((r.state == proxy::status::complete));
  BOOST_TEST(r.consumed == 16 + 12);
  BOOST_TEST(r.source->address().to_string() == "192.0.2.1");
  BOOST_TEST(r.source->port() == 56324);
  BOOST_TEST(r.destination->port() == 8080);

  std::string six(36, '\0');
  six[15] = 1;  // ::1
  six[31] = 2;  // ::2
  six[32] = '\x04';
  six[33] = '\xD2';  // 1234
  const std::string tlv(
      "\x04\x00\x03"
      "abc",
      6);  // PP2_TYPE_NOOP
  const auto r6 = parse(v2(1, 0x21, six + tlv));
  BOOST_TEST((r6.state == proxy::status::complete));
  BOOST_TEST(r6.consumed == 16 + 36 + 6);
  BOOST_TEST(r6.source->address().to_string() == "::1");
  BOOST_TEST(r6.source->port() == 1234);
  BOOST_TEST(r6.destination->address().to_string() == "::2");
}

BOOST_AUTO_TEST_CASE(v2_local_unspec_and_unix_carry_no_client) {
  // HAProxy's health checks: LOCAL, family UNSPEC, no addresses.
  const auto local = parse(v2(0, 0x00, ""));
  BOOST_TEST((local.state == proxy::status::complete));
  BOOST_TEST(local.consumed == 16u);
  BOOST_TEST(!local.source.has_value());
  // LOCAL with addresses: they are the proxy's own, not used.
  BOOST_TEST(!parse(v2(0, 0x11, ipv4_body)).source.has_value());
  BOOST_TEST(!parse(v2(1, 0x00, "")).source.has_value());
  const auto unix_socket = parse(v2(1, 0x31, std::string(216, '\0')));
  BOOST_TEST((unix_socket.state == proxy::status::complete));
  BOOST_TEST(!unix_socket.source.has_value());
}

BOOST_AUTO_TEST_CASE(v2_is_strict) {
  std::string wrong_version = v2(1, 0x11, ipv4_body);
  wrong_version[12] = '\x11';
  BOOST_TEST(!problem_of(wrong_version).empty());
  BOOST_TEST(!problem_of(v2(2, 0x11, ipv4_body)).empty());                // command
  BOOST_TEST(!problem_of(v2(1, 0x41, ipv4_body)).empty());                // family
  BOOST_TEST(!problem_of(v2(1, 0x13, ipv4_body)).empty());                // transport
  BOOST_TEST(!problem_of(v2(1, 0x12, ipv4_body)).empty());                // datagrams
  BOOST_TEST(!problem_of(v2(1, 0x11, ipv4_body.substr(0, 11))).empty());  // too short
  BOOST_TEST(!problem_of(v2(1, 0x21, std::string(35, '\0'))).empty());
  BOOST_TEST(!problem_of(v2(1, 0x31, std::string(215, '\0'))).empty());
  // A length over the limit is refused at once, not waited for.
  std::string huge = v2(1, 0x11, "");
  huge[14] = '\x09';  // 2,304 bytes
  BOOST_TEST(!problem_of(huge).empty());
  std::string bent = signature;
  bent[11] = 'x';
  BOOST_TEST(problem_of(bent) == "no PROXY header");
}

BOOST_AUTO_TEST_CASE(trusted_networks_match_by_prefix_and_v4_mapped_as_both) {
  std::string problem;
  const auto loop = proxy::trusted_networks::loopback();
  BOOST_TEST(loop.contains(ip::make_address("127.0.0.3")));
  BOOST_TEST(loop.contains(ip::make_address("::1")));
  BOOST_TEST(loop.contains(ip::make_address("::ffff:127.0.0.1")));  // a dual-stack socket's peer
  BOOST_TEST(!loop.contains(ip::make_address("10.0.0.1")));
  const auto some = proxy::trusted_networks::parse("10.0.0.0/8,192.0.2.7,2001:db8::/32", problem);
  BOOST_REQUIRE(some.has_value());
  BOOST_TEST(some->contains(ip::make_address("10.255.0.1")));
  BOOST_TEST(some->contains(ip::make_address("192.0.2.7")));
  BOOST_TEST(!some->contains(ip::make_address("192.0.2.8")));
  BOOST_TEST(some->contains(ip::make_address("2001:db8::5")));
  BOOST_TEST(!some->contains(ip::make_address("127.0.0.1")));
  const auto everyone6 = proxy::trusted_networks::parse("::/0", problem);
  BOOST_REQUIRE(everyone6.has_value());
  BOOST_TEST(everyone6->contains(ip::make_address("::ffff:10.0.0.1")));
  for (const char* bad : {"", "10.0.0.0/33", "localhost", "10.0.0.0/8,", "::1/129"}) {
    BOOST_TEST(!proxy::trusted_networks::parse(bad, problem).has_value(), bad);
  }
}

BOOST_AUTO_TEST_SUITE_END()
