#include "standard_input.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace client {

standard_input::standard_input() {
  struct stat st {};
  if (::fstat(STDIN_FILENO, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))) {
    fd_ = ::open("/proc/self/fd/0", O_RDONLY | O_CLOEXEC);
  }
  if (fd_ < 0) {
    fd_ = ::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0);
    if (fd_ >= 0) restore_flags_ = ::fcntl(fd_, F_GETFL);
  }
  if (fd_ < 0) error_ = std::strerror(errno);
}

standard_input::~standard_input() {
  // Through descriptor 0, which shares the description with the caller.
  if (restore_flags_ >= 0) ::fcntl(STDIN_FILENO, F_SETFL, restore_flags_);
  if (fd_ >= 0) ::close(fd_);
}

int standard_input::release() noexcept {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

}  // namespace client
