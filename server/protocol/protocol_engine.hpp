// The protocol without the network: the bytes a peer sent go in, reply bytes
// come out, and the engine says what the connection must do next. No
// sockets, timers or logs: the session (session.hpp) moves the bytes and
// applies deadlines and limits around it, whatever the transport (TCP
// today; TLS, Unix sockets and WebSockets feed the same engine).
//
//   protocol_engine engine(settings);
//   auto r = engine.feed(bytes, replies, events);
//   // replies: an answer to every complete request in `bytes`, in order
//   // r.consumed: bytes used; the rest starts a frame whose size in all is
//   //             r.next_frame_size: keep them and feed them again with more
//   // r.next: keep_reading, or close_after_replies (an ERROR is the last reply)
//   engine.say_goodbye(replies);  // GOAWAY naming the last request answered
//
// The peer's kind is decided by its first byte: the protocol's magic (0xA5)
// makes it framed; anything else is a plain-bytes peer like the lecture's
// client.c, each feed one message, the first answered with the greeting and
// every later one with "Received". With --mode echo every byte goes back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "frame_codec.hpp"
#include "protocol/metrics.hpp"

namespace server {

enum class peer_kind : std::uint8_t {
  undecided,  // nothing received yet
  framed,     // the protocol (shared/PROTOCOL.md)
  raw,        // plain bytes, each feed one message
  echo,       // --mode echo
};

enum class next_step : std::uint8_t {
  keep_reading,
  close_after_replies,  // a frame could not be read: ERROR is the last reply
};

// What the engine reports as it handles requests, so that its connection
// can log them; the engine itself knows nothing of logs. All no-ops here.
class engine_events {
 public:
  // A HELLO, or a raw peer's first message.
  virtual void greeted(std::string_view /*text*/) {}
  // A MESSAGE, or a raw peer's later messages.
  virtual void received(std::string_view /*text*/) {}
  // A frame of a type the server does not serve (answered ERROR 3).
  virtual void unknown_type(std::uint8_t /*type*/, std::uint32_t /*id*/) {}
  // A header that cannot be read (answered ERROR 1 or 2; the connection
  // closes). `buffered`: the bytes received from that header on.
  virtual void bad_frame(proto::decode_status /*why*/, std::size_t /*buffered*/) {}

 protected:
  ~engine_events() = default;
};

struct engine_settings {
  std::uint32_t max_frame = proto::default_max_payload;
  std::string_view greeting = proto::default_greeting;
  bool echo = false;  // --mode echo
};

struct feed_result {
  std::size_t consumed = 0;
  // Requests answered; a raw or echo peer's message counts as one.
  std::uint32_t answered = 0;
  // 0 when all was consumed; otherwise the size, header included, of the
  // frame the rest begins (the header's size until the header is in).
  std::size_t next_frame_size = 0;
  next_step next = next_step::keep_reading;
};

class protocol_engine {
 public:
  // `settings` must outlive the engine, and `counts` (if given) too: every
  // request answered and every ERROR said is counted there.
  explicit protocol_engine(const engine_settings& settings,
                           metrics::engine_counts* counts = nullptr) noexcept;

  // Answers every complete request at the front of `input`, appending the
  // replies to `replies`. After close_after_replies, feeds answer nothing.
  feed_result feed(proto::bytes_view input, std::vector<std::byte>& replies, engine_events& events);

  // When the server ends the connection on its own (shutdown, idle): GOAWAY
  // naming the last request answered, for a framed peer; nothing for others,
  // which would not understand it.
  void say_goodbye(std::vector<std::byte>& replies) const;

  // When the server will not buffer the frame that `pending` begins (over
  // the memory budget): ERROR 4 with `why`, for a framed peer.
  void refuse(proto::bytes_view pending, std::string_view why, std::vector<std::byte>& replies);

  peer_kind kind() const noexcept { return kind_; }
  std::uint32_t last_answered() const noexcept { return last_answered_; }
  bool closed() const noexcept { return closed_; }

 private:
  feed_result feed_frames(proto::bytes_view input, std::vector<std::byte>& replies,
                          engine_events& events);

  void count(metrics::request r) const noexcept {
    if (counts_) counts_->request(r);
  }
  void count_error(proto::error_code e) const noexcept {
    if (counts_) counts_->error(static_cast<std::uint16_t>(e));
  }

  const engine_settings* settings_;
  metrics::engine_counts* counts_;
  std::uint32_t last_answered_ = 0;
  peer_kind kind_;
  bool greeted_ = false;  // raw: the first message has had the greeting
  bool closed_ = false;
};

}  // namespace server
