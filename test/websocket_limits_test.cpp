// WebSocket peers under the same limits as TCP ones, since the same session
// serves them: a message parked unfinished is closed at --frame-timeout and
// gives its memory back to the budget. Shares its runner with web_test.cpp.
#include <boost/test/unit_test.hpp>
#include <memory>
#include <string>
#include <vector>

#include "blocking_peer.hpp"
#include "transport_support.hpp"
#include "wait.hpp"
#include "ws_client.hpp"

using test::ws_client;
using test::transport::frame_bytes;
using test::transport::server;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(websocket_limits)

namespace {

std::uint16_t port_of(const std::string& name) {
  return static_cast<std::uint16_t>(std::stoi(name.substr(name.rfind(':') + 1)));
}

// An ECHO of `size` bytes on a fresh TCP connection: answered (true), or
// refused with ERROR 4, server busy (false).
bool plain_echo_answered(std::uint16_t port, std::size_t size) {
  test::blocking_peer peer(port);
  peer.send(frame_bytes(proto::frame_type::echo, 7, std::string(size, 'p')));
  const auto reply = peer.read_frame();
  return reply && reply->type == 0x83 && reply->payload.size() == size;
}

}  // namespace

BOOST_AUTO_TEST_CASE(websocket_peers_that_park_most_of_a_large_frame_are_closed_and_uncharged) {
  // Nine WebSocket peers each send 950 KB of a 1 MB message holding one
  // ECHO, then nothing: 8.6 MB held, more than the 8 MiB budget, so a
  // legitimate 512 KiB ECHO is refused while they hold it. Nine TCP peers
  // doing the same are closed at --frame-timeout; these must be too (1001,
  // going away), after which the ECHO is answered.
  server srv({"--listen", "tcp://127.0.0.1:0", "--http", "127.0.0.1:0", "--max-buffered-bytes",
              "8M", "--frame-timeout", "2", "--log-level", "warn"},
             2);
  const auto tcp = port_of(srv.name(0));
  const auto http = port_of(srv.name(1));
  constexpr std::size_t message = 1'000'000;
  const std::string frame =
      frame_bytes(proto::frame_type::echo, 1, std::string(message - proto::header_size, 'w'));
  std::vector<std::unique_ptr<ws_client>> parked;
  for (int i = 0; i < 9; ++i) {
    parked.push_back(std::make_unique<ws_client>(http));
    BOOST_REQUIRE(parked.back()->upgraded());
    parked.back()->send(std::string_view(frame).substr(0, 950'000), ws_client::binary, message);
  }
  int closed = 0;
  for (auto& peer : parked) {
    // The server's goodbye, or (once the budget was used up) its refusal.
    const auto m = peer->read();  // none after 10 s if it never comes
    if (m && m->op == ws_client::close && (m->close_code() == 1001 || m->close_code() == 1013)) {
      ++closed;
    }
  }
  BOOST_TEST(closed == 9);
  BOOST_TEST(test::wait_until([&] { return plain_echo_answered(tcp, 512 * 1024); }, 10s, 200ms));
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
