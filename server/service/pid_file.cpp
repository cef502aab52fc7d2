#include "service/pid_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "exit_codes.hpp"
#include "failure.hpp"

namespace server {

namespace {

[[noreturn]] void cannot_write(const std::string& path, const std::string& why) {
  throw cli::failure(cli::exit_code::cant_create, "cannot write --pid-file " + path + ": " + why);
}
[[noreturn]] void cannot_write(const std::string& path) {
  cannot_write(path, std::strerror(errno));
}

// The path must name the server's own regular file, not a link to (or a
// device, fifo or someone else's file that would be) written through.
void check_is_ours(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) cannot_write(path);
  if (!S_ISREG(st.st_mode)) cannot_write(path, "not a regular file");
  if (st.st_uid != ::geteuid()) {
    cannot_write(path, "owned by uid " + std::to_string(st.st_uid) + ", not by this server's (" +
                           std::to_string(::geteuid()) + ")");
  }
}

}  // namespace

pid_file::pid_file(std::string path) : path_(std::move(path)) {
  for (;;) {
    // O_NOFOLLOW: a symbolic link is refused (ELOOP), never written through;
    // O_NONBLOCK: a fifo planted there cannot hang the start.
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
    if (fd_ < 0 && errno == ELOOP) cannot_write(path_, "it is a symbolic link");
    if (fd_ < 0) cannot_write(path_);
    try {
      check_is_ours(fd_, path_);
    } catch (...) {
      ::close(fd_);
      fd_ = -1;
      throw;
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      const bool held = errno == EWOULDBLOCK;
      char text[32] = {};
      const ssize_t n = ::pread(fd_, text, sizeof text - 1, 0);
      ::close(fd_);
      fd_ = -1;
      if (!held) cannot_write(path_);
      const std::string holder = n > 0 ? std::string(text, std::strcspn(text, "\n")) : "?";
      throw cli::unavailable("another server (pid " + holder + ") holds --pid-file " + path_);
    }
    // Locked; but if the server that held it removed the file in between,
    // this lock is on a file nobody else can see: start again.
    struct stat held {
    }, named{};
    if (::fstat(fd_, &held) == 0 && ::stat(path_.c_str(), &named) == 0 &&
        held.st_ino == named.st_ino && held.st_dev == named.st_dev) {
      break;
    }
    ::close(fd_);
  }
  const std::string text = std::to_string(::getpid()) + "\n";
  if (::pwrite(fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()) ||
      ::ftruncate(fd_, static_cast<off_t>(text.size())) != 0) {
    const int e = errno;
    ::close(fd_);
    errno = e;
    cannot_write(path_);
  }
}

pid_file::~pid_file() {
  if (fd_ < 0) return;
  ::unlink(path_.c_str());  // while still locked: no other server has it yet
  ::close(fd_);
}

}  // namespace server
