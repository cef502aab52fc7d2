#include <boost/test/unit_test.hpp>
#include <cstring>
#include <string>

#include "frame_buffer.hpp"

using proto::frame_buffer;

namespace {

void put(frame_buffer& b, const std::string& s) {
  auto space = b.prepare(s.size());
  std::memcpy(space.data(), s.data(), s.size());
  b.commit(s.size());
}

std::string contents(const frame_buffer& b) {
  const auto r = b.readable();
  return {reinterpret_cast<const char*>(r.data()), r.size()};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(frame_buffer_suite)

BOOST_AUTO_TEST_CASE(starts_empty_and_allocates_nothing) {
  frame_buffer b;
  BOOST_TEST(b.empty());
  BOOST_TEST(b.capacity() == 0u);
}

BOOST_AUTO_TEST_CASE(keeps_unread_bytes_across_appends) {
  frame_buffer b;
  put(b, "hello ");
  b.consume(2);
  put(b, "world");
  BOOST_TEST(contents(b) == "llo world");
}

BOOST_AUTO_TEST_CASE(compacts_instead_of_growing_when_the_front_is_free) {
  frame_buffer b;
  put(b, std::string(100, 'a'));
  const auto capacity = b.capacity();
  b.consume(90);
  put(b, std::string(capacity - 20, 'b'));  // fits only after moving 10 bytes to the front
  BOOST_TEST(b.capacity() == capacity);
  BOOST_TEST(contents(b) == std::string(10, 'a') + std::string(capacity - 20, 'b'));
}

BOOST_AUTO_TEST_CASE(grows_to_at_least_what_is_asked) {
  frame_buffer b;
  put(b, "abc");
  const auto space = b.prepare(1 << 20);
  BOOST_TEST(space.size() >= std::size_t{1 << 20});
  BOOST_TEST(contents(b) == "abc");
}

BOOST_AUTO_TEST_CASE(rewinds_for_free_when_everything_is_consumed) {
  frame_buffer b;
  put(b, "0123456789");
  b.consume(10);
  BOOST_TEST(b.empty());
  BOOST_TEST(b.prepare(1).size() == b.capacity());  // the whole buffer is writable again
}

BOOST_AUTO_TEST_CASE(releases_memory_only_when_empty) {
  frame_buffer b;
  put(b, "x");
  BOOST_TEST(!b.release());
  BOOST_TEST(b.capacity() > 0u);
  b.consume(1);
  BOOST_TEST(b.release());
  BOOST_TEST(b.capacity() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
