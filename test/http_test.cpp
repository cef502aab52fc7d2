// The HTTP listener (--http): the operator's endpoints, their answers during
// a drain, and bad HTTP input, over plain sockets (what a prober or a load
// balancer sends).
#include <signal.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "blocking_peer.hpp"
#include "service_support.hpp"

using namespace test::service;
using test::contains;
using test::transport::server;

namespace {

std::uint16_t port_of(const std::string& name) {
  return static_cast<std::uint16_t>(std::stoi(name.substr(name.rfind(':') + 1)));
}

// Sends `request` as it is and reads the answer until the server closes.
std::string http_exchange(std::uint16_t port, const std::string& request) {
  test::blocking_peer peer(port);
  peer.send(request);
  std::string answer;
  try {
    for (std::string chunk; !(chunk = peer.read_some()).empty();) answer += chunk;
  } catch (const std::exception&) {
    // a reset after the answer: what was read is the answer
  }
  return answer;
}

std::string get(std::uint16_t port, const std::string& path, const std::string& method = "GET") {
  return http_exchange(
      port, method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
}

std::string status_line(const std::string& answer) { return answer.substr(0, answer.find("\r\n")); }

}  // namespace

BOOST_AUTO_TEST_SUITE(http)

BOOST_AUTO_TEST_CASE(healthz_readyz_and_the_rest_answer_as_documented) {
  server srv({"--listen", "tcp://127.0.0.1:0", "--http", "127.0.0.1:0"}, 2);
  BOOST_TEST(srv.name(1).rfind("http://127.0.0.1:", 0) == 0u);
  const auto http = port_of(srv.name(1));
  const auto health = get(http, "/healthz");
  BOOST_TEST(status_line(health) == "HTTP/1.1 200 OK");
  BOOST_TEST(contains(health, "\r\n\r\nok\n"));
  BOOST_TEST(status_line(get(http, "/readyz")) == "HTTP/1.1 200 OK");
  BOOST_TEST(status_line(get(http, "/readyz?verbose")) == "HTTP/1.1 200 OK");
  BOOST_TEST(contains(get(http, "/"), "<title>asio_server</title>"));
  BOOST_TEST(status_line(get(http, "/nothing-here")) == "HTTP/1.1 404 Not Found");
  const auto post = get(http, "/healthz", "POST");
  BOOST_TEST(status_line(post) == "HTTP/1.1 405 Method Not Allowed");
  BOOST_TEST(contains(post, "Allow: GET, HEAD\r\n"));
  const auto head = get(http, "/healthz", "HEAD");
  BOOST_TEST(status_line(head) == "HTTP/1.1 200 OK");
  BOOST_TEST(contains(head, "Content-Length: 3\r\n"));
  BOOST_TEST(!contains(head, "ok\n"));
  // Keep-alive: two requests on one connection.
  const auto two = http_exchange(http,
                                 "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                                 "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  BOOST_TEST(contains(two, "ok\n"));
  BOOST_TEST(contains(two, "ready\n"));
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(readyz_turns_503_during_a_drain_while_healthz_stays_200_until_exit) {
  server srv({"--listen", "tcp://127.0.0.1:0", "--http", "127.0.0.1:0", "--drain-timeout", "3"}, 2);
  const auto protocol = port_of(srv.name(0));
  const auto http = port_of(srv.name(1));
  // A connection that holds the drain open for its three seconds.
  test::blocking_peer holding(protocol);
  holding.send("hello\n");
  BOOST_TEST(holding.read_some() == "Hello (server)!");
  srv.process().send_signal(SIGTERM);
  BOOST_TEST(srv.log_shows("SIGTERM: shutting down"));
  const auto ready = get(http, "/readyz");
  BOOST_TEST(status_line(ready) == "HTTP/1.1 503 Service Unavailable");
  BOOST_TEST(contains(ready, "draining\n"));
  BOOST_TEST(status_line(get(http, "/healthz")) == "HTTP/1.1 200 OK");
  BOOST_TEST(contains(get(http, "/metrics"), "\nasio_server_draining 1\n"));
  BOOST_CHECK_THROW(test::blocking_peer{protocol}, std::exception);  // no longer accepting
  BOOST_TEST(srv.exit_status() == 0);
  BOOST_CHECK_THROW(test::blocking_peer{http}, std::exception);  // gone with the process
}

BOOST_AUTO_TEST_CASE(bad_http_gets_its_status_or_a_close_and_the_server_goes_on) {
  server srv(
      {"--listen", "tcp://127.0.0.1:0", "--http", "127.0.0.1:0", "--http-header-timeout", "1"}, 2);
  const auto http = port_of(srv.name(1));
  // A request line of 100 KiB, a flood of headers: over the 8 KiB limit.
  BOOST_TEST(status_line(http_exchange(
                 http, "GET /" + std::string(100 * 1024, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n")) ==
             "HTTP/1.1 431 Request Header Fields Too Large");
  std::string flood = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 1000; ++i) flood += "X-Flood-" + std::to_string(i) + ": yes\r\n";
  BOOST_TEST(status_line(http_exchange(http, flood + "\r\n")) ==
             "HTTP/1.1 431 Request Header Fields Too Large");
  // A body over 64 KiB, announced.
  BOOST_TEST(status_line(http_exchange(
                 http, "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" +
                           std::string(1000, 'x'))) == "HTTP/1.1 413 Payload Too Large");
  BOOST_TEST(status_line(http_exchange(http, "this is not http\r\n\r\n")) ==
             "HTTP/1.1 400 Bad Request");
  // Slowloris: a request that never completes is closed at the deadline.
  {
    test::blocking_peer slow(http, "127.0.0.1", std::chrono::seconds(5));
    slow.send("GET /healthz HTTP/1.1\r\n");
    ::usleep(300'000);  // the trickle of a slowloris: the scenario, not a synchronisation
    slow.send("X-Slow: 1\r\n");
    // 408 and a close, within the 1 s deadline plus some.
    BOOST_TEST(status_line(slow.read_some()) == "HTTP/1.1 408 Request Timeout");
    BOOST_TEST(slow.reads_to_clean_close());
  }
  BOOST_TEST(status_line(get(http, "/healthz")) == "HTTP/1.1 200 OK");
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(a_kept_alive_connection_outlives_two_reloads) {
  // Its settings are the ones it started with, kept alive by it (found by a
  // review: it held a reference the second reload freed; ASan sees that).
  server srv({"--listen", "tcp://127.0.0.1:0", "--http", "127.0.0.1:0"}, 2);
  const auto http = port_of(srv.name(1));
  srv.process().send_signal(SIGHUP);
  BOOST_TEST(srv.log_shows("configuration reloaded"));
  test::blocking_peer kept(http);
  kept.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  BOOST_TEST(contains(kept.read_some(), "200 OK"));
  for (int i = 0; i < 2; ++i) {
    srv.process().send_signal(SIGHUP);
    BOOST_TEST(srv.log_shows("configuration reloaded"));
  }
  kept.send("GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n");
  BOOST_TEST(contains(kept.read_some(), "200 OK"));
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
