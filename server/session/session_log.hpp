// What a session says in the log: the lecture's lines for each greeting and
// message, warnings a peer causes (limited, see log_limiter), and one line
// for how each connection ended. Kept apart from session_loop.hpp so that the
// coroutine reads as the protocol.
#pragma once

#include <cstddef>
#include <exception>

#include "core/server_config.hpp"
#include "core/streams.hpp"
#include "protocol/protocol_engine.hpp"
#include "service/logging.hpp"
#include "session/session_state.hpp"

namespace server {

// The engine's events as log lines, for one feed of one connection.
class request_log final : public engine_events {
 public:
  request_log(const peer_name& peer, log_limiter& limiter, bool& warned_unknown) noexcept
      : peer_(peer), limiter_(limiter), warned_unknown_(warned_unknown) {}

  void greeted(std::string_view text) override;
  void received(std::string_view text) override;
  void unknown_type(std::uint8_t type, std::uint32_t id) override;
  void bad_frame(proto::decode_status why, std::size_t buffered) override;

 private:
  const peer_name& peer_;
  log_limiter& limiter_;
  bool& warned_unknown_;
};

struct end_details {
  const peer_name& peer;
  const server_config& config;
  log_limiter& limiter;
  std::size_t frame_received = 0;  // bytes of an incomplete frame
  std::size_t frame_size = 0;      // and its size in all
  std::size_t unsent = 0;          // reply bytes the peer did not take
};

// The line for a connection's end, at the level it deserves (none for the
// normal ones above debug).
void log_end(end_reason why, const end_details& d);

// For the co_spawn handler: an exception that escaped a session (a bug).
void log_session_failure(std::exception_ptr e) noexcept;

}  // namespace server
