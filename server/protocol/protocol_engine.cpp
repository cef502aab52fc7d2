#include "protocol/protocol_engine.hpp"

#include "protocol/request_handler.hpp"

namespace server {

protocol_engine::protocol_engine(const engine_settings& settings,
                                 metrics::engine_counts* counts) noexcept
    : settings_(&settings),
      counts_(counts),
      kind_(settings.echo ? peer_kind::echo : peer_kind::undecided) {}

feed_result protocol_engine::feed(proto::bytes_view input, std::vector<std::byte>& replies,
                                  engine_events& events) {
  if (closed_ || input.empty()) return {input.size(), 0, 0, next_step::keep_reading};
  if (kind_ == peer_kind::undecided) {
    kind_ = std::to_integer<std::uint8_t>(input[0]) == proto::magic ? peer_kind::framed
                                                                    : peer_kind::raw;
  }
  switch (kind_) {
    case peer_kind::framed:
      return feed_frames(input, replies, events);
    case peer_kind::raw: {
      // No framing: each read is taken as one message, as the lecture's
      // server does. The first is the peer's greeting.
      const std::string_view text{reinterpret_cast<const char*>(input.data()), input.size()};
      if (greeted_) {
        events.received(text);
      } else {
        events.greeted(text);
      }
      handle_raw_chunk(!greeted_, settings_->greeting, replies);
      count(metrics::request::raw);
      greeted_ = true;
      return {input.size(), 1, 0, next_step::keep_reading};
    }
    case peer_kind::echo:
      replies.insert(replies.end(), input.begin(), input.end());
      count(metrics::request::echo_mode);
      return {input.size(), 1, 0, next_step::keep_reading};
    case peer_kind::undecided:
      break;
  }
  return {};
}

feed_result protocol_engine::feed_frames(proto::bytes_view input, std::vector<std::byte>& replies,
                                         engine_events& events) {
  feed_result r;
  for (;;) {
    const auto d = proto::decode_frame(input.subspan(r.consumed), settings_->max_frame);
    if (d.status == proto::decode_status::need_more) {
      if (r.consumed < input.size()) r.next_frame_size = d.needed;
      return r;
    }
    if (d.status != proto::decode_status::complete) {
      // The stream's framing cannot be trusted any more (or the frame is
      // refused from its header): say why, then the connection closes.
      reply_to_bad_frame(d, settings_->max_frame, replies);
      count_error(d.status == proto::decode_status::too_large ? proto::error_code::frame_too_large
                                                              : proto::error_code::malformed_frame);
      events.bad_frame(d.status, input.size() - r.consumed);
      r.consumed = input.size();
      r.next = next_step::close_after_replies;
      closed_ = true;
      return r;
    }
    const proto::frame& f = d.decoded;
    switch (f.type()) {
      case proto::frame_type::hello:
        events.greeted(f.text());
        count(metrics::request::hello);
        break;
      case proto::frame_type::message:
        events.received(f.text());
        count(metrics::request::message);
        break;
      case proto::frame_type::echo:
        count(metrics::request::echo);
        break;
      case proto::frame_type::ping:
        count(metrics::request::ping);
        break;
      default:
        events.unknown_type(f.header.type, f.id());
        count(metrics::request::unknown);
        count_error(proto::error_code::unknown_type);
    }
    handle_request(f, settings_->greeting, replies);
    last_answered_ = f.id();
    ++r.answered;
    r.consumed += d.consumed;
  }
}

void protocol_engine::say_goodbye(std::vector<std::byte>& replies) const {
  if (kind_ == peer_kind::framed && !closed_) proto::append_goaway(replies, last_answered_);
}

void protocol_engine::refuse(proto::bytes_view pending, std::string_view why,
                             std::vector<std::byte>& replies) {
  if (kind_ != peer_kind::framed || closed_) return;
  const auto d = proto::decode_frame(pending, UINT32_MAX);
  const std::uint32_t id = pending.size() >= proto::header_size ? d.decoded.id() : 0;
  proto::append_error(replies, id, proto::error_code::server_busy, why);
  count_error(proto::error_code::server_busy);
}

}  // namespace server
