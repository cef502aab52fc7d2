// --pid-file: the server's process id in a file, for init scripts and
// monitors. The file is held with an exclusive lock (flock) for the
// server's whole life, so checking for another server and writing the id
// are one atomic step: of two servers started at once, one gets the file
// and the other refuses; and a file left by a server that died (or naming
// an unrelated process that reused its id) holds no lock, so it is simply
// taken over. The id is written with one write(); the file is removed at
// exit. Only a regular file owned by the server's user is written: a
// symbolic link (opened with O_NOFOLLOW), a fifo, a device or another
// user's file at that path is refused, so the server never writes through
// a link someone planted to another file.
#pragma once

#include <string>

namespace server {

class pid_file {
 public:
  // Throws cli::unavailable ("another server (pid N) holds --pid-file FILE",
  // exit 69), or cli::failure with exit 73 ("cannot write --pid-file FILE:
  // REASON") when the file cannot be written or is not the server's own.
  explicit pid_file(std::string path);
  ~pid_file();
  pid_file(const pid_file&) = delete;
  pid_file& operator=(const pid_file&) = delete;

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace server
