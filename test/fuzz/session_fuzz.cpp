// libFuzzer target: a whole server session fed an arbitrary byte stream. An
// asio_server runs in this process (one worker thread, a 4 KiB frame limit
// so that the limit is reachable); each input is sent on a new loopback
// connection, half-closed, and every byte the server sends back is read
// until it closes. The sanitizers watch the server's code; the target checks
// that the server answers with whole frames (or plain text, for a peer whose
// first byte is not the magic), always closes, and keeps serving.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "frame_codec.hpp"
#include "server.hpp"

namespace {

// A failed check: says which, with errno, so that a finding explains itself.
[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "session_fuzz: %s (errno %d: %s)\n", what, errno, std::strerror(errno));
  std::abort();
}

void require(bool condition, const char* what) {
  if (!condition) fail(what);
}

struct fuzz_server {
  fuzz_server() {
    server::server_config config;
    config.bind_address = "127.0.0.1";
    config.port = 0;
    config.threads = 1;
    config.max_frame = 4096;
    config.handshake_timeout = std::chrono::seconds(2);
    config.idle_timeout = std::chrono::seconds(2);
    config.linger_timeout = std::chrono::milliseconds(200);
    srv = std::make_unique<server::server>(config);
    port = srv->listen().port();
    std::thread([this] { srv->run(); }).detach();  // serves until the process ends
  }
  std::unique_ptr<server::server> srv;
  std::uint16_t port = 0;
};

int connect_to(std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // Hundreds of thousands of connections a minute can find the loopback
  // short of a free port for a moment (EADDRNOTAVAIL, or a port still in
  // TIME_WAIT): that is the test's limit, not the server's, so retry a while.
  for (int attempt = 0;; ++attempt) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    require(fd >= 0, "socket");
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
    const int error = errno;
    ::close(fd);
    errno = error;
    if (attempt == 200) fail("cannot connect to the server");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Started once, on the first input, and never destroyed: the process
  // ends with it running.
  static fuzz_server& server = *new fuzz_server;
  const int fd = connect_to(server.port);
  for (std::size_t sent = 0; sent < size;) {
    const ssize_t n = ::send(fd, data + sent, size - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the server closed after an ERROR
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);

  std::vector<std::byte> reply;
  char buffer[16384];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    // libFuzzer's timeout alarm interrupts system calls: EINTR is no finding.
    int ready;
    while ((ready = ::poll(&p, 1, 10000)) < 0 && errno == EINTR) {
    }
    require(ready == 1, "no reply nor close within 10 s");
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    require(n >= 0, "the server reset the connection");  // replies may have been lost
    if (n == 0) break;
    const auto* b = reinterpret_cast<const std::byte*>(buffer);
    reply.insert(reply.end(), b, b + n);
  }
  ::close(fd);

  if (size > 0 && data[0] == proto::magic) {
    // A framed peer gets whole frames, nothing else.
    proto::bytes_view rest = reply;
    while (!rest.empty()) {
      const auto r = proto::decode_frame(rest, proto::default_max_payload);
      require(r.status == proto::decode_status::complete, "a reply that is not a whole frame");
      rest = rest.subspan(r.consumed);
    }
  }
  return 0;
}
