#include "core/streams.hpp"

#include <sys/socket.h>

namespace server {

std::string peer_details(unix_stream& s) {
  ucred cred{};
  socklen_t size = sizeof cred;
  if (::getsockopt(s.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &size) != 0) return {};
  return " (uid " + std::to_string(cred.uid) + ", pid " + std::to_string(cred.pid) + ")";
}

}  // namespace server
