#include "tls/tls_stream.hpp"

#include <openssl/err.h>

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>

namespace server {

namespace asio = boost::asio;
using boost::system::error_code;

tls_stream::tls_stream(tcp_stream socket, asio::ssl::context& context, handshake_slot slot)
    : socket_(std::move(socket)), ssl_(::SSL_new(context.native_handle())), slot_(std::move(slot)) {
  if (ssl_ == nullptr) throw std::bad_alloc();
  ::SSL_set_fd(ssl_, static_cast<int>(socket_.native_handle()));
  ::SSL_set_accept_state(ssl_);
}

tls_stream::tls_stream(tls_stream&& other) noexcept
    : established(other.established),
      socket_(std::move(other.socket_)),
      ssl_(std::exchange(other.ssl_, nullptr)),
      slot_(std::move(other.slot_)),
      want_(other.want_),
      drained_(other.drained_) {}

tls_stream::~tls_stream() {
  if (ssl_ != nullptr) ::SSL_free(ssl_);
}

std::size_t tls_stream::read_some(const asio::mutable_buffer& buffer, error_code& ec) {
  if (buffer.size() == 0) {
    ec.clear();
    return 0;
  }
  ::ERR_clear_error();
  const int r = ::SSL_read(ssl_, buffer.data(),
                           static_cast<int>(std::min<std::size_t>(buffer.size(), INT_MAX)));
  if (r > 0) {
    want_ = want::nothing;
    drained_ = false;
    ec.clear();
    return static_cast<std::size_t>(r);
  }
  ec = failure(r);
  drained_ = ec == asio::error::would_block;
  return 0;
}

std::size_t tls_stream::write_some(const asio::const_buffer& buffer, error_code& ec) {
  if (buffer.size() == 0) {
    ec.clear();
    return 0;
  }
  ::ERR_clear_error();
  const int r = ::SSL_write(ssl_, buffer.data(),
                            static_cast<int>(std::min<std::size_t>(buffer.size(), INT_MAX)));
  if (r > 0) {
    want_ = want::nothing;
    ec.clear();
    return static_cast<std::size_t>(r);
  }
  ec = failure(r);
  return 0;
}

void tls_stream::handshake_step(error_code& ec) {
  ::ERR_clear_error();
  const int r = ::SSL_do_handshake(ssl_);
  if (r == 1) {
    want_ = want::nothing;
    ec.clear();
    return;
  }
  ec = failure(r);
  if (ec != asio::error::would_block) {
    // What the peer sent past the bytes OpenSSL refused is read and
    // dropped (64 KiB at most), so that the close is a FIN that lets the
    // alert be read, not a reset.
    std::array<char, 4096> sink;
    for (int i = 0; i < 16; ++i) {
      if (::recv(socket_.native_handle(), sink.data(), sink.size(), MSG_DONTWAIT) <= 0) break;
    }
  }
}

void tls_stream::shutdown_step(error_code& ec) {
  ::ERR_clear_error();
  const int r = ::SSL_shutdown(ssl_);
  if (r == 1) {  // both close_notify said
    ec.clear();
    return;
  }
  if (r == 0) {  // ours is sent: wait for the peer's, then ask again
    want_ = want::read;
    ec = asio::error::would_block;
    return;
  }
  ec = failure(r);
}

error_code tls_stream::failure(int r) {
  const int saved_errno = errno;
  switch (::SSL_get_error(ssl_, r)) {
    case SSL_ERROR_WANT_READ:
      want_ = want::read;
      return asio::error::would_block;
    case SSL_ERROR_WANT_WRITE:
      want_ = want::write;
      return asio::error::would_block;
    case SSL_ERROR_ZERO_RETURN:
      return asio::error::eof;  // the peer's close_notify
    case SSL_ERROR_SYSCALL:
      ::ERR_clear_error();
      if (saved_errno != 0) return {saved_errno, boost::system::system_category()};
      return asio::ssl::error::stream_truncated;
    default: {
      const unsigned long e = ::ERR_get_error();
      ::ERR_clear_error();
      if (ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        return asio::ssl::error::stream_truncated;  // closed without close_notify
      }
      if (e == 0) return asio::error::connection_aborted;
      return {static_cast<int>(e), asio::error::get_ssl_category()};
    }
  }
}

}  // namespace server
