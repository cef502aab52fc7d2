// Which pages may open a WebSocket at /ws (--http): the server's own, by
// the address the connection came to, and those --http-allowed-origin
// names; not a site whose name was rebound to the server's address (DNS
// rebinding), which chooses the Host header as well as the Origin.
#include <boost/test/unit_test.hpp>
#include <string>

#include "blocking_peer.hpp"
#include "service_support.hpp"

using test::transport::server;

namespace {

std::uint16_t port_of(const std::string& name) {
  return static_cast<std::uint16_t>(std::stoi(name.substr(name.rfind(':') + 1)));
}

// The status line of the answer to a WebSocket upgrade with this Host and
// Origin (none when `origin` is empty).
std::string upgrade(std::uint16_t port, const std::string& host, const std::string& origin) {
  test::blocking_peer peer(port);
  std::string req = "GET /ws HTTP/1.1\r\nHost: " + host +
                    "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
  if (!origin.empty()) req += "Origin: " + origin + "\r\n";
  peer.send(req + "\r\n");
  std::string answer;
  for (int i = 0; i < 64 && answer.find("\r\n") == std::string::npos; ++i) {
    const auto chunk = peer.read_some();
    if (chunk.empty()) break;
    answer += chunk;
  }
  return answer.substr(0, answer.find("\r\n"));
}

const std::string switching = "HTTP/1.1 101 Switching Protocols";
const std::string forbidden = "HTTP/1.1 403 Forbidden";

}  // namespace

BOOST_AUTO_TEST_SUITE(http_origin)

BOOST_AUTO_TEST_CASE(a_rebound_name_is_refused_while_the_pages_own_origin_is_let_in) {
  server srv({"--listen", "tcp://127.0.0.1:0", "--http", "127.0.0.1:0"}, 2);
  const auto http = port_of(srv.name(1));
  const std::string port = std::to_string(http);
  // evil.example's page, its name rebound to 127.0.0.1: the browser sends
  // the site's own name as Host and Origin alike.
  BOOST_TEST(upgrade(http, "evil.example:" + port, "http://evil.example:" + port) == forbidden);
  BOOST_TEST(upgrade(http, "evil.example:" + port, "https://evil.example:" + port) == forbidden);
  // Another port of this address is another origin.
  BOOST_TEST(upgrade(http, "127.0.0.1:" + port, "http://127.0.0.1:1") == forbidden);
  BOOST_TEST(upgrade(http, "127.0.0.1:" + port, "null") == forbidden);
  // The page as served from the --http address, and as localhost on it.
  BOOST_TEST(upgrade(http, "127.0.0.1:" + port, "http://127.0.0.1:" + port) == switching);
  BOOST_TEST(upgrade(http, "localhost:" + port, "http://localhost:" + port) == switching);
  BOOST_TEST(upgrade(http, "LOCALHOST:" + port, "HTTP://LocalHost:" + port) == switching);
  // A client that is no browser sends no Origin.
  BOOST_TEST(upgrade(http, "127.0.0.1:" + port, "") == switching);
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(an_origin_named_by_http_allowed_origin_is_let_in) {
  server srv({"--listen", "tcp://127.0.0.1:0", "--http", "127.0.0.1:0", "--http-allowed-origin",
              "https://asio.example.com", "--http-allowed-origin", "http://MyHost:8081"},
             2);
  const auto http = port_of(srv.name(1));
  const std::string port = std::to_string(http);
  // The page behind a TLS proxy, and by a host name (default ports left
  // out, as browsers do; case does not matter).
  BOOST_TEST(upgrade(http, "asio.example.com", "https://asio.example.com") == switching);
  BOOST_TEST(upgrade(http, "asio.example.com", "https://asio.example.com:443") == switching);
  BOOST_TEST(upgrade(http, "myhost:8081", "http://myhost:8081") == switching);
  // Not another scheme or port of them, and not a rebound name still.
  BOOST_TEST(upgrade(http, "asio.example.com", "http://asio.example.com") == forbidden);
  BOOST_TEST(upgrade(http, "myhost:8082", "http://myhost:8082") == forbidden);
  BOOST_TEST(upgrade(http, "evil.example:" + port, "http://evil.example:" + port) == forbidden);
  BOOST_TEST(upgrade(http, "127.0.0.1:" + port, "http://127.0.0.1:" + port) == switching);
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(an_allowed_origin_that_is_no_origin_is_a_usage_error) {
  for (const char* good : {"https://asio.example.com", "http://MyHost:8081", "http://[::1]:8081"}) {
    const auto r = test::run({test::server_bin, "--http", "127.0.0.1:0", "--http-allowed-origin",
                              good, "--check-config"});
    BOOST_TEST(r.exit_code == 0, good << ": " << r.err);
  }
  for (const char* bad : {"asio.example.com", "https://asio.example.com/", "ftp://x", "http://"}) {
    const auto r = test::run({test::server_bin, "--http", "127.0.0.1:0", "--http-allowed-origin",
                              bad, "--check-config"});
    BOOST_TEST(r.exit_code == 64, bad);
    BOOST_TEST(test::contains(r.err, "--http-allowed-origin"), r.err);
  }
}

BOOST_AUTO_TEST_SUITE_END()
