// What the command-line client does once its options are read: the framed
// exchange (greeting, messages, standard input) and the plain-bytes one.
// Each returns the process exit code (shared/exit_codes.hpp) and never throws.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <ostream>

#include "client_config.hpp"

namespace client {

// Greets the server, sends --message texts pipelined and then standard input
// line by line (--stdin), printing every reply to `out` and every problem to
// `err`. Matches replies to requests by id, in whatever order they come.
boost::asio::awaitable<int> run_exchange(const client_config& config, std::ostream& out,
                                         std::ostream& err);

// --raw: plain bytes, one reply read per text sent, like the lecture's client.c.
boost::asio::awaitable<int> run_raw_exchange(const client_config& config, std::ostream& out,
                                             std::ostream& err);

}  // namespace client
