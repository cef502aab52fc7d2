// What systemd sees of asio_server, checked without systemd as PID 1: the
// notifications on a NOTIFY_SOCKET of the test's own, socket activation
// (systemd-socket-activate, and a socket the test holds across a restart
// as systemd would), and the units through systemd-analyze.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "service_support.hpp"
#include "wait.hpp"

using namespace test::service;
using test::child_process;
using test::client_bin;
using test::contains;
using test::server_bin;
using test::transport::client;

namespace {

const std::string dist = DIST_DIR;

// A listening TCP socket on 127.0.0.1, without close-on-exec, as systemd
// holds one for a .socket unit.
struct held_socket {
  held_socket() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    const int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    BOOST_REQUIRE(::listen(fd, 64) == 0);
    socklen_t n = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
    port = std::to_string(ntohs(a.sin_port));
  }
  ~held_socket() { ::close(fd); }
  int fd;
  std::string port;
};

// The server as systemd starts it for a .socket unit: the socket as
// descriptor 3, LISTEN_FDS=1 and LISTEN_PID its own process id.
std::vector<std::string> activated_by(const held_socket& s) {
  return {"/bin/sh", "-c",
          "exec 3<&" + std::to_string(s.fd) + "; LISTEN_FDS=1 LISTEN_PID=$$ exec \"$@\"", "sh"};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(systemd)

BOOST_AUTO_TEST_CASE(notifications_come_in_the_order_of_the_log) {
  notify_socket systemd("notify.sock");
  const std::string f = path_in_scratch("notify.conf");
  write_file(f, "bind = 127.0.0.1\nport = 0\n");
  server_in_env srv({"NOTIFY_SOCKET=" + systemd.path(), "WATCHDOG_USEC=200000"}, {"--config", f});
  // READY=1 once listening: the log said so first.
  const auto ready = systemd.next_with("READY=1");
  BOOST_TEST(contains(ready, "STATUS=listening on 127.0.0.1:" + srv.port()), ready);
  BOOST_TEST(contains(srv.process().out(), "listening on 127.0.0.1:" + srv.port()));
  BOOST_TEST(srv.log_shows("ready: listening on"));
  // WatchdogSec: pings at half the interval.
  BOOST_TEST(systemd.next(2s).value_or("") == "WATCHDOG=1");
  // A reload is bracketed by RELOADING=1 and READY=1, its log line between.
  srv.process().send_signal(SIGHUP);
  BOOST_TEST(contains(systemd.next_with("RELOADING=1"), "MONOTONIC_USEC="));
  BOOST_TEST(srv.log_shows("SIGHUP: configuration reloaded"));
  BOOST_TEST(contains(systemd.next_with("READY=1"), "STATUS=serving"));
  // The drain says STOPPING=1.
  srv.process().send_signal(SIGTERM);
  BOOST_TEST(contains(systemd.next_with("STOPPING=1"), "STATUS=draining"));
  BOOST_TEST(srv.process().wait(10s) == 0);
  BOOST_TEST(contains(srv.process().out(), "SIGTERM: shutting down"));
  const auto log = srv.process().out();
  BOOST_TEST(log.find("ready: listening") < log.find("SIGHUP: configuration reloaded"));
  BOOST_TEST(log.find("SIGHUP: configuration reloaded") < log.find("SIGTERM: shutting down"));
}

BOOST_AUTO_TEST_CASE(systemd_socket_activate_passes_tcp_tls_and_unix_sockets_that_are_served) {
  held_socket probe_tcp, probe_tls;  // two free ports, freed just before use
  const std::string tcp_port = probe_tcp.port, tls_port = probe_tls.port;
  ::close(probe_tcp.fd);
  ::close(probe_tls.fd);
  probe_tcp.fd = probe_tls.fd = -1;
  const std::string unix_path = path_in_scratch("activated.sock");
  child_process activate(
      {"systemd-socket-activate", "-l", "127.0.0.1:" + tcp_port, "-l", "127.0.0.1:" + tls_port,
       "-l", unix_path, "--fdname=tcp:tls:unix", server_bin, "--tls-cert", cert("server.pem"),
       "--tls-key", cert("server.key")},
      "", /*keep_stdin_open=*/true);
  // systemd-socket-activate starts the server at the first connection; it
  // opens the sockets in the order given, so all three listen once `ss`
  // shows the Unix one listening.
  BOOST_REQUIRE_MESSAGE(
      test::wait_until([&] {
        return contains(test::run({"ss", "-xlnH"}).out, " " + unix_path + " ");
      }),
      "no socket listening on " << unix_path << " after 10 s: " << activate.err());
  const auto tcp = client({"--port", tcp_port});
  BOOST_TEST(tcp.exit_code == 0, tcp.err);
  BOOST_TEST(contains(tcp.out, "Hello (server)!"));
  const auto tls = client({"--tls", "--ca", cert("ca.pem"), "--port", tls_port});
  BOOST_TEST(tls.exit_code == 0, tls.err);
  const auto local = client({"--unix", unix_path});
  BOOST_TEST(local.exit_code == 0, local.err);
  using test::transport::output_shows;
  BOOST_TEST(output_shows(activate, "listening on 127.0.0.1:" + tcp_port), activate.out());
  BOOST_TEST(output_shows(activate, "listening on tls://127.0.0.1:" + tls_port));
  BOOST_TEST(output_shows(activate, "listening on unix:" + unix_path));
  activate.send_signal(SIGTERM);
  BOOST_TEST(activate.wait(10s) == 0, activate.err());
  BOOST_TEST(contains(activate.out(), "serving 3 socket(s) passed by systemd"));
}

BOOST_AUTO_TEST_CASE(a_restart_loses_no_connection_attempt_when_the_socket_outlives_the_server) {
  held_socket systemd;  // the .socket unit's socket, held by "systemd" (the test)
  const auto serve = [&] {
    return std::make_unique<server_in_env>(std::vector<std::string>{}, std::vector<std::string>{},
                                           1, activated_by(systemd));
  };
  auto first = serve();
  BOOST_TEST(first->name() == "127.0.0.1:" + systemd.port);
  BOOST_TEST(client({"--port", systemd.port}).exit_code == 0);
  BOOST_TEST(first->terminate() == 0);
  first.reset();
  // No server now: a client connects all the same (the kernel queues it on
  // the socket systemd holds) and is answered once the next one starts.
  child_process waiting({client_bin, "--port", systemd.port, "--message", "during the restart"});
  // Connected (in the queue of the socket systemd holds) before the next
  // server starts: the client's socket is past its handshake (it may have
  // sent its line and half-closed already).
  BOOST_REQUIRE_MESSAGE(test::wait_until([&] {
                          return test::ss_count_held_by(waiting.pid(), "synchronized",
                                                        "dport = :" + systemd.port) == 1;
                        }),
                        "the client did not connect within 10 s: " << waiting.err());
  auto second = serve();
  BOOST_TEST(waiting.wait(10s) == 0, waiting.err());
  BOOST_TEST(contains(waiting.out(), "Received"));
  BOOST_TEST(second->log_shows("during the restart"));
  BOOST_TEST(second->terminate() == 0);
}

BOOST_AUTO_TEST_CASE(the_units_pass_systemd_analyze_verify_and_security) {
  // verify checks that ExecStart exists: a copy of the units with the
  // built server in its place (the package test checks the installed ones).
  const std::string units = path_in_scratch("units");
  std::filesystem::create_directories(units);
  std::string service = read_file(dist + "/asio_server.service");
  service = std::regex_replace(service, std::regex("/usr/bin/asio_server"), server_bin);
  write_file(units + "/asio_server.service", service);
  std::filesystem::copy_file(dist + "/asio_server.socket", units + "/asio_server.socket",
                             std::filesystem::copy_options::overwrite_existing);
  const auto verify = test::run({"systemd-analyze", "verify", "--man=no",
                                 units + "/asio_server.service", units + "/asio_server.socket"});
  BOOST_TEST(verify.exit_code == 0);
  BOOST_TEST(verify.err == "", verify.err);
  const auto security = test::run({"systemd-analyze", "security", "--offline=yes", "--no-pager",
                                   units + "/asio_server.service"});
  std::smatch m;
  const std::regex exposure(R"(Overall exposure level for asio_server.service: ([0-9.]+))");
  BOOST_REQUIRE_MESSAGE(std::regex_search(security.out, m, exposure), security.out + security.err);
  BOOST_TEST_MESSAGE("systemd-analyze security: exposure " << m[1]);
  BOOST_TEST(std::stod(m[1]) <= 2.0, "exposure " << m[1]);
}

BOOST_AUTO_TEST_SUITE_END()
