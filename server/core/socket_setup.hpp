// The socket-level settings of listening and accepted sockets: binding with
// SO_REUSEADDR (and SO_REUSEPORT when asked), the backlog, TCP keepalive, and
// what the kernel says about them. Used by listener.cpp.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include "core/server_config.hpp"
#include "core/streams.hpp"

namespace server {

// Opens, binds and listens; false (with `ec`) instead of throwing, so the
// caller can fall back (from [::] to 0.0.0.0).
bool try_listen(boost::asio::ip::tcp::acceptor& acceptor, const boost::asio::ip::tcp::endpoint& ep,
                const server_config& config, boost::system::error_code& ec);

// At debug level, when the kernel caps --backlog at net.core.somaxconn.
void say_if_backlog_capped(unsigned backlog);

// TCP keepalive: probes after `seconds` of silence, then every third of
// that, three times: a dead peer is found after about twice `seconds`.
void set_keepalive(tcp_stream& socket, unsigned seconds);

// An accept that failed for want of descriptors or memory (EMFILE, ENFILE,
// ENOBUFS, ENOMEM): worth retrying later, not the end of the loop.
bool out_of_descriptors(const boost::system::error_code& ec);

// net.ipv4.tcp_migrate_req (Linux 5.14 and later), in this process's
// network namespace: whether closing a SO_REUSEPORT listener moves its
// accept queue to another listener of the group.
bool kernel_migrates_queue();

// What the kernel holds for a connected socket: bytes received and not read
// yet (FIONREAD), and bytes written that the peer has not acknowledged
// (SIOCOUTQ). 0 when it cannot say.
std::size_t unread_bytes(int fd) noexcept;
std::size_t unacknowledged_bytes(int fd) noexcept;

}  // namespace server
