// What an HTTP connection (http_session.cpp) makes of a request before it
// answers: a body type that drops the body as it arrives (no path takes
// one, so a body costs no memory however slowly it comes), and whether the
// request's body is framed so that its end is known, whether the page that
// opens a WebSocket may, and the answers to a request that cannot be read.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffer_traits.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/optional/optional.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace server {

// A Beast Body whose reader counts the bytes (against the parser's body
// limit) and keeps none.
struct discard_body {
  struct value_type {};
  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(boost::beast::http::header<isRequest, Fields>&, value_type&) {}
    void init(const boost::optional<std::uint64_t>&, boost::beast::error_code& ec) { ec = {}; }
    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, boost::beast::error_code& ec) {
      ec = {};
      return boost::beast::buffer_bytes(buffers);
    }
    void finish(boost::beast::error_code& ec) { ec = {}; }
  };
};

using http_request_header = boost::beast::http::request_header<>;
using http_request_message = boost::beast::http::request<discard_body>;
using http_response = boost::beast::http::response<boost::beast::http::string_body>;

// An answer to `req` with this server's headers, `body` of `type`.
http_response make(const http_request_message& req, boost::beast::http::status status,
                   std::string_view type, std::string body);

// A status to send for a request that could not be read (`ec`), or none
// when the connection is simply gone (closed, reset, or timed out before a
// byte of the request came: !`begun`). `budget_short`: the memory budget
// kept the read buffer from growing (503).
std::optional<boost::beast::http::status> status_for(const boost::beast::error_code& ec, bool begun,
                                                     bool budget_short);

// The answer to a request that could not be read: why, and a close.
http_response refusal(boost::beast::http::status status, const boost::beast::error_code& ec);

// RFC 9112 6.1 and 6.3: a request's body is framed by Content-Length, or
// by chunked as its one transfer coding. Any other Transfer-Encoding
// leaves its length unknown, and what Beast would then take for the end
// of the request (no body at all) is where a proxy in front may see the
// body go on: the body would be read as a request of its own (request
// smuggling). So: chunked not last (gzip, identity, xchunked, "chunked,
// identity"), chunked twice, Transfer-Encoding with Content-Length or in
// HTTP/1.0: 400; a coding this server does not implement before a final
// chunked ("gzip, chunked"): 501. None: the framing is sound.
std::optional<boost::beast::http::status> framing_problem(const http_request_header& req);

// A browser says which page opens a WebSocket (Origin): only this server's
// own page may (no other site's script talks to it in its visitor's
// name), or an origin in `allowed` (--http-allowed-origin, normalized by
// normal_origin()). The page's own origin is the address the connection
// came to, http://ADDR:PORT, and http://localhost:PORT when that address
// is a loopback one; never what the Host header says, which a site whose
// name was rebound to this server's address (DNS rebinding) chooses. A
// client that is no browser sends no Origin, and may.
bool origin_allowed(const http_request_header& req, const boost::asio::ip::tcp::endpoint& local,
                    const std::vector<std::string>& allowed);

// `origin` as a browser sends it (scheme://host[:port], lower case, the
// port left out when it is the scheme's own), or none if it is no origin.
std::optional<std::string> normal_origin(std::string_view origin);

// The connection's local address, or an empty endpoint if it has none.
template <typename Socket>
boost::asio::ip::tcp::endpoint local_endpoint(const Socket& socket) {
  boost::system::error_code ec;
  const auto local = socket.local_endpoint(ec);
  return ec ? boost::asio::ip::tcp::endpoint{} : local;
}

}  // namespace server
