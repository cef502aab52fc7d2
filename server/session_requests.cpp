// Turning the bytes a session has read into replies: frames through the
// codec and the request handler, plain-bytes peers as the lecture's server,
// echo mode as it came. No I/O here; everything goes to the reply buffer.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "printable.hpp"
#include "request_handler.hpp"
#include "session.hpp"

namespace server {

using boost::asio::ip::tcp;

namespace {

void log_request(const proto::frame& f, const tcp::endpoint& peer) {
  switch (f.type()) {
    case proto::frame_type::hello:
      if (spdlog::should_log(spdlog::level::info)) spdlog::info("{}", proto::printable(f.text()));
      break;
    case proto::frame_type::message:
      if (spdlog::should_log(spdlog::level::info))
        spdlog::info("(server) Received: {}", proto::printable(f.text()));
      break;
    case proto::frame_type::echo:
    case proto::frame_type::ping:
      break;  // load traffic: not worth a line each
    default:
      spdlog::warn("{}: unknown frame type 0x{:02x} (request {}), answered ERROR 3",
                   peer.address().to_string(), unsigned{f.header.type}, f.id());
  }
}

}  // namespace

bool session::answer(std::size_t n) {
  // From the read to the write nothing awaits, so the worker's scratch
  // buffers are this session's alone. A hot connection's bytes are in
  // `in_` already; a quiet one's are in the scratch buffer.
  const proto::bytes_view chunk = hot_ ? proto::bytes_view{} : owner_.read_scratch().first(n);
  const proto::bytes_view bytes = hot_ ? in_.readable() : chunk;
  std::vector<std::byte>& replies = owner_.reply_scratch();
  if (kind_ == peer_kind::undecided) {
    kind_ = std::to_integer<std::uint8_t>(bytes[0]) == proto::magic ? peer_kind::framed
                                                                    : peer_kind::raw;
  }
  bool keep_open = true;
  switch (kind_) {
    case peer_kind::framed:
      keep_open = answer_frames(chunk, replies);
      break;
    case peer_kind::raw:
      answer_raw_chunk(bytes, replies);
      break;
    case peer_kind::echo:
      replies.insert(replies.end(), bytes.begin(), bytes.end());
      ++owner_.requests;
      set_deadline(config_.idle_timeout);
      break;
    case peer_kind::undecided:
      break;
  }
  if (kind_ != peer_kind::framed && hot_) in_.consume(bytes.size());
  if (!hot_ && ++busy_reads_ == reads_to_get_hot) heat_up();
  return keep_open;
}

bool session::answer_frames(proto::bytes_view chunk, std::vector<std::byte>& replies) {
  // Decode from the scratch buffer directly unless the start of a frame is
  // waiting in `in_`; then the new bytes join it there.
  proto::bytes_view input = chunk;
  const bool continuing = !in_.empty();
  if (continuing) {
    auto space = in_.prepare(chunk.size());
    std::copy(chunk.begin(), chunk.end(), space.begin());
    in_.commit(chunk.size());
    input = in_.readable();
  }
  std::size_t used = 0;
  std::uint64_t answered = 0;
  bool keep_open = true;
  for (;;) {
    const auto r = proto::decode_frame(input.subspan(used), config_.max_frame);
    if (r.status == proto::decode_status::need_more) {
      next_frame_size_ = r.needed;
      break;
    }
    if (r.status != proto::decode_status::complete) {
      reply_to_bad_frame(r, config_.max_frame, replies);
      spdlog::warn(
          "{}: {} ({} bytes buffered), answered ERROR and closing", peer_.address().to_string(),
          r.status == proto::decode_status::too_large   ? "frame too large"
          : r.status == proto::decode_status::bad_magic ? "malformed frame: bad magic"
                                                        : "malformed frame: unsupported version",
          input.size() - used);
      used = input.size();
      keep_open = false;
      break;
    }
    log_request(r.decoded, peer_);
    handle_request(r.decoded, config_.greeting, replies);
    last_request_id_ = r.decoded.id();
    ++answered;
    used += r.consumed;
  }
  if (answered != 0) {
    owner_.requests += answered;
    set_deadline(config_.idle_timeout);  // a complete request is activity; a partial one is not
  }

  if (continuing) {
    in_.consume(used);
  } else if (used < input.size()) {
    // Keep the start of the next frame, with room for all of it (its
    // length, once the header is in, is already checked against the limit).
    const auto rest = input.subspan(used);
    auto space = in_.prepare(std::max(rest.size(), next_frame_size_));
    std::copy(rest.begin(), rest.end(), space.begin());
    in_.commit(rest.size());
  }
  if (!hot_ && in_.empty() && in_.capacity() > retained_partial_bytes) in_.release();
  return keep_open;
}

void session::answer_raw_chunk(proto::bytes_view chunk, std::vector<std::byte>& replies) {
  // A raw peer has no framing: each read is taken as one message, as the
  // lecture's server does. The first is its greeting.
  const std::string_view text{reinterpret_cast<const char*>(chunk.data()), chunk.size()};
  if (spdlog::should_log(spdlog::level::info)) {
    if (chunks_ == 0) {
      spdlog::info("{}", proto::printable(text));
    } else {
      spdlog::info("(server) Received: {}", proto::printable(text));
    }
  }
  handle_raw_chunk(chunks_ == 0, config_.greeting, replies);
  ++chunks_;
  ++owner_.requests;
  set_deadline(config_.idle_timeout);
}

}  // namespace server
