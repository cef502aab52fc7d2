#include "listener.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/steady_timer.hpp>
#include <sstream>
#include <stdexcept>

#include "asio_support.hpp"
#include "frame_codec.hpp"
#include "session.hpp"

namespace server {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

std::string describe(const tcp::endpoint& ep) {
  std::ostringstream s;
  s << ep;
  return s.str();
}

[[noreturn]] void fail(const std::string& where, const boost::system::error_code& ec) {
  throw listen_error("cannot listen on " + where + ": " + ec.message());
}

// Returns false (with `ec`) instead of throwing, so the caller can fall back.
bool try_listen(tcp::acceptor& acceptor, const tcp::endpoint& ep, boost::system::error_code& ec) {
  acceptor.open(ep.protocol(), ec);
  if (ec) return false;
  if (ep.address().is_v6() && ep.address().is_unspecified()) {
    acceptor.set_option(asio::ip::v6_only(false), ec);  // also take IPv4 clients
  }
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);  // restart while in TIME_WAIT
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    return false;
  }
  return true;
}

bool out_of_descriptors(const boost::system::error_code& ec) {
  return ec == asio::error::no_descriptors || ec == boost::system::errc::too_many_files_open ||
         ec == boost::system::errc::too_many_files_open_in_system ||
         ec == asio::error::no_buffer_space || ec == asio::error::no_memory;
}

// Connections turned away since the last warning, so that a flood makes
// one line a second, not one per connection.
struct turned_away_log {
  std::uint64_t count = 0;
  std::chrono::steady_clock::time_point last_report;
};

// Over --max-connections: ERROR 4 and a close, costing no session. What the
// peer already sent is read first, so that the close is a FIN, not a reset
// that could destroy the ERROR before the peer reads it.
template <typename Socket>
void turn_away(Socket& socket, std::size_t max_connections, turned_away_log& log) {
  std::vector<std::byte> busy;
  proto::append_error(
      busy, 0, proto::error_code::server_busy,
      "server busy: " + std::to_string(max_connections) + " connections already; try again later");
  boost::system::error_code ec;
  socket.non_blocking(true, ec);
  socket.write_some(asio::buffer(busy), ec);
  socket.shutdown(tcp::socket::shutdown_send, ec);
  std::array<char, 4096> sink;
  while (!ec) socket.read_some(asio::buffer(sink), ec);
  socket.close(ec);
  ++log.count;
  const auto now = std::chrono::steady_clock::now();
  if (now - log.last_report >= std::chrono::seconds(1)) {
    spdlog::warn("busy: turned away {} connection(s) over --max-connections {}", log.count,
                 max_connections);
    log.count = 0;
    log.last_report = now;
  }
}

}  // namespace

void open_listener(tcp::acceptor& acceptor, const server_config& config) {
  boost::system::error_code ec;
  if (config.bind_address.empty()) {
    const tcp::endpoint any6{asio::ip::address_v6::any(), config.port};
    if (try_listen(acceptor, any6, ec)) return;
    if (ec != asio::error::address_family_not_supported) fail(describe(any6), ec);
    const tcp::endpoint any4{asio::ip::address_v4::any(), config.port};
    if (!try_listen(acceptor, any4, ec)) fail(describe(any4), ec);
    return;
  }
  // A literal address, or a name to resolve; the first that binds wins.
  tcp::resolver resolver(acceptor.get_executor());
  const auto results =
      resolver.resolve(config.bind_address, std::to_string(config.port),
                       tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec) fail(config.bind_address + ":" + std::to_string(config.port), ec);
  tcp::endpoint last;
  for (const auto& entry : results) {
    last = entry.endpoint();
    if (try_listen(acceptor, last, ec)) return;
  }
  fail(describe(last), ec);
}

asio::awaitable<void> accept_connections(tcp::acceptor& acceptor,
                                         std::span<const std::unique_ptr<worker>> workers) {
  const server_config& config = workers[0]->config();
  const session_tracker& tracker = workers[0]->shared().tracker;
  asio::steady_timer backoff(acceptor.get_executor());
  std::size_t next = 0;
  bool starved = false;
  turned_away_log turned_away;
  while (acceptor.is_open()) {
    worker& owner = *workers[next];
    // Accepted onto the owner's io_context, so the socket is its from the start.
    tcp_stream socket(owner.context());
    auto [ec] = co_await acceptor.async_accept(socket, net::use_tuple);
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) break;
    if (ec) {
      if (out_of_descriptors(ec)) {
        // Retrying at once would spin: the pending connection stays in the
        // backlog until a descriptor is free. Existing sessions go on.
        if (!starved) spdlog::warn("accept: {}; retrying every 100 ms", ec.message());
        starved = true;
        backoff.expires_after(std::chrono::milliseconds(100));
        co_await backoff.async_wait(net::use_tuple);
      } else {
        spdlog::debug("accept: {}", ec.message());  // that connection's problem, not ours
      }
      continue;
    }
    if (starved) spdlog::info("accept: descriptors available again");
    starved = false;
    if (tracker.live() >= config.max_connections) {
      turn_away(socket, config.max_connections, turned_away);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);  // replies go out when written
    start_session(std::move(socket), owner);
    next = (next + 1) % workers.size();
  }
}

}  // namespace server
