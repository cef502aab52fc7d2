// TLS, against openssl s_client and certificates made at test time: the
// handshake, its versions and client certificates, the client's checks of
// the server's certificate, every client mode, and bad peers. Shares its
// runner with transport_test.cpp.
#include <sys/socket.h>

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "blocking_peer.hpp"
#include "transport_support.hpp"

using namespace test::transport;
using test::child_process;
using test::contains;
using test::server_bin;

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
  // TLS is a module of its own, loaded for tls:// listeners only.
  ::setenv("ASIO_SERVER_TLS_MODULE", "/nonexistent/asio_server_tls.so", 1);
  const auto no_module = test::run({server_bin, "--listen", "tls://127.0.0.1:0", "--tls-cert",
                                    cert("server.pem"), "--tls-key", cert("server.key")});
  ::unsetenv("ASIO_SERVER_TLS_MODULE");
  BOOST_TEST(no_module.exit_code == 69);
  BOOST_TEST(
      contains(no_module.err, "asio_server: cannot load TLS: /nonexistent/asio_server_tls.so"),
      no_module.err);
  const auto no_key = test::run({server_bin, "--listen", "tls://127.0.0.1:0"});
  BOOST_TEST(no_key.exit_code == 64);
  BOOST_TEST(contains(no_key.err, "needs --tls-cert and --tls-key"), no_key.err);
}

BOOST_AUTO_TEST_SUITE_END()
