// The server's TLS context, as the server and its listeners hold it: a
// pointer, so that a file that keeps one needs no OpenSSL header. Made by
// make_tls_context() (tls_context.hpp), replaced on a reload; connections
// already made keep their own reference to OpenSSL's SSL_CTX.
#pragma once

#include <memory>

namespace boost::asio::ssl {
class context;
}

namespace server {

using tls_context_ptr = std::unique_ptr<boost::asio::ssl::context>;

}  // namespace server
