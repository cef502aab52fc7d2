// How a session is started: on its worker's thread, in a coroutine of its
// own, which owns it until the connection ends (session_loop.hpp).
#pragma once

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <memory>
#include <string>

#include "session/session.hpp"
#include "session/session_log.hpp"

namespace server {

template <typename Stream>
void start_session(Stream stream, worker& owner, bool proxied) {
  session_tracker::ticket counted(owner.shared().tracker);
  // Set up on the owner's thread, not the acceptor's: a session's memory is
  // allocated, and its state touched, only by the thread that serves it.
  boost::asio::post(owner.context(), [stream = std::move(stream), &owner,
                                      counted = std::move(counted), proxied]() mutable {
    try {
      auto s = std::make_unique<session<Stream>>(std::move(stream), owner, proxied);
      counted.hand_over();
      auto& serving = *s;
      // The handler owns the session, so it lives until run() has returned;
      // it logs anything run() let escape, so that no failure is silent.
      boost::asio::co_spawn(owner.context(), serving.run(),
                            [s = std::move(s)](std::exception_ptr e) { log_session_failure(e); });
    } catch (const std::bad_alloc&) {
      // Out of memory for this one connection: it is closed (the stream, or
      // the session holding it, is destroyed here) and the server goes on.
      std::string note;
      if (owner.warnings().allow(note)) {
        spdlog::warn("out of memory for a new connection: closed it{}", note);
      }
    }
  });
}

}  // namespace server
