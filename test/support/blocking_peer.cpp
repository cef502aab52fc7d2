#include "blocking_peer.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>
#include <vector>

namespace test {

namespace {
[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}
}  // namespace

blocking_peer::blocking_peer(std::uint16_t port, const char* host,
                             std::chrono::milliseconds timeout) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof *v4;
  } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof *v6;
  } else {
    throw std::runtime_error(std::string("not an address: ") + host);
  }
  fd_ = ::socket(addr.ss_family, SOCK_STREAM, 0);
  if (fd_ < 0) fail("socket");
  timeval tv{};
  tv.tv_sec = timeout.count() / 1000;
  tv.tv_usec = (timeout.count() % 1000) * 1000;
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), len) < 0) {
    const int saved = errno;
    ::close(fd_);
    errno = saved;
    fail("connect");
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

blocking_peer::~blocking_peer() {
  if (fd_ >= 0) ::close(fd_);
}

void blocking_peer::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("send");
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void blocking_peer::send_frame(proto::frame_type type, std::uint32_t id, std::string_view payload) {
  std::vector<std::byte> out;
  proto::append_frame(out, type, id, payload);
  send({reinterpret_cast<const char*>(out.data()), out.size()});
}

void blocking_peer::send_header(std::uint8_t type, std::uint32_t id, std::uint32_t length,
                                std::uint8_t version) {
  const unsigned char h[proto::header_size] = {proto::magic,
                                               version,
                                               type,
                                               0,
                                               static_cast<unsigned char>(id >> 24),
                                               static_cast<unsigned char>(id >> 16),
                                               static_cast<unsigned char>(id >> 8),
                                               static_cast<unsigned char>(id),
                                               static_cast<unsigned char>(length >> 24),
                                               static_cast<unsigned char>(length >> 16),
                                               static_cast<unsigned char>(length >> 8),
                                               static_cast<unsigned char>(length)};
  send({reinterpret_cast<const char*>(h), sizeof h});
}

std::string blocking_peer::read_some() {
  if (!buffered_.empty()) return std::exchange(buffered_, {});
  char buf[1024];
  for (;;) {
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n >= 0) return std::string(buf, static_cast<std::size_t>(n));
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) throw std::runtime_error("read timed out");
    fail("read");
  }
}

std::optional<received_frame> blocking_peer::read_frame() {
  for (;;) {
    const auto r = proto::decode_frame(
        {reinterpret_cast<const std::byte*>(buffered_.data()), buffered_.size()}, UINT32_MAX);
    if (r.status == proto::decode_status::complete) {
      received_frame f{r.decoded.header.type, r.decoded.id(), std::string(r.decoded.text())};
      buffered_.erase(0, r.consumed);
      return f;
    }
    if (r.status != proto::decode_status::need_more) {
      throw std::runtime_error("the server sent something that is not a frame");
    }
    char buf[16 * 1024];
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n == 0) {
      if (buffered_.empty()) return std::nullopt;
      throw std::runtime_error("the server closed in the middle of a frame");
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) throw std::runtime_error("read timed out");
      fail("read");
    }
    buffered_.append(buf, static_cast<std::size_t>(n));
  }
}

bool blocking_peer::reads_to_clean_close() {
  char buf[16 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n == 0) return true;
    if (n > 0) continue;
    if (errno == EINTR) continue;
    if (errno == ECONNRESET) return false;
    if (errno == EAGAIN || errno == EWOULDBLOCK) throw std::runtime_error("read timed out");
    fail("read");
  }
}

void blocking_peer::shutdown_send() { ::shutdown(fd_, SHUT_WR); }

void blocking_peer::reset() {
  linger l{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd_);
  fd_ = -1;
}

}  // namespace test
