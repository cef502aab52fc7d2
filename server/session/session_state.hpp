// Where a connection is in its life, the one deadline each phase has, and
// every way a connection can end. All transitions are the member functions
// below; the session coroutine (session.hpp) calls them and nothing else
// sets the phase or the deadline. No I/O: tests drive it with their own clock.
//
//   phase       what it is waiting for              its deadline (then)
//   greeting    the first byte                      --handshake-timeout from connecting (close)
//   reading     the next request                    --idle-timeout from the last answer (GOAWAY)
//   mid_frame   the rest of a frame                 the sooner of idle, and --frame-timeout
//                                                   from the frame's first byte, not counting
//                                                   time the server did not read (GOAWAY)
//   throttled   room in the memory budget, unread   a grace second (ERROR 4, close)
//   writing     the peer to take its replies        --write-timeout from the last byte it took;
//                                                   a grace second when memory is short (close)
//   closing     the peer's close, after ours        --linger (close)
//
// Whether a deadline has passed is asked of the clock when the session acts
// on it (expired(now)), never remembered in a flag: a deadline cannot go on
// "having fired" after the connection moved on.
//
// Beside the phase, the two other things that make up the connection's
// control state: what the coroutine is awaiting right now (the only thing
// the watchdog, a drain or a close may interrupt), and, once the
// conversation is over, why (which decides the goodbye).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace server {

using steady_clock = std::chrono::steady_clock;

enum class phase : std::uint8_t { greeting, reading, mid_frame, throttled, writing, closing };

// Every way a connection ends; session_log.cpp logs each in one place.
enum class end_reason : std::uint8_t {
  peer_closed,            // end of stream between requests: the normal end
  peer_closed_mid_frame,  // end of stream in the middle of a frame
  connection_lost,        // a reset or another network error
  handshake_timeout,      // greeting expired (TLS: the handshake did not finish in time)
  handshake_failed,       // TLS: the handshake failed (logged at info where it happened)
  idle_timeout,           // reading (or mid_frame, by the idle clock) expired: GOAWAY
  frame_timeout,          // mid_frame expired by the frame clock: GOAWAY
  write_timeout,          // writing expired
  over_budget,            // throttled expired: ERROR 4
  over_budget_unread,     // memory ran short and the peer took no replies for a grace second
  bad_frame,              // a header that cannot be read: ERROR 1 or 2
  incomplete_message,     // a WebSocket message that is not whole frames (close 1007)
  shutdown,               // the server drains: GOAWAY
  closed_by_server,       // closed at once: a second signal, or the drain timeout
  internal_error,         // a bug: logged as an error
};

std::string_view describe(phase p) noexcept;

// What the session coroutine is awaiting: `working` between two awaits
// (nothing to interrupt), otherwise the kind of wait it is in.
enum class activity : std::uint8_t { working, reading, writing, waiting_for_memory };

struct session_timeouts {
  std::chrono::milliseconds handshake{std::chrono::seconds(10)};
  std::chrono::milliseconds idle{std::chrono::minutes(5)};
  std::chrono::milliseconds frame{std::chrono::seconds(30)};
  std::chrono::milliseconds write{std::chrono::seconds(30)};
  std::chrono::milliseconds linger{std::chrono::seconds(2)};
  std::chrono::milliseconds budget_grace{std::chrono::seconds(1)};
};

// now + d, or the end of time rather than an overflow.
steady_clock::time_point saturating_add(steady_clock::time_point now,
                                        std::chrono::milliseconds d) noexcept;

class session_state {
 public:
  // `timeouts` must outlive the state. Starts in greeting.
  session_state(const session_timeouts& timeouts, steady_clock::time_point now) noexcept;

  phase current() const noexcept { return phase_; }
  steady_clock::time_point deadline() const noexcept { return deadline_; }
  bool expired(steady_clock::time_point now) const noexcept { return now >= deadline_; }
  // What it means that the current phase's deadline passed.
  end_reason timeout_reason() const noexcept;

  // Bytes were read and answered: `answered` requests were complete, and
  // `partial` says whether the start of another frame is kept. The idle
  // clock restarts with an answer (the first byte also ends the greeting);
  // a frame clock starts with a frame's first byte.
  void read(steady_clock::time_point now, bool answered, bool partial) noexcept;
  // Replies are waiting for the peer to take them. The frame clock of a
  // frame in progress stops until all are written: the peer is not read
  // meanwhile, so the time is not its to account for.
  void writing(steady_clock::time_point now) noexcept;
  // The peer took some: the write clock restarts.
  void wrote(steady_clock::time_point now) noexcept;
  // All replies went: back to reading (the idle clock restarts, since the
  // connection was not read from while writing) or mid_frame.
  void written(steady_clock::time_point now, bool partial) noexcept;
  // The memory budget is used up: the frame in progress is not read on.
  void throttled(steady_clock::time_point now) noexcept;
  // There is room again; the time spent unread counts on neither clock.
  void unthrottled(steady_clock::time_point now) noexcept;
  // Writing, and the peer has taken nothing for `d`.
  bool stalled_for(steady_clock::time_point now, std::chrono::milliseconds d) const noexcept {
    return phase_ == phase::writing && deadline_ != steady_clock::time_point::max() &&
           now - (deadline_ - timeouts_->write) >= d;
  }
  // Goodbye said and the sending side closed: wait for the peer's close.
  void closing(steady_clock::time_point now) noexcept;

  // What the coroutine awaits (set before each wait, back to working after).
  activity doing() const noexcept { return doing_; }
  void awaiting(activity a) noexcept { doing_ = a; }
  // Why the conversation is over, once it is (a later, truer reason may
  // replace an earlier one: a timeout found to be a failed handshake).
  const std::optional<end_reason>& ending() const noexcept { return ending_; }
  void end(end_reason why) noexcept { ending_ = why; }
  void end(std::optional<end_reason> why) noexcept { ending_ = why; }

 private:
  // Reading, or mid_frame when the start of a frame is kept.
  void wait_for_requests(bool partial) noexcept;

  const session_timeouts* timeouts_;
  steady_clock::time_point deadline_;
  steady_clock::time_point last_answer_;
  steady_clock::time_point frame_began_;
  phase phase_ = phase::greeting;
  activity doing_ = activity::working;
  std::optional<end_reason> ending_;
};

}  // namespace server
