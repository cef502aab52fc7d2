// The transports, tried with the tools a user would use: TLS against
// `openssl s_client` and certificates made by the `openssl` command, Unix
// sockets against `socat`, the socket options as `ss` shows them, and
// asio_client in every mode over each. Needs openssl, socat and ss
// (scripts/setup.sh installs them); CTest label `tools`.
#define BOOST_TEST_MODULE transport_tests
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "blocking_peer.hpp"
#include "child_process.hpp"
#include "frame_codec.hpp"
#include "server_process.hpp"

using namespace std::chrono_literals;
using test::child_process;
using test::client_bin;
using test::contains;
using test::server_bin;
namespace fs = std::filesystem;

namespace {

// A folder of its own for each run: certificates and socket files.
struct scratch_dir {
  scratch_dir() {
    char name[] = "/tmp/asio-transport-XXXXXX";
    BOOST_REQUIRE(::mkdtemp(name) != nullptr);
    path = name;
    const auto r = test::run({"/bin/bash", MAKE_CERTS_SCRIPT, path + "/certs"}, {}, 60s);
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "make_certs.sh: " << r.err);
  }
  ~scratch_dir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  std::string path;
};

const scratch_dir& scratch() {
  static scratch_dir d;
  return d;
}
std::string cert(const std::string& file) { return scratch().path + "/certs/" + file; }
std::string socket_path(const std::string& name) { return scratch().path + "/" + name; }

// asio_server with the listeners given; reads back one "listening on" line
// per listener.
class server {
 public:
  explicit server(std::vector<std::string> args, int listeners = 1) {
    std::vector<std::string> argv{server_bin};
    argv.insert(argv.end(), args.begin(), args.end());
    child_.emplace(std::move(argv), std::string{}, /*keep_stdin_open=*/true);
    // The log shares standard output, and what it says while the listeners
    // open may come before their lines or after.
    while (names_.size() < static_cast<std::size_t>(listeners)) {
      const auto line = child_->read_line(10s);
      BOOST_REQUIRE_MESSAGE(line.has_value(), "no 'listening on' line; stderr: " << child_->err());
      if (line->rfind("listening on ", 0) == 0) {
        names_.push_back(line->substr(13));
      } else {
        early_log_ += *line + "\n";
      }
    }
  }

  // "127.0.0.1:PORT", "tls://127.0.0.1:PORT", "unix:PATH".
  const std::string& name(std::size_t i = 0) const { return names_.at(i); }
  std::string port(std::size_t i = 0) const { return name(i).substr(name(i).rfind(':') + 1); }
  child_process& process() { return *child_; }

  bool log_shows(const std::string& text) {
    if (contains(early_log_, text)) return true;
    while (auto line = child_->read_line(10s)) {
      if (contains(*line, text)) return true;
    }
    return false;
  }
  int terminate() {
    child_->send_signal(SIGTERM);
    return child_->wait(10s);
  }

 private:
  std::optional<child_process> child_;
  std::vector<std::string> names_;
  std::string early_log_;
};

std::vector<std::string> tls_args(const std::string& cert_name = "server") {
  return {"--listen",  "tls://127.0.0.1:0",     "--tls-cert", cert(cert_name + ".pem"),
          "--tls-key", cert(cert_name + ".key")};
}

test::run_result client(std::vector<std::string> args, std::string input = {}) {
  std::vector<std::string> argv{client_bin};
  argv.insert(argv.end(), args.begin(), args.end());
  return test::run(std::move(argv), std::move(input), 60s);
}

