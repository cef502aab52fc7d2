// Request handling without a network: a frame in, reply bytes out.
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "frame_codec.hpp"
#include "protocol/request_handler.hpp"

using namespace proto;

namespace {

struct reply {
  frame_type type;
  std::uint32_t id;
  std::string payload;
};

reply answer(frame_type type, std::uint32_t id, std::string_view payload) {
  std::vector<std::byte> in;
  append_frame(in, type, id, payload);
  const auto request = decode_frame(in, default_max_payload);
  BOOST_REQUIRE(request.status == decode_status::complete);
  std::vector<std::byte> out;
  server::handle_request(request.decoded, "Hello (server)!", out);
  const auto r = decode_frame(out, default_max_payload);
  BOOST_REQUIRE(r.status == decode_status::complete);
  BOOST_REQUIRE(r.consumed == out.size());  // exactly one reply
  return {r.decoded.type(), r.decoded.id(), std::string(r.decoded.text())};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(request_handling)

BOOST_AUTO_TEST_CASE(hello_gets_the_greeting) {
  const auto r = answer(frame_type::hello, 1, "Hello (client)");
  BOOST_TEST(static_cast<int>(r.type) == 0x81);
  BOOST_TEST(r.id == 1u);
  BOOST_TEST(r.payload == "Hello (server)!");
}

BOOST_AUTO_TEST_CASE(message_gets_received) {
  const auto r = answer(frame_type::message, 2, "anything");
  BOOST_TEST(static_cast<int>(r.type) == 0x82);
  BOOST_TEST(r.id == 2u);
  BOOST_TEST(r.payload == "Received");
}

BOOST_AUTO_TEST_CASE(echo_gets_the_same_bytes_back) {
  const std::string bytes("\0\x01\xA5\xFF binary", 11);
  const auto r = answer(frame_type::echo, 3, bytes);
  BOOST_TEST(static_cast<int>(r.type) == 0x83);
  BOOST_TEST(r.payload == bytes);
}

BOOST_AUTO_TEST_CASE(ping_gets_an_empty_pong) {
  const auto r = answer(frame_type::ping, 4, "");
  BOOST_TEST(static_cast<int>(r.type) == 0x84);
  BOOST_TEST(r.id == 4u);
  BOOST_TEST(r.payload.empty());
}

BOOST_AUTO_TEST_CASE(unknown_and_response_types_get_error_3_with_the_request_id) {
  for (int type : {0x00, 0x05, 0x10, 0x81, 0x7E, 0x7F, 0xFF}) {
    const auto r = answer(static_cast<frame_type>(type), 99, "x");
    BOOST_TEST(static_cast<int>(r.type) == 0x7F);
    BOOST_TEST(r.id == 99u);
    const auto e = parse_error(as_bytes(r.payload));
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->code == 3);
  }
}

BOOST_AUTO_TEST_CASE(bad_frames_get_error_1_or_2) {
  const std::vector<std::byte> bad_magic{std::byte{'G'}};
  const std::vector<std::byte> bad_version{std::byte{0xA5}, std::byte{9}};
  std::vector<std::byte> big;
  append_frame(big, frame_type::echo, 5, std::string(10, 'x'));
  struct {
    std::vector<std::byte> bytes;
    std::uint16_t code;
    std::uint32_t id;
  } cases[] = {{bad_magic, 1, 0}, {bad_version, 1, 0}, {big, 2, 5}};
  for (const auto& c : cases) {
    const auto decoded = decode_frame(c.bytes, 4);
    std::vector<std::byte> out;
    server::reply_to_bad_frame(decoded, 4, out);
    const auto r = decode_frame(out, default_max_payload);
    BOOST_REQUIRE(r.status == decode_status::complete);
    BOOST_TEST(r.decoded.id() == c.id);
    BOOST_TEST(parse_error(r.decoded.payload)->code == c.code);
  }
}

BOOST_AUTO_TEST_CASE(a_raw_peer_gets_the_greeting_first_and_received_after) {
  std::vector<std::byte> out;
  server::handle_raw_chunk(true, "Hello (server)!", out);
  server::handle_raw_chunk(false, "Hello (server)!", out);
  BOOST_TEST(std::string(reinterpret_cast<const char*>(out.data()), out.size()) ==
             "Hello (server)!Received");
}

BOOST_AUTO_TEST_SUITE_END()
