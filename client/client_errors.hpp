// The client's failures, each with its exit code (shared/failure.hpp). No
// Asio here: the request book, which has no sockets, throws them too.
#pragma once

#include "failure.hpp"

namespace client {

// what(): "cannot connect to HOST:PORT: REASON" (exit 69).
struct connect_error : cli::unavailable {
  using cli::unavailable::unavailable;
};
// The server sent bytes that are not a frame, or closed in the middle of one
// (exit 76).
struct protocol_error : cli::protocol_violation {
  using cli::protocol_violation::protocol_violation;
};
// The server closed in the middle of a frame: a connection cut (a proxy's,
// say), which --reconnect recovers from, unlike the other protocol_errors.
struct cut_mid_frame : protocol_error {
  using protocol_error::protocol_error;
};

}  // namespace client
