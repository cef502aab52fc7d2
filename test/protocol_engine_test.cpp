// The protocol engine, byte by byte, with no network: what a connection's
// bytes get back, however the reads cut them.
#include "protocol/protocol_engine.hpp"

#include <boost/test/unit_test.hpp>
#include <random>
#include <string>
#include <vector>

using proto::frame_type;
using server::engine_settings;
using server::feed_result;
using server::next_step;
using server::peer_kind;
using server::protocol_engine;

namespace {

std::vector<std::byte> frame(frame_type type, std::uint32_t id, std::string_view payload = {}) {
  std::vector<std::byte> out;
  proto::append_frame(out, type, id, payload);
  return out;
}

std::vector<std::byte> bytes(std::string_view text) {
  const auto* p = reinterpret_cast<const std::byte*>(text.data());
  return {p, p + text.size()};
}

void append(std::vector<std::byte>& to, const std::vector<std::byte>& more) {
  to.insert(to.end(), more.begin(), more.end());
}

struct decoded {
  frame_type type;
  std::uint32_t id;
  std::string payload;
};

std::vector<decoded> decode_all(const std::vector<std::byte>& replies) {
  std::vector<decoded> out;
  proto::bytes_view rest = replies;
  while (!rest.empty()) {
    const auto r = proto::decode_frame(rest, UINT32_MAX);
    BOOST_REQUIRE(r.status == proto::decode_status::complete);
    out.push_back({r.decoded.type(), r.decoded.id(), std::string(r.decoded.text())});
    rest = rest.subspan(r.consumed);
  }
  return out;
}

// What the engine reported, for the assertions.
struct recorded_events : server::engine_events {
  std::vector<std::string> greetings, messages;
  std::vector<std::uint32_t> unknown_ids;
  std::vector<proto::decode_status> bad;
  void greeted(std::string_view t) override { greetings.emplace_back(t); }
  void received(std::string_view t) override { messages.emplace_back(t); }
  void unknown_type(std::uint8_t, std::uint32_t id) override { unknown_ids.push_back(id); }
  void bad_frame(proto::decode_status why, std::size_t) override { bad.push_back(why); }
};

// Feeds `stream` in chunks of the given sizes (the last one repeating) the
// way a session does: unconsumed bytes are kept and fed again with more.
std::vector<std::byte> feed_in_chunks(protocol_engine& engine, const std::vector<std::byte>& stream,
                                      const std::vector<std::size_t>& chunks,
                                      server::engine_events& events) {
  std::vector<std::byte> kept, replies;
  std::size_t at = 0, i = 0;
  while (at < stream.size()) {
    const std::size_t n = std::min(chunks[std::min(i++, chunks.size() - 1)], stream.size() - at);
    kept.insert(kept.end(), stream.begin() + at, stream.begin() + at + n);
    at += n;
    const auto r = engine.feed(kept, replies, events);
    BOOST_REQUIRE(r.consumed <= kept.size());
    if (r.consumed < kept.size()) BOOST_TEST(r.next_frame_size > kept.size() - r.consumed);
    kept.erase(kept.begin(), kept.begin() + static_cast<std::ptrdiff_t>(r.consumed));
  }
  return replies;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(protocol_engine_suite)

BOOST_AUTO_TEST_CASE(a_framed_peer_gets_one_reply_per_request_in_order) {
  engine_settings settings;
  protocol_engine engine(settings);
  recorded_events events;
  std::vector<std::byte> in, replies;
  append(in, frame(frame_type::hello, 1, "Hello (client)"));
  append(in, frame(frame_type::message, 2, "first"));
  append(in, frame(frame_type::echo, 3, "echo me"));
  append(in, frame(frame_type::ping, 4));
  const feed_result r = engine.feed(in, replies, events);
  BOOST_TEST(r.consumed == in.size());
  BOOST_TEST(r.answered == 4u);
  BOOST_TEST(r.next_frame_size == 0u);
  BOOST_TEST((r.next == next_step::keep_reading));
  BOOST_TEST((engine.kind() == peer_kind::framed));
  BOOST_TEST(engine.last_answered() == 4u);
  const auto got = decode_all(replies);
  BOOST_REQUIRE(got.size() == 4u);
  BOOST_TEST((got[0].type == frame_type::hello_reply));
  BOOST_TEST(got[0].payload == "Hello (server)!");
  BOOST_TEST((got[1].type == frame_type::ack));
  BOOST_TEST(got[1].payload == "Received");
  BOOST_TEST(got[2].payload == "echo me");
  BOOST_TEST((got[3].type == frame_type::pong));
  BOOST_TEST(events.greetings == std::vector<std::string>{"Hello (client)"});
  BOOST_TEST(events.messages == std::vector<std::string>{"first"});
}

BOOST_AUTO_TEST_CASE(an_incomplete_frame_is_left_and_its_size_said) {
  engine_settings settings;
  protocol_engine engine(settings);
  recorded_events events;
  auto in = frame(frame_type::echo, 7, std::string(100, 'x'));
  std::vector<std::byte> replies;
  // The header alone says how big the whole frame is.
  auto r = engine.feed(proto::bytes_view(in).first(5), replies, events);
  BOOST_TEST(r.consumed == 0u);
  BOOST_TEST(r.next_frame_size == proto::header_size);
  r = engine.feed(proto::bytes_view(in).first(20), replies, events);
  BOOST_TEST(r.consumed == 0u);
  BOOST_TEST(r.next_frame_size == in.size());
  BOOST_TEST(replies.empty());
  r = engine.feed(in, replies, events);
  BOOST_TEST(r.consumed == in.size());
  BOOST_TEST(r.answered == 1u);
}

BOOST_AUTO_TEST_CASE(replies_do_not_depend_on_how_reads_cut_the_stream) {
  std::vector<std::byte> stream;
  for (std::uint32_t id = 1; id <= 60; ++id) {
    append(stream, frame(id % 3 == 0 ? frame_type::echo : frame_type::message, id,
                         std::string(id * 7 % 300, char('a' + id % 26))));
  }
  engine_settings settings;
  recorded_events whole_events;
  protocol_engine whole(settings);
  const auto expected = feed_in_chunks(whole, stream, {stream.size()}, whole_events);
  BOOST_TEST(decode_all(expected).size() == 60u);
  // Every byte alone, then random cuts.
  std::vector<std::vector<std::size_t>> cuts{{1}, {11, 1, 13}, {12}, {4096}};
  std::mt19937 random(3);
  for (int round = 0; round < 20; ++round) {
    std::vector<std::size_t> sizes;
    for (int i = 0; i < 50; ++i) sizes.push_back(1 + random() % 400);
    cuts.push_back(sizes);
  }
  for (const auto& sizes : cuts) {
    protocol_engine engine(settings);
    recorded_events events;
    BOOST_TEST(feed_in_chunks(engine, stream, sizes, events) == expected);
    BOOST_TEST(events.messages.size() == 40u);
  }
}

BOOST_AUTO_TEST_CASE(a_frame_at_the_limit_is_served_and_one_byte_over_is_refused_from_its_header) {
  engine_settings settings;
  settings.max_frame = 100;
  recorded_events events;
  {
    protocol_engine engine(settings);
    std::vector<std::byte> replies;
    const auto in = frame(frame_type::echo, 1, std::string(100, 'a'));
    BOOST_TEST(engine.feed(in, replies, events).answered == 1u);
  }
  protocol_engine engine(settings);
  std::vector<std::byte> replies;
  const auto in = frame(frame_type::echo, 9, std::string(101, 'a'));
  const auto r = engine.feed(proto::bytes_view(in).first(proto::header_size), replies, events);
  BOOST_TEST((r.next == next_step::close_after_replies));
  const auto got = decode_all(replies);
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST((got[0].type == frame_type::error));
  BOOST_TEST(got[0].id == 9u);
  BOOST_TEST(proto::parse_error(proto::as_bytes(got[0].payload))->code == 2);
  BOOST_TEST((events.bad.back() == proto::decode_status::too_large));
  BOOST_TEST(engine.closed());
}

BOOST_AUTO_TEST_CASE(answers_what_came_before_a_bad_frame_then_error_1_and_nothing_after) {
  engine_settings settings;
  protocol_engine engine(settings);
  recorded_events events;
  std::vector<std::byte> in = frame(frame_type::ping, 1), replies;
  in.push_back(std::byte{0xA5});
  in.push_back(std::byte{0x09});  // version 9
  append(in, frame(frame_type::ping, 2));
  const auto r = engine.feed(in, replies, events);
  BOOST_TEST(r.answered == 1u);
  BOOST_TEST((r.next == next_step::close_after_replies));
  const auto got = decode_all(replies);
  BOOST_REQUIRE(got.size() == 2u);
  BOOST_TEST((got[0].type == frame_type::pong));
  BOOST_TEST(proto::parse_error(proto::as_bytes(got[1].payload))->code == 1);
  replies.clear();
  const auto after = engine.feed(frame(frame_type::ping, 3), replies, events);
  BOOST_TEST(after.answered == 0u);
  BOOST_TEST(replies.empty());
  engine.say_goodbye(replies);
  BOOST_TEST(replies.empty());  // a closed stream gets no GOAWAY either
}

BOOST_AUTO_TEST_CASE(an_unknown_type_gets_error_3_and_the_connection_goes_on) {
  engine_settings settings;
  protocol_engine engine(settings);
  recorded_events events;
  std::vector<std::byte> in, replies;
  in = frame(static_cast<frame_type>(0x10), 5);
  append(in, frame(frame_type::ping, 6));
  const auto r = engine.feed(in, replies, events);
  BOOST_TEST(r.answered == 2u);
  BOOST_TEST((r.next == next_step::keep_reading));
  BOOST_TEST(events.unknown_ids == std::vector<std::uint32_t>{5});
  const auto got = decode_all(replies);
  BOOST_TEST(proto::parse_error(proto::as_bytes(got[0].payload))->code == 3);
  BOOST_TEST((got[1].type == frame_type::pong));
}

BOOST_AUTO_TEST_CASE(goodbye_is_goaway_naming_the_last_request_answered) {
  engine_settings settings;
  protocol_engine engine(settings);
  recorded_events events;
  std::vector<std::byte> in = frame(frame_type::ping, 41), replies;
  append(in, frame(frame_type::ping, 42));
  const auto partial = frame(frame_type::ping, 43);
  in.insert(in.end(), partial.begin(), partial.begin() + 6);  // its rest never comes
  engine.feed(in, replies, events);
  replies.clear();
  engine.say_goodbye(replies);
  const auto got = decode_all(replies);
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST((got[0].type == frame_type::goaway));
  BOOST_TEST(*proto::parse_goaway(proto::as_bytes(got[0].payload)) == 42u);
}

BOOST_AUTO_TEST_CASE(a_refused_frame_gets_error_4_with_its_id) {
  engine_settings settings;
  protocol_engine engine(settings);
  recorded_events events;
  std::vector<std::byte> replies;
  const auto big = frame(frame_type::echo, 77, std::string(5000, 'b'));
  engine.feed(proto::bytes_view(big).first(4000), replies, events);
  engine.refuse(proto::bytes_view(big).first(4000), "out of memory", replies);
  const auto got = decode_all(replies);
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].id == 77u);
  BOOST_TEST(proto::parse_error(proto::as_bytes(got[0].payload))->code == 4);
  BOOST_TEST(proto::parse_error(proto::as_bytes(got[0].payload))->text == "out of memory");
}

