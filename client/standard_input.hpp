// Standard input for reading on the event loop without changing it for
// anyone else. Asio makes a descriptor non-blocking, and O_NONBLOCK belongs
// to the open file description, which a dup() shares with the shell: a
// later reader of the same pipe in a script would then get EAGAIN. So a
// pipe, FIFO or terminal is opened anew (/proc/self/fd/0), a description of
// our own; anything else (a socket, a file) is dup()ed and its flags are put
// back when this object goes.
#pragma once

#include <string>

namespace client {

class standard_input {
 public:
  standard_input();
  ~standard_input();
  standard_input(const standard_input&) = delete;
  standard_input& operator=(const standard_input&) = delete;

  bool valid() const noexcept { return fd_ >= 0; }
  const std::string& error() const noexcept { return error_; }
  // The descriptor, for the caller to own (and close).
  int release() noexcept;

 private:
  int fd_ = -1;
  int restore_flags_ = -1;  // the shared description's flags, when dup()ed
  std::string error_;
};

}  // namespace client
