// The session coroutine instantiated for WebSocket peers (websocket_stream.hpp),
// in a file of its own so that only this file compiles it with Beast's
// WebSocket headers.
#include <algorithm>
#include <boost/asio/post.hpp>
#include <cstring>
#include <vector>

#include "http/websocket_stream.hpp"
#include "session/session_loop.hpp"
#include "session/session_watch.hpp"
#include "session/start_session.hpp"

namespace server {

namespace websocket = boost::beast::websocket;

struct websocket_stream::inbox {
  websocket_stream* owner = nullptr;  // null once the stream is gone
  std::vector<std::byte> bytes;       // what Beast's last read delivered
  std::size_t begin = 0;
  std::size_t end = 0;
  boost::system::error_code failed;  // Beast's read failed: the stream is over
  bool reading = false;              // Beast's read is pending
  bool ends_message = false;         // the bytes in the inbox end a message
  read_handler reader;               // the session's read, waiting
  boost::asio::mutable_buffer into;
  wait_handler waiter;  // the session's wait for memory

  // What the session's read gets now: waiting bytes first, then the failure.
  std::pair<boost::system::error_code, std::size_t> take(boost::asio::mutable_buffer to) {
    if (begin == end) return {failed, 0};
    const std::size_t n = std::min(to.size(), end - begin);
    std::memcpy(to.data(), bytes.data() + begin, n);
    begin += n;
    return {{}, n};
  }
};

websocket_stream::websocket_stream(tcp_stream socket, http_request upgrade,
                                   const server_config& config)
    : ws_(std::move(socket)), upgrade_(std::move(upgrade)), inbox_(std::make_shared<inbox>()) {
  inbox_->owner = this;
  // The session's deadlines rule (--handshake-timeout, --idle-timeout,
  // --frame-timeout, --write-timeout); Beast's own idle timeout is only a
  // backstop, well after any of them.
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = websocket::stream_base::none();
  timeouts.idle_timeout = 2 * std::max({config.idle_timeout, config.frame_timeout,
                                        config.write_timeout, config.handshake_timeout}) +
                          config.linger_timeout;
  timeouts.keep_alive_pings = false;
  ws_.set_option(timeouts);
  ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
    res.set(boost::beast::http::field::server, "asio_server");
  }));
  // A message holds whole frames: more than the largest frame is refused
  // (Beast closes with 1009 before buffering the rest).
  ws_.read_message_max(proto::header_size + config.max_frame);
  ws_.auto_fragment(false);
}

namespace {

// Beast's reads into the inbox are of this size: a WebSocket's bytes are
// copied once more than a TCP peer's, for the sake of the interruption.
constexpr std::size_t inbox_size = 16 * 1024;

void start_reading(const std::shared_ptr<websocket_stream::inbox>& box,
                   websocket::stream<tcp_stream>& ws);

void landed(const std::shared_ptr<websocket_stream::inbox>& box, boost::system::error_code ec,
            std::size_t n, bool ends_message) {
  box->reading = false;
  box->begin = 0;
  box->end = n;
  box->ends_message = !ec && ends_message;
  if (ec) box->failed = ec;
  if (box->reader) {
    auto h = std::move(box->reader);
    const auto [e, taken] = box->take(box->into);
    std::move(h)(e, taken);
  } else if (box->waiter && ec) {
    auto h = std::move(box->waiter);
    std::move(h)(boost::system::error_code());  // the connection failed
  }
}

void start_reading(const std::shared_ptr<websocket_stream::inbox>& box,
                   websocket::stream<tcp_stream>& ws) {
  if (box->reading || box->failed) return;
  box->reading = true;
  box->bytes.resize(inbox_size);
  ws.async_read_some(boost::asio::buffer(box->bytes),
                     [box](boost::system::error_code ec, std::size_t n) {
                       if (!box->owner) return;  // the stream is gone, and its session
                       landed(box, ec, n, box->owner->message_done_now());
                     });
}

}  // namespace

