#include "http/http_session.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <tuple>
#include <utility>

#include "asio_support.hpp"
#include "core/worker.hpp"
#include "http/http_request.hpp"
#include "http/http_stream.hpp"
#include "http/metrics_report.hpp"
#include "http/web_assets.hpp"
#include "http/websocket_stream.hpp"
#include "session/session_log.hpp"

namespace server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr std::size_t header_limit = 8 * 1024;
constexpr std::size_t body_limit = 64 * 1024;
// The read buffer: at most a whole header and a read's worth more; a small
// one (a probe's request fits it) whatever the memory budget says.
constexpr std::size_t buffer_limit = header_limit + 1024;
constexpr std::size_t small_buffer = 1024;

using request = http_request_message;
using response = http_response;
using parser_type = http::request_parser<discard_body>;

// The page's files come from this server only, and nothing in them runs
// from a message: what a peer sent is shown as text (app.js).
constexpr std::string_view page_policy =
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

class http_session final : public http_connection,
                           public std::enable_shared_from_this<http_session> {
 public:
  http_session(tcp_stream socket, worker& owner)
      : stream_(std::move(socket)),
        owner_(owner),
        settings_(owner.settings()),
        held_(owner.shared().budget) {
    owner_.attach(*this);
    owner_.metrics().open(metrics::link::http);
  }
  ~http_session() {
    owner_.http_reading(*this, false);
    owner_.metrics().close(metrics::link::http);
    owner_.http_closed();
  }

  void close() noexcept override {
    beast::error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  asio::awaitable<void> run() {
    for (bool first = true;; first = false) {
      parser_type parser;
      parser.header_limit(header_limit);
      parser.body_limit(body_limit);
      // Waiting for a request, or reading one: a connection that may make
      // room for a new one (worker::http_reading()).
      owner_.http_reading(*this, true);
      const read_result got = co_await read_request(parser, first);
      owner_.http_reading(*this, false);
      if (got.ec || got.refused) {
        if (const auto status =
                got.refused ? got.refused : status_for(got.ec, got.begun, budget_short_)) {
          co_await send(refusal(*status, got.ec));  // the request cannot be read to its end
        }
        break;
      }
      request& req = parser.get();
      if (is_websocket_path(req)) {
        if (beast::websocket::is_upgrade(req) && same_origin(req) && accepting() && has_room()) {
          // From here on a session like any other serves the connection
          // (websocket_stream.hpp), counted with the protocol's connections.
          stream_.expires_never();
          start_websocket_session(std::move(stream_.socket()), http_request(std::move(req.base())),
                                  owner_);
          co_return;
        }
        if (beast::websocket::is_upgrade(req) && !same_origin(req)) {
          owner_.metrics().refuse(metrics::refusal::websocket_origin);
        }
      }
      response res = respond(req);
      const bool keep_alive = res.keep_alive();
      if (!co_await send(std::move(res)) || !keep_alive) break;
      // Between two requests a connection holds no buffer, unless the next
      // request has begun to arrive.
      if (buffer_.size() == 0) buffer_.shrink_to_fit();
      header_bytes_ = 0;
      held_.set(buffer_.capacity());
    }
    buffer_.clear();
    buffer_.shrink_to_fit();
    held_.set(0);
    owner_.http_reading(*this, true);  // closing: another connection may have its place
    beast::error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    co_await linger();
  }

 private:
  memory_budget& budget() noexcept { return owner_.shared().budget; }

  struct read_result {
    beast::error_code ec;
    bool begun = false;                   // whether any byte of the request had come
    std::optional<http::status> refused;  // a body framed so that its end is unknown
  };

  // Reads a request into `parser`: the header, and then, if its framing is
  // sound (framing_problem()), the body, dropped as it comes (discard_body:
  // no path takes one). The buffer grows as it must, charged to the budget
  // as it does. Deadlines: until the request's first byte, --handshake-
  // timeout after the connection (the first request) or --idle-timeout (a
  // later one); the header --http-header-timeout after the connection (the
  // first) or after its first byte (a later one); the body --http-body-
  // timeout after the header. A deadline passed is beast::error::timeout,
  // with the socket still open for a 408 (watch()).
  asio::awaitable<read_result> read_request(parser_type& parser, bool first) {
    const server_config& config = settings_->config;
    read_result r;
    auto deadline =
        first ? connected_ + std::min(config.handshake_timeout, config.http_header_timeout)
              : steady_clock::now() + config.idle_timeout;
    // Bounded: each pass gives the parser bytes it takes, or reads a byte
    // or more; the header is at most header_limit, the body body_limit, and
    // the deadline ends the waits.
    for (;;) {
      if (buffer_.size() != 0) {
        if (!r.begun) {
          r.begun = true;
          deadline = (first ? connected_ : steady_clock::now()) + config.http_header_timeout;
        }
        const bool had_header = parser.is_header_done();
        const std::size_t used = parser.put(buffer_.data(), r.ec);
        buffer_.consume(used);
        if (!had_header) header_bytes_ += used;  // the fields parsed hold about as much
        if (r.ec == http::error::need_more) r.ec = {};
        if (r.ec) co_return r;
        if (!had_header && parser.is_header_done()) {
          // How the body is framed decides whether it may be read at all.
          if ((r.refused = framing_problem(parser.get()))) co_return r;
          deadline = steady_clock::now() + config.http_body_timeout;
        }
        if (parser.is_done()) co_return r;
        if (used != 0 && buffer_.size() != 0) continue;
      }
      buffer_.max_size(allowance());
      const std::size_t room = beast::read_size(buffer_, 4096);
      if (room == 0) {
        r.ec = http::error::buffer_overflow;
        co_return r;
      }
      const auto space = buffer_.prepare(room);
      held_.set(buffer_.capacity() + header_bytes_);  // charged as it grows, before the wait
      watch(deadline);
      auto [ec, n] = co_await stream_.socket().async_read_some(space, net::use_tuple);
      ++watching_;  // what the timer may say from here on is late
      if (timed_out_) {
        r.ec = beast::error::timeout;
        co_return r;
      }
      buffer_.commit(n);
      r.begun = r.begun || n != 0;
      if (ec == asio::error::eof)
        ec = r.begun ? http::error::partial_message : http::error::end_of_stream;
      if (ec) {
        r.ec = ec;
        co_return r;
      }
    }
  }

  // Until the read about to start completes: at `deadline`, it is
  // cancelled (socket::cancel(), which leaves the socket open for a 408)
  // and timed_out_ says why. A timer's wait and a weak_ptr, rather than
  // the awaitable operators' a || b, which cost 4 KiB more per waiting
  // connection (their coroutine frames), or Beast's stream timeout, which
  // closes the socket.
  void watch(steady_clock::time_point deadline) {
    timed_out_ = false;
    timer_.expires_at(deadline);
    timer_.async_wait([self = weak_from_this(), read = ++watching_](beast::error_code ec) {
      const auto s = self.lock();
      if (ec || !s || s->watching_ != read) return;
      s->timed_out_ = true;
      beast::error_code ignored;
      s->stream_.socket().cancel(ignored);
    });
  }

  // How far the read buffer may grow now: to buffer_limit while the budget
  // can take it, else no further than small_buffer or what it has.
  std::size_t allowance() noexcept {
    const std::size_t has = buffer_.capacity();
    budget_short_ = has < buffer_limit && !budget().fits(buffer_limit - has);
    return budget_short_ ? std::max(small_buffer, has) : buffer_limit;
  }

  static std::string_view path_of(const request& req) {
    const std::string_view target(req.target().data(), req.target().size());
    return target.substr(0, target.find('?'));
  }
  static bool is_websocket_path(const request& req) { return path_of(req) == "/ws"; }

  // Whether the page that opens a WebSocket may (origin_allowed()).
  bool same_origin(const request& req) const {
    return origin_allowed(req, local_, settings_->config.http_allowed_origins);
  }

  bool accepting() const noexcept {
    return owner_.shared().accepting.load(std::memory_order_relaxed);
  }
  // A WebSocket is one of the protocol's connections: held to
  // --max-connections with them.
  bool has_room() const noexcept {
    return owner_.shared().tracker.live() < settings_->config.max_connections;
  }

  response respond(const request& req) {
    const std::string_view path = path_of(req);
    if (path == "/ws") {
      if (beast::websocket::is_upgrade(req) && !accepting()) {
        // Draining: no new WebSocket, which would only be told to go away.
        return make(req, http::status::service_unavailable, "text/plain", "draining\n");
      }
      if (beast::websocket::is_upgrade(req) && same_origin(req)) {
        owner_.metrics().refuse(metrics::refusal::max_connections);
        return make(req, http::status::service_unavailable, "text/plain",
                    "server busy: " + std::to_string(settings_->config.max_connections) +
                        " connections already; try again later\n");
      }
      if (beast::websocket::is_upgrade(req)) {
        return make(req, http::status::forbidden, "text/plain",
                    "forbidden: a WebSocket from another origin than this server's page\n");
      }
      response res = make(req, http::status::upgrade_required, "text/plain",
                          "/ws speaks the protocol over a WebSocket: send an upgrade request\n");
      res.set(http::field::upgrade, "websocket");
      res.set(http::field::connection, "Upgrade");
      return res;
    }
    const web_asset* asset = find_web_asset(path);
    const bool known =
        asset || path == "/healthz" || path == "/readyz" || path == "/metrics" || path == "/stats";
    if (!known) return make(req, http::status::not_found, "text/plain", "not found\n");
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      response res =
          make(req, http::status::method_not_allowed, "text/plain", "method not allowed\n");
      res.set(http::field::allow, "GET, HEAD");
      return res;
    }
    if (path == "/healthz") return make(req, http::status::ok, "text/plain", "ok\n");
    if (path == "/readyz") {
      return owner_.shared().accepting.load(std::memory_order_relaxed)
                 ? make(req, http::status::ok, "text/plain", "ready\n")
                 : make(req, http::status::service_unavailable, "text/plain", "draining\n");
    }
    if (path == "/metrics" || path == "/stats") {
      const auto totals = metrics::sum(owner_.shared().worker_metrics);
      const metrics::report_context context{
          !owner_.shared().accepting.load(std::memory_order_relaxed),
          steady_clock::now() - owner_.shared().started, budget().used(), budget().limit()};
      if (path == "/stats") {
        return make(req, http::status::ok, "application/json",
                    metrics::stats_json(totals, context));
      }
      return make(req, http::status::ok, "text/plain; version=0.0.4; charset=utf-8",
                  metrics::prometheus_text(totals, context));
    }
    response res = make(req, http::status::ok, asset->content_type, std::string(asset->body));
    res.set("Content-Security-Policy", page_policy);
    return res;
  }

  // What the peer still sends after the last response (the body of a
  // refused request) is read and dropped until it closes, for at most
  // --linger-timeout and 64 KiB: a close with bytes unread is a reset,
  // which can destroy the response before the peer has read it.
  asio::awaitable<void> linger() {
    stream_.expires_after(settings_->config.linger_timeout);
    std::array<char, 1024> sink;
    for (int i = 0; i < 64; ++i) {
      auto [ec, n] = co_await stream_.async_read_some(asio::buffer(sink), net::use_tuple);
      if (ec) break;
    }
  }

  asio::awaitable<bool> send(response res) {
    budget_hold held(budget());  // the response, while the peer takes it
    held.set(res.body().size());
    stream_.expires_after(settings_->config.write_timeout);
    auto [ec, n] = co_await http::async_write(stream_, res, net::use_tuple);
    co_return !ec;
  }

  http_stream stream_;
  worker& owner_;
  // The settings this connection started with: a reload replaces the
  // worker's, and these stay alive as long as the connection does.
  std::shared_ptr<const session_settings> settings_;
  const steady_clock::time_point connected_ = steady_clock::now();
  const asio::ip::tcp::endpoint local_ = local_endpoint(stream_.socket());
  // What the connection holds between two reads: the read buffer (no body:
  // discard_body), and the request's header; charged to the budget.
  beast::flat_buffer buffer_{small_buffer};
  std::size_t header_bytes_ = 0;
  budget_hold held_;
  bool budget_short_ = false;                         // the budget kept the buffer from growing
  asio::steady_timer timer_{stream_.get_executor()};  // the read's deadline (watch())
  std::uint64_t watching_ = 0;                        // which read it watches
  bool timed_out_ = false;
};

}  // namespace

void start_http_session(tcp_stream socket, worker& owner) {
  owner.http_opened();
  asio::post(owner.context(), [socket = std::move(socket), &owner]() mutable {
    if (owner.http_stopped()) {
      owner.http_closed();
      return;  // the process is exiting: the socket closes here
    }
    // Shared: a deadline's timer holds a weak_ptr to it (watch()).
    auto s = std::make_shared<http_session>(std::move(socket), owner);
    auto& serving = *s;
    asio::co_spawn(owner.context(), serving.run(),
                   [s = std::move(s)](std::exception_ptr e) { log_session_failure(e); });
  });
}

}  // namespace server
