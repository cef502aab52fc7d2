// The server in this process, real sockets on loopback: what each kind of
// peer gets back.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "blocking_peer.hpp"
#include "connection.hpp"
#include "test_server.hpp"
#include "wait.hpp"

namespace asio = boost::asio;
using proto::frame_type;
using test::blocking_peer;
using test::test_server;

BOOST_AUTO_TEST_SUITE(serving)

BOOST_AUTO_TEST_CASE(greets_a_framed_client_with_its_request_id) {
  test_server srv;
  blocking_peer peer(srv.port());
  peer.send_frame(frame_type::hello, 41, "Hello (client)");
  const auto f = peer.read_frame();
  BOOST_REQUIRE(f.has_value());
  BOOST_TEST(static_cast<int>(f->type) == 0x81);
  BOOST_TEST(f->id == 41u);
  BOOST_TEST(f->payload == "Hello (server)!");
}

BOOST_AUTO_TEST_CASE(answers_every_request_type_sent_in_one_write) {
  test_server srv;
  blocking_peer peer(srv.port());
  const std::string binary("\0\xA5\x01\xFF", 4);
  std::vector<std::byte> batch;
  proto::append_frame(batch, frame_type::hello, 1, "Hello (client)");
  proto::append_frame(batch, frame_type::message, 2, "first message");
  proto::append_frame(batch, frame_type::echo, 3, binary);
  proto::append_frame(batch, frame_type::ping, 4, "");
  peer.send({reinterpret_cast<const char*>(batch.data()), batch.size()});

  const struct {
    int type;
    std::string payload;
  } want[] = {{0x81, "Hello (server)!"}, {0x82, "Received"}, {0x83, binary}, {0x84, ""}};
  for (std::uint32_t id = 1; id <= 4; ++id) {
    const auto f = peer.read_frame();
    BOOST_REQUIRE(f.has_value());
    BOOST_TEST(f->id == id);
    BOOST_TEST(static_cast<int>(f->type) == want[id - 1].type);
    BOOST_TEST(f->payload == want[id - 1].payload);
  }
}

BOOST_AUTO_TEST_CASE(answers_a_frame_that_arrives_one_byte_at_a_time) {
  test_server srv;
  blocking_peer peer(srv.port());
  std::vector<std::byte> frame;
  proto::append_frame(frame, frame_type::echo, 5, "split");
  for (auto b : frame) peer.send({reinterpret_cast<const char*>(&b), 1});
  const auto f = peer.read_frame();
  BOOST_REQUIRE(f.has_value());
  BOOST_TEST(f->id == 5u);
  BOOST_TEST(f->payload == "split");
}

BOOST_AUTO_TEST_CASE(answers_a_raw_peer_like_the_lecture_server) {
  test_server srv;
  blocking_peer peer(srv.port());
  peer.send("Hello (client)");  // what the lecture's client.c sends
  BOOST_TEST(peer.read_some() == "Hello (server)!");
  peer.send("a second message\n");
  BOOST_TEST(peer.read_some() == "Received");
}

