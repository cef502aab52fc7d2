// The command-line client's exchange, in this process: against the real
// server, and against scripted servers that misbehave on cue.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/test/unit_test.hpp>
#include <functional>
#include <memory>
#include <sstream>
#include <vector>

#include "exchange.hpp"
#include "exit_codes.hpp"
#include "frame_buffer.hpp"
#include "frame_codec.hpp"
#include "test_server.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;
using proto::frame_type;

namespace {

struct outcome {
  int status = -1;
  std::string out;
  std::string err;
};

using script = std::function<asio::awaitable<void>(tcp::socket&)>;

// Runs the client's exchange on `config`, with `server_scripts` (if any)
// accepting its connections on a port of its own in the same io_context:
// the first script plays the first connection, and so on; after the last,
// nothing listens there.
outcome run_client(client::client_config config, std::vector<script> server_scripts,
                   std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  asio::io_context ctx;
  tcp::acceptor acceptor(ctx);
  if (!server_scripts.empty()) {
    acceptor = tcp::acceptor(ctx, {asio::ip::make_address("127.0.0.1"), 0});
    config.port = acceptor.local_endpoint().port();
    asio::co_spawn(
        ctx,
        [&]() -> asio::awaitable<void> {
          for (auto& play : server_scripts) {
            auto socket =
                std::make_shared<tcp::socket>(co_await acceptor.async_accept(asio::use_awaitable));
            asio::co_spawn(
                ctx, [socket, &play]() -> asio::awaitable<void> { co_await play(*socket); },
                [](std::exception_ptr e) {
                  if (e) std::rethrow_exception(e);  // a broken script fails the test
                });
          }
          acceptor.close();
        },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
  }
  config.timeout = timeout;
  std::ostringstream out, err;
  outcome o;
  asio::co_spawn(ctx, client::run_exchange(config, out, err),
                 [&](std::exception_ptr, int s) { o.status = s; });
  ctx.run_for(std::chrono::seconds(30));
  o.out = out.str();
  o.err = err.str();
  return o;
}

outcome run_client(client::client_config config, script server_script = {},
                   std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  std::vector<script> scripts;
  if (server_script) scripts.push_back(std::move(server_script));
  return run_client(std::move(config), std::move(scripts), timeout);
}

outcome run_raw_client(client::client_config config) {
  asio::io_context ctx;
  std::ostringstream out, err;
  outcome o;
  asio::co_spawn(ctx, client::run_raw_exchange(config, out, err),
                 [&](std::exception_ptr, int s) { o.status = s; });
  ctx.run_for(std::chrono::seconds(30));
  o.out = out.str();
  o.err = err.str();
  return o;
}

// Reads `n` whole frames; returns their ids and types.
asio::awaitable<std::vector<std::pair<std::uint32_t, int>>> read_frames(tcp::socket& s, int n) {
  proto::frame_buffer in;
  std::vector<std::pair<std::uint32_t, int>> got;
  while (static_cast<int>(got.size()) < n) {
    const auto r = proto::decode_frame(in.readable(), proto::default_max_payload);
    if (r.status == proto::decode_status::complete) {
      got.emplace_back(r.decoded.id(), r.decoded.header.type);
      in.consume(r.consumed);
      continue;
    }
    auto space = in.prepare(4096);
    const std::size_t k =
        co_await s.async_read_some(asio::buffer(space.data(), space.size()), asio::use_awaitable);
    in.commit(k);
  }
  co_return got;
}

asio::awaitable<void> send_frames(tcp::socket& s, const std::vector<std::byte>& bytes) {
  co_await asio::async_write(s, asio::buffer(bytes), asio::use_awaitable);
}

// Reads until the client closes, then closes: the end of a polite server.
asio::awaitable<void> finish(tcp::socket& s) {
  s.shutdown(tcp::socket::shutdown_send);
  char sink[256];
  for (;;) {
    auto [ec, n] =
        co_await s.async_read_some(asio::buffer(sink), asio::as_tuple(asio::use_awaitable));
    if (ec) break;
  }
}

client::client_config with_messages(std::vector<std::string> messages) {
  client::client_config c;
  c.messages = std::move(messages);
  return c;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(client_exchange)

BOOST_AUTO_TEST_CASE(prints_the_lecture_exchange_and_exits_0) {
  test::test_server srv;
  client::client_config config;
  config.port = srv.port();
  const auto o = run_client(config);
  BOOST_TEST(o.status == 0);
  BOOST_TEST(o.out == "Message sent (client)\nHello (server)!\n");
  BOOST_TEST(o.err.empty());
}

BOOST_AUTO_TEST_CASE(prints_an_ack_for_each_message) {
  test::test_server srv;
  auto config = with_messages({"one", "two"});
  config.port = srv.port();
  const auto o = run_client(config);
  BOOST_TEST(o.status == 0);
  BOOST_TEST(o.out ==
             "Message sent (client)\nHello (server)!\nReceived (message 1: one)\n"
             "Received (message 2: two)\n");
}

BOOST_AUTO_TEST_CASE(raw_mode_gets_the_greeting_from_a_plain_bytes_server) {
  test::test_server srv;  // answers a raw peer as the lecture's server.c does
  client::client_config config;
  config.port = srv.port();
  config.raw = true;
  const auto o = run_raw_client(config);
  BOOST_TEST(o.status == 0);
  BOOST_TEST(o.out == "Message sent (client)\nHello (server)!\n");
}

BOOST_AUTO_TEST_CASE(says_why_it_cannot_connect_and_exits_69) {
  std::uint16_t port;
  {
    asio::io_context ctx;
    tcp::acceptor a(ctx, {asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }  // closed: nothing listens there now
  client::client_config config;
  config.port = port;
  const auto o = run_client(config);
  BOOST_TEST(o.status == cli::exit_code::unavailable);
  BOOST_TEST(o.err == "asio_client: cannot connect to 127.0.0.1:" + std::to_string(port) +
                          ": Connection refused\n");
}

BOOST_AUTO_TEST_CASE(matches_replies_that_arrive_out_of_order) {
  const auto o =
      run_client(with_messages({"m1", "m2"}), [](tcp::socket& s) -> asio::awaitable<void> {
        const auto got = co_await read_frames(s, 3);
        std::vector<std::byte> replies;
        proto::append_frame(replies, frame_type::ack, got[2].first, "Received");
        proto::append_frame(replies, frame_type::ack, got[1].first, "Received");
        proto::append_frame(replies, frame_type::hello_reply, got[0].first, "Hello (server)!");
        co_await send_frames(s, replies);
        co_await finish(s);
      });
  BOOST_TEST(o.status == 0);
  BOOST_TEST(o.out ==
             "Message sent (client)\nReceived (message 2: m2)\nReceived (message 1: m1)\n"
             "Hello (server)!\n");
}

BOOST_AUTO_TEST_CASE(on_goaway_reports_what_was_not_processed_and_exits_75) {
  const auto o =
      run_client(with_messages({"m1", "m2"}), [](tcp::socket& s) -> asio::awaitable<void> {
        co_await read_frames(s, 3);
        std::vector<std::byte> replies;
        proto::append_frame(replies, frame_type::hello_reply, 1, "Hello (server)!");
        proto::append_goaway(replies, 1);
        co_await send_frames(s, replies);
        co_await finish(s);
      });
  BOOST_TEST(o.status == cli::exit_code::temp_fail);
  BOOST_TEST(o.out == "Message sent (client)\nHello (server)!\n");
  BOOST_TEST(o.err.find("2 request(s) were not processed") != std::string::npos, o.err);
}

BOOST_AUTO_TEST_CASE(reports_an_error_frame_and_exits_76) {
  const auto o = run_client(with_messages({"m1"}), [](tcp::socket& s) -> asio::awaitable<void> {
    co_await read_frames(s, 2);
    std::vector<std::byte> replies;
    proto::append_frame(replies, frame_type::hello_reply, 1, "Hello (server)!");
    proto::append_error(replies, 2, proto::error_code::unknown_type, "no such thing");
    co_await send_frames(s, replies);
    co_await finish(s);
  });
  BOOST_TEST(o.status == cli::exit_code::protocol);
  BOOST_TEST(o.err == "asio_client: server error 3 (unknown type) for request 2: no such thing\n");
}

BOOST_AUTO_TEST_CASE(a_server_that_closes_early_is_a_lost_connection_exit_74) {
  const auto o = run_client(with_messages({"m1"}), [](tcp::socket& s) -> asio::awaitable<void> {
    co_await read_frames(s, 2);
    std::vector<std::byte> replies;
    proto::append_frame(replies, frame_type::hello_reply, 1, "Hello (server)!");
    co_await send_frames(s, replies);
    co_await finish(s);
  });
  BOOST_TEST(o.status == cli::exit_code::io_error);
  BOOST_TEST(o.err.find("1 request(s) unanswered") != std::string::npos, o.err);
}

// Holds the connection open for `d` whatever the client does (its
// half-close included): a server that never closes, within the test's time.
asio::awaitable<void> hold_open(tcp::socket& s,
                                std::chrono::milliseconds d = std::chrono::milliseconds(1500)) {
  asio::steady_timer pause(s.get_executor(), d);
  co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
}

BOOST_AUTO_TEST_CASE(a_reply_to_a_request_never_sent_is_a_protocol_violation_exit_76) {
  const auto o = run_client(with_messages({"m1"}), [](tcp::socket& s) -> asio::awaitable<void> {
    co_await read_frames(s, 2);
    std::vector<std::byte> replies;
    proto::append_frame(replies, frame_type::pong, 99, proto::bytes_view{});
    co_await send_frames(s, replies);
    co_await hold_open(s);
  });
  BOOST_TEST(o.status == cli::exit_code::protocol);
  BOOST_TEST(o.err ==
             "asio_client: the server sent PONG for request 99, which is not awaiting an answer\n");
}

BOOST_AUTO_TEST_CASE(frames_that_answer_nothing_do_not_keep_it_waiting_past_the_timeout) {
  // GOAWAY again and again, every 200 ms, and never an answer: only answers
  // to requests in flight refresh the deadline.
  const auto o = run_client(
      with_messages({"m1"}),
      [](tcp::socket& s) -> asio::awaitable<void> {
        co_await read_frames(s, 2);
        asio::steady_timer pause(s.get_executor());
        for (int i = 0; i < 125; ++i) {  // 25 s at most
          std::vector<std::byte> goaway;
          proto::append_goaway(goaway, 2);
          auto [ec, n] = co_await asio::async_write(s, asio::buffer(goaway),
                                                    asio::as_tuple(asio::use_awaitable));
          if (ec) break;
          pause.expires_after(std::chrono::milliseconds(200));
          co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
        }
      },
      std::chrono::seconds(1));
  BOOST_TEST(o.status == cli::exit_code::io_error);
  BOOST_TEST(o.err.find("no answer from the server for 1 s") != std::string::npos, o.err);
}

BOOST_AUTO_TEST_CASE(a_timeout_says_so_in_one_line_and_nothing_else) {
  const auto o = run_client(
      with_messages({"m1"}),
      [](tcp::socket& s) -> asio::awaitable<void> {
        co_await read_frames(s, 2);
        co_await hold_open(s);
      },
      std::chrono::milliseconds(300));
  BOOST_TEST(o.status == cli::exit_code::io_error);
  BOOST_TEST(o.err ==
             "asio_client: no answer from the server for 0.3 s (--timeout); 2 request(s) "
             "unanswered\n");
}

BOOST_AUTO_TEST_CASE(everything_answered_is_exit_0_even_if_the_server_never_closes) {
  const auto o = run_client(
      with_messages({"m1"}),
      [](tcp::socket& s) -> asio::awaitable<void> {
        const auto got = co_await read_frames(s, 2);
        std::vector<std::byte> replies;
        proto::append_frame(replies, frame_type::hello_reply, got[0].first, "Hello (server)!");
        proto::append_frame(replies, frame_type::ack, got[1].first, "Received");
        co_await send_frames(s, replies);
        co_await hold_open(s);
      },
      std::chrono::seconds(2));
  BOOST_TEST(o.status == 0, o.err);
  BOOST_TEST(o.err.empty());
}

// --reconnect

client::client_config reconnecting(std::vector<std::string> messages) {
  auto c = with_messages(std::move(messages));
  c.reconnect = true;
  c.reconnect_for = std::chrono::milliseconds(300);
  return c;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

BOOST_AUTO_TEST_CASE(with_reconnect_what_goaway_left_unprocessed_is_sent_on_a_new_connection) {
  std::vector<std::pair<std::uint32_t, int>> second;
  const auto o =
      run_client(reconnecting({"m1", "m2"}),
                 {[](tcp::socket& s) -> asio::awaitable<void> {
                    co_await read_frames(s, 3);
                    std::vector<std::byte> replies;
                    proto::append_frame(replies, frame_type::hello_reply, 1, "Hello (server)!");
                    proto::append_goaway(replies, 1);
                    co_await send_frames(s, replies);
                    co_await finish(s);
                  },
                  [&second](tcp::socket& s) -> asio::awaitable<void> {
                    second = co_await read_frames(s, 2);
                    std::vector<std::byte> replies;
                    for (const auto& [id, type] : second)
                      proto::append_frame(replies, frame_type::ack, id, "Received");
                    co_await send_frames(s, replies);
                    co_await finish(s);
                  }});
  BOOST_TEST(o.status == 0, o.err);
  BOOST_TEST(o.out ==
             "Message sent (client)\nHello (server)!\nReceived (message 1: m1)\n"
             "Received (message 2: m2)\n");
  // The new connection's ids start again at 1; the greeting, answered, is
  // not sent again.
  BOOST_TEST(second == (std::vector<std::pair<std::uint32_t, int>>{{1, 0x02}, {2, 0x02}}));
  BOOST_TEST(has(o.err, "GOAWAY after request 1); 2 request(s) will be sent again"), o.err);
  BOOST_TEST(has(o.err, "connected again to 127.0.0.1:"), o.err);
  BOOST_TEST(has(o.err, "1 reconnect(s), 2 request(s) sent again"), o.err);
}

BOOST_AUTO_TEST_CASE(with_reconnect_a_connection_cut_mid_frame_has_its_unanswered_sent_again) {
  const auto o =
      run_client(reconnecting({"m1"}),
                 {[](tcp::socket& s) -> asio::awaitable<void> {
                    co_await read_frames(s, 2);
                    std::vector<std::byte> replies;
                    proto::append_frame(replies, frame_type::hello_reply, 1, "Hello (server)!");
                    proto::append_frame(replies, frame_type::ack, 2, "Received");
                    replies.resize(replies.size() - 3);  // cut inside the ACK
                    co_await send_frames(s, replies);
                    s.close();
                  },
                  [](tcp::socket& s) -> asio::awaitable<void> {
                    const auto got = co_await read_frames(s, 1);
                    std::vector<std::byte> replies;
                    proto::append_frame(replies, frame_type::ack, got[0].first, "Received");
                    co_await send_frames(s, replies);
                    co_await finish(s);
                  }});
  BOOST_TEST(o.status == 0, o.err);
  BOOST_TEST(o.out == "Message sent (client)\nHello (server)!\nReceived (message 1: m1)\n");
  BOOST_TEST(has(o.err, "in the middle of a frame with 1 request(s) unanswered; connecting again"),
             o.err);
  BOOST_TEST(has(o.err, "sending 1 request(s) again"), o.err);
}

BOOST_AUTO_TEST_CASE(with_reconnect_a_frame_over_the_limit_is_not_tried_again_exit_76) {
  auto config = reconnecting({"m1"});
  config.max_frame = 1024;
  const auto o = run_client(config, [](tcp::socket& s) -> asio::awaitable<void> {
    co_await read_frames(s, 2);
    std::vector<std::byte> replies;
    proto::append_frame(replies, frame_type::hello_reply, 1, std::string(2048, 'x'));
    co_await send_frames(s, replies);
    co_await finish(s);
  });
  BOOST_TEST(o.status == cli::exit_code::protocol);
  BOOST_TEST(has(o.err, "over the limit of 1024"), o.err);
  BOOST_TEST(!has(o.err, "connecting again"), o.err);
}

BOOST_AUTO_TEST_CASE(with_reconnect_a_busy_server_is_tried_again) {
  const auto o = run_client(
      reconnecting({"m1"}),
      {[](tcp::socket& s) -> asio::awaitable<void> {
         co_await read_frames(s, 2);
         std::vector<std::byte> replies;
         proto::append_error(replies, 0, proto::error_code::server_busy, "too many connections");
         co_await send_frames(s, replies);
         co_await finish(s);
       },
       [](tcp::socket& s) -> asio::awaitable<void> {
         const auto got = co_await read_frames(s, 2);
         std::vector<std::byte> replies;
         proto::append_frame(replies, frame_type::hello_reply, got[0].first, "Hello (server)!");
         proto::append_frame(replies, frame_type::ack, got[1].first, "Received");
         co_await send_frames(s, replies);
         co_await finish(s);
       }});
  BOOST_TEST(o.status == 0, o.err);
  BOOST_TEST(o.out == "Message sent (client)\nHello (server)!\nReceived (message 1: m1)\n");
  BOOST_TEST(has(o.err, "server error 4 (server busy)"), o.err);
}

BOOST_AUTO_TEST_CASE(with_reconnect_it_gives_up_after_reconnect_for_with_exit_69) {
  // The server answers nothing and goes; nothing listens after it.
  const auto o = run_client(reconnecting({"m1"}), [](tcp::socket& s) -> asio::awaitable<void> {
    co_await read_frames(s, 2);
    s.close();
  });
  BOOST_TEST(o.status == cli::exit_code::unavailable);
  BOOST_TEST(has(o.err, "no new connection within --reconnect-for: cannot connect to"), o.err);
  BOOST_TEST(has(o.err, "Connection refused; 2 request(s) unanswered"), o.err);
  BOOST_TEST(o.out == "Message sent (client)\n");
}

BOOST_AUTO_TEST_CASE(with_reconnect_connections_closed_before_any_answer_count_as_failures) {
  // A balancer with no server up: it accepts, then closes. The client backs
  // off instead of spinning, and gives up after --reconnect-for.
  std::vector<script> closes(40, [](tcp::socket& s) -> asio::awaitable<void> {
    s.close();
    co_return;
  });
  const auto o = run_client(reconnecting({"m1"}), std::move(closes));
  BOOST_TEST(o.status == cli::exit_code::unavailable);
  BOOST_TEST(has(o.err, "no answer within --reconnect-for: each new connection was closed"), o.err);
}

BOOST_AUTO_TEST_SUITE_END()
