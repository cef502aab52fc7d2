// Bad input gets a clear error, and nothing else breaks: after each case a
// client that was connected all along and a fresh one are both served.
#include <boost/test/unit_test.hpp>
#include <memory>
#include <string>

#include "blocking_peer.hpp"
#include "test_server.hpp"

using proto::frame_type;
using test::blocking_peer;

namespace {

constexpr std::uint32_t max_frame = 1024;

struct server_with_bystander {
  server_with_bystander()
      : srv([] {
          auto c = test::test_config();
          c.max_frame = max_frame;
          return c;
        }()),
        bystander(srv.port()) {}

  // The bystander, connected before the bad input, and a fresh client.
  void check_others_still_served() {
    bystander.send_frame(frame_type::ping, ++bystander_id);
    const auto pong = bystander.read_frame();
    BOOST_REQUIRE(pong.has_value());
    BOOST_TEST(static_cast<int>(pong->type) == 0x84);
    BOOST_TEST(pong->id == bystander_id);

    blocking_peer fresh(srv.port());
    fresh.send_frame(frame_type::hello, 1, "Hello (client)");
    const auto hello = fresh.read_frame();
    BOOST_REQUIRE(hello.has_value());
    BOOST_TEST(hello->payload == "Hello (server)!");
  }

  test::test_server srv;
  blocking_peer bystander;
  std::uint32_t bystander_id = 0;
};

void expect_error(blocking_peer& peer, std::uint16_t code, std::uint32_t id) {
  const auto f = peer.read_frame();
  BOOST_REQUIRE(f.has_value());
  BOOST_TEST(static_cast<int>(f->type) == 0x7F);
  BOOST_TEST(f->id == id);
  const auto e = proto::parse_error(proto::as_bytes(f->payload));
  BOOST_REQUIRE(e.has_value());
  BOOST_TEST(e->code == code);
  BOOST_TEST(!e->text.empty());
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(bad_input, server_with_bystander)

BOOST_AUTO_TEST_CASE(bad_magic_after_a_good_frame_gets_error_1_then_a_clean_close) {
  blocking_peer peer(srv.port());
  peer.send_frame(frame_type::ping, 1);
  peer.send("GET / HTTP/1.0\r\n\r\n");
  BOOST_TEST(static_cast<int>(peer.read_frame()->type) == 0x84);  // answered before the garbage
  expect_error(peer, 1, 0);
  BOOST_TEST(peer.reads_to_clean_close());
  check_others_still_served();
}

BOOST_AUTO_TEST_CASE(unsupported_version_gets_error_1_then_a_clean_close) {
  blocking_peer peer(srv.port());
  peer.send_header(0x01, 1, 0, /*version=*/2);
  expect_error(peer, 1, 0);
  BOOST_TEST(peer.reads_to_clean_close());
  check_others_still_served();
}

BOOST_AUTO_TEST_CASE(oversized_frame_gets_error_2_naming_the_request_without_its_payload) {
  blocking_peer peer(srv.port());
  peer.send_header(0x03, 9, max_frame + 1);  // the payload is never sent
  expect_error(peer, 2, 9);
  BOOST_TEST(peer.reads_to_clean_close());
  check_others_still_served();
}

BOOST_AUTO_TEST_CASE(a_frame_at_the_limit_is_served) {
  blocking_peer peer(srv.port());
  const std::string payload(max_frame, 'x');
  peer.send_frame(frame_type::echo, 3, payload);
  const auto f = peer.read_frame();
  BOOST_REQUIRE(f.has_value());
  BOOST_TEST(f->payload == payload);
}

BOOST_AUTO_TEST_CASE(unknown_type_gets_error_3_and_the_connection_stays_usable) {
  blocking_peer peer(srv.port());
  peer.send_header(0x10, 3, 0);
  expect_error(peer, 3, 3);
  peer.send_frame(frame_type::ping, 4);
  const auto f = peer.read_frame();
  BOOST_REQUIRE(f.has_value());
  BOOST_TEST(static_cast<int>(f->type) == 0x84);
  BOOST_TEST(f->id == 4u);
  check_others_still_served();
}

BOOST_AUTO_TEST_CASE(a_client_that_closes_mid_header_costs_nothing) {
  {
    blocking_peer peer(srv.port());
    peer.send(std::string("\xA5\x01\x02", 3));
  }
  check_others_still_served();
}

BOOST_AUTO_TEST_CASE(a_client_reset_mid_payload_costs_nothing) {
  {
    blocking_peer peer(srv.port());
    peer.send_header(0x03, 1, 500);
    peer.send(std::string(100, 'x'));
    peer.reset();
  }
  check_others_still_served();
}

BOOST_AUTO_TEST_CASE(a_client_reset_while_replies_are_on_their_way_costs_nothing) {
  {
    blocking_peer peer(srv.port());
    for (std::uint32_t id = 1; id <= 200; ++id) {
      peer.send_frame(frame_type::echo, id, std::string(1000, 'y'));
    }
    peer.reset();
  }
  check_others_still_served();
}

BOOST_AUTO_TEST_SUITE_END()
