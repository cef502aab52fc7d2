#include "core/socket_setup.hpp"

#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <fstream>

namespace server {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

}  // namespace

bool try_listen(tcp::acceptor& acceptor, const tcp::endpoint& ep, const server_config& config,
                boost::system::error_code& ec) {
  acceptor.open(ep.protocol(), ec);
  if (ec) return false;
  if (ep.address().is_v6() && ep.address().is_unspecified()) {
    acceptor.set_option(asio::ip::v6_only(false), ec);  // also take IPv4 clients
  }
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);  // restart while in TIME_WAIT
  if (!ec && config.reuse_port) acceptor.set_option(reuse_port(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(static_cast<int>(config.backlog), ec);
  if (ec) {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    return false;
  }
  return true;
}

void say_if_backlog_capped(unsigned backlog) {
  if (!spdlog::should_log(spdlog::level::debug)) return;
  std::ifstream f("/proc/sys/net/core/somaxconn");
  unsigned somaxconn = 0;
  if (f >> somaxconn && somaxconn < backlog) {
    spdlog::debug("--backlog {}: the kernel caps it at {} (net.core.somaxconn)", backlog,
                  somaxconn);
  }
}

void set_keepalive(tcp_stream& socket, unsigned seconds) {
  const int fd = socket.native_handle();
  const int on = 1, idle = static_cast<int>(seconds),
            interval = std::max(1, static_cast<int>(seconds / 3)), count = 3;
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

bool out_of_descriptors(const boost::system::error_code& ec) {
  return ec == asio::error::no_descriptors || ec == boost::system::errc::too_many_files_open ||
         ec == boost::system::errc::too_many_files_open_in_system ||
         ec == asio::error::no_buffer_space || ec == asio::error::no_memory;
}

bool kernel_migrates_queue() {
  std::ifstream f("/proc/sys/net/ipv4/tcp_migrate_req");
  int on = 0;
  return f >> on && on == 1;
}

std::size_t unread_bytes(int fd) noexcept {
  int n = 0;
  return ::ioctl(fd, FIONREAD, &n) == 0 && n > 0 ? static_cast<std::size_t>(n) : 0;
}

std::size_t unacknowledged_bytes(int fd) noexcept {
  int n = 0;
  return ::ioctl(fd, SIOCOUTQ, &n) == 0 && n > 0 ? static_cast<std::size_t>(n) : 0;
}

}  // namespace server
