#include "child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace test {

using std::chrono::steady_clock;

namespace {

void make_pipe(int fds[2]) {
  if (::pipe2(fds, O_CLOEXEC) < 0) throw std::runtime_error("pipe2 failed");
}

int remaining_ms(steady_clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady_clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

}  // namespace

child_process::child_process(std::vector<std::string> argv, std::string input,
                             bool keep_stdin_open) {
  int in[2], out[2], err[2];
  make_pipe(in);
  make_pipe(out);
  make_pipe(err);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  // posix_spawnp: a name without a slash (openssl, socat, ss) is looked up in PATH.
  const int rc = posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  in_ = in[1];
  out_fd_ = out[0];
  err_fd_ = err[0];
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd_ < 0) throw std::runtime_error("pidfd_open failed");
  write_stdin(input);  // small inputs only: the pipe holds 64 KiB, and the child reads it
  if (!keep_stdin_open) close_stdin();
}

child_process::~child_process() {
  if (!status_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
  }
  for (int fd : {in_, out_fd_, err_fd_, pidfd_}) {
    if (fd >= 0) ::close(fd);
  }
}

bool child_process::write_stdin(std::string_view text) {
  ::signal(SIGPIPE, SIG_IGN);  // a child that has exited is a false, not the end of the test
  const char* p = text.data();
  std::size_t left = text.size();
  while (left > 0 && in_ >= 0) {
    const ssize_t n = ::write(in_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return left == 0;
}

void child_process::close_stdin() {
  if (in_ >= 0) ::close(in_);
  in_ = -1;
}

void child_process::send_signal(int signo) {
  if (!status_) ::kill(pid_, signo);
}

bool child_process::pump(std::chrono::milliseconds timeout) {
  pollfd fds[3] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}, {pidfd_, POLLIN, 0}};
  const int n = ::poll(fds, 3, static_cast<int>(timeout.count()));
  if (n <= 0) return n == 0 ? false : errno == EINTR;
  char buf[4096];
  for (int i = 0; i < 2; ++i) {
    if (fds[i].revents == 0) continue;
    int& fd = i == 0 ? out_fd_ : err_fd_;
    const ssize_t got = ::read(fd, buf, sizeof buf);
    if (got > 0) {
      (i == 0 ? out_ : err_).append(buf, static_cast<std::size_t>(got));
    } else {
      ::close(fd);
      fd = -1;  // poll() ignores negative descriptors
    }
  }
  if (fds[2].revents != 0 && !status_) {
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      ::close(pidfd_);
      pidfd_ = -1;
    }
  }
  return true;
}

std::optional<std::string> child_process::read_line(std::chrono::milliseconds timeout) {
  const auto deadline = steady_clock::now() + timeout;
  for (;;) {
    const auto nl = out_.find('\n', line_start_);
    if (nl != std::string::npos) {
      std::string line = out_.substr(line_start_, nl - line_start_);
      line_start_ = nl + 1;
      return line;
    }
    if (out_fd_ < 0) return std::nullopt;
    if (!pump(std::chrono::milliseconds(remaining_ms(deadline)))) return std::nullopt;
  }
}

int child_process::wait(std::chrono::milliseconds timeout) {
  const auto deadline = steady_clock::now() + timeout;
  while (!status_ || out_fd_ >= 0 || err_fd_ >= 0) {
    if (!pump(std::chrono::milliseconds(remaining_ms(deadline)))) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      ::waitpid(pid_, &st, 0);
      status_ = -1;
      return -1;
    }
  }
  return *status_;
}

run_result run(std::vector<std::string> argv, std::string input,
               std::chrono::milliseconds timeout) {
  child_process child(std::move(argv), std::move(input));
  run_result r;
  r.exit_code = child.wait(timeout);
  r.out = child.out();
  r.err = child.err();
  return r;
}

}  // namespace test
