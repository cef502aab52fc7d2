// What TLS connections hold, against the server's memory budget
// (--max-buffered-bytes): a quiet TLS connection gives back the buffer its
// reads grew, and holds (and is charged) nothing of its own, as a quiet
// plain one does. Shares its runner with transport_test.cpp.
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "blocking_peer.hpp"
#include "transport_support.hpp"
#include "wait.hpp"

using namespace test::transport;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(tls_memory)

namespace {

// An ECHO of `size` bytes on a fresh plain connection to `port`: answered
// (true), or refused with ERROR 4, server busy (false).
bool plain_echo_answered(const std::string& port, std::size_t size) {
  test::blocking_peer peer(static_cast<std::uint16_t>(std::stoi(port)));
  peer.send(frame_bytes(proto::frame_type::echo, 7, std::string(size, 'p')));
  const auto reply = peer.read_frame();
  return reply && reply->type == 0x83 && reply->payload.size() == size;
}

// A budget freed only as connections cool down is a state to wait for, not
// an event: ask again (each ask a fresh ECHO) until it is answered, for 10 s
// at most.
bool answered_within_10s(const std::string& port, std::size_t size) {
  return test::wait_until([&] { return plain_echo_answered(port, size); }, 10s, 200ms);
}

}  // namespace

BOOST_AUTO_TEST_CASE(quiet_tls_connections_give_back_what_their_large_echoes_grew) {
  // 40 TLS peers each send a 1 MiB ECHO and then say nothing: 40 MiB of
  // read buffers if they kept them, more than the 32 MiB budget. Once they
  // are quiet, a fresh plain connection's 256 KiB ECHO must be answered.
  auto args = tls_args();
  args.insert(args.end(), {"--listen", "tcp://127.0.0.1:0", "--max-buffered-bytes", "32M",
                           "--log-level", "warn"});
  server srv(args, 2);
  std::vector<std::unique_ptr<tls_peer>> quiet;
  for (int i = 0; i < 40; ++i) {
    auto peer = std::make_unique<tls_peer>(srv);
    // While the budget is full one may be refused (ERROR 4, and closed):
    // either way it has grown its buffer to take its frame.
    if (peer->echo(1 << 20) == 0x83) quiet.push_back(std::move(peer));
  }
  BOOST_TEST_MESSAGE(quiet.size() << " of 40 large TLS ECHOes answered");
  BOOST_TEST(!quiet.empty());
  BOOST_TEST(answered_within_10s(srv.port(1), 256 * 1024));
  for (auto& peer : quiet) peer->ping();  // still served
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(idle_tls_connections_are_charged_nothing) {
  // With a 1 MiB budget, a 512 KiB ECHO is answered; 256 idle TLS
  // connections (charged 4 KiB each, they would fill the budget) must not
  // change that.
  auto args = tls_args();
  args.insert(args.end(), {"--listen", "tcp://127.0.0.1:0", "--max-buffered-bytes", "1M",
                           "--log-level", "warn"});
  server srv(args, 2);
  BOOST_TEST_REQUIRE(plain_echo_answered(srv.port(1), 512 * 1024));
  std::vector<std::unique_ptr<tls_peer>> idle;
  for (int i = 0; i < 256; ++i) idle.push_back(std::make_unique<tls_peer>(srv));
  BOOST_TEST(answered_within_10s(srv.port(1), 512 * 1024));
  for (auto& peer : idle) peer->ping();  // still served
  BOOST_TEST(srv.terminate() == 0);
}

namespace {

// 300 peers that each send a 105-byte record announcing a 131,000-byte
// ClientHello, and then nothing: each handshake they start makes OpenSSL
// hold about 200 KB until --handshake-timeout (60 s here). Returns the
// server's RSS growth in KiB once it settles, checking meanwhile that a
// plain client is served.
long rss_growth_under_stalled_handshakes(std::vector<std::string> more) {
  auto args = tls_args();
  args.insert(args.end(), {"--listen", "tcp://127.0.0.1:0", "--handshake-timeout", "60",
                           "--log-level", "error"});
  args.insert(args.end(), more.begin(), more.end());
  server srv(args, 2);
  const pid_t pid = srv.process().pid();
  const long before = settled_rss_kib(pid);
  std::string hello = {0x01, 0x01, static_cast<char>(0xff), static_cast<char>(0xb8), 0x03, 0x03};
  hello.resize(100, '\0');
  const std::string record = std::string{0x16, 0x03, 0x01, 0x00, 100} + hello;
  std::vector<std::unique_ptr<test::blocking_peer>> stalled;
  for (int i = 0; i < 300; ++i) {  // within the test's own 1,024 descriptors
    stalled.push_back(
        std::make_unique<test::blocking_peer>(static_cast<std::uint16_t>(std::stoi(srv.port()))));
    stalled.back()->send(record);
  }
  const long growth = settled_rss_kib(pid) - before;
  BOOST_TEST_MESSAGE("300 stalled handshakes: server RSS +" << growth / 1024 << " MiB");
  BOOST_TEST(plain_echo_answered(srv.port(1), 1024));
  stalled.clear();
  BOOST_TEST(srv.terminate() == 0);
  return growth;
}

}  // namespace

BOOST_AUTO_TEST_CASE(stalled_handshakes_are_capped_per_worker) {
  // The default cap, 32 handshakes in progress per worker: the rest wait in
  // the listen queue, costing the server nothing (60 MB uncapped).
  if (std::getenv("ASIO_SERVER_SANITIZED") != nullptr) return;  // memory is the sanitizer's
  BOOST_TEST(rss_growth_under_stalled_handshakes({"--threads", "2"}) < 20 * 1024);
}

BOOST_AUTO_TEST_CASE(handshakes_in_progress_are_charged_to_the_memory_budget) {
  // No cap to speak of, but a 16 MiB budget, which each handshake in
  // progress is charged against: the server stays within it, plus a margin.
  if (std::getenv("ASIO_SERVER_SANITIZED") != nullptr) return;
  BOOST_TEST(rss_growth_under_stalled_handshakes(
                 {"--max-tls-handshakes", "1000", "--max-buffered-bytes", "16M"}) < 28 * 1024);
}

BOOST_AUTO_TEST_SUITE_END()
