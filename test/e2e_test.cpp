// The built programs as a user runs them: asio_server started as a process
// on a free port, asio_client run against it, signals, exit codes and what
// each prints.
#define BOOST_TEST_MODULE e2e_tests
#include <signal.h>

#include <algorithm>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "blocking_peer.hpp"
#include "child_process.hpp"
#include "e2e_support.hpp"
#include "scripted_peer.hpp"
#include "server_process.hpp"

using namespace std::chrono_literals;
using test::child_process;

using namespace test::e2e;
using test::client_bin;
using test::contains;
using test::server_bin;
using test::server_process;

BOOST_AUTO_TEST_SUITE(lecture_exchange)

BOOST_AUTO_TEST_CASE(client_prints_message_sent_then_the_greeting_and_the_server_logs_it) {
  server_process srv;
  const auto r = client(srv, {});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.out == "Message sent (client)\nHello (server)!\n");
  BOOST_TEST(srv.log_shows("Hello (client)"));
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(messages_are_acknowledged_and_logged_as_the_lecture_server_does) {
  server_process srv;
  const auto r = client(srv, {"--message", "first", "--message", "second"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.out ==
             "Message sent (client)\nHello (server)!\nReceived (message 1: first)\n"
             "Received (message 2: second)\n");
  BOOST_TEST(srv.log_shows("(server) Received: first"));
  BOOST_TEST(srv.log_shows("(server) Received: second"));
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(stdin_mode_sends_each_line_and_exits_0_after_the_last_ack) {
  server_process srv({"--log-level", "warn"});
  std::string input, expected = "Message sent (client)\nHello (server)!\n";
  for (int i = 1; i <= 100; ++i) {
    input += "line " + std::to_string(i) + "\n";
    expected += "Received (message " + std::to_string(i) + ": line " + std::to_string(i) + ")\n";
  }
  const auto r = client(srv, {"--stdin"}, input);
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.out == expected);
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(stdin_mode_leaves_the_callers_standard_input_blocking) {
  // O_NONBLOCK belongs to the open file description, which the shell's next
  // reader of the same pipe shares: the client must not leave it set.
  server_process srv({"--log-level", "warn"});
  const auto r = test::run({"/bin/sh", "-c",
                            client_bin + " --port " + srv.port_text() +
                                " --stdin >/dev/null && grep '^flags:' /proc/self/fdinfo/0"},
                           "one\ntwo\n");
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_REQUIRE(r.out.rfind("flags:", 0) == 0u);
  const long flags = std::stol(r.out.substr(r.out.find_first_of("0123456789")), nullptr, 8);
  BOOST_TEST((flags & 04000) == 0, "O_NONBLOCK is still set: flags " << r.out);
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(raw_mode_speaks_plain_bytes_like_the_lecture_client) {
  server_process srv;
  const auto r = client(srv, {"--raw", "--message", "more"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.out == "Message sent (client)\nHello (server)!\nReceived\n");
  BOOST_TEST(srv.log_shows("Hello (client)"));
  BOOST_TEST(srv.log_shows("(server) Received: more"));
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(a_host_name_resolves) {
  server_process srv;
  const auto r = test::run({client_bin, "--host", "localhost", "--port", srv.port_text()});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.out == "Message sent (client)\nHello (server)!\n");
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(an_ipv6_literal_reaches_a_server_on_the_default_dual_stack_address) {
  child_process srv({server_bin, "--port", "0"}, {}, true);
  const auto line = srv.read_line(10s);
  BOOST_REQUIRE(line.has_value());
  BOOST_TEST_MESSAGE("server said: " << *line);
  const std::string port = line->substr(line->rfind(':') + 1);
  if (line->rfind("listening on [::]:", 0) != 0) {
    BOOST_TEST_MESSAGE("no IPv6 on this machine: skipped");
    return;
  }
  for (const char* host : {"::1", "[::1]", "127.0.0.1"}) {
    const auto r = test::run({client_bin, "--host", host, "--port", port});
    BOOST_TEST(r.exit_code == 0, host << ": " << r.err);
    BOOST_TEST(r.out == "Message sent (client)\nHello (server)!\n");
  }
  srv.send_signal(SIGINT);
  BOOST_TEST(srv.wait(10s) == 0);
}

BOOST_AUTO_TEST_CASE(many_threads_serve_many_clients) {
  server_process srv({"--threads", "4", "--log-level", "warn"});
  std::vector<std::unique_ptr<child_process>> clients;
  for (int i = 0; i < 8; ++i) {
    std::string input;
    for (int m = 0; m < 200; ++m) input += "client " + std::to_string(i) + "\n";
    clients.push_back(std::make_unique<child_process>(
        std::vector<std::string>{client_bin, "--port", srv.port_text(), "--stdin"}, input));
  }
  for (auto& c : clients) {
    BOOST_TEST(c->wait(30s) == 0, c->err());
    BOOST_TEST(c->out().size() > 200u * sizeof("Received"));
  }
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(shutting_down)

BOOST_AUTO_TEST_CASE(sigterm_and_sigint_exit_0_with_a_summary) {
  for (int signo : {SIGTERM, SIGINT}) {
    server_process srv;
    BOOST_TEST(client(srv, {"--message", "x"}).exit_code == 0);
    BOOST_TEST(srv.terminate(signo) == 0);
    BOOST_TEST(contains(srv.process().out(), "shutting down"));
    BOOST_TEST(contains(srv.process().out(), "1 connection(s) served, 2 request(s) answered"));
  }
}

BOOST_AUTO_TEST_CASE(sighup_reloads_and_the_server_goes_on) {
  // A terminal hang-up must not kill the server: it reads its options again.
  server_process srv;
  srv.process().send_signal(SIGHUP);
  BOOST_TEST(srv.log_shows("SIGHUP: configuration reloaded"));
  const auto r = client(srv, {"--message", "after the hang-up"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(a_waiting_stdin_client_gets_goaway_and_exits_0_with_nothing_unanswered) {
  server_process srv;
  child_process cli({client_bin, "--port", srv.port_text(), "--stdin"}, "before\n",
                    /*keep_stdin_open=*/true);
  BOOST_TEST(cli.read_line(10s).value_or("(none)") == "Message sent (client)");
  BOOST_TEST(cli.read_line(10s).value_or("(none)") == "Hello (server)!");
  BOOST_TEST(cli.read_line(10s).value_or("(none)") == "Received (message 1: before)");
  BOOST_TEST(srv.terminate() == 0);
  BOOST_TEST(cli.wait(10s) == 0, cli.err());
  BOOST_TEST(contains(cli.err(), "the server is shutting down (GOAWAY after request 2)"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(command_lines)

BOOST_AUTO_TEST_CASE(help_explains_every_option_and_exits_0) {
  const auto s = test::run({server_bin, "--help"});
  BOOST_TEST(s.exit_code == 0);
  for (const char* option : {"--port",
                             "--bind",
                             "--threads",
                             "--max-frame",
                             "--idle-timeout",
                             "--drain-timeout",
                             "--mode",
                             "--greeting",
                             "--log-level",
                             "--version",
                             "--max-connections",
                             "--handshake-timeout",
                             "--write-timeout",
                             "--frame-timeout",
                             "--max-buffered-bytes",
                             "--listen",
                             "--tls-cert",
                             "--tls-key",
                             "--tls-client-ca",
                             "--tls-min-version",
                             "--unix-mode",
                             "--backlog",
                             "--reuse-port",
                             "--keepalive",
                             "--config",
                             "--http",
                             "--check-config",
                             "--daemon",
                             "--pid-file",
                             "--log-file",
                             "--log-target",
                             "--log-format",
                             "SIGHUP",
                             "SIGUSR1",
                             "Exit status"}) {
    BOOST_TEST(contains(s.out, option), "server --help lacks " << option);
  }
  const auto c = test::run({client_bin, "--help"});
  BOOST_TEST(c.exit_code == 0);
  for (const char* option : {"--host",
                             "--port",
                             "--message",
                             "--stdin",
                             "--raw",
                             "--greeting",
                             "--timeout",
                             "--max-in-flight",
                             "--version",
                             "--bench",
                             "--connections",
                             "--depth",
                             "--size",
                             "--type",
                             "--duration",
                             "--requests",
                             "--warmup",
                             "--rate",
                             "--connect-per-request",
                             "--idle",
                             "--json",
                             "--unix",
                             "--tls",
                             "--ca",
                             "--cert",
                             "--key",
                             "Exit status"}) {
    BOOST_TEST(contains(c.out, option), "client --help lacks " << option);
  }
}

BOOST_AUTO_TEST_CASE(version_names_the_program_and_the_protocol) {
  const auto s = test::run({server_bin, "--version"});
  BOOST_TEST(s.exit_code == 0);
  BOOST_TEST(s.out.rfind("asio_server ", 0) == 0u);
  BOOST_TEST(contains(s.out, "protocol version 1"));
  const auto c = test::run({client_bin, "--version"});
  BOOST_TEST(c.exit_code == 0);
  BOOST_TEST(c.out.rfind("asio_client ", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(bad_command_lines_give_one_reason_and_a_hint_and_exit_64) {
  const std::vector<std::vector<std::string>> cases{
      {server_bin, "--port", "70000"},
      {server_bin, "--port", "eighty"},
      {server_bin, "--threads", "0"},
      {server_bin, "--log-level", "loud"},
      {server_bin, "--no-such-option"},
      {server_bin, "--idle-timeout", "-1"},
      {client_bin, "--port", "0"},
      {client_bin, "--timeout", "0"},
      {client_bin, "--no-such-option"},
      {client_bin, "--host", ""},
      {client_bin, "--max-in-flight", "0"},
      // Out of range, though they parse: no overflow, no wrap-around.
      {server_bin, "--idle-timeout", "1e10"},
      {server_bin, "--idle-timeout", "inf"},
      {server_bin, "--handshake-timeout", "nan"},
      {server_bin, "--max-frame", "-1"},
      {server_bin, "--threads", "-1"},
      {server_bin, "--max-connections", "0"},
      {server_bin, "--max-buffered-bytes", "10"},
      {server_bin, "--max-frame", "512M"},
      {server_bin, "--frame-timeout", "0"},
      {server_bin, "--write-timeout", "5 s"},
      {client_bin, "--timeout", "1e10"},
      {client_bin, "--port", "-1"},
      {client_bin, "--bench", "--connections", "-1"},
      {client_bin, "--bench", "--rate", "inf"},
      {client_bin, "--bench", "--size", "2M"},
      {client_bin, "--bench", "--duration", "-1"},
  };
  for (const auto& argv : cases) {
    const auto r = test::run(argv);
    const std::string name = argv[0].substr(argv[0].rfind('/') + 1);
    BOOST_TEST_CONTEXT(name << " " << argv[1]) {
      BOOST_TEST(r.exit_code == 64);
      BOOST_TEST(r.out.empty());
      // Exactly two lines: the reason, then where to find help.
      BOOST_TEST(r.err.rfind(name + ": ", 0) == 0u, r.err);
      BOOST_TEST(contains(r.err, "\nTry '" + name + " --help' for more information.\n"), r.err);
      BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 2);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_client_that_cannot_connect_says_why_and_exits_69) {
  const int port = closed_port();
  const auto r = test::run({client_bin, "--host", "127.0.0.1", "--port", std::to_string(port)});
  BOOST_TEST(r.exit_code == 69);
  BOOST_TEST(r.err == "asio_client: cannot connect to 127.0.0.1:" + std::to_string(port) +
                          ": Connection refused\n");
}

BOOST_AUTO_TEST_CASE(a_port_in_use_is_a_clear_listen_error_exit_69) {
  server_process first;
  const auto r = test::run({server_bin, "--bind", "127.0.0.1", "--port", first.port_text()});
  BOOST_TEST(r.exit_code == 69);
  BOOST_TEST(r.err == "asio_server: cannot listen on 127.0.0.1:" + first.port_text() +
                          ": Address already in use\n");
  BOOST_TEST(first.terminate() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
