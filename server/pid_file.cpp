#include "pid_file.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "failure.hpp"

namespace server {

namespace {

// The process id in the file, or 0 when there is none (or not a number).
pid_t pid_in(const std::string& path) {
  std::ifstream in(path);
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return 0;
  return static_cast<pid_t>(pid);
}

bool alive(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

}  // namespace

pid_file::pid_file(std::string path) : path_(std::move(path)) {
  const pid_t holder = pid_in(path_);
  if (holder != 0 && holder != ::getpid() && alive(holder)) {
    throw cli::unavailable("another server (pid " + std::to_string(holder) + ") holds --pid-file " +
                           path_);
  }
  const std::string temporary = path_ + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << ::getpid() << '\n';
    if (!out.flush()) {
      const std::string why = std::strerror(errno);
      std::remove(temporary.c_str());
      throw cli::unavailable("cannot write --pid-file " + path_ + ": " + why);
    }
  }
  if (std::rename(temporary.c_str(), path_.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(temporary.c_str());
    throw cli::unavailable("cannot write --pid-file " + path_ + ": " + why);
  }
}

pid_file::~pid_file() {
  if (pid_in(path_) == ::getpid()) ::unlink(path_.c_str());
}

}  // namespace server
