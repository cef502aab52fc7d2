// --daemon: the classic SysV daemon of daemon(7), as the lecture describes
// httpd and sshd: fork, setsid, fork again (so that the daemon can never
// acquire a terminal), chdir to /, umask 022, standard streams to /dev/null.
// The command the user typed returns only once the daemon listens: the
// daemon tells it how starting went through a pipe, and it exits 0 (having
// printed the "listening on" lines) or with the daemon's exit code and
// reason.
#pragma once

#include <string>
#include <string_view>

namespace server {

class daemon_link {
 public:
  // In the daemon; the original process waits in here until told, and exits.
  // Call before any thread is started: only the calling thread survives a
  // fork.
  static daemon_link daemonize();

  daemon_link(daemon_link&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  daemon_link& operator=(daemon_link&&) = delete;
  ~daemon_link();  // closing without ready() or failed(): the parent says the daemon died

  // A line for the waiting command to print on its standard output.
  void say(std::string_view line);
  // Started: the waiting command exits 0.
  void ready();
  // Cannot start: the waiting command prints "asio_server: MESSAGE" and
  // exits `code`.
  void failed(int code, std::string_view message);

 private:
  explicit daemon_link(int fd) : fd_(fd) {}
  void send(char kind, std::string_view text);
  int fd_ = -1;
};

}  // namespace server
