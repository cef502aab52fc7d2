// Behind HAProxy (Debian's haproxy, started and stopped by the test, on
// loopback): the shipped server/dist/haproxy.cfg in front of three
// asio_server processes with PROXY v2 listeners and the protocol's PING as
// the health check. CTest label `haproxy`.
#define BOOST_TEST_MODULE haproxy_tests
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "transport_support.hpp"
#include "wait.hpp"

using namespace test::transport;
using test::child_process;
using test::contains;
using steady = std::chrono::steady_clock;

namespace {

// A port nobody listens on now, for HAProxy's frontend.
std::string free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t size = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &size);
  ::close(fd);
  return std::to_string(ntohs(a.sin_port));
}

std::vector<std::string> backend_args(const std::string& port) {
  return {"--listen", "tcp://127.0.0.1:" + port + "?proxy", "--log-level", "debug"};
}

// HAProxy with the shipped configuration, its frontend and servers moved to
// the test's ports, and its connections to the servers made from 127.0.0.3,
// so that the servers' logs tell HAProxy's address from the client's.
class balancer {
 public:
  balancer(const std::vector<std::string>& backends) : port_(free_port()) {
    std::ifstream in(DIST_DIR "/haproxy.cfg");
    std::stringstream text;
    text << in.rdbuf();
    std::string cfg = std::regex_replace(text.str(), std::regex("bind 127\\.0\\.0\\.1:8080"),
                                         "bind 127.0.0.1:" + port_);
    for (std::size_t i = 0; i < backends.size(); ++i) {
      const std::string n = std::to_string(i + 1);
      cfg = std::regex_replace(cfg, std::regex("server s" + n + " 127\\.0\\.0\\.1:809" + n),
                               "server s" + n + " 127.0.0.1:" + backends[i]);
    }
    cfg = std::regex_replace(cfg, std::regex("default-server send-proxy-v2"),
                             "default-server source 127.0.0.3 send-proxy-v2");
    path_ = scratch().path + "/haproxy-" + port_ + ".cfg";
    std::ofstream(path_) << cfg;
    child_.emplace(std::vector<std::string>{"haproxy", "-db", "-f", path_}, std::string{},
                   /*keep_stdin_open=*/true);
  }
  ~balancer() {
    child_->send_signal(SIGTERM);
    child_->wait(10s);
  }
  const std::string& port() const { return port_; }

  // Waits for a line of HAProxy's log (its stdout) that holds `text`.
  bool log_shows(const std::string& text, std::chrono::seconds within = 10s) {
    const auto until = steady::now() + within;
    while (steady::now() < until) {
      const auto line = child_->read_line(500ms);
      if (line && contains(*line, text)) return true;
    }
    return false;
  }

 private:
  std::string port_;
  std::string path_;
  std::optional<child_process> child_;
};

// One request through the balancer, on a connection of its own.
bool request_through(const balancer& lb) {
  const auto r = client({"--host", "127.0.0.1", "--port", lb.port(), "--message", "through"});
  return r.exit_code == 0 && contains(r.out, "Received");
}

// Requests until one is answered (the balancer's first checks), 10 s at most.
bool comes_up(const balancer& lb) {
  return test::wait_until([&] { return request_through(lb); }, 10s, 200ms);
}

// Three backends on PROXY listeners, each on a port of its own.
struct backends {
  std::vector<std::unique_ptr<server>> servers;
  std::vector<std::string> ports;
  backends() {
    for (int i = 0; i < 3; ++i) {
      servers.push_back(std::make_unique<server>(backend_args("0")));
      ports.push_back(servers.back()->port());
    }
  }
  // Started again on its port, once the old one has exited.
  void restart(std::size_t i) { servers[i] = std::make_unique<server>(backend_args(ports[i])); }
  void terminate_all() {
    for (auto& s : servers) BOOST_TEST(s->terminate() == 0);
  }
  // Connections established to the servers, as `ss` shows them on their ports.
  int connections() const {
    int n = 0;
    for (const auto& port : ports) n += test::ss_count("established", "sport = :" + port);
    return n;
  }
  // Waits until a load of `n` connections has reached the servers through the
  // balancer (health checks come and go beside them), 10 s at most.
  bool carry(int n) const {
    const bool carried = test::wait_until([&] { return connections() >= n; });
    BOOST_TEST_MESSAGE(connections() << " connections on the servers");
    return carried;
  }
};

