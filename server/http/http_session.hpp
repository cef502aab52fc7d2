// The HTTP listener's connections (--http): HTTP/1.1 with keep-alive on
// Boost.Beast, one coroutine per connection on its worker, like a protocol
// session. It answers:
//   GET /, /app.js, ...  the page (server/http/web/, compiled in: web_assets.hpp)
//   GET /ws        the protocol over a WebSocket, served from the upgrade
//                  on by a session like any other (websocket_stream.hpp);
//                  an upgrade from another origin than the page's is 403,
//                  one over --max-connections 503, one that is no upgrade 426
//   GET /metrics   Prometheus text exposition (metrics_report.hpp)
//   GET /stats     the same figures as JSON, for the page's live panel
//   GET /healthz   200 while the process runs
//   GET /readyz    200 while the server accepts work, 503 from the moment a
//                  drain starts (a load balancer stops sending new work
//                  before connections get GOAWAY)
// anything else 404, a method other than GET or HEAD 405 with Allow. A
// body framed by anything but Content-Length or chunked alone is 400 (501
// for an unknown coding before chunked) and a close, its body unread. The
// parser's limits: headers 8 KiB, bodies 64 KiB (431 and 413); bodies are
// dropped as they come. A request's first byte must come within
// --handshake-timeout (the first) or --idle-timeout (the next ones on a
// kept-alive connection), its header within --http-header-timeout, its body
// within --http-body-timeout (408). The read buffer is charged to the
// memory budget (503 when a header would not fit), and when HTTP
// connections fill --max-connections, a new one evicts the one that has
// waited longest for its request (worker.hpp), so probes are answered. HTTP
// connections do not hold a drain: they are answered until the process
// exits, when they are closed. A WebSocket, being a session, does: it says
// GOAWAY and closes with 1001 when the drain starts.
#pragma once

#include <boost/intrusive/list_hook.hpp>
#include <chrono>

#include "core/streams.hpp"

namespace server {

class worker;

// What a worker needs of an HTTP connection: to close it at exit.
class http_connection : public boost::intrusive::list_base_hook<
                            boost::intrusive::link_mode<boost::intrusive::auto_unlink>> {
 public:
  virtual void close() noexcept = 0;

  // Kept by its worker, on its thread (worker::http_reading()): since when
  // it has waited for or read a request (max while it answers one), and
  // whether it has been closed to make room for a newer connection.
  std::chrono::steady_clock::time_point reading_since =
      std::chrono::steady_clock::time_point::max();
  bool evicted = false;

 protected:
  ~http_connection() = default;
};

// Serves `socket` on `owner`'s thread (posted there).
void start_http_session(tcp_stream socket, worker& owner);

}  // namespace server
