#include <boost/test/unit_test.hpp>
#include <string>

#include "printable.hpp"

using proto::printable;

BOOST_AUTO_TEST_SUITE(printable_text)

BOOST_AUTO_TEST_CASE(drops_the_line_end_and_c_string_terminator) {
  BOOST_TEST(printable("Hello (client)\n") == "Hello (client)");
  BOOST_TEST(printable(std::string("Hello (client)\0", 15)) == "Hello (client)");
}

BOOST_AUTO_TEST_CASE(escapes_control_characters) {
  BOOST_TEST(printable("a\x1b[2Jb") == "a\\x1b[2Jb");
  BOOST_TEST(printable("tab\there") == "tab\\there");
}

BOOST_AUTO_TEST_CASE(keeps_utf8) { BOOST_TEST(printable("caf\xc3\xa9") == "caf\xc3\xa9"); }

BOOST_AUTO_TEST_CASE(cuts_long_text_and_says_how_long_it_was) {
  BOOST_TEST(printable(std::string(1000, 'x'), 10) == "xxxxxxxxxx... (1000 bytes)");
}

BOOST_AUTO_TEST_SUITE_END()
