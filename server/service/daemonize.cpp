#include "service/daemonize.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "exit_codes.hpp"

namespace server {

namespace {

// The messages: one kind byte, the text, '\n'. 'L' a line to print, 'R'
// ready, 'F' failed: the text is the exit code, ' ', the reason.
[[noreturn]] void wait_for_the_daemon(int fd) {
  std::string got;
  char chunk[512];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got.append(chunk, static_cast<std::size_t>(n));
    std::size_t end;
    while ((end = got.find('\n')) != std::string::npos) {
      const std::string message = got.substr(1, end - 1);
      const char kind = got[0];
      got.erase(0, end + 1);
      if (kind == 'L') {
        std::printf("%s\n", message.c_str());
      } else if (kind == 'R') {
        std::fflush(stdout);
        std::_Exit(cli::exit_code::ok);
      } else if (kind == 'F') {
        const int code = std::atoi(message.c_str());
        const auto space = message.find(' ');
        std::fflush(stdout);
        std::fprintf(stderr, "asio_server: %s\n",
                     space == std::string::npos ? "failed" : message.c_str() + space + 1);
        std::_Exit(code == 0 ? cli::exit_code::software : code);
      }
    }
  }
  std::fflush(stdout);
  std::fprintf(stderr, "asio_server: the daemon exited before it was listening\n");
  std::_Exit(cli::exit_code::software);
}

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "asio_server: --daemon: %s: %s\n", what, std::strerror(errno));
  std::_Exit(cli::exit_code::software);
}

}  // namespace

daemon_link daemon_link::daemonize() {
  int link[2];
  if (::pipe2(link, O_CLOEXEC) != 0) die("pipe");
  std::fflush(nullptr);
  const pid_t first = ::fork();
  if (first < 0) die("fork");
  if (first > 0) {
    // The command the user typed: wait for the news, then exit with it. The
    // first child exits at once; reap it so that it leaves no zombie.
    ::close(link[1]);
    ::waitpid(first, nullptr, 0);
    wait_for_the_daemon(link[0]);
  }
  ::close(link[0]);
  // A session of its own, without a controlling terminal...
  if (::setsid() < 0) die("setsid");
  // ...and, no longer its leader, it can never acquire one.
  const pid_t second = ::fork();
  if (second < 0) die("fork");
  if (second > 0) std::_Exit(0);
  if (::chdir("/") != 0) die("chdir /");
  ::umask(022);
  const int null = ::open("/dev/null", O_RDWR);
  if (null < 0) die("/dev/null");
  for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) ::dup2(null, fd);
  if (null > STDERR_FILENO) ::close(null);
  return daemon_link(link[1]);
}

daemon_link::~daemon_link() {
  if (fd_ >= 0) ::close(fd_);
}

void daemon_link::send(char kind, std::string_view text) {
  if (fd_ < 0) return;
  std::string message(1, kind);
  message.append(text);
  message.push_back('\n');
  const char* p = message.data();
  std::size_t left = message.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the command is gone: nobody to tell
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

void daemon_link::say(std::string_view line) { send('L', line); }

void daemon_link::ready() {
  send('R', {});
  ::close(fd_);
  fd_ = -1;
}

void daemon_link::failed(int code, std::string_view message) {
  send('F', std::to_string(code) + " " + std::string(message));
  ::close(fd_);
  fd_ = -1;
}

}  // namespace server
