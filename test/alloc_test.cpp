// No heap allocation per message in steady state: this runner counts every
// operator new in the process, warms a connection up, then sends 10,000
// pipelined requests and checks that the count did not move. The test's own
// side uses plain send()/recv() on buffers made beforehand, so any
// allocation counted is the server's.
#define BOOST_TEST_MODULE alloc_tests
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <future>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "blocking_peer.hpp"
#include "test_server.hpp"
#include "wait.hpp"

namespace {
std::atomic<std::uint64_t> allocations{0};
// Fault injection: the next allocation on this thread fails.
std::atomic<std::thread::id> fail_next_on{};
}  // namespace

void* operator new(std::size_t n) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (fail_next_on.load(std::memory_order_relaxed) != std::thread::id{}) {
    auto me = std::this_thread::get_id();
    if (fail_next_on.compare_exchange_strong(me, std::thread::id{})) throw std::bad_alloc();
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

using proto::frame_type;

// Sends `batches` copies of `batch` and reads back `reply_bytes` per batch,
// one batch in flight at a time (each is many pipelined requests).
void exchange(int fd, const std::vector<std::byte>& batch, std::size_t reply_bytes, int batches,
              std::vector<char>& sink) {
  for (int b = 0; b < batches; ++b) {
    for (std::size_t sent = 0; sent < batch.size();) {
      const ssize_t n = ::send(fd, batch.data() + sent, batch.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      sent += static_cast<std::size_t>(n);
    }
    for (std::size_t got = 0; got < reply_bytes;) {
      const ssize_t n = ::recv(fd, sink.data(), sink.size(), 0);
      if (n <= 0) throw std::runtime_error("recv failed or timed out");
      got += static_cast<std::size_t>(n);
    }
  }
}

void check_steady_state(frame_type type, std::size_t payload_size, std::size_t reply_payload) {
  auto config = test::test_config();
  config.threads = 1;
  test::test_server srv(config);
  test::blocking_peer peer(srv.port());

  constexpr int per_batch = 100;
  std::vector<std::byte> batch;
  for (std::uint32_t id = 1; id <= per_batch; ++id) {
    proto::append_frame(batch, type, id, std::string(payload_size, 'p'));
  }
  const std::size_t reply_bytes = per_batch * (proto::header_size + reply_payload);
  std::vector<char> sink(64 * 1024);

  exchange(peer.fd(), batch, reply_bytes, 10, sink);  // warm-up: 1,000 requests
  const auto before = allocations.load();
  exchange(peer.fd(), batch, reply_bytes, 100, sink);  // 10,000 requests
  const auto after = allocations.load();
  BOOST_TEST(after - before == 0u, (after - before) << " allocations over 10,000 requests");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(steady_state)

BOOST_AUTO_TEST_CASE(pipelined_echo_requests_allocate_nothing) {
  check_steady_state(frame_type::echo, 64, 64);
}

BOOST_AUTO_TEST_CASE(pipelined_messages_allocate_nothing) {
  check_steady_state(frame_type::message, 64, proto::ack_text.size());
}

BOOST_AUTO_TEST_CASE(pipelined_pings_allocate_nothing) {
  check_steady_state(frame_type::ping, 0, 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(allocation_failure)

namespace {

// The server's log, as it is written in this process: a sink of the test's
// own beside the logger's, that notes when a line holding `text` has been
// logged. It allocates nothing when it is called.
class log_watch final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit log_watch(std::string_view text) : text_(text) {
    spdlog::default_logger()->sinks().push_back(handle());
  }
  ~log_watch() override {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), handle()), sinks.end());
  }
  bool seen() const { return seen_.load(); }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (std::string_view(msg.payload.data(), msg.payload.size()).find(text_) !=
        std::string_view::npos) {
      seen_.store(true);
    }
  }
  void flush_() override {}

 private:
  // The logger holds sinks by shared_ptr; this one lives on the test's
  // stack, so the pointer owns nothing.
  std::shared_ptr<spdlog::sinks::sink> handle() {
    return std::shared_ptr<spdlog::sinks::sink>(std::shared_ptr<void>(), this);
  }
  std::string_view text_;
  std::atomic<bool> seen_{false};
};

}  // namespace

