#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <random>

#include "latency_histogram.hpp"

using client::latency_histogram;

namespace {

// Within the histogram's promise: never below the true value, at most 1/128 above.
bool close_above(std::uint64_t reported, std::uint64_t truth) {
  return reported >= truth && double(reported - truth) <= double(truth) / 128.0 + 1.0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(histogram)

BOOST_AUTO_TEST_CASE(is_exact_below_128_ns) {
  latency_histogram h;
  for (std::uint64_t v = 0; v < 128; ++v) h.record(v);
  BOOST_TEST(h.count() == 128u);
  BOOST_TEST(h.percentile(50) == 63u);
  BOOST_TEST(h.percentile(100) == 127u);
  BOOST_TEST(h.min() == 0u);
}

BOOST_AUTO_TEST_CASE(percentiles_of_a_uniform_spread_are_within_1_in_128) {
  latency_histogram h;
  for (std::uint64_t v = 1; v <= 1'000'000; ++v) h.record(v * 10);  // 10 ns .. 10 ms
  for (double p : {50.0, 90.0, 99.0, 99.9}) {
    const auto truth = static_cast<std::uint64_t>(p * 100'000);
    BOOST_TEST(close_above(h.percentile(p), truth),
               p << ": " << h.percentile(p) << " vs " << truth);
  }
  BOOST_TEST(h.max() == 10'000'000u);
  BOOST_TEST(h.percentile(100) == 10'000'000u);
  BOOST_TEST(h.mean() == 5'000'005.0);
}

BOOST_AUTO_TEST_CASE(a_single_outlier_is_the_max_not_the_p99) {
  latency_histogram h;
  for (int i = 0; i < 999; ++i) h.record(20'000);
  h.record(5'000'000'000);
  BOOST_TEST(close_above(h.percentile(99), 20'000));
  BOOST_TEST(h.percentile(99.95) == 5'000'000'000u);
  BOOST_TEST(h.max() == 5'000'000'000u);
}

BOOST_AUTO_TEST_CASE(merging_equals_recording_everything_in_one) {
  std::mt19937_64 random(7);
  std::lognormal_distribution<double> latency(10.0, 1.0);
  latency_histogram a, b, all;
  for (int i = 0; i < 100'000; ++i) {
    const auto v = static_cast<std::uint64_t>(latency(random));
    (i % 2 ? a : b).record(v);
    all.record(v);
  }
  a.merge(b);
  for (double p : {1.0, 50.0, 99.0, 99.99}) BOOST_TEST(a.percentile(p) == all.percentile(p));
  BOOST_TEST(a.count() == all.count());
  BOOST_TEST(a.max() == all.max());
}

BOOST_AUTO_TEST_CASE(reset_forgets_everything) {
  latency_histogram h;
  h.record(12345);
  h.reset();
  BOOST_TEST(h.count() == 0u);
  BOOST_TEST(h.percentile(99) == 0u);
  BOOST_TEST(h.max() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