websocket_stream::websocket_stream(websocket_stream&& other) noexcept
    : established(other.established),
      ws_(std::move(other.ws_)),
      upgrade_(std::move(other.upgrade_)),
      inbox_(std::move(other.inbox_)),
      message_left_(other.message_left_) {
  if (inbox_) inbox_->owner = this;
}

websocket_stream::~websocket_stream() {
  if (inbox_) inbox_->owner = nullptr;
}

void websocket_stream::read(boost::asio::mutable_buffer into, read_handler handler) {
  inbox& box = *inbox_;
  if (box.begin != box.end || box.failed) {
    // Not a structured binding: clang 14 cannot capture one.
    const auto got = box.take(into);
    boost::asio::post(ws_.get_executor(), [h = std::move(handler), got]() mutable {
      std::move(h)(got.first, got.second);
    });
    return;
  }
  box.reader.swap(handler);  // not operator=: in Asio 1.81 it recurses without end
  box.into = into;
  start_reading(inbox_, ws_);
}

void websocket_stream::wait_error(wait_handler handler) {
  if (inbox_->failed) {
    boost::asio::post(ws_.get_executor(), [h = std::move(handler)]() mutable {
      std::move(h)(boost::system::error_code());
    });
    return;
  }
  inbox_->waiter.swap(handler);  // not operator=, as above
}

void websocket_stream::cancel(boost::system::error_code& ec) {
  inbox& box = *inbox_;
  const boost::system::error_code aborted = boost::asio::error::operation_aborted;
  if (box.reader) {
    boost::asio::post(ws_.get_executor(),
                      [h = std::move(box.reader), aborted]() mutable { std::move(h)(aborted, 0); });
  } else if (box.waiter) {
    boost::asio::post(ws_.get_executor(),
                      [h = std::move(box.waiter), aborted]() mutable { std::move(h)(aborted); });
  } else if (established) {
    ws_.next_layer().cancel(ec);
  }
}

bool websocket_stream::message_done() const noexcept {
  return inbox_->ends_message && inbox_->begin == inbox_->end;
}

void websocket_stream::begin_message(const boost::asio::const_buffer& buffer) {
  const proto::bytes_view bytes(static_cast<const std::byte*>(buffer.data()), buffer.size());
  const auto d = proto::decode_frame(bytes, UINT32_MAX);
  const bool frame =
      !bytes.empty() && std::to_integer<std::uint8_t>(bytes[0]) == proto::magic &&
      (d.status == proto::decode_status::complete || d.status == proto::decode_status::need_more);
  if (frame) {
    message_left_ = d.status == proto::decode_status::complete ? d.consumed : d.needed;
  } else {
    message_left_ = bytes.size();  // a plain-bytes peer's reply: what is queued
  }
  ws_.binary(frame || ws_.got_binary());
}

websocket::close_reason websocket_stream::close_reason_for(end_reason why) {
  switch (why) {
    case end_reason::over_budget:
      return {websocket::close_code::try_again_later,
              "server busy: out of memory for buffered messages"};
    case end_reason::bad_frame:
      return {websocket::close_code::policy_error, "malformed frame"};
    case end_reason::incomplete_message:
      return {websocket::close_code::bad_payload,
              "a message must hold whole frames of the protocol"};
    case end_reason::idle_timeout:
      return {websocket::close_code::going_away, "idle"};
    case end_reason::frame_timeout:
      return {websocket::close_code::going_away, "message not complete in time"};
    default:
      return {websocket::close_code::going_away, "server shutting down"};
  }
}

void start_websocket_session(tcp_stream socket, http_request upgrade, worker& owner) {
  websocket_stream stream(std::move(socket), std::move(upgrade), owner.config());
  start_session(std::move(stream), owner);
}

template class session<websocket_stream>;
template void start_session<websocket_stream>(websocket_stream, worker&, bool);

}  // namespace server
