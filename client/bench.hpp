// asio_client --bench: a load generator on the shared codec.
//
// Closed loop (the default): every connection keeps --depth requests in
// flight, sending a new one for each reply; all requests freed by one read
// go out in one write. Fixed rate (--rate): requests are due on a schedule
// and each is timed from when it was due, so a server that stalls is charged
// for every request it delayed, not only the one it was working on
// (coordinated omission). Connect per request: what the lecture's client.c
// does, in a loop. Idle: open connections and hold them, for measuring what
// an idle connection costs the server.
//
// Every reply is checked: its id must be one in flight, its type the
// request's reply type, and an ECHO's payload the bytes sent (each payload
// carries its request id). Runs on one thread, like the server's workers.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <ostream>

#include "client_config.hpp"

namespace client {

// Runs the benchmark described by config.bench and prints its result;
// returns the exit code (0 when every reply was right).
boost::asio::awaitable<int> run_bench(const client_config& config, std::ostream& out,
                                      std::ostream& err);

}  // namespace client
