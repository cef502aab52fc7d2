// --listen URLs as users write them.
#include "core/listen_address.hpp"

#include <boost/test/unit_test.hpp>

using server::listen_address;
using server::parse_listen_address;
using server::transport;

namespace {

std::optional<listen_address> parse(const std::string& url) {
  std::string problem;
  return parse_listen_address(url, problem);
}

std::string problem_of(const std::string& url) {
  std::string problem;
  BOOST_TEST(!parse_listen_address(url, problem).has_value(), url);
  return problem;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(listen_addresses)

BOOST_AUTO_TEST_CASE(each_kind_parses) {
  BOOST_TEST(
      (*parse("tcp://127.0.0.1:8080") == listen_address{transport::tcp, "127.0.0.1", 8080, {}}));
  BOOST_TEST((*parse("tls://[::1]:8443") == listen_address{transport::tls, "::1", 8443, {}}));
  BOOST_TEST((*parse("tcp://*:0") == listen_address{transport::tcp, "", 0, {}}));
  BOOST_TEST((*parse("tcp://:80") == listen_address{transport::tcp, "", 80, {}}));
  BOOST_TEST((*parse("tcp://localhost:80") == listen_address{transport::tcp, "localhost", 80, {}}));
  BOOST_TEST(
      (*parse("unix:/run/a.sock") == listen_address{transport::unix_socket, {}, 0, "/run/a.sock"}));
  BOOST_TEST((*parse("unix:///run/a.sock") ==
              listen_address{transport::unix_socket, {}, 0, "/run/a.sock"}));
  BOOST_TEST((*parse("unix:relative.sock") ==
              listen_address{transport::unix_socket, {}, 0, "relative.sock"}));
}

BOOST_AUTO_TEST_CASE(mistakes_say_what_is_wrong) {
  BOOST_TEST(problem_of("http://x:1") == "expected tcp://HOST:PORT, tls://HOST:PORT or unix:PATH");
  BOOST_TEST(problem_of("tcp://127.0.0.1") == "no port: write HOST:PORT");
  BOOST_TEST(problem_of("tcp://::1:80").find("brackets") != std::string::npos);
  BOOST_TEST(problem_of("tcp://[::1]80").find("brackets") != std::string::npos);
  BOOST_TEST(problem_of("tcp://h:65536") == "the port must be a number from 0 to 65535");
  BOOST_TEST(problem_of("tcp://h:-1") == "the port must be a number from 0 to 65535");
  BOOST_TEST(problem_of("tcp://h:8o") == "the port must be a number from 0 to 65535");
  BOOST_TEST(problem_of("unix:") == "no path: write unix:PATH");
  BOOST_TEST(problem_of("unix:/" + std::string(107, 'x')).find("at most 107") != std::string::npos);
  BOOST_TEST(parse("unix:/" + std::string(106, 'x')).has_value());
}

BOOST_AUTO_TEST_CASE(listeners_are_named_as_printed) {
  BOOST_TEST(server::describe_listener(transport::tcp, "127.0.0.1:8080") == "127.0.0.1:8080");
  BOOST_TEST(server::describe_listener(transport::tls, "[::1]:8443") == "tls://[::1]:8443");
  BOOST_TEST(server::describe_listener(transport::unix_socket, "/a.sock") == "unix:/a.sock");
}

BOOST_AUTO_TEST_SUITE_END()