// asio_client --bench through the balancer with --reconnect, as a process
// of its own while the test restarts backends; its JSON result at the end.
class bench_through {
 public:
  bench_through(const std::string& port, const std::string& seconds,
                std::vector<std::string> mode = {"-c", "50", "-d", "16", "--reconnect"})
      : child_(bench_argv(port, seconds, std::move(mode))) {}
  boost::json::object result() {
    exit_code_ = child_.wait(120s);
    BOOST_TEST_MESSAGE("bench: " << child_.out());
    boost::system::error_code ec;
    auto v = boost::json::parse(child_.out(), ec);
    BOOST_REQUIRE_MESSAGE(!ec && v.is_object(),
                          "no JSON from the bench: " << child_.out() << child_.err());
    return v.as_object();
  }
  int exit_code() const { return exit_code_; }

 private:
  static std::vector<std::string> bench_argv(const std::string& port, const std::string& seconds,
                                             std::vector<std::string> mode) {
    std::vector<std::string> argv{test::client_bin, "--bench",  "--duration",
                                  seconds,          "--warmup", "0",
                                  "--json",         "--port",   port};
    argv.insert(argv.end(), mode.begin(), mode.end());
    return argv;
  }
  child_process child_;
  int exit_code_ = -1;
};

std::int64_t number(const boost::json::object& o, const char* key) {
  return o.at(key).is_int64() ? o.at(key).as_int64()
                              : static_cast<std::int64_t>(o.at(key).as_uint64());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(behind_haproxy)

BOOST_AUTO_TEST_CASE(reconnect_options_are_checked) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"--reconnect", "--raw"},
                                             {"--reconnect-for", "5"},
                                             {"--bench", "--reconnect", "--raw"},
                                             {"--bench", "--reconnect", "--connect-per-request"},
                                             {"--bench", "--reconnect", "--reconnect-for", "0"}}) {
    const auto r = client(args);
    BOOST_TEST(r.exit_code == 64, r.err);
    BOOST_TEST(contains(r.err, "--reconnect"), r.err);
  }
}

BOOST_AUTO_TEST_CASE(the_shipped_config_is_valid) {
  const auto r = test::run({"haproxy", "-c", "-f", DIST_DIR "/haproxy.cfg"});
  BOOST_TEST(r.exit_code == 0, r.out + r.err);
}

BOOST_AUTO_TEST_CASE(the_servers_see_the_clients_address_and_answer_the_health_check) {
  backends b;
  auto& servers = b.servers;
  balancer lb(b.ports);
  BOOST_REQUIRE(comes_up(lb));
  for (int i = 0; i < 6; ++i) BOOST_TEST(request_through(lb));
  for (auto& s : servers) {
    // HAProxy's health check: a LOCAL header, a PING, its PONG.
    // (Its log in any order: HAProxy sends clients before its first check.)
    BOOST_TEST(
        output_shows(s->process(), "127.0.0.3: connected, through the proxy 127.0.0.3 (its own"));
    // Round robin: every server had clients, named by their own address
    // (from the PROXY v2 header), not HAProxy's.
    BOOST_TEST(output_shows(s->process(), "127.0.0.1: connected, through the proxy 127.0.0.3"),
               s->process().out());
  }
  for (auto& s : servers) BOOST_TEST(s->terminate() == 0);
}

BOOST_AUTO_TEST_CASE(a_killed_or_draining_server_is_marked_down_and_no_request_fails) {
  backends b;
  auto& servers = b.servers;
  balancer lb(b.ports);
  BOOST_REQUIRE(comes_up(lb));

  // SIGKILL: nothing said; the check finds it (inter 1s, fall 2), and until
  // then a refused connection is retried on another server (redispatch).
  const auto killed_at = steady::now();
  servers[1]->process().send_signal(SIGKILL);
  int failed = 0;
  for (int i = 0; i < 12; ++i) failed += request_through(lb) ? 0 : 1;
  BOOST_TEST(lb.log_shows("Server asio_servers/s2 is DOWN"));
  BOOST_TEST_MESSAGE("s2 (SIGKILL) marked down after "
                     << std::chrono::duration<double>(steady::now() - killed_at).count() << " s");
  BOOST_TEST(failed == 0);

  // SIGTERM: the server closes its listener at once and drains; it is
  // marked down, started again on its port, and marked up.
  servers[0]->process().send_signal(SIGTERM);
  BOOST_TEST(servers[0]->exit_status() == 0);
  for (int i = 0; i < 6; ++i) failed += request_through(lb) ? 0 : 1;
  BOOST_TEST(lb.log_shows("Server asio_servers/s1 is DOWN"));
  b.restart(0);
  BOOST_TEST(lb.log_shows("Server asio_servers/s1 is UP"));
  for (int i = 0; i < 6; ++i) failed += request_through(lb) ? 0 : 1;
  BOOST_TEST(failed == 0);
  BOOST_TEST(servers[0]->terminate() == 0);
  BOOST_TEST(servers[2]->terminate() == 0);
}

