// The transports, tried with the tools a user would use: Unix sockets
// against socat, the socket options as ss shows them, and the drain on every
// transport at once; TLS is transport_tls_test.cpp. Needs openssl, socat and
// ss (scripts/setup.sh installs them); CTest label `tools`.
#define BOOST_TEST_MODULE transport_tests
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <memory>
#include <string>
#include <vector>

#include "blocking_peer.hpp"
#include "transport_support.hpp"

using namespace test::transport;
using test::child_process;
using test::client_bin;
using test::contains;
using test::server_bin;

BOOST_AUTO_TEST_SUITE(unix_sockets)

BOOST_AUTO_TEST_CASE(socat_is_served_as_a_raw_peer_and_the_file_has_the_mode_asked_for) {
  const std::string path = socket_path("socat.sock");
  server srv({"--listen", "unix:" + path, "--unix-mode", "0600"});
  BOOST_TEST(srv.name() == "unix:" + path);
  struct stat st {};
  BOOST_REQUIRE(::stat(path.c_str(), &st) == 0);
  BOOST_TEST(S_ISSOCK(st.st_mode));
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  child_process c({"socat", "-", "UNIX-CONNECT:" + path}, "Hello (client)\n",
                  /*keep_stdin_open=*/true);
  BOOST_TEST(output_shows(c, "Hello (server)!"), c.err());
  BOOST_TEST(srv.log_shows("Hello (client)"));
  BOOST_TEST(srv.terminate() == 0);
  BOOST_TEST(!fs::exists(path));  // removed at exit
}

