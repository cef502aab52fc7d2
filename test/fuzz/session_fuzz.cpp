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

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "frame_codec.hpp"
#include "server.hpp"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
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
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  require(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  require(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
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
    if (n <= 0) break;  // the server closed after an ERROR
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);

  std::vector<std::byte> reply;
  char buffer[16384];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    require(::poll(&p, 1, 10000) == 1);  // the server always answers or closes in time
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    const auto* b = reinterpret_cast<const std::byte*>(buffer);
    reply.insert(reply.end(), b, b + n);
  }
  ::close(fd);

  if (size > 0 && data[0] == proto::magic) {
    // A framed peer gets whole frames, nothing else.
    proto::bytes_view rest = reply;
    while (!rest.empty()) {
      const auto r = proto::decode_frame(rest, proto::default_max_payload);
      require(r.status == proto::decode_status::complete);
      rest = rest.subspan(r.consumed);
    }
  }
  return 0;
}
