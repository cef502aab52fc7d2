// The codec's contract (shared/PROTOCOL.md), one behaviour per test.
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "frame_buffer.hpp"
#include "frame_codec.hpp"

using namespace proto;

namespace {

std::vector<std::byte> bytes_of(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int b : v) out.push_back(std::byte(b));
  return out;
}

// Bytes as "a5 01 ..." so that a failing comparison shows them.
std::string hex(const std::vector<std::byte>& bytes) {
  std::string out;
  char two[4];
  for (auto b : bytes) {
    std::snprintf(two, sizeof two, "%02x ", std::to_integer<unsigned>(b));
    out += two;
  }
  return out;
}

std::vector<std::byte> frame_bytes(frame_type type, std::uint32_t id, std::string_view payload) {
  std::vector<std::byte> out;
  append_frame(out, type, id, payload);
  return out;
}

struct expected_frame {
  frame_type type;
  std::uint32_t id;
  std::string payload;
};

std::vector<expected_frame> sample_frames() {
  return {{frame_type::hello, 1, "Hello (client)"},
          {frame_type::message, 2, "a message"},
          {frame_type::echo, 3, std::string("\0\xff\xa5 binary", 10)},
          {frame_type::ping, 4, ""},
          {frame_type::message, 0xFFFFFFFF, std::string(3000, 'x')}};
}

std::vector<std::byte> encode_all(const std::vector<expected_frame>& frames) {
  std::vector<std::byte> out;
  for (const auto& f : frames) append_frame(out, f.type, f.id, f.payload);
  return out;
}

// Feeds `stream` into a frame_buffer in the given chunk sizes, decoding
// every complete frame after each chunk, as a session does.
std::vector<expected_frame> decode_in_chunks(const std::vector<std::byte>& stream,
                                             const std::vector<std::size_t>& chunks) {
  frame_buffer buffer;
  std::vector<expected_frame> got;
  std::size_t at = 0;
  for (std::size_t chunk : chunks) {
    chunk = std::min(chunk, stream.size() - at);
    auto space = buffer.prepare(chunk);
    std::copy_n(stream.begin() + static_cast<std::ptrdiff_t>(at), chunk, space.begin());
    buffer.commit(chunk);
    at += chunk;
    for (;;) {
      const auto r = decode_frame(buffer.readable(), default_max_payload);
      if (r.status != decode_status::complete) {
        BOOST_REQUIRE(r.status == decode_status::need_more);
        break;
      }
      got.push_back({r.decoded.type(), r.decoded.id(), std::string(r.decoded.text())});
      buffer.consume(r.consumed);
    }
  }
  BOOST_TEST(buffer.empty());
  return got;
}

