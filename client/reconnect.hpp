// --reconnect: opening a connection again after one ended, backing off with
// jitter and giving up after --reconnect-for. The bench's closed loop and
// the exchange (--message, --stdin) both use it, one per connection slot.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "client_config.hpp"
#include "transport.hpp"

namespace client {

class reconnector {
 public:
  using clock = std::chrono::steady_clock;

  // `seed` spreads the jitter of connections that lost their server at the
  // same moment.
  reconnector(connector& server, const client_config& config, std::uint32_t seed);

  // A connection ended after `answered` replies. One that got none counts
  // as a failed attempt (a balancer accepts, then finds no server up), so
  // the client backs off instead of spinning.
  void ended(std::uint64_t answered);

  // A new connection: at once after a connection that was answered, else
  // after 10 ms, 20 ms... up to 1 s, each times 0.5 to 1.5. None when
  // --reconnect-for has passed without an answered connection (why() then
  // says what went wrong last), or when `stopping` turns true.
  boost::asio::awaitable<std::optional<stream>> connect(const bool& stopping);
  const std::string& why() const noexcept { return why_; }

 private:
  connector& server_;
  const client_config& config_;
  std::minstd_rand random_;
  unsigned fruitless_ = 0;    // connections in a row answered nothing
  clock::time_point opened_;  // when the last connection was made
  clock::time_point fruitless_since_;
  std::string why_;
};

}  // namespace client
