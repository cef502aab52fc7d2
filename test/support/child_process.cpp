#include "child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace test {

namespace {

void make_pipe(int fds[2]) {
  if (::pipe2(fds, O_CLOEXEC) < 0) throw std::runtime_error("pipe2 failed");
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
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
  if (stop_fd_ < 0) throw std::runtime_error("eventfd failed");
  reader_ = std::thread([this] { drain(); });
  write_stdin(input);  // small inputs only: the pipe holds 64 KiB, and the child reads it
  if (!keep_stdin_open) close_stdin();
}

child_process::~child_process() {
  send_signal(SIGKILL);
  {
    // Killed, it is reaped by the reader at once; its pipes may outlive
    // it (a daemon's child holds them), so the reader is told to stop.
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(10), [&] { return status_.has_value(); });
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(stop_fd_, &one, sizeof one);
  if (reader_.joinable()) reader_.join();
  reap();
  for (int fd : {in_, out_fd_, err_fd_, pidfd_, stop_fd_}) {
    if (fd >= 0) ::close(fd);
  }
}

void child_process::reap() {
  std::lock_guard lock(mutex_);
  if (status_ || pid_ <= 0) return;
  int st = 0;
  ::waitpid(pid_, &st, 0);
  status_ = -1;
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
  // Through the pidfd: once the child is reaped this is ESRCH, never a
  // signal to whoever has its pid now.
  if (pidfd_ >= 0) ::syscall(SYS_pidfd_send_signal, pidfd_, signo, nullptr, 0);
}

void child_process::drain() {
  bool exited = false;
  char buf[16 * 1024];
  while (out_fd_ >= 0 || err_fd_ >= 0 || !exited) {
    pollfd fds[4] = {{out_fd_, POLLIN, 0},
                     {err_fd_, POLLIN, 0},
                     {exited ? -1 : pidfd_, POLLIN, 0},
                     {stop_fd_, POLLIN, 0}};
    if (::poll(fds, 4, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[3].revents != 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents == 0) continue;
      int& fd = i == 0 ? out_fd_ : err_fd_;
      const ssize_t got = ::read(fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      std::lock_guard lock(mutex_);
      if (got > 0) {
        (i == 0 ? out_ : err_).append(buf, static_cast<std::size_t>(got));
      } else {
        ::close(fd);
        fd = -1;  // poll() ignores negative descriptors
        (i == 0 ? out_done_ : err_done_) = true;
      }
      changed_.notify_all();
    }
    if (fds[2].revents != 0) {
      int st = 0;
      std::lock_guard lock(mutex_);
      if (!status_ && ::waitpid(pid_, &st, WNOHANG) == pid_) {
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      }
      exited = status_.has_value();
      changed_.notify_all();
    }
  }
}

std::optional<std::string> child_process::read_line(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  std::size_t nl = std::string::npos;
  changed_.wait_for(lock, timeout, [&] {
    nl = out_.find('\n', line_start_);
    return nl != std::string::npos || out_done_;
  });
  if (nl == std::string::npos) return std::nullopt;
  std::string line = out_.substr(line_start_, nl - line_start_);
  line_start_ = nl + 1;
  return line;
}

int child_process::wait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (changed_.wait_for(lock, timeout, [&] { return status_ && out_done_ && err_done_; })) {
    return *status_;
  }
  if (!status_) {
    lock.unlock();
    send_signal(SIGKILL);
    lock.lock();
    changed_.wait_for(lock, std::chrono::seconds(10), [&] { return status_.has_value(); });
  }
  status_ = -1;
  return -1;
}

std::string child_process::out() const {
  std::lock_guard lock(mutex_);
  return out_;
}

std::string child_process::err() const {
  std::lock_guard lock(mutex_);
  return err_;
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
