// The protocol over a WebSocket (GET /ws on the HTTP listener): the page's
// way to talk to the server. Every binary WebSocket message carries exactly
// one frame of the protocol (shared/PROTOCOL.md), and every reply frame goes
// back as a message of its own; the same protocol engine as on TCP answers
// them, so a message too is answered "Received". A message over --max-frame
// (plus the header) is closed with 1009, one that is not whole frames with
// 1007; a drain says GOAWAY (to a framed peer) and closes with 1001. The
// HTTP connection's coroutine runs it, on its worker, after the upgrade.
#pragma once

#include <memory>

#include "core/worker.hpp"
#include "http/http_stream.hpp"

namespace server {

class websocket_session {
 public:
  virtual ~websocket_session() = default;
  // Accepts the upgrade `req` and serves the connection until it ends.
  virtual boost::asio::awaitable<void> run(http_request req) = 0;
  // A drain: GOAWAY to a framed peer, then close 1001, once nothing is
  // being written.
  virtual void go_away() = 0;
  // Its GOAWAY and close are under way: the process's exit waits a little
  // for them (worker::close_http_connections).
  virtual bool saying_goodbye() const noexcept = 0;
};

// Over `stream`, which must outlive it; counted in `owner`'s metrics.
std::unique_ptr<websocket_session> make_websocket_session(
    http_stream& stream, worker& owner, std::shared_ptr<const session_settings> settings);

}  // namespace server
