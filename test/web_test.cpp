// The web side of --http: /metrics counted exactly and checked by promtool,
// /stats, and the protocol over a WebSocket at /ws (its answers, its bad
// input and its drain), spoken by a small WebSocket client written here
// over a plain socket, so that every byte the server is sent is the test's.
#include <signal.h>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <optional>
#include <random>
#include <regex>
#include <string>

#include "blocking_peer.hpp"
#include "service_support.hpp"
#include "wait.hpp"
#include "ws_client.hpp"

using namespace test::service;
using test::contains;
using test::ws_client;
using test::transport::frame_bytes;
using test::transport::server;

namespace {

std::uint16_t port_of(const std::string& name) {
  return static_cast<std::uint16_t>(std::stoi(name.substr(name.rfind(':') + 1)));
}

std::string get(std::uint16_t port, const std::string& path, const std::string& extra = {}) {
  test::blocking_peer peer(port);
  peer.send("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n" +
            extra + "Connection: close\r\n\r\n");
  std::string answer;
  try {
    for (std::string chunk; !(chunk = peer.read_some()).empty();) answer += chunk;
  } catch (const std::exception&) {
  }
  return answer;
}

std::string body_of(const std::string& answer) {
  return answer.substr(answer.find("\r\n\r\n") + 4);
}
std::string status_line(const std::string& answer) { return answer.substr(0, answer.find("\r\n")); }

// The value of one sample in Prometheus text, e.g. `name{labels}`; -1 when
// there is none.
double sample(const std::string& text, const std::string& series) {
  const auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

// A TCP listener and --http, with `more` options: the web tests' server.
std::vector<std::string> web_args(std::vector<std::string> more = {}) {
  std::vector<std::string> args{"--listen", "tcp://127.0.0.1:0", "--http", "127.0.0.1:0"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// Whether a new WebSocket peer is answered: the server went on.
bool a_new_websocket_is_served(std::uint16_t http) {
  ws_client fresh(http);
  fresh.send_frame(proto::frame_type::ping, 1);
  return fresh.read_frame().type == static_cast<std::uint8_t>(proto::frame_type::pong);
}

bool promtool_accepts(const std::string& text, std::string& findings) {
  const auto file = path_in_scratch("metrics.txt");
  write_file(file, text);
  const auto r = test::run({"/bin/sh", "-c", "promtool check metrics < " + file});
  findings = r.out + r.err;
  return r.exit_code == 0 && findings.empty();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(web)

BOOST_AUTO_TEST_CASE(metrics_count_a_known_mix_of_requests_exactly_and_pass_promtool) {
  server srv({"--listen", "tcp://127.0.0.1:0", "--http", "127.0.0.1:0", "--max-connections", "3"},
             2);
  const auto protocol = port_of(srv.name(0));
  const auto http = port_of(srv.name(1));
  {
    // One framed peer: 3 HELLO, 5 MESSAGE, 2 ECHO, 4 PING and a type the
    // server does not serve (ERROR 3), answered in one pipelined read.
    test::blocking_peer framed(protocol);
    std::string all;
    std::uint32_t id = 0;
    for (int i = 0; i < 3; ++i) all += frame_bytes(proto::frame_type::hello, ++id, "hi");
    for (int i = 0; i < 5; ++i) all += frame_bytes(proto::frame_type::message, ++id, "m");
    for (int i = 0; i < 2; ++i) all += frame_bytes(proto::frame_type::echo, ++id, "e");
    for (int i = 0; i < 4; ++i) all += frame_bytes(proto::frame_type::ping, ++id, "");
    framed.send(all);
    framed.send_header(0x09, ++id, 0);
    for (std::uint32_t i = 1; i <= id; ++i) BOOST_REQUIRE(framed.read_frame());
    // A plain-bytes peer: two messages, answered one at a time.
    test::blocking_peer raw(protocol);
    raw.send("hello\n");
    BOOST_TEST(raw.read_some() == "Hello (server)!");
    raw.send("again\n");
    BOOST_TEST(raw.read_some() == "Received");
    // A third connection fills --max-connections 3; a fourth is refused.
    test::blocking_peer broken(protocol);
    test::blocking_peer refused(protocol);
    const auto busy = refused.read_frame();
    BOOST_REQUIRE(busy);
    BOOST_TEST(busy->type == static_cast<std::uint8_t>(proto::frame_type::error));
    // A frame with a bad version: ERROR 1, and that connection closes.
    broken.send(std::string("\xA5\x07\x01\x00\x00\x00\x00\x01\x00\x00\x00\x00", 12));
    const auto malformed = broken.read_frame();
    BOOST_REQUIRE(malformed);
    BOOST_TEST(malformed->type == static_cast<std::uint8_t>(proto::frame_type::error));
  }
  {
    // Over a WebSocket: 1 HELLO and 2 MESSAGE, counted like the others.
    ws_client ws(http);
    BOOST_REQUIRE(ws.upgraded());
    ws.send_frame(proto::frame_type::hello, 1, "browser");
    BOOST_TEST(ws.read_frame().payload == "Hello (server)!");
    ws.send_frame(proto::frame_type::message, 2, "one");
    BOOST_TEST(ws.read_frame().payload == "Received");
    ws.send_frame(proto::frame_type::message, 3, "two");
    BOOST_TEST(ws.read_frame().payload == "Received");
  }
  // The counts are per worker and summed at the scrape; the connections
  // just closed may still be closing on their worker, so wait for them.
  std::string text;
  BOOST_TEST(test::wait_until(
                 [&] {
                   text = body_of(get(http, "/metrics"));
                   return sample(text, "asio_server_connections_open{transport=\"tcp\"}") == 0.0 &&
                          sample(text, "asio_server_connections_open{transport=\"websocket\"}") ==
                              0.0;
                 },
                 10s, 50ms),
             "connections still open after 10 s");
  BOOST_TEST_MESSAGE(text);
  const auto requests = [&](const char* type) {
    return sample(text, std::string("asio_server_requests_total{type=\"") + type + "\"}");
  };
  BOOST_TEST(requests("hello") == 3.0 + 1);
  BOOST_TEST(requests("message") == 5.0 + 2);
  BOOST_TEST(requests("echo") == 2.0);
  BOOST_TEST(requests("ping") == 4.0);
  BOOST_TEST(requests("unknown") == 1.0);
  BOOST_TEST(requests("raw") == 2.0);
  BOOST_TEST(requests("echo_mode") == 0.0);
  BOOST_TEST(sample(text, "asio_server_errors_total{code=\"1\",reason=\"malformed_frame\"}") ==
             1.0);
  BOOST_TEST(sample(text, "asio_server_errors_total{code=\"3\",reason=\"unknown_type\"}") == 1.0);
  BOOST_TEST(sample(text, "asio_server_errors_total{code=\"2\",reason=\"frame_too_large\"}") ==
             0.0);
  BOOST_TEST(sample(text, "asio_server_errors_total{code=\"4\",reason=\"server_busy\"}") == 1.0);
  BOOST_TEST(sample(text, "asio_server_connections_refused_total{reason=\"max_connections\"}") ==
             1.0);
  BOOST_TEST(sample(text, "asio_server_connections_total{transport=\"tcp\"}") == 3.0);
  BOOST_TEST(sample(text, "asio_server_connections_total{transport=\"websocket\"}") == 1.0);
  // Every answered request is in the histogram once.
  BOOST_TEST(sample(text, "asio_server_request_duration_seconds_count") ==
             3.0 + 5 + 2 + 4 + 1 + 2 + 3);
  BOOST_TEST(sample(text, "asio_server_request_duration_seconds_bucket{le=\"+Inf\"}") == 20.0);
  BOOST_TEST(sample(text, "asio_server_draining") == 0.0);
  BOOST_TEST(sample(text, "asio_server_build_info{version=\"" ASIO_SERVER_VERSION
                          "\",protocol=\"1\",boost=\"1.81\"}") == 1.0);
  BOOST_TEST(sample(text, "process_resident_memory_bytes") > 1e6);
  BOOST_TEST(sample(text, "process_open_fds") > 3.0);
  BOOST_TEST(sample(text, "process_start_time_seconds") > 1.7e9);
  BOOST_TEST(sample(text, "process_cpu_seconds_total") >= 0.0);
  std::string findings;
  BOOST_TEST(promtool_accepts(text, findings), "promtool check metrics: " << findings);

  // /stats: the same figures, for the page.
  const auto stats = boost::json::parse(body_of(get(http, "/stats"))).as_object();
  BOOST_TEST(stats.at("requests_total").to_number<double>() == 20.0);
  BOOST_TEST(stats.at("errors_total").to_number<double>() == 3.0);
  BOOST_TEST(stats.at("draining").as_bool() == false);
  BOOST_TEST(stats.at("connections_open").as_object().at("http").to_number<double>() == 1.0);
  BOOST_TEST(stats.at("latency_seconds").as_object().at("p99").is_double());
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(a_websocket_speaks_the_protocol_one_frame_per_message) {
  server srv({"--listen", "tcp://127.0.0.1:0", "--http", "127.0.0.1:0"}, 2);
  const auto http = port_of(srv.name(1));
  // The page's own origin may; a browser on another site may not.
  ws_client ws(http, "http://127.0.0.1:" + std::to_string(http));
  BOOST_REQUIRE(ws.upgraded());
  ws.send_frame(proto::frame_type::hello, 1, "hi");
  const auto hello = ws.read_frame();
  BOOST_TEST(hello.type == static_cast<std::uint8_t>(proto::frame_type::hello_reply));
  BOOST_TEST(hello.id == 1u);
  BOOST_TEST(hello.payload == "Hello (server)!");
  // Two frames in one message: two replies, each a message of its own.
  ws.send(frame_bytes(proto::frame_type::ping, 2, "") +
          frame_bytes(proto::frame_type::echo, 3, "x"));
  BOOST_TEST(ws.read_frame().id == 2u);
  const auto echo = ws.read_frame();
  BOOST_TEST(echo.id == 3u);
  BOOST_TEST(echo.payload == "x");
  // A type the server does not serve: ERROR 3, and the connection goes on.
  ws.send(frame_bytes(static_cast<proto::frame_type>(0x09), 4, ""));
  BOOST_TEST(ws.read_frame().type == static_cast<std::uint8_t>(proto::frame_type::error));
  ws.send_frame(proto::frame_type::message, 5, "<img src=x onerror=alert(1)>");
  BOOST_TEST(ws.read_frame().payload == "Received");

  // A plain-bytes peer over a text message, as the lecture's client.
  ws_client plain(http);
  plain.send("hello", ws_client::text);
  const auto greeting = plain.read();
  BOOST_REQUIRE(greeting);
  BOOST_TEST(greeting->op == ws_client::text);
  BOOST_TEST(greeting->data == "Hello (server)!");

  ws_client foreign(http, "http://evil.example");
  BOOST_TEST(status_line(foreign.response()) == "HTTP/1.1 403 Forbidden");
  BOOST_TEST(status_line(get(http, "/ws")) == "HTTP/1.1 426 Upgrade Required");
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(bad_websocket_input_gets_its_close_code_and_the_server_goes_on) {
  server srv(web_args({"--max-frame", "1024"}), 2);
  const auto http = port_of(srv.name(1));
  {
    // A message over --max-frame (plus the header): closed with 1009.
    ws_client big(http);
    BOOST_REQUIRE(big.upgraded());
    big.send(frame_bytes(proto::frame_type::echo, 1, std::string(2000, 'x')));
    const auto m = big.read();
    BOOST_REQUIRE(m);
    BOOST_TEST(m->op == ws_client::close);
    BOOST_TEST(m->close_code() == 1009);
  }
  {
    // Half a frame in a message: the message is not a frame, closed 1007.
    ws_client half(http);
    half.send(frame_bytes(proto::frame_type::echo, 1, "abcdef").substr(0, 15));
    const auto m = half.read();
    BOOST_REQUIRE(m);
    BOOST_TEST(m->op == ws_client::close);
    BOOST_TEST(m->close_code() == 1007);
  }
  {
    // A frame header over the limit inside the message: ERROR 2, then 1008.
    ws_client bad(http);
    bad.send(std::string("\xA5\x01\x03\x00\x00\x00\x00\x01\x00\x10\x00\x00", 12));
    const auto error = bad.read_frame();
    BOOST_TEST(error.type == static_cast<std::uint8_t>(proto::frame_type::error));
    const auto m = bad.read();
    BOOST_REQUIRE(m);
    BOOST_TEST(m->close_code() == 1008);
  }
  BOOST_TEST(a_new_websocket_is_served(http));
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(websocket_messages_are_held_within_the_memory_budget) {
  // 1 MiB for all buffered bytes: one peer holding 700 KiB of a message
  // that never ends leaves no room for a second one's, which is closed
  // with 1013 (try again later).
  server srv(
      {"--listen", "tcp://127.0.0.1:0", "--http", "127.0.0.1:0", "--max-buffered-bytes", "1048576"},
      2);
  const auto http = port_of(srv.name(1));
  const std::string header = frame_bytes(proto::frame_type::echo, 1, "").substr(0, 8) +
                             std::string("\x00\x0f\x00\x00", 4);  // a 960 KiB payload
  const std::size_t message_size = proto::header_size + 960 * 1024;
  ws_client first(http);
  first.send(header + std::string(700 * 1024, 'a'), ws_client::binary, message_size);
  // The server holds the first's 700 KiB before the second comes: all of
  // it has left the first's socket (Send-Q 0) and the server has read it
  // (Recv-Q 0 on its side).
  const auto first_port = std::to_string(test::local_port(first.fd()));
  const auto http_port = std::to_string(http);
  BOOST_TEST(
      test::wait_until([&] {
        const auto ours =
            test::ss_queues("( sport = :" + first_port + " and dport = :" + http_port + " )");
        const auto its =
            test::ss_queues("( sport = :" + http_port + " and dport = :" + first_port + " )");
        return ours && its && ours->send_q == 0 && its->recv_q == 0;
      }),
      "the first's bytes were not all read within 10 s");
  ws_client second(http);
  second.send(header + std::string(700 * 1024, 'b'), ws_client::binary, message_size);
  const auto m = second.read();
  BOOST_REQUIRE(m);
  BOOST_TEST(m->op == ws_client::close);
  BOOST_TEST(m->close_code() == 1013);
  // A WebSocket is served by the same session as a TCP peer, under the same
  // budget: while it is used up, every connection holding more than a few
  // KiB stops being read and, after the grace second, is refused. The first
  // holds 700 KiB, so it may be refused too (counted, closed with 1013).
  const auto metrics = body_of(get(http, "/metrics"));
  const double refused =
      sample(metrics, "asio_server_connections_refused_total{reason=\"memory_budget\"}");
  BOOST_TEST(refused >= 1.0);
  BOOST_TEST(refused <= 2.0);
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(a_websocket_peer_that_does_not_read_is_closed_at_the_write_timeout) {
  server srv({"--listen", "tcp://127.0.0.1:0", "--http", "127.0.0.1:0", "--write-timeout", "1"}, 2);
  const auto http = port_of(srv.name(1));
  ws_client ws(http);
  BOOST_REQUIRE(ws.upgraded());
  // ECHOes of 960 KiB, never read back: the server's replies fill the
  // kernel's buffers, then wait for a reader that does not come. Its close
  // ends the sends (or they all go, and the last replies stay unsent).
  const std::string echo = frame_bytes(proto::frame_type::echo, 1, std::string(960 * 1024, 'e'));
  try {
    for (int i = 0; i < 16; ++i) ws.send(echo);
  } catch (const std::exception&) {  // closed by the server: what is tested
  }
  BOOST_TEST(srv.log_shows("(--write-timeout), closing"));
  BOOST_TEST(a_new_websocket_is_served(http));
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(a_websocket_message_left_unfinished_is_closed_at_the_frame_timeout) {
  // As a TCP peer that parks most of a frame: the connection is closed and
  // what it held goes back to the budget.
  server srv(web_args({"--frame-timeout", "1"}), 2);
  const auto http = port_of(srv.name(1));
  ws_client parked(http);
  parked.send(std::string(100 * 1024, 'p'), ws_client::binary, 900 * 1024);  // of 900 KiB
  // The same goodbye as a TCP peer's: a close frame (1001, going away) and
  // the end of the connection, at the frame timeout.
  const auto m = parked.read();
  BOOST_REQUIRE(m);
  BOOST_TEST(m->op == ws_client::close);
  BOOST_TEST(m->close_code() == 1001);
  BOOST_TEST(srv.log_shows("(--frame-timeout; 102400 bytes received), closing"));
  BOOST_TEST(a_new_websocket_is_served(http));
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(a_quiet_websocket_gets_goaway_and_1001_at_the_idle_timeout) {
  // The session's idle clock, as for a TCP peer: GOAWAY naming the last
  // request answered, then the close.
  server srv(web_args({"--idle-timeout", "1"}), 2);
  ws_client ws(port_of(srv.name(1)));
  ws.send_frame(proto::frame_type::hello, 7, "hi");
  BOOST_TEST(ws.read_frame().id == 7u);
  const auto goaway = ws.read_frame();
  BOOST_TEST(goaway.type == static_cast<std::uint8_t>(proto::frame_type::goaway));
  BOOST_TEST(proto::parse_goaway(proto::as_bytes(goaway.payload)).value_or(0) == 7u);
  const auto m = ws.read();
  BOOST_REQUIRE(m);
  BOOST_TEST(m->close_code() == 1001);
  BOOST_TEST(srv.log_shows("(--idle-timeout), closing"));
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(websockets_are_held_to_max_connections_with_the_protocols) {
  server srv(web_args({"--max-connections", "1"}), 2);
  const auto http = port_of(srv.name(1));
  ws_client first(http);
  BOOST_REQUIRE(first.upgraded());
  first.send_frame(proto::frame_type::ping, 1, "");
  BOOST_TEST(first.read_frame().id == 1u);
  ws_client second(http);
  BOOST_TEST(status_line(second.response()) == "HTTP/1.1 503 Service Unavailable");
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(a_drain_says_goaway_and_closes_websockets_with_1001) {
  // Nothing else holds the drain, so the process goes straight to its exit:
  // the goodbye must still be said whole (found by a review: the exit cut
  // it short about half the time). Five rounds.
  for (int round = 0; round < 5; ++round) {
    server srv({"--listen", "tcp://127.0.0.1:0", "--http", "127.0.0.1:0"}, 2);
    const auto http = port_of(srv.name(1));
    ws_client ws(http);
    for (std::uint32_t id = 1; id <= 3; ++id) {
      ws.send_frame(proto::frame_type::message, id, "m");
      BOOST_TEST(ws.read_frame().id == id);
    }
    srv.process().send_signal(SIGTERM);
    const auto goaway = ws.read_frame();
    BOOST_TEST(goaway.type == static_cast<std::uint8_t>(proto::frame_type::goaway));
    BOOST_TEST(proto::parse_goaway(proto::as_bytes(goaway.payload)).value_or(0) == 3u);
    const auto m = ws.read();
    BOOST_REQUIRE(m);
    BOOST_TEST(m->op == ws_client::close);
    BOOST_TEST(m->close_code() == 1001);
    BOOST_TEST(srv.exit_status() == 0);
  }
}

BOOST_AUTO_TEST_CASE(no_new_websocket_during_a_drain_while_the_health_endpoints_answer) {
  server srv({"--listen", "tcp://127.0.0.1:0", "--http", "127.0.0.1:0", "--drain-timeout", "2"}, 2);
  const auto protocol = port_of(srv.name(0));
  const auto http = port_of(srv.name(1));
  test::blocking_peer holding(protocol);  // holds the drain open
  holding.send("hello\n");
  BOOST_TEST(holding.read_some() == "Hello (server)!");
  srv.process().send_signal(SIGTERM);
  BOOST_TEST(srv.log_shows("SIGTERM: shutting down"));
  ws_client late(http);
  BOOST_TEST(status_line(late.response()) == "HTTP/1.1 503 Service Unavailable");
  BOOST_TEST(status_line(get(http, "/healthz")) == "HTTP/1.1 200 OK");
  BOOST_TEST(srv.exit_status() == 0);
}

BOOST_AUTO_TEST_CASE(the_shipped_scrape_config_passes_promtool_check_config) {
  const auto r = test::run({"promtool", "check", "config", DIST_DIR "/prometheus.yml"});
  BOOST_TEST(r.exit_code == 0, r.out << r.err);
  BOOST_TEST(contains(r.out, "SUCCESS"));
}

BOOST_AUTO_TEST_SUITE_END()