BOOST_AUTO_TEST_CASE(the_default_mode_is_0660_and_every_client_mode_works) {
  const std::string path = socket_path("client.sock");
  server srv({"--listen", "unix:" + path, "--log-level", "debug"});
  struct stat st {};
  BOOST_REQUIRE(::stat(path.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0660u);
  const auto hello = client({"--unix", path});
  BOOST_TEST(hello.exit_code == 0, hello.err);
  BOOST_TEST(hello.out == "Message sent (client)\nHello (server)!\n");
  BOOST_TEST(srv.log_shows("unix: connected (uid " + std::to_string(::getuid())));
  BOOST_TEST(client({"--unix", path, "--stdin"}, "a\nb\n").exit_code == 0);
  BOOST_TEST(client({"--unix", path, "--raw", "--message", "m"}).out ==
             "Message sent (client)\nHello (server)!\nReceived\n");
  for (const auto& mode : std::vector<std::vector<std::string>>{
           {"-c", "4", "-d", "8"}, {"--connect-per-request", "-c", "2"}, {"--idle", "-c", "20"}}) {
    std::vector<std::string> args{"--unix",     path,  "--bench",  "--json",
                                  "--duration", "0.5", "--warmup", "0"};
    args.insert(args.end(), mode.begin(), mode.end());
    const auto r = client(args);
    BOOST_TEST(r.exit_code == 0, mode[0] << ": " << r.err);
    BOOST_TEST(contains(r.out, "\"errors\":0"), mode[0] << ": " << r.out);
  }
}

BOOST_AUTO_TEST_CASE(a_live_socket_refuses_a_second_server_and_a_stale_one_is_replaced) {
  const std::string path = socket_path("shared.sock");
  {
    server first({"--listen", "unix:" + path});
    const auto second = test::run({server_bin, "--listen", "unix:" + path});
    BOOST_TEST(second.exit_code == 69);
    BOOST_TEST(second.err ==
               "asio_server: cannot listen on unix:" + path + ": another server is listening\n");
    // Killed outright, it leaves its socket file behind, with nobody listening.
    first.process().send_signal(SIGKILL);
    first.process().wait(10s);
  }
  BOOST_REQUIRE(fs::exists(path));
  server srv({"--listen", "unix:" + path});
  BOOST_TEST(srv.log_shows("replacing a stale socket file"));
  BOOST_TEST(client({"--unix", path}).exit_code == 0);
}

BOOST_AUTO_TEST_CASE(a_path_too_long_for_a_unix_socket_is_a_clear_error) {
  const auto r = test::run({server_bin, "--listen", "unix:/tmp/" + std::string(120, 'x')});
  BOOST_TEST(r.exit_code == 64);
  BOOST_TEST(contains(r.err, "a Unix socket's path can be at most 107"), r.err);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(every_transport)

BOOST_AUTO_TEST_CASE(sigterm_drains_tcp_tls_and_unix_connections_alike) {
  const std::string path = socket_path("drain.sock");
  std::vector<std::string> args{"--listen",   "tcp://127.0.0.1:0", "--listen",  "unix:" + path,
                                "--tls-cert", cert("server.pem"),  "--tls-key", cert("server.key"),
                                "--listen",   "tls://127.0.0.1:0"};
  server srv(args, 3);
  BOOST_TEST(srv.name(0).rfind("127.0.0.1:", 0) == 0);
  BOOST_TEST(srv.name(1) == "unix:" + path);
  BOOST_TEST(srv.name(2).rfind("tls://127.0.0.1:", 0) == 0);
  const std::vector<std::vector<std::string>> targets{
      {"--port", srv.port(0)},
      {"--unix", path},
      {"--tls", "--ca", cert("ca.pem"), "--port", srv.port(2)}};
  std::vector<std::unique_ptr<child_process>> clients;
  for (const auto& t : targets) {
    for (int i = 0; i < 2; ++i) {
      std::vector<std::string> argv{client_bin, "--stdin"};
      argv.insert(argv.end(), t.begin(), t.end());
      clients.push_back(
          std::make_unique<child_process>(argv, "one\ntwo\nthree\n", /*keep_stdin_open=*/true));
    }
  }
  for (auto& c : clients) {
    for (int line = 0; line < 5; ++line) BOOST_TEST(c->read_line(10s).has_value());
  }
  BOOST_TEST(srv.terminate() == 0);
  for (auto& c : clients) {
    BOOST_TEST(c->wait(10s) == 0, c->err());  // every request it sent was answered
    BOOST_TEST(contains(c->err(), "GOAWAY after request 4"), c->err());
  }
  BOOST_TEST(!fs::exists(path));
}

BOOST_AUTO_TEST_CASE(listen_urls_are_checked) {
  for (const auto& [url, why] : std::vector<std::pair<std::string, std::string>>{
           {"http://127.0.0.1:80", "expected tcp://HOST:PORT, tls://HOST:PORT or unix:PATH"},
           {"tcp://127.0.0.1", "no port"},
           {"tcp://::1:80", "brackets"},
           {"tcp://127.0.0.1:70000", "0 to 65535"},
           {"unix:", "no path"}}) {
    const auto r = test::run({server_bin, "--listen", url});
    BOOST_TEST(r.exit_code == 64, url);
    BOOST_TEST(contains(r.err, "--listen " + url + ": "), url << ": " << r.err);
    BOOST_TEST(contains(r.err, why), url << ": " << r.err);
  }
  const auto both = test::run({server_bin, "--listen", "tcp://127.0.0.1:0", "--port", "9"});
  BOOST_TEST(both.exit_code == 64);
  const auto ipv6 = test::run({server_bin, "--listen", "tcp://[::1]:0"}, {}, 5s);
  // Either it listened (and was killed by the timeout) or this machine has no
  // IPv6: never a parse error.
  BOOST_TEST(!contains(ipv6.err, "brackets"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(socket_options)

BOOST_AUTO_TEST_CASE(the_backlog_is_what_ss_shows) {
  server srv({"--listen", "tcp://127.0.0.1:0", "--backlog", "77"});
  const auto r = test::run({"ss", "-ltnH", "sport = :" + srv.port()});
  BOOST_TEST(r.exit_code == 0, r.err);
  // State Recv-Q Send-Q ...: for a listener, Send-Q is the backlog.
  BOOST_TEST(contains(r.out, " 77 "), r.out);
}

BOOST_AUTO_TEST_CASE(reuse_port_lets_two_servers_share_a_port_and_both_serve) {
  server a({"--listen", "tcp://127.0.0.1:0", "--reuse-port"});
  server b({"--listen", "tcp://127.0.0.1:" + a.port(), "--reuse-port"});
  BOOST_TEST(a.port() == b.port());
  for (int i = 0; i < 40; ++i) {
    BOOST_TEST(client({"--port", a.port()}).exit_code == 0);
  }
  BOOST_TEST(a.terminate() == 0);
  BOOST_TEST(b.terminate() == 0);
  BOOST_TEST(contains(a.process().out(), "Hello (client)"));
  BOOST_TEST(contains(b.process().out(), "Hello (client)"));
  // Without the option, the second cannot.
  server c({"--listen", "tcp://127.0.0.1:0"});
  const auto d = test::run({server_bin, "--listen", "tcp://127.0.0.1:" + c.port()});
  BOOST_TEST(d.exit_code == 69);
}

BOOST_AUTO_TEST_CASE(keepalive_shows_as_a_timer_in_ss) {
  server srv({"--listen", "tcp://127.0.0.1:0", "--keepalive", "60"});
  test::blocking_peer peer(static_cast<std::uint16_t>(std::stoi(srv.port())));
  peer.send_frame(proto::frame_type::ping, 1);
  BOOST_REQUIRE(peer.read_frame().has_value());
  const auto r = test::run({"ss", "-tnoH", "state", "established", "sport = :" + srv.port()});
  BOOST_TEST(contains(r.out, "timer:(keepalive"), r.out);
  server plain({"--listen", "tcp://127.0.0.1:0"});
  test::blocking_peer other(static_cast<std::uint16_t>(std::stoi(plain.port())));
  other.send_frame(proto::frame_type::ping, 1);
  BOOST_REQUIRE(other.read_frame().has_value());
  const auto none = test::run({"ss", "-tnoH", "state", "established", "sport = :" + plain.port()});
  BOOST_TEST(!contains(none.out, "keepalive"), none.out);
}

BOOST_AUTO_TEST_SUITE_END()
