// What slow HTTP peers cost and how long they may take (--http): a header
// or body trickling in is closed at its deadline with 408, what the
// connections hold stays within --max-buffered-bytes, a request whose
// header would not fit in it is refused with 503, and probes are answered
// when slow peers fill --max-connections.
#include <poll.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "blocking_peer.hpp"
#include "service_support.hpp"
#include "wait.hpp"

using test::contains;
using test::transport::server;

namespace {

std::uint16_t port_of(const std::string& name) {
  return static_cast<std::uint16_t>(std::stoi(name.substr(name.rfind(':') + 1)));
}

// A sanitizer build's memory is its shadow's: not measurable.
const bool memory_is_measurable = std::getenv("ASIO_SERVER_SANITIZED") == nullptr;

long rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// How many of the server's established sockets on `port` there are, or
// -1 while one of them has bytes the server has not read (Recv-Q).
int all_read(std::uint16_t port) {
  std::istringstream lines(
      test::ss_sockets("established", "( sport = :" + std::to_string(port) + " )"));
  int n = 0;
  for (std::string line; std::getline(lines, line); ++n) {
    if (std::stol(line) != 0) return -1;
  }
  return n;
}

std::string status_line(const std::string& answer) { return answer.substr(0, answer.find("\r\n")); }

// Sends `request` and reads the answer until the server closes; "" if it
// resets or says nothing for 10 s.
std::string fetch(std::uint16_t port, const std::string& request) {
  test::blocking_peer peer(port);
  peer.send(request);
  std::string answer;
  try {
    for (std::string chunk; !(chunk = peer.read_some()).empty();) answer += chunk;
  } catch (const std::exception&) {
    return answer;
  }
  return answer;
}

std::string get(std::uint16_t port, const std::string& path) {
  return fetch(port, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
}

// One sample of /metrics, -1 when there is none.
double sample(std::uint16_t port, const std::string& series) {
  const std::string text = get(port, "/metrics");
  const auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

// Peers that each send `start` and then trickle `byte` into their request,
// one byte each every 200 ms (the pace of the attack, kept by poll(), which
// also sees the server's answer at once), until the server has answered
// and closed every one of them or `rounds` have passed. Returns what each
// was told before the close ("" for a close without a word or none).
std::vector<std::string> trickle(std::uint16_t port, int peers, const std::string& start, char byte,
                                 int rounds) {
  std::vector<std::unique_ptr<test::blocking_peer>> open;
  for (int i = 0; i < peers; ++i) {
    open.push_back(std::make_unique<test::blocking_peer>(port));
    open.back()->send(start);
  }
  std::vector<std::string> told(open.size());
  std::vector<bool> closed(open.size(), false);
  for (int round = 0; round < rounds; ++round) {
    std::vector<pollfd> fds;
    for (std::size_t i = 0; i < open.size(); ++i) {
      if (closed[i]) continue;
      try {
        open[i]->send(std::string(1, byte));
      } catch (const std::exception&) {  // closed under the send: read what was said
      }
      fds.push_back({open[i]->fd(), POLLIN, 0});
    }
    if (fds.empty()) break;
    ::poll(fds.data(), fds.size(), 200);
    for (std::size_t i = 0, f = 0; i < open.size(); ++i) {
      if (closed[i]) continue;
      if ((fds[f++].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      try {
        const auto chunk = open[i]->read_some();
        told[i] += chunk;
        closed[i] = chunk.empty();
      } catch (const std::exception&) {
        closed[i] = true;  // a reset
      }
    }
  }
  for (std::size_t i = 0; i < open.size(); ++i) {
    if (!closed[i]) told[i] = "still open after " + std::to_string(rounds) + " rounds";
  }
  return told;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_limits)

BOOST_AUTO_TEST_CASE(a_trickling_header_is_closed_with_408_at_the_header_timeout) {
  server srv({"--listen", "tcp://127.0.0.1:0", "--http", "127.0.0.1:0", "--http-header-timeout",
              "1", "--idle-timeout", "5m"},
             2);
  const auto http = port_of(srv.name(1));
  // The first request, and a later one on a kept-alive connection (which
  // --idle-timeout alone used to allow five minutes).
  for (const std::string before : {"", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"}) {
    const auto told = trickle(http, 3, before + "GET /healthz HTTP/1.1\r\nX-Slow: ", 'a', 50);
    for (const auto& t : told) {
      BOOST_TEST(contains(t, "HTTP/1.1 408 Request Timeout\r\n"), t);
      BOOST_TEST(contains(t, "Connection: close\r\n"), t);
    }
  }
  BOOST_TEST(status_line(get(http, "/healthz")) == "HTTP/1.1 200 OK");
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(the_next_header_on_a_kept_alive_connection_has_10_seconds_by_default) {
  // Before, a kept-alive connection's next request had --idle-timeout (5
  // minutes) to trickle in; now its header has --http-header-timeout (10 s)
  // from its first byte.
  server srv({"--listen", "tcp://127.0.0.1:0", "--http", "127.0.0.1:0"}, 2);
  const auto http = port_of(srv.name(1));
  const auto told = trickle(
      http, 1, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nX-Slow: ", 'a',
      100);  // 20 s at most
  BOOST_TEST(contains(told.front(), "HTTP/1.1 200 OK\r\n"), told.front());
  BOOST_TEST(contains(told.front(), "HTTP/1.1 408 Request Timeout\r\n"), told.front());
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(bodies_held_open_cost_their_read_buffers_only) {
  server srv({"--listen", "tcp://127.0.0.1:0", "--http", "127.0.0.1:0", "--max-buffered-bytes",
              "1M", "--threads", "2"},
             2);
  const auto http = port_of(srv.name(1));
  const long before = rss_kib(srv.process().pid());
  // 100 peers each one byte short of a 64 KiB body: dropped as it comes,
  // so what they hold is their read buffers, far within the 1 MiB (they
  // held 64 KiB each before, 6.4 MiB, whatever --max-buffered-bytes said).
  constexpr int peers = 100;
  std::vector<std::unique_ptr<test::blocking_peer>> held;
  for (int i = 0; i < peers; ++i) {
    held.push_back(std::make_unique<test::blocking_peer>(http));
    held.back()->send("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 65536\r\n\r\n" +
                      std::string(65535, 'x'));
  }
  // Each body read to its last byte but one: nothing of them is left
  // unread in the server's sockets (ss shows Recv-Q 0 for each).
  BOOST_TEST(test::wait_until([&] { return all_read(http) == peers; }));
  const long grown = rss_kib(srv.process().pid()) - before;
  if (memory_is_measurable) BOOST_TEST(grown < 3 * 1024, grown << " KiB for " << peers);
  const double buffered = sample(http, "asio_server_buffered_bytes");
  BOOST_TEST(buffered > 0);
  BOOST_TEST(buffered <= 256 * 1024, buffered);
  held.clear();
  BOOST_TEST(test::wait_until([&] { return sample(http, "asio_server_buffered_bytes") < 8192; }));
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(a_trickling_body_is_closed_with_408_at_the_body_timeout) {
  server srv({"--listen", "tcp://127.0.0.1:0", "--http", "127.0.0.1:0", "--http-body-timeout", "2"},
             2);
  const auto http = port_of(srv.name(1));
  // Trickling the body does not keep a connection: 408 and a close at
  // --http-body-timeout.
  const std::string start = "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 65536\r\n\r\n" +
                            std::string(32 * 1024, 'x');
  for (const auto& t : trickle(http, 20, start, 'x', 100)) {
    BOOST_TEST(contains(t, "HTTP/1.1 408 Request Timeout\r\n"), t);
  }
  BOOST_TEST(status_line(get(http, "/healthz")) == "HTTP/1.1 200 OK");
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(a_header_the_budget_cannot_take_is_refused_with_503_and_probes_still_pass) {
  server srv({"--listen", "tcp://127.0.0.1:0", "--http", "127.0.0.1:0", "--max-buffered-bytes",
              "1M", "--threads", "2"},
             2);
  const auto http = port_of(srv.name(1));
  // Peers with 8,000 bytes of a header each, never finished: the budget
  // stops their buffers growing once it is used up, and those that cannot
  // go on are told 503 and closed, which gives some back; so more come, in
  // waves, until a request whose header needs more than a small buffer is
  // refused with 503 rather than buffered.
  std::vector<std::unique_ptr<test::blocking_peer>> slow;
  const std::string partial = "GET /healthz HTTP/1.1\r\nX-Pad: " + std::string(8000, 'p');
  const double limit = 1024 * 1024;
  std::string refused;
  for (int wave = 0; wave < 20 && refused.empty(); ++wave) {
    for (int i = 0; i < (wave == 0 ? 120 : 8); ++i) {
      slow.push_back(std::make_unique<test::blocking_peer>(http));
      slow.back()->send(partial);
    }
    test::wait_until(
        [&] { return sample(http, "asio_server_buffered_bytes") >= limit - 16 * 1024; },
        std::chrono::seconds(2));
    const auto big =
        fetch(http, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(4000, 'p') +
                        "\r\nConnection: close\r\n\r\n");
    if (status_line(big) == "HTTP/1.1 503 Service Unavailable") refused = big;
  }
  BOOST_TEST_REQUIRE(!refused.empty(), "no 503 however full the budget");
  BOOST_TEST(contains(refused, "\r\nRetry-After: "), refused);
  BOOST_TEST(contains(refused, "\r\nConnection: close\r\n"), refused);
  // Within the budget, but for what its check can let through at once
  // (two threads, a read's growth each) and a small buffer any connection
  // may have.
  BOOST_TEST(sample(http, "asio_server_buffered_bytes") <= limit + 64 * 1024);
  // A load balancer's probe is small: answered.
  BOOST_TEST(status_line(get(http, "/healthz")) == "HTTP/1.1 200 OK");
  BOOST_TEST(status_line(get(http, "/readyz")) == "HTTP/1.1 200 OK");
  slow.clear();
  BOOST_TEST(test::wait_until([&] { return sample(http, "asio_server_buffered_bytes") < 8192; }));
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(when_slow_peers_fill_max_connections_a_probe_evicts_the_oldest) {
  constexpr int cap = 8;
  server srv({"--listen", "tcp://127.0.0.1:0", "--http", "127.0.0.1:0", "--max-connections",
              std::to_string(cap), "--threads", "1"},
             2);
  const auto http = port_of(srv.name(1));
  std::vector<std::unique_ptr<test::blocking_peer>> slow;
  const auto add_slow = [&] {
    slow.push_back(std::make_unique<test::blocking_peer>(http));
    slow.back()->send("GET /healthz HTTP/1.1\r\nX-Slow: ");
  };
  for (int i = 0; i < cap - 1; ++i) add_slow();
  // All of them in: the scrape itself is the cap's last connection.
  BOOST_TEST(test::wait_until(
      [&] { return sample(http, "asio_server_connections_open{transport=\"http\"}") == cap; }));
  add_slow();  // the cap is full of slow peers
  // A load balancer's probe, and its readiness check on another connection.
  BOOST_TEST(status_line(get(http, "/healthz")) == "HTTP/1.1 200 OK");
  BOOST_TEST(status_line(get(http, "/readyz")) == "HTTP/1.1 200 OK");
  // The oldest slow peer made room: closed, without a word. (With more
  // threads, the oldest of one of them.)
  BOOST_TEST(slow.front()->read_some() == "");
  BOOST_TEST(sample(http, "asio_server_connections_refused_total{reason=\"http_evicted\"}") >= 1);
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
