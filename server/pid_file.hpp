// --pid-file: the server's process id in a file, for init scripts and
// monitors. Written atomically (a temporary file renamed over it), removed
// at exit if it still names this process; a live process already named in
// it makes the start fail.
#pragma once

#include <string>

namespace server {

class pid_file {
 public:
  // Throws cli::unavailable ("another server (pid N) holds FILE", exit 69),
  // or when the file cannot be written.
  explicit pid_file(std::string path);
  ~pid_file();
  pid_file(const pid_file&) = delete;
  pid_file& operator=(const pid_file&) = delete;

 private:
  std::string path_;
};

}  // namespace server
