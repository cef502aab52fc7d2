#include "http/websocket_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <tuple>
#include <vector>

#include "asio_support.hpp"
#include "protocol/protocol_engine.hpp"
#include "session/session_log.hpp"

namespace server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace {

double seconds(std::chrono::milliseconds d) { return std::chrono::duration<double>(d).count(); }

class websocket_connection final : public websocket_session {
 public:
  websocket_connection(http_stream& stream, worker& owner,
                       std::shared_ptr<const session_settings> settings)
      : ws_(stream),
        owner_(owner),
        settings_(std::move(settings)),
        peer_(peer_of(stream.socket())),
        engine_(settings_->engine, &owner.metrics().engine),
        goodbye_done_(stream.get_executor()) {}
  ~websocket_connection() override { charge(0); }

  asio::awaitable<void> run(http_request req) override {
    const server_config& config = settings_->config;
    // The WebSocket's own timeouts from here on, not the HTTP stream's.
    ws_.next_layer().expires_never();
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = config.handshake_timeout;
    timeouts.idle_timeout = config.idle_timeout;  // as the protocol's: a quiet peer is closed
    timeouts.keep_alive_pings = false;
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(beast::http::field::server, "asio_server"); }));
    // A message holds one frame: more than the largest frame is refused
    // (Beast closes with 1009 before buffering the rest).
    ws_.read_message_max(proto::header_size + settings_->engine.max_frame);
    ws_.auto_fragment(false);

    auto [ec] = co_await ws_.async_accept(req, net::use_tuple);
    if (ec) {
      spdlog::debug("websocket: handshake: {}", ec.message());
      co_return;
    }
    // Counted as a WebSocket too; it stays counted as the HTTP connection
    // it came as, whose end closes that count.
    owner_.metrics().open(metrics::link::websocket);
    open_ = true;
    if (going_away_ && !goodbye_said_) {
      co_await say_goodbye();  // a drain began during the handshake
    } else {
      co_await serve();
    }
    open_ = false;
    if (goodbye_running_) {
      // The goodbye coroutine uses this connection: it must end first.
      goodbye_done_.expires_at(std::chrono::steady_clock::time_point::max());
      co_await goodbye_done_.async_wait(net::use_tuple);
    }
    owner_.metrics().close(metrics::link::websocket);
  }

  bool saying_goodbye() const noexcept override { return open_ && goodbye_said_; }

  void go_away() override {
    going_away_ = true;
    // Between two messages (a read is pending and nothing is being
    // written) the goodbye goes now; otherwise serve() says it after the
    // write in progress.
    if (open_ && !writing_ && !goodbye_said_) begin_goodbye_beside_read();
  }

 private:
  asio::awaitable<void> serve() {
    for (;;) {
      auto [ec, n] = co_await read_message();
      if (ec == websocket::error::buffer_overflow) {
        // Over the memory budget (what the protocol's sessions would
        // answer with ERROR 4): try again later.
        owner_.metrics().refuse(metrics::refusal::memory_budget);
        spdlog::warn(
            "websocket: out of memory for buffered messages (--max-buffered-bytes), closed (1013)");
        if (!goodbye_running_) {
          co_await close(websocket::close_code::try_again_later,
                         "server busy: out of memory for buffered messages");
        }
        co_return;
      }
      if (ec) {
        if (ec == websocket::error::message_too_big) {
          spdlog::info("websocket: a message over --max-frame {} bytes, closed (1009)",
                       settings_->engine.max_frame);
        } else if (ec != websocket::error::closed) {
          spdlog::debug("websocket: read: {}", ec.message());
        }
        co_return;
      }
      // A request that comes while the goodbye is being said is after
      // GOAWAY's id: not processed, as PROTOCOL.md says.
      if (goodbye_running_) co_return;
      const auto read_at = std::chrono::steady_clock::now();
      owner_.metrics().bytes_in.add(n);
      const auto data = message_.cdata();
      const proto::bytes_view input(static_cast<const std::byte*>(data.data()), data.size());
      replies_.clear();
      request_log log(peer_, owner_.warnings(), warned_unknown_);
      const feed_result r = engine_.feed(input, replies_, log);
      const bool whole = r.consumed == input.size() && r.next_frame_size == 0;
      give_back_message();
      // To the replies' write, not its end: a slow reader is not a slow
      // request (as for TLS, session_loop.hpp).
      if (r.answered != 0) {
        owner_.metrics().latency.observe(std::chrono::steady_clock::now() - read_at, r.answered);
      }
      account();
      const bool sent = co_await send_replies();
      if (replies_.capacity() > small) {
        replies_.clear();
        replies_.shrink_to_fit();  // an echo of a large frame is not held for good
      }
      account();
      if (!sent) co_return;
      if (r.next == next_step::close_after_replies) {
        co_await close(websocket::close_code::policy_error, "malformed frame");
        co_return;
      }
      if (!whole) {
        co_await close(websocket::close_code::bad_payload,
                       "a message must hold whole frames of the protocol");
        co_return;
      }
      if (going_away_ && !goodbye_said_) {
        co_await say_goodbye();
        co_return;
      }
    }
  }

  // The next whole message into message_, a step at a time, each charged to
  // the server's memory budget (memory_budget.hpp) like a protocol session's
  // partial frames: a message of a few KiB is always allowed; a longer one
  // only while the budget has room, or it ends with buffer_overflow.
  asio::awaitable<std::tuple<beast::error_code, std::size_t>> read_message() {
    constexpr std::size_t step = 64 * 1024;
    memory_budget& budget = owner_.shared().budget;
    bool begun = false;
    for (;;) {
      if (message_.size() >= small && !budget.fits(step)) {
        co_return std::tuple{beast::error_code(websocket::error::buffer_overflow), 0};
      }
      auto [ec, n] = co_await ws_.async_read_some(message_, step, net::use_tuple);
      account();
      if (ec == beast::error::timeout && begun) {
        spdlog::info(
            "{}: a WebSocket message was not complete {} s after it began (--frame-timeout; {} "
            "bytes received), closing",
            peer_.text(), seconds(settings_->config.frame_timeout), message_.size());
      }
      if (ec) co_return std::tuple{ec, n};
      if (ws_.is_message_done()) {
        ws_.next_layer().expires_never();
        co_return std::tuple{ec, message_.size()};
      }
      if (!begun) {
        // The rest of a message that has begun must come within
        // --frame-timeout, as a frame's on the other transports (the
        // stream's own timer closes the socket when it passes).
        begun = true;
        ws_.next_layer().expires_after(settings_->config.frame_timeout);
      }
    }
  }

  // Charges what the connection holds: the message read so far and the
  // replies not yet written (their bytes; a buffer's spare room is not
  // counted).
  void account() noexcept { charge(message_.size() + replies_.size()); }
  void charge(std::size_t holding) noexcept {
    memory_budget& budget = owner_.shared().budget;
    if (holding > charged_) budget.charge(holding - charged_);
    if (holding < charged_) budget.release(charged_ - holding);
    charged_ = holding;
  }

  void give_back_message() noexcept {
    message_.consume(message_.size());
    if (message_.capacity() > small) message_.shrink_to_fit();
  }

  // One WebSocket message per reply frame; a plain-bytes (or echo) peer's
  // reply is one message, of the kind the peer sent.
  asio::awaitable<bool> send_replies() {
    writing_ = true;
    const bool framed = engine_.kind() == peer_kind::framed;
    ws_.binary(framed || ws_.got_binary());
    std::size_t at = 0;
    beast::error_code ec;
    while (at < replies_.size() && !ec) {
      std::size_t size = replies_.size() - at;
      if (framed) {
        const auto d = proto::decode_frame(proto::bytes_view(replies_).subspan(at), UINT32_MAX);
        size = d.consumed;
      }
      std::size_t n = 0;
      // Each reply message must be taken whole within --write-timeout (on
      // the other transports: no reply bytes taken for that long).
      ws_.next_layer().expires_after(settings_->config.write_timeout);
      std::tie(ec, n) =
          co_await ws_.async_write(asio::buffer(replies_.data() + at, size), net::use_tuple);
      ws_.next_layer().expires_never();
      owner_.metrics().bytes_out.add(n);
      if (!ec) at += size;
    }
    writing_ = false;
    if (ec == beast::error::timeout) {
      spdlog::info(
          "{}: took no WebSocket message whole within {} s (--write-timeout), closing with {} "
          "bytes unsent",
          peer_.text(), seconds(settings_->config.write_timeout), replies_.size() - at);
    } else if (ec) {
      spdlog::debug("websocket: write: {}", ec.message());
    }
    co_return !ec;
  }

  // The goodbye while serve() waits for a message: a write and a close
  // beside its read (Beast allows one of each at a time), as plain
  // completion handlers; run() waits for them to end (goodbye_done_).
  void begin_goodbye_beside_read() {
    goodbye_said_ = true;
    goodbye_running_ = true;
    writing_ = true;
    replies_.clear();
    engine_.say_goodbye(replies_);  // GOAWAY naming the last request answered
    ws_.binary(true);
    auto closed = [this](beast::error_code ec) {
      if (ec) spdlog::debug("websocket: close: {}", ec.message());
      goodbye_running_ = false;
      goodbye_done_.cancel();  // run() may go on
    };
    auto close = [this, closed] {
      ws_.async_close(
          websocket::close_reason(websocket::close_code::going_away, "server shutting down"),
          closed);
    };
    if (replies_.empty()) {
      close();
      return;
    }
    ws_.async_write(asio::buffer(replies_),
                    [this, close, closed](beast::error_code ec, std::size_t n) {
                      owner_.metrics().bytes_out.add(n);
                      if (ec) {
                        closed(ec);
                      } else {
                        close();
                      }
                    });
  }

  asio::awaitable<void> say_goodbye() {
    goodbye_said_ = true;
    replies_.clear();
    engine_.say_goodbye(replies_);  // GOAWAY naming the last request answered
    const bool sent = co_await send_replies();
    if (sent) co_await close(websocket::close_code::going_away, "server shutting down");
  }

  asio::awaitable<void> close(websocket::close_code code, std::string_view why) {
    writing_ = true;
    auto [ec] = co_await ws_.async_close(websocket::close_reason(code, why), net::use_tuple);
    if (ec) spdlog::debug("websocket: close: {}", ec.message());
  }

  websocket::stream<http_stream&> ws_;
  worker& owner_;
  std::shared_ptr<const session_settings> settings_;
  peer_name peer_;
  protocol_engine engine_;
  beast::flat_buffer message_;
  static constexpr std::size_t small = 4 * 1024;  // always allowed, and kept
  std::size_t charged_ = 0;                       // charged to the memory budget
  std::vector<std::byte> replies_;
  asio::steady_timer goodbye_done_;
  bool goodbye_running_ = false;
  bool warned_unknown_ = false;
  bool open_ = false;
  bool writing_ = false;
  bool going_away_ = false;
  bool goodbye_said_ = false;
};

}  // namespace

std::unique_ptr<websocket_session> make_websocket_session(
    http_stream& stream, worker& owner, std::shared_ptr<const session_settings> settings) {
  return std::make_unique<websocket_connection>(stream, owner, std::move(settings));
}

}  // namespace server
