// Graceful shutdown: every request read before GOAWAY is answered exactly
// once, nothing after it is, and every connection ends with a clean close.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "blocking_peer.hpp"
#include "connection.hpp"
#include "test_server.hpp"

namespace asio = boost::asio;
using proto::frame_type;

namespace {

struct client_record {
  std::uint32_t last_sent = 0;
  std::map<std::uint32_t, int> answers;  // id -> times answered
  std::optional<std::uint32_t> goaway;
  bool clean_close = false;
  std::string failure;
};

struct load {
  test::test_server& srv;
  std::uint64_t answered = 0;
  std::uint64_t stop_after = 0;
  bool stop_sent = false;

  void count_answer() {
    if (++answered == stop_after && !stop_sent) {
      stop_sent = true;
      srv.stop();  // as SIGTERM would, while every client has requests in flight
    }
  }
};

std::string payload_for(int client, std::uint32_t id) {
  return std::to_string(client) + "/" + std::to_string(id);
}

// Keeps 16 ECHOs in flight until GOAWAY, then waits for the close.
asio::awaitable<void> busy_client(std::uint16_t port, int index, load& l, client_record& r) {
  client::framed_connection conn(
      co_await client::connect("127.0.0.1", port, std::chrono::seconds(10)));
  std::size_t in_flight = 0;
  for (;;) {
    if (!r.goaway) {
      while (in_flight < 16) {
        r.last_sent = conn.queue(frame_type::echo, payload_for(index, r.last_sent + 1));
        ++in_flight;
      }
      co_await conn.flush();
    }
    const auto f = co_await conn.receive();
    if (!f) {
      r.clean_close = true;
      co_return;
    }
    if (f->type() == frame_type::goaway) {
      r.goaway = proto::parse_goaway(f->payload).value_or(0);
      conn.shutdown_send();  // nothing more to send: let the server finish closing
      continue;
    }
    if (f->type() != frame_type::echo_reply || f->text() != payload_for(index, f->id())) {
      r.failure = "unexpected reply to request " + std::to_string(f->id());
      co_return;
    }
    ++r.answers[f->id()];
    --in_flight;
    l.count_answer();
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(drain)

BOOST_AUTO_TEST_CASE(drain_under_load_answers_every_request_read_before_goaway_exactly_once) {
  auto config = test::test_config();
  config.drain_timeout = std::chrono::seconds(20);
  test::test_server srv(config);
  constexpr int clients = 50;
  load l{srv};
  l.stop_after = 20000;  // answers before the shutdown starts
  std::vector<client_record> records(clients);
  asio::io_context ctx;
  for (int i = 0; i < clients; ++i) {
    asio::co_spawn(ctx, busy_client(srv.port(), i, l, records[i]), [&, i](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        records[i].failure = ex.what();
      }
    });
  }
  ctx.run_for(std::chrono::seconds(60));
  srv.join();  // run() returned: the drain finished by itself

  BOOST_TEST(l.stop_sent);
  std::uint64_t answered = 0;
  for (int i = 0; i < clients; ++i) {
    const auto& r = records[i];
    BOOST_TEST_CONTEXT("client " << i) {
      BOOST_TEST(r.failure.empty(), r.failure);
      BOOST_REQUIRE(r.goaway.has_value());
      BOOST_TEST(r.clean_close);
      BOOST_TEST(*r.goaway <= r.last_sent);
      // Every id up to GOAWAY's answered exactly once, none after it.
      BOOST_TEST(r.answers.size() == *r.goaway);
      for (const auto& [id, times] : r.answers) {
        BOOST_TEST(id <= *r.goaway);
        BOOST_TEST(times == 1);
      }
      answered += r.answers.size();
    }
  }
  BOOST_TEST(answered == srv.summary().requests);  // the server's count matches: nothing lost
  BOOST_TEST(srv.summary().force_closed == 0u);
}

BOOST_AUTO_TEST_CASE(idle_connections_get_goaway_with_their_last_id_and_a_clean_close) {
  test::test_server srv;
  test::blocking_peer framed(srv.port());
  framed.send_frame(frame_type::ping, 1);
  BOOST_TEST(static_cast<int>(framed.read_frame()->type) == 0x84);
  test::blocking_peer raw(srv.port());
  raw.send("Hello (client)");
  BOOST_TEST(raw.read_some() == "Hello (server)!");
  srv.stop();
  const auto goaway = framed.read_frame();
  BOOST_REQUIRE(goaway.has_value());
  BOOST_TEST(static_cast<int>(goaway->type) == 0x7E);
  BOOST_TEST(proto::parse_goaway(proto::as_bytes(goaway->payload)).value() == 1u);
  BOOST_TEST(framed.reads_to_clean_close());
  BOOST_TEST(raw.reads_to_clean_close());  // a raw peer would not understand GOAWAY
  srv.join();
}

BOOST_AUTO_TEST_CASE(a_second_stop_closes_connections_that_do_not_close) {
  auto config = test::test_config();
  config.drain_timeout = std::chrono::seconds(60);
  config.linger_timeout = std::chrono::seconds(60);
  test::test_server srv(config);
  test::blocking_peer stubborn(srv.port());
  stubborn.send_frame(frame_type::ping, 1);
  BOOST_TEST(static_cast<int>(stubborn.read_frame()->type) == 0x84);
  srv.stop();
  BOOST_TEST(static_cast<int>(stubborn.read_frame()->type) == 0x7E);
  // The peer never closes; the server would wait for its linger time.
  srv.stop();
  srv.join();
  BOOST_TEST(srv.summary().force_closed == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
