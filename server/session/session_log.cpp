#include "session/session_log.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <string>

#include "printable.hpp"

namespace server {

namespace {

double seconds(std::chrono::milliseconds d) { return std::chrono::duration<double>(d).count(); }

std::string who(const peer_name& peer) { return peer.text(); }

}  // namespace

void request_log::greeted(std::string_view text) {
  if (spdlog::should_log(spdlog::level::info)) spdlog::info("{}", proto::printable(text));
}

void request_log::received(std::string_view text) {
  if (spdlog::should_log(spdlog::level::info)) {
    spdlog::info("(server) Received: {}", proto::printable(text));
  }
}

void request_log::unknown_type(std::uint8_t type, std::uint32_t id) {
  // Once per connection, and that within the limiter: a peer sending
  // nothing else must not fill the operator's disk.
  if (warned_unknown_ || !spdlog::should_log(spdlog::level::warn)) return;
  warned_unknown_ = true;
  std::string note;
  if (!limiter_.allow(note)) return;
  spdlog::warn(
      "{}: unknown frame type 0x{:02x} (request {}), answered ERROR 3; further unknown types on "
      "this connection are answered the same and not logged{}",
      who(peer_), unsigned{type}, id, note);
}

void request_log::bad_frame(proto::decode_status why, std::size_t buffered) {
  std::string note;
  if (!spdlog::should_log(spdlog::level::warn) || !limiter_.allow(note)) return;
  spdlog::warn("{}: {} ({} bytes buffered), answered ERROR and closing{}", who(peer_),
               why == proto::decode_status::too_large   ? "frame too large"
               : why == proto::decode_status::bad_magic ? "malformed frame: bad magic"
                                                        : "malformed frame: unsupported version",
               buffered, note);
}

void log_end(end_reason why, const end_details& d) {
  const auto& c = d.config;
  switch (why) {
    case end_reason::peer_closed:
    case end_reason::shutdown:
    case end_reason::closed_by_server:
    case end_reason::bad_frame:         // logged when it was found
    case end_reason::handshake_failed:  // likewise
    case end_reason::internal_error:    // logged where it was caught
      return;
    case end_reason::incomplete_message:
      spdlog::debug("{}: a WebSocket message that is not whole frames ({} bytes left), closing",
                    who(d.peer), d.frame_received);
      return;
    case end_reason::peer_closed_mid_frame:
      spdlog::info("{}: closed in the middle of a frame ({} of {} bytes received)", who(d.peer),
                   d.frame_received, d.frame_size);
      return;
    case end_reason::connection_lost:
      if (d.frame_received != 0) {
        spdlog::info("{}: connection lost in the middle of a frame ({} of {} bytes received)",
                     who(d.peer), d.frame_received, d.frame_size);
      }
      return;
    case end_reason::handshake_timeout:
      spdlog::info("{}: sent nothing for {} s after connecting (--handshake-timeout), closing",
                   who(d.peer), seconds(c.handshake_timeout));
      return;
    case end_reason::idle_timeout:
      spdlog::info("{}: no complete request for {} s (--idle-timeout), closing", who(d.peer),
                   seconds(c.idle_timeout));
      return;
    case end_reason::frame_timeout:
      if (d.frame_size == 0) {  // a WebSocket message's start: its size is not known
        spdlog::info(
            "{}: a message was not complete {} s after it began (--frame-timeout; {} bytes "
            "received), closing",
            who(d.peer), seconds(c.frame_timeout), d.frame_received);
        return;
      }
      spdlog::info(
          "{}: a frame was not complete {} s after it began (--frame-timeout; {} of {} bytes "
          "received), closing",
          who(d.peer), seconds(c.frame_timeout), d.frame_received, d.frame_size);
      return;
    case end_reason::write_timeout:
      spdlog::info(
          "{}: took no reply bytes for {} s (--write-timeout), closing with {} bytes unsent",
          who(d.peer), seconds(c.write_timeout), d.unsent);
      return;
    case end_reason::over_budget: {
      std::string note;
      if (!spdlog::should_log(spdlog::level::warn) || !d.limiter.allow(note)) return;
      spdlog::warn(
          "{}: refused a frame ({} of {} bytes received): connections hold --max-buffered-bytes "
          "{} already; answered ERROR 4 and closing{}",
          who(d.peer), d.frame_received, d.frame_size, c.max_buffered_bytes, note);
      return;
    }
    case end_reason::over_budget_unread: {
      std::string note;
      if (!spdlog::should_log(spdlog::level::warn) || !d.limiter.allow(note)) return;
      spdlog::warn(
          "{}: took no reply bytes for {} s while connections hold --max-buffered-bytes {}; "
          "closing with {} bytes unsent{}",
          who(d.peer), seconds(c.budget_grace), c.max_buffered_bytes, d.unsent, note);
      return;
    }
  }
}

void log_session_failure(std::exception_ptr e) noexcept {
  if (!e) return;
  try {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      spdlog::error("session failed: {}", x.what());
    } catch (...) {
      spdlog::error("session failed: unknown exception");
    }
  } catch (...) {
    // Logging itself failed (out of memory): nothing more can be said.
  }
}

}  // namespace server
