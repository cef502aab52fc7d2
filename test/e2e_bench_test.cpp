// asio_client --bench against the built server (and against peers of the
// tests' own that answer wrongly, never, or with GOAWAY): results, exit
// codes and JSON. Shares its runner with e2e_test.cpp.
#include <signal.h>

#include <atomic>
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
#include "wait.hpp"

using namespace std::chrono_literals;
using namespace test::e2e;
using test::child_process;
using test::client_bin;
using test::contains;
using test::server_bin;
using test::server_process;

BOOST_AUTO_TEST_SUITE(bench)

namespace {

// Runs asio_client --bench with `args` and returns its JSON result.
boost::json::object bench_json(const server_process& srv, std::vector<std::string> args,
                               int expected_exit = 0) {
  args.insert(args.begin(), {"--bench", "--json", "--warmup", "0"});
  const auto r = client(srv, args);
  BOOST_TEST(r.exit_code == expected_exit, r.err);
  boost::system::error_code ec;
  auto value = boost::json::parse(r.out, ec);
  BOOST_REQUIRE_MESSAGE(!ec && value.is_object(), "not JSON: " << r.out);
  return value.as_object();
}

std::int64_t number(const boost::json::object& o, const char* key) {
  return o.at(key).to_number<std::int64_t>();
}

}  // namespace