BOOST_AUTO_TEST_CASE(a_plain_bytes_peer_gets_the_greeting_then_received_for_each_read) {
  engine_settings settings;
  protocol_engine engine(settings);
  recorded_events events;
  std::vector<std::byte> replies;
  BOOST_TEST(engine.feed(bytes("Hello (client)\n"), replies, events).answered == 1u);
  BOOST_TEST((engine.kind() == peer_kind::raw));
  engine.feed(bytes("one"), replies, events);
  engine.feed(bytes("two"), replies, events);
  BOOST_TEST(std::string(reinterpret_cast<const char*>(replies.data()), replies.size()) ==
             "Hello (server)!ReceivedReceived");
  BOOST_TEST(events.greetings == std::vector<std::string>{"Hello (client)\n"});
  BOOST_TEST(events.messages == (std::vector<std::string>{"one", "two"}));
  replies.clear();
  engine.say_goodbye(replies);  // a plain-bytes peer would not understand GOAWAY
  BOOST_TEST(replies.empty());
}

BOOST_AUTO_TEST_CASE(echo_mode_sends_every_byte_back_even_the_magic) {
  engine_settings settings;
  settings.echo = true;
  protocol_engine engine(settings);
  recorded_events events;
  std::vector<std::byte> replies;
  const auto in = frame(frame_type::ping, 1);
  const auto r = engine.feed(in, replies, events);
  BOOST_TEST(r.consumed == in.size());
  BOOST_TEST(replies == in);
  BOOST_TEST((engine.kind() == peer_kind::echo));
}

BOOST_AUTO_TEST_CASE(nothing_fed_decides_nothing) {
  engine_settings settings;
  protocol_engine engine(settings);
  recorded_events events;
  std::vector<std::byte> replies;
  const auto r = engine.feed({}, replies, events);
  BOOST_TEST(r.consumed == 0u);
  BOOST_TEST((engine.kind() == peer_kind::undecided));
}

BOOST_AUTO_TEST_SUITE_END()
