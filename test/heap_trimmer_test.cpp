// The heap trimmer trims on its own thread when asked, and stops with its
// owner even while it is waiting.
#include "core/heap_trimmer.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>

#include "support/wait.hpp"

BOOST_AUTO_TEST_SUITE(heap_trimmer_suite)

BOOST_AUTO_TEST_CASE(a_request_is_trimmed_on_the_trimmers_thread) {
  server::heap_trimmer trimmer;
  BOOST_TEST(trimmer.trims() == 0u);
  trimmer.request();
  BOOST_TEST(test::wait_until([&] { return trimmer.trims() >= 1u; }));
  trimmer.request();
  trimmer.request();
  BOOST_TEST(test::wait_until([&] { return trimmer.trims() >= 2u; }));
}

BOOST_AUTO_TEST_CASE(it_stops_while_waiting_for_a_request) {
  server::heap_trimmer idle;  // destroyed at once: must not hang
  BOOST_TEST(idle.trims() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