BOOST_AUTO_TEST_CASE(answers_over_ipv6_when_listening_on_the_dual_stack_default) {
  auto config = test::test_config();
  config.bind_address.clear();  // "::" with IPv4 mapped in
  test_server srv(config);
  for (const char* host : {"127.0.0.1", "::1"}) {
    BOOST_TEST_CONTEXT("host " << host) {
      std::unique_ptr<blocking_peer> peer;
      try {
        peer = std::make_unique<blocking_peer>(srv.port(), host);
      } catch (const std::exception& e) {
        BOOST_TEST_MESSAGE("skipped " << host << ": " << e.what());
        continue;  // no IPv6 on this machine
      }
      peer->send_frame(frame_type::ping, 1);
      const auto f = peer->read_frame();
      BOOST_REQUIRE(f.has_value());
      BOOST_TEST(static_cast<int>(f->type) == 0x84);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_busy_connection_that_goes_quiet_and_busy_again_is_served_throughout) {
  // Busy: many reads in a row give the session a read buffer of its own;
  // after a quiet second it gives it back; then busy again. Every reply must
  // be right across both changes.
  test_server srv;
  blocking_peer peer(srv.port());
  std::uint32_t id = 0;
  auto burst = [&] {
    for (int round = 0; round < 8; ++round) {
      std::vector<std::byte> batch;
      for (int i = 0; i < 10; ++i) {
        ++id;
        proto::append_frame(batch, frame_type::echo, id, "payload " + std::to_string(id));
      }
      peer.send({reinterpret_cast<const char*>(batch.data()), batch.size()});
      for (std::uint32_t want = id - 9; want <= id; ++want) {
        const auto f = peer.read_frame();
        BOOST_REQUIRE(f.has_value());
        BOOST_TEST(f->id == want);
        BOOST_TEST(f->payload == "payload " + std::to_string(want));
      }
    }
  };
  burst();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // quiet: not a synchronisation
  burst();
  // A frame split across the change of mode is put together too.
  std::vector<std::byte> frame;
  proto::append_frame(frame, frame_type::echo, ++id, "split");
  peer.send({reinterpret_cast<const char*>(frame.data()), 5});
  // Quiet again, past the one-second cool-down, with the frame half sent:
  // part of the scenario, not a synchronisation.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  peer.send({reinterpret_cast<const char*>(frame.data()) + 5, frame.size() - 5});
  const auto f = peer.read_frame();
  BOOST_REQUIRE(f.has_value());
  BOOST_TEST(f->payload == "split");
}

BOOST_AUTO_TEST_CASE(a_quiet_connection_never_gets_a_buffer_of_its_own_and_a_busy_one_does) {
  auto config = test::test_config();
  config.threads = 1;
  test_server srv(config);
  blocking_peer peer(srv.port());
  // A request every 30 ms: each read comes long after the last, so however
  // many there are, the connection stays quiet and holds nothing. The pause
  // is the scenario (reads further apart than the 10 ms that count as "in a
  // row"), not a synchronisation; a slower machine only makes it longer.
  for (std::uint32_t id = 1; id <= 12; ++id) {
    peer.send_frame(frame_type::ping, id);
    BOOST_REQUIRE(peer.read_frame().has_value());
    BOOST_TEST(srv.buffered_bytes() == 0u, "after request " << id);
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
  // Back to back: a few reads in a row (4, each within 10 ms of the last)
  // make it busy, with a buffer of its own, taken at its next read. Whether
  // a given 4 round trips come within 10 ms of each other is the
  // scheduler's to decide, not the test's (a loaded machine can stall one):
  // pings keep coming back to back until the buffer shows, for 10 s at most.
  std::uint32_t id = 100;
  const bool busy = test::wait_until(
      [&] {
        for (int i = 0; i < 8; ++i, ++id) {
          peer.send_frame(frame_type::ping, id);
          BOOST_REQUIRE(peer.read_frame().has_value());
        }
        return srv.buffered_bytes() >= 16u * 1024;
      },
      std::chrono::seconds(10), std::chrono::milliseconds(0));
  BOOST_TEST(busy, "no buffer of its own after " << id - 100 << " pings back to back; holding "
                                                 << srv.buffered_bytes() << " bytes");
}

BOOST_AUTO_TEST_CASE(a_server_destroyed_while_serving_closes_its_connections_safely) {
  // Sessions still in the io_contexts are destroyed with them; what they
  // touch on the way (the live count, the memory budget) must still be
  // there. Run under the sanitizers, a wrong order is a use after free.
  std::vector<std::unique_ptr<blocking_peer>> peers;
  {
    auto config = test::test_config();
    server::server srv(config);
    const auto port = srv.listen().front().port;
    srv.start();
    for (int i = 0; i < 20; ++i) {
      peers.push_back(std::make_unique<blocking_peer>(port));
      peers.back()->send_header(0x03, 1, 10000);  // a frame begun, its rest never sent
      peers.back()->send(std::string(5000, 'x'));
    }
    // The server has read what they sent.
    test::wait_until([&] { return srv.buffered_bytes() >= 20u * 5000; });
    BOOST_TEST(srv.live_connections() == 20u);
    BOOST_TEST(srv.buffered_bytes() >= 20u * 5000);
  }
  for (auto& p : peers) BOOST_TEST(p->read_some().empty());  // closed, none left hanging
}

BOOST_AUTO_TEST_CASE(echo_mode_sends_every_byte_back_as_it_came) {
  auto config = test::test_config();
  config.mode = server::service_mode::echo;
  test_server srv(config);
  blocking_peer peer(srv.port());
  // Even bytes that would be a frame, or a greeting, come back unchanged.
  std::vector<std::byte> frame;
  proto::append_frame(frame, frame_type::hello, 1, "Hello (client)");
  const std::string framed(reinterpret_cast<const char*>(frame.data()), frame.size());
  std::string sent = framed + "plain text\n" + std::string(200000, 'z');
  peer.send(sent);
  std::string got;
  while (got.size() < sent.size()) {
    const auto part = peer.read_some();
    BOOST_REQUIRE(!part.empty());
    got += part;
  }
  BOOST_TEST((got == sent));
  peer.shutdown_send();
  BOOST_TEST(peer.reads_to_clean_close());
}

namespace {

// One client: 50 MESSAGEs in one write, then every ACK, matched by id.
asio::awaitable<void> pipelining_client(std::uint16_t port, int index, int& completed) {
  client::framed_connection conn(
      co_await client::connect("127.0.0.1", port, std::chrono::seconds(10)));
  std::set<std::uint32_t> outstanding;
  for (int m = 0; m < 50; ++m) {
    outstanding.insert(conn.queue(
        frame_type::message, "client " + std::to_string(index) + " message " + std::to_string(m)));
  }
  co_await conn.flush();
  while (!outstanding.empty()) {
    const auto f = co_await conn.receive();
    if (!f) throw std::runtime_error("closed with acks outstanding");
    if (f->type() != frame_type::ack || f->text() != "Received") {
      throw std::runtime_error("not an ACK");
    }
    if (outstanding.erase(f->id()) != 1) throw std::runtime_error("unexpected or repeated id");
  }
  ++completed;
}

}  // namespace

BOOST_AUTO_TEST_CASE(serves_200_concurrent_clients_each_pipelining_50_messages) {
  test_server srv;
  asio::io_context ctx;
  int completed = 0;
  std::vector<std::string> failures;
  for (int i = 0; i < 200; ++i) {
    asio::co_spawn(ctx, pipelining_client(srv.port(), i, completed), [&](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        failures.push_back(ex.what());
      }
    });
  }
  ctx.run_for(std::chrono::seconds(60));  // a bound, not a wait: run() returns when all are done
  BOOST_TEST(failures.empty(), "first failure: " << (failures.empty() ? "" : failures.front()));
  BOOST_TEST(completed == 200);
  srv.stop();
  srv.join();
  BOOST_TEST(srv.summary().connections == 200u);
  BOOST_TEST(srv.summary().requests == 200u * 50u);
}

BOOST_AUTO_TEST_CASE(closes_an_idle_connection_with_goaway_naming_the_last_answer) {
  auto config = test::test_config();
  config.idle_timeout = std::chrono::milliseconds(200);
  test_server srv(config);
  blocking_peer peer(srv.port());
  peer.send_frame(frame_type::ping, 7);
  BOOST_TEST(static_cast<int>(peer.read_frame()->type) == 0x84);
  const auto goaway = peer.read_frame();  // arrives once the idle timeout passes
  BOOST_REQUIRE(goaway.has_value());
  BOOST_TEST(static_cast<int>(goaway->type) == 0x7E);
  BOOST_TEST(proto::parse_goaway(proto::as_bytes(goaway->payload)).value() == 7u);
  BOOST_TEST(peer.reads_to_clean_close());
}

BOOST_AUTO_TEST_SUITE_END()
