#include "http/http_session.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "asio_support.hpp"
#include "core/worker.hpp"
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

using request = http_request;
using response = http::response<http::string_body>;

// The page's files come from this server only, and nothing in them runs
// from a message: what a peer sent is shown as text (app.js).
constexpr std::string_view page_policy =
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

response make(const request& req, http::status status, std::string_view type, std::string body) {
  response res{status, req.version()};
  res.set(http::field::server, "asio_server");
  res.set(http::field::content_type, type);
  res.set(http::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  if (req.method() == http::verb::head) res.body().clear();  // the length stays
  return res;
}

class http_session final : public http_connection {
 public:
  http_session(tcp_stream socket, worker& owner)
      : stream_(std::move(socket)), owner_(owner), settings_(owner.settings()) {
    owner_.attach(*this);
    owner_.metrics().open(metrics::link::http);
  }
  ~http_session() {
    owner_.metrics().close(metrics::link::http);
    owner_.http_closed();
  }

  void close() noexcept override {
    beast::error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  asio::awaitable<void> run() {
    beast::flat_buffer buffer;
    const server_config& config = settings_->config;  // kept alive by settings_ across reloads
    for (bool first = true;; first = false) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(header_limit);
      parser.body_limit(body_limit);
      stream_.expires_after(first ? config.handshake_timeout : config.idle_timeout);
      // The header first: how its body is framed decides whether the body
      // may be read at all.
      auto [ec, n] = co_await http::async_read_header(stream_, buffer, parser, net::use_tuple);
      std::optional<http::status> refused;
      if (!ec) refused = framing_problem(parser.get());
      if (!ec && !refused && !parser.is_done()) {
        std::tie(ec, n) = co_await http::async_read(stream_, buffer, parser, net::use_tuple);
      }
      if (ec || refused) {
        if (const auto status = refused ? refused : status_for(ec)) {
          // The request cannot be read to its end: say why, then close.
          request req;
          req.version(11);
          req.keep_alive(false);
          const std::string why = !refused ? ec.message()
                                  : refused == http::status::not_implemented
                                      ? "a transfer coding this server does not implement"
                                      : "the request's body has no length this server can trust";
          co_await send(make(req, *status, "text/plain", why + "\n"));
        }
        break;
      }
      request& req = parser.get();
      if (is_websocket_path(req)) {
        if (beast::websocket::is_upgrade(req) && same_origin(req) && accepting() && has_room()) {
          // From here on a session like any other serves the connection
          // (websocket_stream.hpp), counted with the protocol's connections.
          stream_.expires_never();
          start_websocket_session(std::move(stream_.socket()), std::move(req), owner_);
          co_return;
        }
        if (beast::websocket::is_upgrade(req) && !same_origin(req)) {
          owner_.metrics().refuse(metrics::refusal::websocket_origin);
        }
      }
      response res = respond(req);
      const bool keep_alive = res.keep_alive();
      if (!co_await send(std::move(res)) || !keep_alive) break;
    }
    beast::error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    co_await linger();
  }

 private:
  // A status to send for a request that could not be read, or none when the
  // connection is simply gone (closed, reset, timed out).
  static std::optional<http::status> status_for(const beast::error_code& ec) {
    if (ec == http::error::header_limit) return http::status::request_header_fields_too_large;
    if (ec == http::error::body_limit) return http::status::payload_too_large;
    if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      return http::status::bad_request;
    }
    return std::nullopt;
  }

  // RFC 9112 6.1 and 6.3: a request's body is framed by Content-Length, or
  // by chunked as its one transfer coding. Any other Transfer-Encoding
  // leaves its length unknown, and what Beast would then take for the end
  // of the request (no body at all) is where a proxy in front may see the
  // body go on: the body would be read as a request of its own (request
  // smuggling). So: chunked not last (gzip, identity, xchunked, "chunked,
  // identity"), chunked twice, Transfer-Encoding with Content-Length or in
  // HTTP/1.0: 400; a coding this server does not implement before a final
  // chunked ("gzip, chunked"): 501. Either way the connection closes
  // unread.
  static std::optional<http::status> framing_problem(const request& req) {
    const auto fields = req.equal_range(http::field::transfer_encoding);
    if (fields.first == fields.second) return std::nullopt;
    if (req.version() < 11 || req.count(http::field::content_length) != 0) {
      return http::status::bad_request;
    }
    std::vector<std::string_view> codings;
    for (auto f = fields.first; f != fields.second; ++f) {
      std::string_view list(f->value().data(), f->value().size());
      while (!list.empty()) {  // bounded: each pass takes at least one character
        const auto comma = std::min(list.find(','), list.size());
        std::string_view coding = list.substr(0, comma);
        list.remove_prefix(std::min(comma + 1, list.size()));
        coding.remove_prefix(std::min(coding.find_first_not_of(" \t"), coding.size()));
        coding.remove_suffix(coding.size() -
                             std::min(coding.find_last_not_of(" \t") + 1, coding.size()));
        if (!coding.empty()) codings.push_back(coding);
      }
    }
    const auto chunked = [](std::string_view c) { return beast::iequals(c, "chunked"); };
    if (codings.empty() || !chunked(codings.back()) ||
        std::count_if(codings.begin(), codings.end(), chunked) != 1) {
      return http::status::bad_request;
    }
    if (codings.size() != 1) return http::status::not_implemented;
    return std::nullopt;
  }

  static std::string_view path_of(const request& req) {
    const std::string_view target(req.target().data(), req.target().size());
    return target.substr(0, target.find('?'));
  }
  static bool is_websocket_path(const request& req) { return path_of(req) == "/ws"; }

  // A browser says which page opened a WebSocket (Origin); only this
  // server's own page may (no other site's script can talk to it in its
  // visitor's name), served as http or, behind a TLS proxy, https. A client
  // that is no browser sends no Origin.
  static bool same_origin(const request& req) {
    const auto origin = req.find(http::field::origin);
    if (origin == req.end()) return true;
    const auto host = req.find(http::field::host);
    if (host == req.end()) return false;
    const std::string_view o(origin->value().data(), origin->value().size());
    const std::string_view h(host->value().data(), host->value().size());
    for (std::string_view scheme : {"http://", "https://"}) {
      if (o.size() == scheme.size() + h.size() && o.starts_with(scheme) && o.ends_with(h)) {
        return true;
      }
    }
    return false;
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
          steady_clock::now() - owner_.shared().started};
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
    stream_.expires_after(settings_->config.write_timeout);
    auto [ec, n] = co_await http::async_write(stream_, res, net::use_tuple);
    co_return !ec;
  }

  http_stream stream_;
  worker& owner_;
  // The settings this connection started with: a reload replaces the
  // worker's, and these stay alive as long as the connection does.
  std::shared_ptr<const session_settings> settings_;
};

}  // namespace

void start_http_session(tcp_stream socket, worker& owner) {
  owner.http_opened();
  asio::post(owner.context(), [socket = std::move(socket), &owner]() mutable {
    if (owner.http_stopped()) {
      owner.http_closed();
      return;  // the process is exiting: the socket closes here
    }
    auto s = std::make_unique<http_session>(std::move(socket), owner);
    auto& serving = *s;
    asio::co_spawn(owner.context(), serving.run(),
                   [s = std::move(s)](std::exception_ptr e) { log_session_failure(e); });
  });
}

}  // namespace server