void check_same(const std::vector<expected_frame>& got, const std::vector<expected_frame>& want) {
  BOOST_REQUIRE_EQUAL(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    BOOST_TEST(static_cast<int>(got[i].type) == static_cast<int>(want[i].type));
    BOOST_TEST(got[i].id == want[i].id);
    BOOST_TEST(got[i].payload == want[i].payload);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(codec)

BOOST_AUTO_TEST_CASE(encodes_the_header_big_endian_as_specified) {
  const auto out = frame_bytes(frame_type::message, 0x01020304, "hi");
  const auto want =
      bytes_of({0xA5, 0x01, 0x02, 0x00, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x02, 'h', 'i'});
  BOOST_TEST(hex(out) == hex(want));
}

BOOST_AUTO_TEST_CASE(encodes_the_hello_exchange_exactly_as_protocol_md_shows_it) {
  BOOST_TEST(hex(frame_bytes(frame_type::hello, 1, "Hello (client)")) ==
             "a5 01 01 00 00 00 00 01 00 00 00 0e 48 65 6c 6c 6f 20 28 63 6c 69 65 6e 74 29 ");
  BOOST_TEST(hex(frame_bytes(frame_type::hello_reply, 1, "Hello (server)!")) ==
             "a5 01 81 00 00 00 00 01 00 00 00 0f 48 65 6c 6c 6f 20 28 73 65 72 76 65 72 29 21 ");
}

BOOST_AUTO_TEST_CASE(decodes_what_it_encodes_for_every_request_type) {
  const auto frames = sample_frames();
  const auto stream = encode_all(frames);
  check_same(decode_in_chunks(stream, {stream.size()}), frames);
}

BOOST_AUTO_TEST_CASE(decodes_many_frames_from_one_read) {
  std::vector<expected_frame> frames;
  for (std::uint32_t i = 1; i <= 500; ++i) {
    frames.push_back({frame_type::message, i, "message " + std::to_string(i)});
  }
  const auto stream = encode_all(frames);
  check_same(decode_in_chunks(stream, {stream.size()}), frames);
}

BOOST_AUTO_TEST_CASE(decodes_a_stream_split_at_every_byte) {
  const auto frames = sample_frames();
  const auto stream = encode_all(frames);
  check_same(decode_in_chunks(stream, std::vector<std::size_t>(stream.size(), 1)), frames);
}

BOOST_AUTO_TEST_CASE(decodes_a_stream_split_at_each_single_position) {
  const auto frames = sample_frames();
  const auto stream = encode_all(frames);
  for (std::size_t cut = 1; cut < stream.size(); ++cut) {
    check_same(decode_in_chunks(stream, {cut, stream.size() - cut}), frames);
  }
}

BOOST_AUTO_TEST_CASE(decodes_a_stream_in_random_chunks) {
  const auto frames = sample_frames();
  const auto stream = encode_all(frames);
  std::mt19937 rng(12345);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::size_t> chunks;
    for (std::size_t total = 0; total < stream.size();) {
      chunks.push_back(1 + rng() % 700);
      total += chunks.back();
    }
    check_same(decode_in_chunks(stream, chunks), frames);
  }
}

BOOST_AUTO_TEST_CASE(asks_for_the_header_then_for_the_whole_frame) {
  const auto stream = frame_bytes(frame_type::echo, 7, "abcdef");
  for (std::size_t n = 0; n < header_size; ++n) {
    const auto r = decode_frame({stream.data(), n}, default_max_payload);
    BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(decode_status::need_more));
    BOOST_TEST(r.needed == header_size);
  }
  for (std::size_t n = header_size; n < stream.size(); ++n) {
    const auto r = decode_frame({stream.data(), n}, default_max_payload);
    BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(decode_status::need_more));
    BOOST_TEST(r.needed == stream.size());
  }
  const auto r = decode_frame(stream, default_max_payload);
  BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(decode_status::complete));
  BOOST_TEST(r.consumed == stream.size());
}

BOOST_AUTO_TEST_CASE(accepts_an_empty_payload) {
  const auto stream = frame_bytes(frame_type::ping, 9, "");
  const auto r = decode_frame(stream, default_max_payload);
  BOOST_REQUIRE(r.status == decode_status::complete);
  BOOST_TEST(r.decoded.payload.empty());
  BOOST_TEST(r.consumed == header_size);
}

BOOST_AUTO_TEST_CASE(rejects_a_bad_magic_from_the_first_byte) {
  const auto r = decode_frame(bytes_of({'G'}), default_max_payload);
  BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(decode_status::bad_magic));
}

BOOST_AUTO_TEST_CASE(rejects_an_unsupported_version_from_the_second_byte) {
  const auto r = decode_frame(bytes_of({0xA5, 0x02}), default_max_payload);
  BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(decode_status::bad_version));
}

BOOST_AUTO_TEST_CASE(ignores_unknown_flag_bits) {
  auto stream = frame_bytes(frame_type::message, 5, "x");
  stream[3] = std::byte{0xFF};
  const auto r = decode_frame(stream, default_max_payload);
  BOOST_REQUIRE(r.status == decode_status::complete);
  BOOST_TEST(r.decoded.header.flags == 0xFF);
  BOOST_TEST(r.decoded.text() == "x");
}