// The rolling restart: under a 50 x 16 load, each backend in turn gets
// SIGTERM (GOAWAY to its clients, its listener closed), exits, and is
// started again. The client reconnects and sends again what was not
// processed: no request fails, every one is answered exactly once (the
// bench checks each reply's id and payload against what is in flight).
BOOST_AUTO_TEST_CASE(a_rolling_restart_under_load_loses_no_request) {
  backends b;
  balancer lb(b.ports);
  BOOST_REQUIRE(comes_up(lb));
  bench_through load(lb.port(), "20");
  BOOST_TEST(b.carry(50), "the load's 50 connections did not all reach the servers");
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string name = "asio_servers/s" + std::to_string(i + 1);
    b.servers[i]->process().send_signal(SIGTERM);
    BOOST_TEST(b.servers[i]->exit_status() == 0);
    BOOST_TEST(lb.log_shows("Server " + name + " is DOWN"), name);
    b.restart(i);
    BOOST_TEST(lb.log_shows("Server " + name + " is UP"), name);
  }
  const auto r = load.result();
  BOOST_TEST(load.exit_code() == 0);
  BOOST_TEST(number(r, "errors") == 0);
  BOOST_TEST(number(r, "answered") > 0);
  BOOST_TEST(number(r, "reconnects") > 0);
  BOOST_TEST_MESSAGE("lowest second / mean: " << r.at("min_1s_msgs_per_s").to_number<double>() /
                                                     r.at("per_second").to_number<double>());
  b.terminate_all();
}

// The same restart with a person's client: asio_client --stdin --reconnect
// on one connection through the balancer, lines written to it before,
// during and after each restart. Every line is acknowledged exactly once,
// in a run that exits 0.
BOOST_AUTO_TEST_CASE(a_rolling_restart_loses_no_line_of_stdin_with_reconnect) {
  backends b;
  balancer lb(b.ports);
  BOOST_REQUIRE(comes_up(lb));
  child_process c({test::client_bin, "--port", lb.port(), "--stdin", "--reconnect"}, {},
                  /*keep_stdin_open=*/true);
  int lines = 0;
  auto write_lines = [&](int n) {
    for (int i = 0; i < n; ++i) {
      BOOST_REQUIRE(c.write_stdin("line " + std::to_string(++lines) + "\n"));
      ::usleep(5'000);  // lines typed one after another: the scenario, not a synchronisation
    }
  };
  write_lines(20);
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string name = "asio_servers/s" + std::to_string(i + 1);
    b.servers[i]->process().send_signal(SIGTERM);
    write_lines(20);  // while it drains and goes
    BOOST_TEST(b.servers[i]->exit_status() == 0);
    BOOST_TEST(lb.log_shows("Server " + name + " is DOWN"), name);
    write_lines(20);  // while it is down
    b.restart(i);
    BOOST_TEST(lb.log_shows("Server " + name + " is UP"), name);
  }
  write_lines(20);
  c.close_stdin();
  BOOST_TEST(c.wait(60s) == 0, c.err());
  BOOST_TEST_MESSAGE("stdin client: " << c.err());
  // "Received (message N: line N)", once for each N.
  std::vector<int> acked(lines + 1, 0);
  std::istringstream out(c.out());
  const std::regex ack(R"(Received \(message (\d+): line (\d+)\))");
  for (std::string line; std::getline(out, line);) {
    std::smatch m;
    if (!std::regex_match(line, m, ack)) continue;
    const int n = std::stoi(m[1]);
    BOOST_TEST(n == std::stoi(m[2]));
    if (n >= 1 && n <= lines) ++acked[n];
  }
  for (int n = 1; n <= lines; ++n) BOOST_TEST(acked[n] == 1, "line " << n);
  BOOST_TEST(contains(c.err(), "connected again"), c.err());
  b.terminate_all();
}

// SIGKILL: the backend says nothing, its connections are cut. The clients
// send again what was in flight; HAProxy's check marks it down within 3 s.
BOOST_AUTO_TEST_CASE(a_backend_killed_under_load_loses_no_request) {
  backends b;
  balancer lb(b.ports);
  BOOST_REQUIRE(comes_up(lb));
  bench_through load(lb.port(), "8");
  BOOST_TEST(b.carry(50), "the load's 50 connections did not all reach the servers");
  const auto killed_at = steady::now();
  b.servers[1]->process().send_signal(SIGKILL);
  BOOST_TEST(lb.log_shows("Server asio_servers/s2 is DOWN"));
  const std::chrono::duration<double> marked_down = steady::now() - killed_at;
  BOOST_TEST_MESSAGE("s2 (SIGKILL, under load) marked down after " << marked_down.count() << " s");
  // (Not asserted: tests judge no timing. The check's settings, inter 1s
  // fall 2, bound it; the figure is in the log.)
  const auto r = load.result();
  BOOST_TEST(load.exit_code() == 0);
  BOOST_TEST(number(r, "errors") == 0);
  BOOST_TEST(number(r, "reconnects") > 0);
  BOOST_TEST(b.servers[0]->terminate() == 0);
  BOOST_TEST(b.servers[2]->terminate() == 0);
}

