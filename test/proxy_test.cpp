// The PROXY protocol on the built server: headers as a load balancer sends
// them, HAProxy's health check, and what is refused (label `tools`, with
// the transports).
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "blocking_peer.hpp"
#include "transport_support.hpp"
#include "wait.hpp"

using namespace test::transport;
using test::blocking_peer;
using test::server_bin;

namespace {

std::uint16_t port_number(const server& srv, std::size_t i = 0) {
  return static_cast<std::uint16_t>(std::stoi(srv.port(i)));
}

std::string v1(const std::string& client, const std::string& port) {
  return "PROXY TCP4 " + client + " 127.0.0.1 40000 " + port + "\r\n";
}

// HAProxy's health check: a v2 LOCAL header, nothing after it.
const std::string v2_local("\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A\x20\x00\x00\x00", 16);

// A v2 PROXY header for 192.0.2.9:40000 -> 127.0.0.1:8080, with a NOOP TLV.
const std::string v2_proxy(
    "\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A\x21\x11\x00\x10"
    "\xC0\x00\x02\x09\x7F\x00\x00\x01\x9C\x40\x1F\x90\x04\x00\x01x",
    32);

void pings(blocking_peer& peer, std::uint32_t id) {
  peer.send_frame(proto::frame_type::ping, id);
  const auto pong = peer.read_frame();
  BOOST_REQUIRE(pong.has_value());
  BOOST_TEST((pong->frame_type() == proto::frame_type::pong));
  BOOST_TEST(pong->id == id);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(proxy_protocol)

BOOST_AUTO_TEST_CASE(v1_and_v2_name_the_client_and_the_stream_after_is_untouched) {
  server srv({"--listen", "tcp://127.0.0.1:0?proxy", "--log-level", "debug"});
  {
    blocking_peer peer(port_number(srv));
    // The header and the first frame in one write: nothing past the header
    // may be taken as header.
    peer.send(v1("192.0.2.7", srv.port()) + std::string("\xA5\x01\x04\x00\x00\x00\x00\x01", 8) +
              std::string(4, '\0'));
    const auto pong = peer.read_frame();
    BOOST_REQUIRE(pong.has_value());
    BOOST_TEST((pong->frame_type() == proto::frame_type::pong));
    pings(peer, 2);
  }
  BOOST_TEST(srv.log_shows("192.0.2.7: connected, through the proxy 127.0.0.1"));
  {
    blocking_peer peer(port_number(srv));
    // A byte at a time, as slowly as a stalled proxy might.
    for (const char c : v2_proxy) {
      peer.send(std::string(1, c));
      ::usleep(2000);  // the pace of a stalled proxy: the scenario, not a synchronisation
    }
    pings(peer, 1);
  }
  BOOST_TEST(srv.log_shows("192.0.2.9: connected, through the proxy 127.0.0.1"));
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(a_health_check_is_a_local_header_and_a_ping) {
  server srv({"--listen", "tcp://127.0.0.1:0", "--proxy-protocol", "--log-level", "debug"});
  blocking_peer peer(port_number(srv));
  peer.send(v2_local);
  pings(peer, 7);
  BOOST_TEST(
      srv.log_shows("127.0.0.1: connected, through the proxy 127.0.0.1 (its own connection"));
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(a_bad_or_missing_header_is_closed_and_the_server_goes_on) {
  server srv(
      {"--listen", "tcp://127.0.0.1:0?proxy", "--log-level", "debug", "--handshake-timeout", "1"});
  {
    blocking_peer peer(port_number(srv));
    peer.send_frame(proto::frame_type::ping, 1);  // no header: never guessed
    peer.reads_to_clean_close();                  // closed (a reset: its frame was unread)
  }
  BOOST_TEST(srv.log_shows("not a PROXY header (no PROXY header), closed"));
  {
    blocking_peer peer(port_number(srv));
    peer.send("PROXY TCP4 192.0.2.1 127.0.0.1 1 99999\r\n");
    peer.reads_to_clean_close();
  }
  BOOST_TEST(srv.log_shows("a PROXY v1 port that is not 0 to 65535"));
  {
    blocking_peer peer(port_number(srv));
    peer.send("PROXY TCP4 192.0.2.1");  // and then nothing
    peer.reads_to_clean_close();
  }
  BOOST_TEST(srv.log_shows("no whole PROXY header within --handshake-timeout, closed"));
  blocking_peer fine(port_number(srv));
  fine.send(v1("192.0.2.3", srv.port()));
  pings(fine, 1);
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(a_header_from_outside_proxy_from_is_refused) {
  server srv({"--listen", "tcp://127.0.0.1:0", "--proxy-protocol", "--proxy-from",
              "10.0.0.0/8,2001:db8::/32", "--log-level", "debug"});
  blocking_peer peer(port_number(srv));
  peer.send(v1("192.0.2.7", srv.port()));
  peer.reads_to_clean_close();
  BOOST_TEST(srv.log_shows("a connection to a PROXY listener from outside --proxy-from"));
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(a_silent_proxied_connection_costs_little_more_than_a_quiet_plain_one) {
  // A quiet plain connection costs about 1.2 KB; one to a PROXY listener
  // that has sent nothing yet must not cost much more (it held a 2 KiB
  // header buffer from its first moment: 3.8 KB).
  if (std::getenv("ASIO_SERVER_SANITIZED") != nullptr) return;  // memory is the sanitizer's
  server srv({"--listen", "tcp://127.0.0.1:0?proxy", "--threads", "1", "--log-level", "warn"});
  const pid_t pid = srv.process().pid();
  const long before = rss_kib(pid);
  constexpr int connections = 900;  // within the test's own 1,024 descriptors
  std::vector<std::unique_ptr<blocking_peer>> silent;
  for (int i = 0; i < connections; ++i) {
    silent.push_back(std::make_unique<blocking_peer>(port_number(srv)));
  }
  // All accepted (the server owns them), and their sessions started: its
  // memory stops moving.
  BOOST_TEST_REQUIRE(test::wait_until([&] {
    return test::ss_count_held_by(pid, "established", "sport = :" + srv.port()) == connections;
  }));
  const long last = settled_rss_kib(pid);
  const long per_connection = (last - before) * 1024 / connections;
  BOOST_TEST_MESSAGE("a silent proxied connection: " << per_connection << " B");
  BOOST_TEST(per_connection < 2600);
  silent.front()->send(v1("192.0.2.3", srv.port()));  // with its header, it is served
  pings(*silent.front(), 1);
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(proxy_options_are_checked) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"--proxy-from", "10.0.0.0/33"},
                                                                {"--proxy-from", "localhost"},
                                                                {"--proxy-from", "10.0.0.0/8,"},
                                                                {"--http", "127.0.0.1:0?proxy"}}) {
    std::vector<std::string> argv{server_bin};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = test::run(argv);
    BOOST_TEST(r.exit_code == 64, args[1]);
    BOOST_TEST(test::contains(r.err, args[0]), r.err);
  }
}

BOOST_AUTO_TEST_SUITE_END()
