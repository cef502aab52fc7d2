// TLS, against openssl s_client and certificates made at test time: the
// handshake, its versions and client certificates, the client's checks of
// the server's certificate, every client mode, and bad peers. Shares its
// runner with transport_test.cpp.
#include <sys/socket.h>

#include <boost/test/unit_test.hpp>
#include <string>
#include <thread>
#include <vector>

#include "blocking_peer.hpp"
#include "transport_support.hpp"
#include "wait.hpp"

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

// The name check is never left unset, whatever --host looks like: a scoped
// IPv6 literal is checked without its zone (as curl does), and a host that
// names nothing the check can use is refused before connecting.
BOOST_AUTO_TEST_CASE(the_certificate_must_name_the_host_however_it_is_written) {
  auto v6 = [](const std::string& cert_name) {
    return std::vector<std::string>{"--listen",   "tls://[::1]:0",
                                    "--tls-cert", cert(cert_name + ".pem"),
                                    "--tls-key",  cert(cert_name + ".key")};
  };
  server wrong(v6("wronghost"));
  for (const std::string host : {"::1", "::1%1", "[::1%1]", "[::1]"}) {
    const auto r = client(tls_client(wrong, {"--host", host}));
    BOOST_TEST(r.exit_code == 69, host << ": " << r.out << r.err);
    BOOST_TEST(contains(r.err, "certificate verify failed (IP address mismatch)"),
               host << ": " << r.err);
    BOOST_TEST(!contains(r.out, "Hello (server)!"), host);
  }
  // Every mode that connects goes through the same check.
  for (const auto& mode : std::vector<std::vector<std::string>>{
           {"--message", "one"},
           {"--stdin"},
           {"--raw", "--message", "more"},
           {"--message", "one", "--reconnect", "--reconnect-for", "0.5"},
           {"--bench", "--duration", "0.5", "--warmup", "0"},
           {"--bench", "--duration", "0.5", "--warmup", "0", "--rate", "100"},
           {"--bench", "--duration", "0.5", "--warmup", "0", "--connect-per-request"},
           {"--bench", "--duration", "0.5", "--warmup", "0", "--idle"},
           {"--bench", "--duration", "0.5", "--warmup", "0", "--reconnect"}}) {
    auto args = tls_client(wrong, {"--host", "::1%1"});
    args.insert(args.end(), mode.begin(), mode.end());
    const auto r = client(args, "a\n");
    BOOST_TEST(r.exit_code == 69, mode[0] << " " << mode.back() << ": " << r.out << r.err);
    BOOST_TEST(contains(r.out + r.err, "IP address mismatch"), mode[0] << ": " << r.out << r.err);
    BOOST_TEST(!contains(r.out, "Hello (server)!"), mode[0]);
    BOOST_TEST(!contains(r.out, "Received"), mode[0]);
  }
  // The right certificate, reached through a zone, is accepted.
  server good(v6("server"));
  for (const std::string host : {"::1%1", "[::1%1]"}) {
    const auto r = client(tls_client(good, {"--host", host}));
    BOOST_TEST(r.exit_code == 0, host << ": " << r.err);
    BOOST_TEST(contains(r.out, "Hello (server)!"), host);
  }
  // A name in any case (a trailing dot is the unit tests', since the
  // resolver here may not take "localhost."); an IPv4-mapped address is
  // checked as written (the certificate names 127.0.0.1, not
  // ::ffff:127.0.0.1).
  server v4(tls_args());
  const auto upper = client(tls_client(v4, {"--host", "LocalHost"}));
  BOOST_TEST(upper.exit_code == 0, upper.err);
  server v4_wrong(tls_args("wronghost"));
  for (const std::string host : {"LOCALHOST", "::ffff:127.0.0.1"}) {
    const auto r = client(tls_client(v4_wrong, {"--host", host}));
    BOOST_TEST(r.exit_code == 69, host << ": " << r.out << r.err);
    BOOST_TEST(!contains(r.out, "Hello (server)!"), host);
  }
  // Hosts that name nothing a certificate can: refused before connecting.
  for (const std::string& host : std::vector<std::string>{"[::1]:" + good.port(), "::1%",
                                                          "127.0.0.1%1", "a%b", ".", "a..b"}) {
    const auto r = client(tls_client(good, {"--host", host}));
    BOOST_TEST(r.exit_code == 69, host << ": " << r.out << r.err);
    BOOST_TEST(contains(r.err, "cannot check the server's certificate for '" + host + "'"),
               host << ": " << r.err);
  }
  BOOST_TEST(wrong.terminate() == 0);
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

BOOST_AUTO_TEST_CASE(
    a_peer_that_half_closes_tcp_without_close_notify_gets_its_replies_and_no_alert) {
  // The protocol's half-close, done at the TCP level: the replies already
  // asked for come back, then the stream ends, with no TLS alert.
  server srv(tls_args());
  tls_peer peer(srv);
  const std::string ping = frame_bytes(proto::frame_type::ping, 2, "");
  asio::write(peer.s, asio::buffer(ping));
  peer.s.next_layer().shutdown(asio::ip::tcp::socket::shutdown_send);
  char reply[proto::header_size];
  asio::read(peer.s, asio::buffer(reply));
  BOOST_TEST(static_cast<unsigned char>(reply[2]) == 0x84);  // PONG
  boost::system::error_code ec;
  char more[64];
  peer.s.read_some(asio::buffer(more), ec);
  BOOST_TEST((ec == asio::error::eof || ec == asio::ssl::error::stream_truncated), ec.message());
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

BOOST_AUTO_TEST_CASE(a_drain_during_a_handshake_whose_client_hello_waits_finishes_it_first) {
  // The session waits in its handshake; the server is stopped while the
  // ClientHello arrives, then told to drain: whichever it sees first, the
  // handshake is finished and the connection closed with close_notify (a
  // drain seen first used to leave the handshake half done and close the
  // socket; one seen between the ClientHello and the client's Finished
  // closed it without close_notify). A few rounds: the order differs.
  namespace asio = boost::asio;
  for (int round = 0; round < 4; ++round) {
    auto args = tls_args();
    args.insert(args.end(), {"--threads", "1", "--log-level", "debug"});
    server srv(args);
    const auto port = static_cast<unsigned short>(std::stoi(srv.port()));
    asio::io_context io;
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.load_verify_file(cert("ca.pem"));
    ctx.set_verify_mode(asio::ssl::verify_peer);
    asio::ssl::stream<asio::ip::tcp::socket> peer(io, ctx);
    peer.next_layer().connect({asio::ip::make_address("127.0.0.1"), port});
    BOOST_REQUIRE(srv.log_shows(": connected"));  // its session waits for the ClientHello
    srv.process().send_signal(SIGSTOP);
    boost::system::error_code handshake_ec;
    std::thread client([&] { peer.handshake(asio::ssl::stream_base::client, handshake_ec); });
    // The ClientHello is in the server's receive queue (ss: its Recv-Q).
    const bool waiting = test::wait_until([&] {
      const auto q = test::ss_queues("( sport = :" + srv.port() + " )");
      return q && q->recv_q > 0;
    });
    BOOST_TEST(waiting, "the ClientHello never reached the server");
    srv.process().send_signal(SIGTERM);
    srv.process().send_signal(SIGCONT);
    client.join();
    BOOST_TEST(!handshake_ec, "round " << round << ": " << handshake_ec.message());
    if (!handshake_ec) {
      // It sent nothing, so it is told nothing but close_notify: a clean
      // TLS end (eof), not a truncated stream.
      char byte;
      boost::system::error_code ec;
      asio::read(peer, asio::buffer(&byte, 1), ec);
      BOOST_TEST(ec == asio::error::eof, "round " << round << ": " << ec.message());
    }
    peer.next_layer().close();  // the server's linger ends now
    BOOST_TEST(srv.exit_status() == 0);
  }
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