BOOST_AUTO_TEST_CASE(accepts_a_payload_at_the_limit_and_rejects_one_byte_over) {
  std::vector<std::byte> header(header_size);
  encode_frame(header, frame_type::echo, 77, {});
  header[11] = std::byte{100};  // length 100
  BOOST_TEST(static_cast<int>(decode_frame(header, 100).status) ==
             static_cast<int>(decode_status::need_more));
  const auto r = decode_frame(header, 99);
  BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(decode_status::too_large));
  BOOST_TEST(r.decoded.id() == 77u);  // so the ERROR can name the request
  BOOST_TEST(r.decoded.header.length == 100u);
}

BOOST_AUTO_TEST_CASE(enforces_the_limit_before_any_buffer_grows_for_the_payload) {
  // A header that claims 4 GiB: the decoder says too_large from the 12
  // header bytes alone, so a session never asks its buffer for the payload.
  const auto header = bytes_of({0xA5, 1, 0x03, 0, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF});
  frame_buffer buffer;
  auto space = buffer.prepare(header.size());
  std::copy(header.begin(), header.end(), space.begin());
  buffer.commit(header.size());
  const std::size_t capacity_before = buffer.capacity();
  const auto r = decode_frame(buffer.readable(), default_max_payload);
  BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(decode_status::too_large));
  BOOST_TEST(buffer.capacity() == capacity_before);
  BOOST_TEST(buffer.capacity() < 1024u);
}

BOOST_AUTO_TEST_CASE(encodes_into_a_span_only_when_it_fits) {
  const std::string payload = "payload";
  std::vector<std::byte> exact(header_size + payload.size());
  BOOST_TEST(encode_frame(exact, frame_type::echo, 1, as_bytes(payload)) == exact.size());
  std::vector<std::byte> small(exact.size() - 1);
  BOOST_TEST(encode_frame(small, frame_type::echo, 1, as_bytes(payload)) == 0u);
  BOOST_TEST(hex(exact) == hex(frame_bytes(frame_type::echo, 1, payload)));
}

BOOST_AUTO_TEST_CASE(round_trips_an_error_payload) {
  std::vector<std::byte> out;
  append_error(out, 42, error_code::unknown_type, "unknown frame type 0x10");
  const auto r = decode_frame(out, default_max_payload);
  BOOST_REQUIRE(r.status == decode_status::complete);
  BOOST_TEST(static_cast<int>(r.decoded.type()) == static_cast<int>(frame_type::error));
  BOOST_TEST(r.decoded.id() == 42u);
  const auto e = parse_error(r.decoded.payload);
  BOOST_REQUIRE(e.has_value());
  BOOST_TEST(e->code == 3);
  BOOST_TEST(e->text == "unknown frame type 0x10");
  BOOST_TEST(!parse_error(bytes_of({0x00})).has_value());
}

BOOST_AUTO_TEST_CASE(round_trips_a_goaway_payload) {
  std::vector<std::byte> out;
  append_goaway(out, 0xDEADBEEF);
  const auto r = decode_frame(out, default_max_payload);
  BOOST_REQUIRE(r.status == decode_status::complete);
  BOOST_TEST(static_cast<int>(r.decoded.type()) == static_cast<int>(frame_type::goaway));
  BOOST_TEST(r.decoded.id() == 0u);
  BOOST_TEST(parse_goaway(r.decoded.payload).value() == 0xDEADBEEFu);
  BOOST_TEST(!parse_goaway(bytes_of({0, 0, 1})).has_value());
}

BOOST_AUTO_TEST_CASE(names_types_and_error_codes) {
  BOOST_TEST(type_name(0x01) == "HELLO");
  BOOST_TEST(type_name(0x7E) == "GOAWAY");
  BOOST_TEST(type_name(0x10) == "UNKNOWN");
  BOOST_TEST(error_name(2) == "frame too large");
  BOOST_TEST(error_name(99) == "unknown error");
}

BOOST_AUTO_TEST_CASE(appending_reuses_capacity_without_allocating) {
  std::vector<std::byte> out;
  out.reserve(4096);
  const auto* data = out.data();
  for (int round = 0; round < 100; ++round) {
    out.clear();
    for (int i = 0; i < 50; ++i) append_frame(out, frame_type::ack, 1, "Received");
    BOOST_TEST(out.data() == data);
  }
}

BOOST_AUTO_TEST_SUITE_END()