// SO_REUSEPORT hand-over on one machine, no balancer: a new server starts
// on the old one's port with --reuse-port, the old one gets SIGTERM. With
// --reconnect, the clients lose nothing. Connect-per-request clients (no
// reconnect) are measured, not judged: a connection the old server took
// as its drain began gets GOAWAY (nothing processed) and counts as an
// error there; the count is in the test's log.
BOOST_AUTO_TEST_CASE(a_reuse_port_hand_over_loses_nothing_with_reconnect) {
  const std::string port = free_port();
  const std::vector<std::string> args{"--listen", "tcp://127.0.0.1:" + port, "--reuse-port"};
  for (const bool per_request : {false, true}) {
    auto old_one = std::make_unique<server>(args);
    bench_through load(port, "4",
                       per_request
                           ? std::vector<std::string>{"-c", "8", "--connect-per-request"}
                           : std::vector<std::string>{"-c", "50", "-d", "16", "--reconnect"});
    // The load is on the old server: its 50 connections, or (one per
    // request) one at least.
    const std::string on_the_port = "sport = :" + port;
    BOOST_TEST(test::wait_until([&] {
                 return test::ss_count("established", on_the_port) >= (per_request ? 1 : 50);
               }),
               "the load did not reach the old server");
    server new_one(args);
    // Listening (its line was read): with one connection per request, the
    // kernel hands the new one connections too before the old one drains.
    if (per_request) {
      BOOST_TEST(test::wait_until([&] {
                   return test::ss_count_held_by(new_one.process().pid(), "connected",
                                                 on_the_port) > 0;
                 }),
                 "the new server was given no connection");
    }
    old_one->process().send_signal(SIGTERM);
    BOOST_TEST(old_one->exit_status() == 0);
    const auto r = load.result();
    if (per_request) {
      BOOST_TEST_MESSAGE("connect per request across the hand-over: "
                         << number(r, "answered") << " answered, " << number(r, "errors")
                         << " failed (" << r.at("first_error").as_string().c_str() << ")");
    } else {
      BOOST_TEST(load.exit_code() == 0);
      BOOST_TEST(number(r, "errors") == 0);
      BOOST_TEST(number(r, "reconnects") > 0);
    }
    BOOST_TEST(new_one.terminate() == 0);
  }
}

// A drain takes what the kernel already queued: Linux resets connections
// still in a listener's accept queue when it closes. The server is stopped
// (SIGSTOP) while 20 clients connect and send a PING each, so that all of
// them wait in its queue; then SIGTERM, SIGCONT. Every one gets its PONG
// (the request had arrived), none a reset.
BOOST_AUTO_TEST_CASE(a_drain_answers_the_connections_in_its_accept_queue) {
  server srv({"--listen", "tcp://127.0.0.1:0", "--threads", "2"});
  const int port = std::stoi(srv.port());
  srv.process().send_signal(SIGSTOP);
  std::vector<int> clients;
  const std::uint8_t ping[12] = {0xa5, 1, 0x04, 0, 0, 0, 0, 1, 0, 0, 0, 0};
  for (int i = 0; i < 20; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    BOOST_REQUIRE(::write(fd, ping, sizeof ping) == sizeof ping);
    clients.push_back(fd);
  }
  srv.process().send_signal(SIGTERM);
  srv.process().send_signal(SIGCONT);
  int pong = 0, goaway = 0, reset = 0, closed = 0;
  for (const int fd : clients) {
    timeval five{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &five, sizeof five);
    std::uint8_t reply[12];
    const ssize_t n = ::recv(fd, reply, sizeof reply, MSG_WAITALL);
    if (n == 12 && reply[2] == 0x84) {
      ++pong;
    } else if (n == 12 && reply[2] == 0x7e) {
      ++goaway;
    } else if (n < 0) {
      ++reset;
    } else {
      ++closed;
    }
    ::close(fd);
  }
  BOOST_TEST_MESSAGE("accept queue at the drain: " << pong << " PONG, " << goaway << " GOAWAY, "
                                                   << reset << " reset, " << closed << " closed");
  BOOST_TEST(pong == 20);
  BOOST_TEST(srv.exit_status() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