// A server run on a thread of the test's own, whose id the fault injection
// names; stopped and joined at the end if it has not stopped by itself.
struct server_on_a_thread {
  explicit server_on_a_thread(server::server_config config)
      : srv(config),
        port(srv.listen().front().port),
        thread([this] { status.set_value(srv.run()); }) {}
  ~server_on_a_thread() {
    if (!stopped_within(std::chrono::seconds(0))) srv.stop();
    thread.join();
  }
  bool stopped_within(std::chrono::seconds t) const {
    return ended.wait_for(t) == std::future_status::ready;
  }
  server::server srv;
  std::uint16_t port;
  std::promise<int> status;
  std::shared_future<int> ended = status.get_future().share();
  std::thread thread;
};

server::server_config one_worker(std::size_t max_connections = 10000) {
  auto config = test::test_config();
  config.threads = 1;
  config.max_connections = max_connections;
  return config;
}

BOOST_AUTO_TEST_CASE(an_allocation_failure_making_a_session_closes_that_connection_only) {
  // A session's memory is allocated on its worker's thread when the
  // connection arrives: if that fails, the connection is closed and the
  // server serves the next one (it used to stop with status 70).
  server_on_a_thread s(one_worker());
  {
    test::blocking_peer warm(s.port);  // Asio's memory for a connection, there to be reused
    warm.send_frame(proto::frame_type::ping, 1);
    BOOST_REQUIRE(warm.read_frame().has_value());
  }
  // The server is done with that connection (its session is destroyed,
  // which is what counts it out) before the next allocation is made to fail:
  // otherwise the failure may fall on its ending (a completion handler's),
  // which stops the server, instead of on the next one's session.
  BOOST_REQUIRE(test::wait_until([&] { return s.srv.live_connections() == 0; }));
  fail_next_on.store(s.thread.get_id());
  {
    test::blocking_peer refused(s.port);
    BOOST_TEST(refused.reads_to_clean_close(), "the connection without a session stays open");
  }
  const bool failure_used = fail_next_on.load() == std::thread::id{};
  fail_next_on.store(std::thread::id{});
  BOOST_TEST(failure_used);
  BOOST_TEST(!s.stopped_within(std::chrono::seconds(0)), "the server stopped");
  test::blocking_peer next(s.port);
  next.send_frame(proto::frame_type::ping, 2);
  BOOST_TEST(next.read_frame().has_value());
}

BOOST_AUTO_TEST_CASE(an_allocation_failure_in_the_accept_loop_stops_the_server_with_status_70) {
  // The accept loop allocates when it turns a connection away (the ERROR 4
  // text): make that allocation fail. A loop that died silently would leave
  // the server running and never accepting again; it must say so and stop.
  // Added before the server's thread starts, taken out after it has ended.
  log_watch turned_away_logged("busy: turned away");
  server_on_a_thread s(one_worker(1));
  {
    test::blocking_peer held(s.port);  // the one connection allowed
    held.send_frame(proto::frame_type::ping, 1);
    BOOST_REQUIRE(held.read_frame().has_value());
    {
      // One turned away first, so that Asio's own memory for a connection is
      // there to be reused and the failure falls in the loop itself.
      test::blocking_peer warm(s.port);
      BOOST_REQUIRE(warm.read_frame().has_value());  // ERROR 4
    }
    // The ERROR is written before the loop is done with that connection:
    // its last step, the warning, says it is (the failure must fall on the
    // next one's, not on this one's, which would go unnoticed).
    BOOST_REQUIRE(test::wait_until([&] { return turned_away_logged.seen(); }));
    fail_next_on.store(s.thread.get_id());
    test::blocking_peer turned_away(s.port);
    BOOST_TEST(s.stopped_within(std::chrono::seconds(10)),
               "the server is still running without its accept loop");
  }
  fail_next_on.store(std::thread::id{});
  if (s.stopped_within(std::chrono::seconds(0))) BOOST_TEST(s.ended.get() == 70);
}

BOOST_AUTO_TEST_SUITE_END()