std::vector<std::string> tls_client(const server& srv, std::vector<std::string> more = {}) {
  std::vector<std::string> args{"--tls", "--ca", cert("ca.pem"), "--port", srv.port()};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// Pumps the child's output until it contains `text` (10 s at most).
bool output_shows(child_process& c, const std::string& text) {
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (!contains(c.out(), text) && std::chrono::steady_clock::now() < give_up) {
    if (!c.read_line(100ms) && contains(c.out(), text)) break;
  }
  return contains(c.out(), text);
}

std::vector<std::string> s_client(const server& srv, std::vector<std::string> more) {
  std::vector<std::string> argv{"openssl",
                                "s_client",
                                "-connect",
                                "127.0.0.1:" + srv.port(),
                                "-CAfile",
                                cert("ca.pem"),
                                "-verify_return_error",
                                "-quiet"};
  argv.insert(argv.end(), more.begin(), more.end());
  return argv;
}

std::string frame_bytes(proto::frame_type type, std::uint32_t id, std::string_view payload) {
  std::vector<std::byte> out;
  proto::append_frame(out, type, id, payload);
  return {reinterpret_cast<const char*>(out.data()), out.size()};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tls)

BOOST_AUTO_TEST_CASE(openssl_s_client_gets_the_lecture_greeting_over_tls_1_3) {
  server srv(tls_args());
  BOOST_TEST(srv.name().rfind("tls://127.0.0.1:", 0) == 0);
  child_process c(s_client(srv, {"-tls1_3"}), "Hello (client)\n", /*keep_stdin_open=*/true);
  BOOST_TEST(output_shows(c, "Hello (server)!"), c.err());
  BOOST_TEST(srv.log_shows("Hello (client)"));
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(tls_1_2_is_refused_unless_asked_for) {
  {
    server srv(tls_args());
    const auto r = test::run(s_client(srv, {"-tls1_2"}), "Hello (client)\n", 20s);
    BOOST_TEST(r.exit_code != 0);
    BOOST_TEST(!contains(r.out, "Hello (server)!"));
    BOOST_TEST(contains(r.err, "alert protocol version"), r.err);
  }
  auto args = tls_args();
  args.insert(args.end(), {"--tls-min-version", "1.2"});
  server srv(args);
  child_process c(s_client(srv, {"-tls1_2"}), "Hello (client)\n", /*keep_stdin_open=*/true);
  BOOST_TEST(output_shows(c, "Hello (server)!"), c.err());
}

BOOST_AUTO_TEST_CASE(mutual_tls_needs_a_client_certificate_the_ca_signed) {
  auto args = tls_args();
  args.insert(args.end(), {"--tls-client-ca", cert("ca.pem")});
  server srv(args);
  // Without a certificate: TLS 1.3 says so in an alert after the handshake.
  const auto bare = test::run(s_client(srv, {"-tls1_3"}), "Hello (client)\n", 20s);
  BOOST_TEST(!contains(bare.out, "Hello (server)!"));
  BOOST_TEST(contains(bare.err, "certificate required"), bare.err);
  const auto ours = client(tls_client(srv));
  BOOST_TEST(ours.exit_code != 0);
  BOOST_TEST(!contains(ours.out, "Hello (server)!"));
  // With one.
  const auto r =
      client(tls_client(srv, {"--cert", cert("client.pem"), "--key", cert("client.key")}));
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(contains(r.out, "Hello (server)!"));
}

BOOST_AUTO_TEST_CASE(the_client_refuses_an_expired_or_wrong_certificate_with_exit_69) {
  {
    server srv(tls_args("expired"));
    const auto r = client(tls_client(srv));
    BOOST_TEST(r.exit_code == 69);
    BOOST_TEST(r.err == "asio_client: cannot connect to 127.0.0.1:" + srv.port() +
                            ": certificate verify failed (certificate has expired)\n");
  }
  server srv(tls_args("wronghost"));
  const auto by_address = client(tls_client(srv));
  BOOST_TEST(by_address.exit_code == 69);
  BOOST_TEST(contains(by_address.err, "certificate verify failed (IP address mismatch)"),
             by_address.err);
  const auto by_name = client(tls_client(srv, {"--host", "localhost"}));
  BOOST_TEST(by_name.exit_code == 69);
  BOOST_TEST(contains(by_name.err, "certificate verify failed (hostname mismatch)"), by_name.err);
  server good(tls_args());
  const auto untrusted = client({"--tls", "--ca", cert("other-ca.pem"), "--port", good.port()});
  BOOST_TEST(untrusted.exit_code == 69);
  BOOST_TEST(contains(untrusted.err, "certificate verify failed ("), untrusted.err);
}

BOOST_AUTO_TEST_CASE(every_client_mode_works_over_tls) {
  server srv(tls_args());
  const auto hello = client(tls_client(srv));
  BOOST_TEST(hello.exit_code == 0, hello.err);
  BOOST_TEST(hello.out == "Message sent (client)\nHello (server)!\n");
  const auto messages = client(tls_client(srv, {"--message", "one", "--message", "two"}));
  BOOST_TEST(messages.exit_code == 0, messages.err);
  BOOST_TEST(contains(messages.out, "Received"));
  const auto piped = client(tls_client(srv, {"--stdin"}), "a\nb\nc\n");
  BOOST_TEST(piped.exit_code == 0, piped.err);
  const auto raw = client(tls_client(srv, {"--raw", "--message", "more"}));
  BOOST_TEST(raw.exit_code == 0, raw.err);
  BOOST_TEST(raw.out == "Message sent (client)\nHello (server)!\nReceived\n");
  for (const auto& mode :
       std::vector<std::vector<std::string>>{{"-c", "4", "-d", "8"},
                                             {"--rate", "200", "-c", "2"},
                                             {"--connect-per-request", "-c", "2"},
                                             {"--idle", "-c", "20"}}) {
    auto args = tls_client(srv, {"--bench", "--json", "--duration", "0.5", "--warmup", "0"});
    args.insert(args.end(), mode.begin(), mode.end());
    const auto r = client(args);
    BOOST_TEST(r.exit_code == 0, mode[0] << ": " << r.err);
    BOOST_TEST(contains(r.out, "\"errors\":0"), mode[0] << ": " << r.out);
  }
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(garbage_instead_of_a_client_hello_costs_one_log_line) {
  server srv(tls_args());
  test::blocking_peer peer(static_cast<std::uint16_t>(std::stoi(srv.port())));
  peer.send("GET / HTTP/1.0\r\n\r\n");
  while (!peer.read_some().empty()) {
  }  // an alert perhaps, then the close
  BOOST_TEST(srv.log_shows("TLS handshake failed"));
  const auto r = client(tls_client(srv));
  BOOST_TEST(r.exit_code == 0, r.err);
}

BOOST_AUTO_TEST_CASE(a_stalled_handshake_is_closed_at_the_handshake_timeout) {
  auto args = tls_args();
  args.insert(args.end(), {"--handshake-timeout", "1"});
  server srv(args);
  test::blocking_peer silent(static_cast<std::uint16_t>(std::stoi(srv.port())));
  test::blocking_peer partial(static_cast<std::uint16_t>(std::stoi(srv.port())));
  partial.send(std::string("\x16\x03\x01\x02\x00\x01", 6));  // a ClientHello's first bytes
  BOOST_TEST(silent.reads_to_clean_close());
  BOOST_TEST(partial.reads_to_clean_close());
  BOOST_TEST(srv.log_shows("TLS handshake not finished within 1 s"));
}

BOOST_AUTO_TEST_CASE(a_thousand_concurrent_handshakes_are_all_served) {
  server srv(tls_args());
  const auto r = client(tls_client(srv, {"--bench", "--idle", "-c", "1000", "--duration", "0.5"}));
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(contains(r.err, "holding 1000 idle connections"), r.err);
  const auto after = client(tls_client(srv));
  BOOST_TEST(after.exit_code == 0, after.err);
}

BOOST_AUTO_TEST_CASE(a_tls_peer_that_resets_in_the_middle_of_a_frame_costs_nothing) {
  server srv(tls_args());
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.load_verify_file(cert("ca.pem"));
  ctx.set_verify_mode(asio::ssl::verify_peer);
  asio::ssl::stream<asio::ip::tcp::socket> peer(io, ctx);
  peer.next_layer().connect(
      {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(std::stoi(srv.port()))});
  peer.handshake(asio::ssl::stream_base::client);
  const std::string frame = frame_bytes(proto::frame_type::echo, 1, std::string(100000, 'x'));
  asio::write(peer, asio::buffer(frame.data(), frame.size() / 2));
  const linger reset{1, 0};
  ::setsockopt(peer.next_layer().native_handle(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  peer.next_layer().close();
  const auto r = client(tls_client(srv));
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(srv.terminate() == 0);
}

namespace {

namespace asio = boost::asio;

// A TLS client of the test's own, that can misbehave on purpose.
struct tls_peer {
  explicit tls_peer(const server& srv) : ctx(asio::ssl::context::tls_client), s(io, ctx) {
    ctx.load_verify_file(cert("ca.pem"));
    ctx.set_verify_mode(asio::ssl::verify_peer);
    s.next_layer().connect(
        {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(std::stoi(srv.port()))});
    s.handshake(asio::ssl::stream_base::client);
  }
  // A PING, and its PONG read back.
  void ping() {
    const std::string frame = frame_bytes(proto::frame_type::ping, 1, "");
    asio::write(s, asio::buffer(frame));
    char reply[proto::header_size];
    asio::read(s, asio::buffer(reply));
  }
  asio::io_context io;
  asio::ssl::context ctx;
  asio::ssl::stream<asio::ip::tcp::socket> s;
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_peer_that_never_answers_close_notify_does_not_hold_the_drain) {
  // Asio's async_shutdown waits for the peer's close_notify; a peer that
  // never sends one must not keep the server from exiting: the linger (2 s)
  // bounds it, well inside the 10 s drain, so nothing is closed by force.
  auto args = tls_args();
  args.insert(args.end(), {"--drain-timeout", "10"});
  server srv(args);
  tls_peer mute(srv);
  mute.ping();
  BOOST_TEST(srv.terminate() == 0);
  BOOST_TEST(contains(srv.process().out(), "0 closed by force"), srv.process().out());
}

BOOST_AUTO_TEST_CASE(a_peer_that_leaves_without_close_notify_after_a_frame_ends_normally) {
  auto args = tls_args();
  args.insert(args.end(), {"--log-level", "debug"});
  server srv(args);
  {
    tls_peer gone(srv);
    gone.ping();
    gone.s.next_layer().close();  // no close_notify
  }
  BOOST_TEST(client(tls_client(srv)).exit_code == 0);
  BOOST_TEST(srv.terminate() == 0);
  BOOST_TEST(!contains(srv.process().out(), "stream truncated"), srv.process().out());
  BOOST_TEST(!contains(srv.process().out(), "connection lost"), srv.process().out());
}

BOOST_AUTO_TEST_CASE(tls_files_that_cannot_be_used_stop_the_start_with_one_line) {
  const auto missing = test::run({server_bin, "--listen", "tls://127.0.0.1:0", "--tls-cert",
                                  cert("nothing.pem"), "--tls-key", cert("server.key")});
  BOOST_TEST(missing.exit_code == 64);
  BOOST_TEST(contains(missing.err, "--tls-cert " + cert("nothing.pem") + ": cannot read"),
             missing.err);
  const auto mismatch = test::run({server_bin, "--listen", "tls://127.0.0.1:0", "--tls-cert",
                                   cert("server.pem"), "--tls-key", cert("client.key")});
  BOOST_TEST(mismatch.exit_code == 64);
  BOOST_TEST(contains(mismatch.err, "does not match the certificate"), mismatch.err);
  const auto no_key = test::run({server_bin, "--listen", "tls://127.0.0.1:0"});
  BOOST_TEST(no_key.exit_code == 64);
  BOOST_TEST(contains(no_key.err, "needs --tls-cert and --tls-key"), no_key.err);
}

BOOST_AUTO_TEST_SUITE_END()

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
