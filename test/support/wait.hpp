// Bounded waits on an explicit condition, for the tests that have no event
// to block on (a file that appears, a counter on /metrics, a socket state in
// `ss`): look, and between looks sleep a little; return as soon as the
// condition holds, or false once the deadline has passed. And the socket
// states, as `ss` shows them to a user. Header-only.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "child_process.hpp"

namespace test {

template <typename Condition>
bool wait_until(Condition holds, std::chrono::milliseconds deadline = std::chrono::seconds(10),
                std::chrono::milliseconds between_looks = std::chrono::milliseconds(10)) {
  const auto give_up = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    if (holds()) return true;
    if (std::chrono::steady_clock::now() >= give_up) return false;
    std::this_thread::sleep_for(between_looks);  // the pause between two looks, no more
  }
}

// The TCP sockets `ss` lists in `state` ("established", "fin-wait-2",
// "all") that match `filter` ("sport = :8080", "( sport = :1 and dport =
// :2 )"), one a line, no header. `options`: "-tnH", or "-tnpH" for each
// socket's owner ("users:((\"asio_server\",pid=42,fd=7))", which a socket
// its program closed but the kernel still keeps has not), or "-tniH" for
// TCP's own figures on a second line (bytes_received:N ...).
inline std::string ss_sockets(const std::string& state, const std::string& filter,
                              const std::string& options = "-tnH") {
  return run({"ss", options, "state", state, filter}, {}, std::chrono::seconds(10)).out;
}

inline int line_count(const std::string& text) {
  int n = 0;
  for (char c : text) n += c == '\n' ? 1 : 0;
  return n;
}

// How many TCP sockets in `state` match `filter`.
inline int ss_count(const std::string& state, const std::string& filter) {
  return line_count(ss_sockets(state, filter));
}

// How many of them the process `pid` holds open.
inline int ss_count_held_by(pid_t pid, const std::string& state, const std::string& filter) {
  std::istringstream lines(ss_sockets(state, filter, "-tnpH"));
  const std::string owner = "pid=" + std::to_string(pid) + ",";
  int n = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.find(owner) != std::string::npos) ++n;
  }
  return n;
}

// Recv-Q (bytes received that the program has not read) and Send-Q (bytes
// the peer has not acknowledged) of the one established socket that
// matches `filter`; none if there is no such socket.
struct tcp_queues {
  long recv_q = 0;
  long send_q = 0;
};
inline std::optional<tcp_queues> ss_queues(const std::string& filter) {
  std::istringstream line(ss_sockets("established", filter));
  tcp_queues q;
  if (!(line >> q.recv_q >> q.send_q)) return std::nullopt;
  return q;
}

// The local port of a connected or bound socket.
inline std::uint16_t local_port(int fd) {
  sockaddr_storage a{};
  socklen_t size = sizeof a;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &size) != 0) return 0;
  if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&a)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&a)->sin_port);
}

}  // namespace test