BOOST_AUTO_TEST_CASE(pipelined_echo_checks_every_reply_and_reports_json) {
  server_process srv({"--log-level", "warn"});
  const auto r = bench_json(srv, {"-c", "4", "-d", "8", "-s", "100", "-n", "2000"});
  BOOST_TEST(number(r, "errors") == 0);
  BOOST_TEST(number(r, "answered") >= 2000);
  BOOST_TEST(r.at("mode").as_string() == "closed-loop");
  const auto& latency = r.at("latency_us").as_object();
  BOOST_TEST(latency.at("p50").as_double() <= latency.at("p99").as_double());
  BOOST_TEST(latency.at("p99").as_double() <= latency.at("max").as_double());
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(every_request_type_and_mode_runs_without_errors) {
  server_process srv({"--log-level", "warn"});
  const std::vector<std::vector<std::string>> loads{
      {"--type", "message", "-c", "2", "-d", "4", "-n", "500"},
      {"--type", "ping", "-n", "500"},
      {"--rate", "2000", "-c", "2", "-d", "4", "--duration", "0.5"},
      {"--connect-per-request", "-c", "2", "-n", "100"},
  };
  for (const auto& load : loads) {
    BOOST_TEST_CONTEXT(load[0] << " " << load[1]) {
      const auto r = bench_json(srv, load);
      BOOST_TEST(number(r, "errors") == 0);
      BOOST_TEST(number(r, "answered") > 0);
    }
  }
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(raw_mode_drives_an_echo_server_and_verifies_the_bytes) {
  server_process srv({"--mode", "echo", "--log-level", "warn"});
  const auto r = bench_json(srv, {"--raw", "-c", "3", "-d", "5", "-s", "1000", "-n", "3000"});
  BOOST_TEST(number(r, "errors") == 0);
  BOOST_TEST(number(r, "answered") >= 3000);
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(a_server_that_answers_wrongly_is_reported_with_exit_76) {
  server_process srv({"--log-level", "warn"});  // greets plain bytes instead of echoing them
  const auto r = bench_json(srv, {"--raw", "-s", "15", "-n", "10"}, 76);
  BOOST_TEST(number(r, "errors") >= 1);
  BOOST_TEST(r.at("first_error").as_string() == "message 1 came back different");
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(idle_mode_holds_the_connections_it_opened) {
  server_process srv({"--log-level", "warn"});
  const auto r = bench_json(srv, {"--idle", "-c", "300", "--duration", "0.2"});
  BOOST_TEST(number(r, "connections_held") == 300);
  BOOST_TEST(number(r, "errors") == 0);
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(idle_mode_gives_up_on_a_server_that_never_answers) {
  test::scripted_server mute;  // connections complete in its backlog; nothing is ever said
  const auto r = test::run({client_bin, "--port", mute.port_text(), "--bench", "--idle", "-c", "3",
                            "--timeout", "0.5", "--json"},
                           {}, 20s);
  BOOST_TEST(r.exit_code == 74, r.err);
  BOOST_TEST(contains(r.out, "no answer within --timeout"), r.out);
}

BOOST_AUTO_TEST_CASE(idle_mode_stops_on_sigint_while_still_opening) {
  // A server that reads the PING of the first connection it takes, says so,
  // and never answers (the other connections wait in its backlog): the
  // client is still opening its connections when SIGINT comes.
  std::atomic<bool> pinged{false};
  test::scripted_server mute([&pinged](int fd) {
    std::vector<std::byte> ping(proto::header_size);
    if (!test::scripted_server::read_exactly(fd, ping.data(), ping.size())) return;
    pinged = true;
    char sink;
    while (test::scripted_server::read_exactly(fd, &sink, 1)) {
    }  // until the client closes it
  });
  child_process cli({client_bin, "--port", mute.port_text(), "--bench", "--idle", "-c", "3",
                     "--timeout", "60", "--json"});
  // A connection that has sent its PING was opened after the client set up
  // its signal handling: SIGINT is now the client's to handle, not a kill.
  BOOST_REQUIRE_MESSAGE(test::wait_until([&] { return pinged.load(); }),
                        "no PING within 10 s; stderr: " << cli.err());
  cli.send_signal(SIGINT);
  // Stopped by request, not failed: exit 0, and the result, with nothing
  // held and no error.
  const int status = cli.wait(10s);
  BOOST_TEST(status == 0, "exit " << status << "; stderr: " << cli.err());
  boost::system::error_code ec;
  auto value = boost::json::parse(cli.out(), ec);
  BOOST_REQUIRE_MESSAGE(!ec && value.is_object(), "not JSON: " << cli.out());
  const auto& r = value.as_object();
  BOOST_TEST(r.at("mode").as_string() == "idle");
  BOOST_TEST(number(r, "connections") == 3);
  BOOST_TEST(number(r, "connections_held") == 0);
  BOOST_TEST(number(r, "errors") == 0);
  BOOST_TEST(r.at("first_error").as_string() == "");
}

BOOST_AUTO_TEST_CASE(idle_mode_checks_the_answer_to_its_ping) {
  test::scripted_server wrong([](int fd) {
    std::vector<std::byte> ping(proto::header_size);
    if (!test::scripted_server::read_exactly(fd, ping.data(), ping.size())) return;
    std::vector<std::byte> reply;
    proto::append_frame(reply, static_cast<proto::frame_type>(0x85), 1, proto::bytes_view{});
    test::scripted_server::write_all(fd, reply.data(), reply.size());
  });
  const auto r = test::run(
      {client_bin, "--port", wrong.port_text(), "--bench", "--idle", "-c", "1", "--json"}, {}, 20s);
  BOOST_TEST(r.exit_code == 76, r.err);
  BOOST_TEST(contains(r.out, "the answer to its PING was UNKNOWN for request 1"), r.out);
}

BOOST_AUTO_TEST_CASE(a_draining_server_behind_a_balancer_is_goaway_exit_75) {
  // GOAWAY carries id 0: it is the server going away, not a stray reply.
  test::scripted_server draining([](int fd) {
    std::vector<std::byte> request(proto::header_size + 64);
    if (!test::scripted_server::read_exactly(fd, request.data(), request.size())) return;
    std::vector<std::byte> goaway;
    proto::append_goaway(goaway, 0);
    test::scripted_server::write_all(fd, goaway.data(), goaway.size());
    ::shutdown(fd, SHUT_WR);
    char sink[4096];
    while (test::scripted_server::read_exactly(fd, sink, 1)) {
    }
  });
  const auto r = test::run({client_bin, "--port", draining.port_text(), "--bench", "-n", "10",
                            "--warmup", "0", "--json"},
                           {}, 20s);
  BOOST_TEST(r.exit_code == 75, r.err);
  BOOST_TEST(contains(r.out, "the server is shutting down (GOAWAY)"), r.out);
}

BOOST_AUTO_TEST_CASE(bench_options_need_bench) {
  const auto r = test::run({client_bin, "--depth", "4"});
  BOOST_TEST(r.exit_code == 64);
  BOOST_TEST(r.err.rfind("asio_client: --depth needs --bench\n", 0) == 0u, r.err);
}

BOOST_AUTO_TEST_SUITE_END()
