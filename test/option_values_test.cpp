// Option values as both command lines read them, and their range checks.
#include "option_values.hpp"

#include <boost/test/unit_test.hpp>
#include <limits>

using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(option_values)

BOOST_AUTO_TEST_CASE(counts_are_digits_only) {
  BOOST_TEST(*cli::parse_count("100") == 100u);
  BOOST_TEST(*cli::parse_count("0") == 0u);
  BOOST_TEST(!cli::parse_count("-1"));  // not 4294967295
  BOOST_TEST(!cli::parse_count("1e3"));
  BOOST_TEST(!cli::parse_count(""));
  BOOST_TEST(!cli::parse_count("12x"));
  BOOST_TEST(!cli::parse_count("99999999999999999999999"));
}

BOOST_AUTO_TEST_CASE(sizes_take_binary_suffixes) {
  BOOST_TEST(*cli::parse_byte_size("4096") == 4096u);
  BOOST_TEST(*cli::parse_byte_size("64K") == 65536u);
  BOOST_TEST(*cli::parse_byte_size("64KiB") == 65536u);
  BOOST_TEST(*cli::parse_byte_size("1M") == 1048576u);
  BOOST_TEST(*cli::parse_byte_size("256mib") == 256u << 20);
  BOOST_TEST(*cli::parse_byte_size("2G") == std::uint64_t{2} << 30);
  BOOST_TEST(*cli::parse_byte_size("10B") == 10u);
  BOOST_TEST(!cli::parse_byte_size("-1"));
  BOOST_TEST(!cli::parse_byte_size("1.5M"));
  BOOST_TEST(!cli::parse_byte_size("M"));
  BOOST_TEST(!cli::parse_byte_size("99999999999G"));  // would overflow
}

BOOST_AUTO_TEST_CASE(durations_are_seconds_or_carry_a_unit) {
  BOOST_TEST(*cli::parse_seconds("2.5") == 2.5);
  BOOST_TEST(*cli::parse_seconds("500ms") == 0.5);
  BOOST_TEST(*cli::parse_seconds("30s") == 30.0);
  BOOST_TEST(*cli::parse_seconds("5m") == 300.0);
  BOOST_TEST(*cli::parse_seconds("1h") == 3600.0);
  BOOST_TEST(!cli::parse_seconds("soon"));
  BOOST_TEST(!cli::parse_seconds("5 m"));
  // These parse; the range check is what refuses them.
  BOOST_TEST(*cli::parse_seconds("1e10") == 1e10);
  BOOST_TEST(*cli::parse_seconds("-1") == -1.0);
}

BOOST_AUTO_TEST_CASE(durations_become_milliseconds_without_wrapping) {
  BOOST_TEST((cli::duration{0.0015}.ms() == 2ms));
  BOOST_TEST((cli::duration{-5}.ms() == 0ms));
  BOOST_TEST((cli::duration{std::numeric_limits<double>::quiet_NaN()}.ms() == 0ms));
  BOOST_TEST(cli::duration{1e300}.ms().count() > 0);
  BOOST_TEST(cli::duration{std::numeric_limits<double>::infinity()}.ms().count() > 0);
}

BOOST_AUTO_TEST_CASE(range_checks_name_the_option_and_its_range) {
  cli::range_checks checks;
  checks.check("--threads", cli::count{4}, 1, 1024)
      .check("--idle-timeout", cli::duration{1e10}, 0.001, cli::max_seconds);
  BOOST_REQUIRE(checks.problem());
  BOOST_TEST(*checks.problem() ==
             "--idle-timeout must be from 0.001 to 31536000 seconds (not 1e+10)");
}

BOOST_AUTO_TEST_CASE(range_checks_refuse_infinity_and_nan) {
  for (double v : {std::numeric_limits<double>::infinity(),
                   std::numeric_limits<double>::quiet_NaN(), -1.0, 0.0}) {
    cli::range_checks checks;
    checks.check("--timeout", cli::duration{v}, 0.001, cli::max_seconds);
    BOOST_TEST(checks.problem().has_value());
  }
}

BOOST_AUTO_TEST_CASE(the_first_problem_is_the_one_reported) {
  cli::range_checks checks;
  checks.check("--port", cli::count{70000}, 0, 65535)
      .check("--max-frame", cli::byte_size{0}, 1, 1 << 30)
      .require(false, "never reached");
  BOOST_TEST(*checks.problem() == "--port must be from 0 to 65535 (not 70000)");
  cli::range_checks sizes;
  sizes.check("--max-frame", cli::byte_size{0}, 1, 1 << 30);
  BOOST_TEST(*sizes.problem() == "--max-frame must be from 1 byte to 1 GiB (not 0 bytes)");
}

BOOST_AUTO_TEST_SUITE_END()
