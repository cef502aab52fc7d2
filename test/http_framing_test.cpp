// Request smuggling (RFC 9112 6.1, 6.3): a request whose body has no length
// the server knows is refused and its connection closed, and what the body
// holds is never read as a request of its own. Over raw sockets, as an
// attacker behind a proxy sends it.
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "blocking_peer.hpp"
#include "service_support.hpp"

using test::contains;
using test::transport::server;

namespace {

std::uint16_t port_of(const std::string& name) {
  return static_cast<std::uint16_t>(std::stoi(name.substr(name.rfind(':') + 1)));
}

// What the server answers to `request`, read until it closes (bounded by
// the peer's 10 s read timeout), and whether that close was clean (a FIN,
// not a reset).
struct answer {
  std::string text;
  bool clean_close = false;
};
answer send_and_read(std::uint16_t port, const std::string& request) {
  test::blocking_peer peer(port);
  peer.send(request);
  answer got;
  for (int i = 0; i < 1000; ++i) {  // 1 MiB at most
    std::string chunk;
    try {
      chunk = peer.read_some();
    } catch (const std::exception&) {
      return got;  // a reset (or nothing for 10 s): no clean close
    }
    if (chunk.empty()) {
      got.clean_close = true;
      return got;
    }
    got.text += chunk;
  }
  return got;
}

int responses_in(const std::string& text) {
  int n = 0;
  for (std::size_t at = text.find("HTTP/1."); at != std::string::npos;
       at = text.find("HTTP/1.", at + 1)) {
    n += at == 0 || text[at - 1] == '\n' ? 1 : 0;  // a status line
  }
  return n;
}

// The request a proxy in front would forward as one, its body a request
// of its own that the server must never answer.
const std::string smuggled = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

std::string with_framing(const std::string& version, const std::string& framing) {
  return "POST /healthz " + version + "\r\nHost: x\r\n" + framing + "\r\n" + smuggled;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_framing)

BOOST_AUTO_TEST_CASE(a_body_of_unknown_length_is_refused_and_never_read_as_a_request) {
  server srv({"--listen", "tcp://127.0.0.1:0", "--http", "127.0.0.1:0"}, 2);
  const auto http = port_of(srv.name(1));
  struct variant {
    std::string version, framing, status;
  };
  const std::vector<variant> variants{
      // chunked not the final coding: the length cannot be known (400)
      {"HTTP/1.1", "Transfer-Encoding: gzip\r\n", "400 Bad Request"},
      {"HTTP/1.1", "Transfer-Encoding: identity\r\n", "400 Bad Request"},
      {"HTTP/1.1", "Transfer-Encoding: xchunked\r\n", "400 Bad Request"},
      {"HTTP/1.1", "Transfer-Encoding: chunked, identity\r\n", "400 Bad Request"},
      {"HTTP/1.1", "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n",
       "400 Bad Request"},
      {"HTTP/1.1", "Transfer-Encoding: chunked, chunked\r\n", "400 Bad Request"},
      {"HTTP/1.1", "Transfer-Encoding:\r\n", "400 Bad Request"},
      // with Content-Length, or in HTTP/1.0, Transfer-Encoding is not to be trusted
      {"HTTP/1.1", "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n", "400 Bad Request"},
      {"HTTP/1.1", "Transfer-Encoding: gzip\r\nContent-Length: 0\r\n", "400 Bad Request"},
      {"HTTP/1.0", "Transfer-Encoding: chunked\r\n", "400 Bad Request"},
      // chunked last, but a coding before it this server does not implement
      {"HTTP/1.1", "Transfer-Encoding: gzip, chunked\r\n", "501 Not Implemented"},
  };
  for (const auto& v : variants) {
    BOOST_TEST_CONTEXT(v.version << " " << v.framing) {
      const auto got = send_and_read(http, with_framing(v.version, v.framing));
      BOOST_TEST(responses_in(got.text) == 1, got.text);
      BOOST_TEST(got.text.rfind("HTTP/1.1 " + v.status + "\r\n", 0) == 0u, got.text);
      BOOST_TEST(contains(got.text, "\r\nConnection: close\r\n"), got.text);
      BOOST_TEST(!contains(got.text, "200 OK"), got.text);
      BOOST_TEST(got.clean_close, "the server's close is to be a FIN after the response");
    }
  }
  // The server goes on.
  const auto got =
      send_and_read(http, smuggled.substr(0, smuggled.size() - 2) + "Connection: close\r\n\r\n");
  BOOST_TEST(got.text.rfind("HTTP/1.1 200 OK\r\n", 0) == 0u, got.text);
  // The well-framed case, for contrast: a chunked body is a body, read to
  // its end, and then comes the next request.
  const auto chunked =
      send_and_read(http,
                    "POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5\r\nhello\r\n0\r\n\r\n"
                    "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  BOOST_TEST(responses_in(chunked.text) == 2, chunked.text);
  BOOST_TEST(chunked.text.rfind("HTTP/1.1 405 Method Not Allowed\r\n", 0) == 0u, chunked.text);
  BOOST_TEST(contains(chunked.text, "\nHTTP/1.1 200 OK\r\n"), chunked.text);
  BOOST_TEST(chunked.clean_close);
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
