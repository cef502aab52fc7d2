// What the client's certificate check is given for each way of writing
// --host (client/tls_identity.hpp).
#include "tls_identity.hpp"

#include <boost/test/unit_test.hpp>

using client::tls_address;
using client::tls_identity_of;
using client::tls_name;
using client::tls_no_identity;

namespace {

tls_address v6_loopback() {
  tls_address a;
  a.size = 16;
  a.bytes[15] = 1;
  return a;
}

bool refused(std::string_view host) {
  return std::holds_alternative<tls_no_identity>(tls_identity_of(host));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tls_identity)

BOOST_AUTO_TEST_CASE(an_address_is_checked_without_its_zone_or_brackets) {
  for (const char* host : {"::1", "[::1]", "::1%1", "[::1%1]", "::1%lo", "0:0::1%eth0"}) {
    BOOST_TEST((tls_identity_of(host) == client::tls_identity(v6_loopback())), host);
  }
  tls_address v4;
  v4.size = 4;
  v4.bytes = {127, 0, 0, 1};
  BOOST_TEST((tls_identity_of("127.0.0.1") == client::tls_identity(v4)));
  // An IPv4-mapped address stays IPv6: the certificate must name it so.
  const auto mapped = tls_identity_of("::ffff:127.0.0.1");
  BOOST_REQUIRE(std::holds_alternative<tls_address>(mapped));
  BOOST_TEST(std::get<tls_address>(mapped).size == 16u);
}

BOOST_AUTO_TEST_CASE(a_name_is_checked_in_lower_case_without_its_trailing_dot) {
  BOOST_TEST((tls_identity_of("LocalHost.") == client::tls_identity(tls_name{"localhost"})));
  BOOST_TEST((tls_identity_of("a-b.example") == client::tls_identity(tls_name{"a-b.example"})));
}

BOOST_AUTO_TEST_CASE(a_host_the_check_cannot_use_is_refused) {
  for (const char* host : {"", "[]", ".", "..", "a..b", ".a", "::1%", "%1", "127.0.0.1%1", "a%b",
                           "[::1]:8443", "::1:8443x", "host:8443", "a b", "*.example"}) {
    BOOST_TEST(refused(host), host);
  }
  const auto why = std::get<tls_no_identity>(tls_identity_of("a%b")).reason;
  BOOST_TEST(why.rfind("cannot check the server's certificate for 'a%b': ", 0) == 0u, why);
}

BOOST_AUTO_TEST_SUITE_END()
