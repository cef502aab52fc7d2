// --pid-file: the server's process id in a file, for init scripts and
// monitors. The file is held with an exclusive lock (flock) for the
// server's whole life, so checking for another server and writing the id
// are one atomic step: of two servers started at once, one gets the file
// and the other refuses; and a file left by a server that died (or naming
// an unrelated process that reused its id) holds no lock, so it is simply
// taken over. The id is written with one write(); the file is removed at
// exit.
#pragma once

#include <string>

namespace server {

class pid_file {
 public:
  // Throws cli::unavailable ("another server (pid N) holds --pid-file FILE",
  // exit 69), or when the file cannot be written.
  explicit pid_file(std::string path);
  ~pid_file();
  pid_file(const pid_file&) = delete;
  pid_file& operator=(const pid_file&) = delete;

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace server
