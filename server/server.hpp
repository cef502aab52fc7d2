// The server: N workers (one io_context and thread each, see worker.hpp), an
// acceptor on worker 0, and the shutdown sequence.
//
// Shutdown (SIGINT, SIGTERM or stop()): the acceptor closes, every session
// answers what it has read, sends GOAWAY and closes gracefully; run() returns
// when the last session is gone, or when --drain-timeout expires and the rest
// are closed. A second signal closes the rest at once.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "server_config.hpp"
#include "session_tracker.hpp"
#include "worker.hpp"

namespace server {

class server {
 public:
  explicit server(server_config config);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds and listens; returns the endpoint, with the real port when asked
  // for port 0. Throws listen_error ("cannot listen on ...").
  boost::asio::ip::tcp::endpoint listen();

  // Serves until shut down: worker 0 on the calling thread, the others on
  // threads of their own. Returns after the drain.
  void run();

  // Starts the graceful shutdown; a second call closes what is left. Safe
  // from any thread.
  void stop();

  struct totals {
    std::uint64_t connections = 0;
    std::uint64_t requests = 0;
    std::size_t force_closed = 0;
  };
  // Valid after run() returned.
  totals summary() const;

 private:
  void wait_for_signal();
  void begin_drain();   // on worker 0
  void finish_drain();  // on worker 0
  void force_close_all();

  server_config config_;
  std::vector<std::unique_ptr<worker>> workers_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::optional<boost::asio::signal_set> signals_;
  boost::asio::steady_timer drain_timer_;
  session_tracker tracker_;
  std::atomic<std::size_t> force_closed_{0};  // added to by every worker
  // Worker 0's thread only:
  bool draining_ = false;
  bool drained_ = false;
};

}  // namespace server
