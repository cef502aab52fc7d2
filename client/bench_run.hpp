// The state of one --bench run, shared by its connections (all on one
// thread): the clock, the measured window, the results, and the loops each
// connection runs. bench.cpp drives it; bench_run.cpp keeps its accounts
// and checks the replies; bench_loops.cpp and bench_connect_loops.cpp hold
// the loops.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench_result.hpp"
#include "client_config.hpp"
#include "exit_codes.hpp"
#include "frame_codec.hpp"
#include "in_flight_window.hpp"
#include "transport.hpp"

namespace client {

class bench_run {
 public:
  bench_run(const client_config& config, connector& server);

  const client_config& config;
  const bench_options& options;
  connector& server;

  // The loops, one per connection (bench_loops.cpp, bench_connect_loops.cpp).
  // `slot` names the
  // connection's entry in live_sockets. Each catches its own errors.
  boost::asio::awaitable<void> framed_closed_loop(std::size_t slot);
  boost::asio::awaitable<void> framed_fixed_rate(std::size_t slot,
                                                 bench_clock::time_point first_due);
  boost::asio::awaitable<void> raw_closed_loop(std::size_t slot);
  boost::asio::awaitable<void> connect_per_request(std::size_t slot);
  boost::asio::awaitable<void> open_idle(std::size_t slot, std::size_t& opened,
                                         std::vector<stream>& held);

  // A reply arrived at `now` for a request sent (or due) at `sent`.
  void record(bench_clock::time_point sent, bench_clock::time_point now) noexcept;
  // The measured window ends; connections stop sending and finish.
  void stop(bench_clock::time_point now) noexcept;
  bool stopping() const noexcept { return stopping_; }
  // Counts an error; the first one's text and exit code are kept.
  void fail(int exit_code, std::string why);
  // Closes every socket still open: the end of the grace period after stop.
  void close_all();

  void start(bench_clock::time_point now);
  bench_clock::time_point measure_from() const noexcept { return measure_from_; }
  bench_result finish(bench_clock::time_point now);
  int exit_code() const noexcept { return exit_code_; }
  std::uint64_t errors() const noexcept { return result_.errors; }

  // For the progress line.
  std::uint64_t answered_total = 0;
  latency_histogram this_second;
  bool track_progress = false;

  std::vector<stream*> live_sockets;

 private:
  // The payload of request `id`: the pattern with the id in its first bytes.
  const std::vector<std::byte>& payload_for(std::uint32_t id);
  bool echoed_correctly(proto::bytes_view got, std::uint32_t id) const;
  // Checks a framed reply; false (after fail()) if it is wrong.
  bool reply_is_right(const proto::frame& f);
  // A reply arrived at `now`: takes its request out of `window`, checks it
  // and records its latency; false (after fail()) if it is wrong.
  bool take_reply(const proto::frame& f, in_flight_window& window, bench_clock::time_point now);
  // The server closed with `in_flight` requests unanswered.
  void closed_early(std::size_t in_flight);
  // One connection of framed_closed_loop: requests `window` carried over
  // from the last one go first; what is left unanswered when it ends (with
  // --reconnect) is carried over again; `answered` counts the replies it
  // got. True when it should be opened again.
  boost::asio::awaitable<bool> framed_connection_run(std::size_t slot, stream socket,
                                                     in_flight_window& window,
                                                     std::uint64_t& answered);

  std::vector<std::uint64_t> per_second_;  // answers per second of the window

  std::vector<std::byte> payload_;
  std::vector<std::byte> pattern_;
  bench_clock::time_point measure_from_{};
  bench_clock::time_point stopped_at_{};
  bool stopping_ = false;
  bench_result result_;
  int exit_code_ = cli::exit_code::ok;
};

// The reply type that answers `request`.
inline proto::frame_type reply_type(proto::frame_type request) {
  return static_cast<proto::frame_type>(static_cast<std::uint8_t>(request) | 0x80);
}

// Registers a socket in its slot of live_sockets, for close_all(), while it
// lives.
struct live_socket {
  live_socket(bench_run& run, std::size_t slot, stream& s) : run(run), slot(slot) {
    run.live_sockets[slot] = &s;
  }
  ~live_socket() { run.live_sockets[slot] = nullptr; }
  bench_run& run;
  std::size_t slot;
};

}  // namespace client
