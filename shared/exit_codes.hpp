// Exit codes of both programs, from sysexits(3) so that scripts can tell a
// bad command line from a server that is not there.
#pragma once

namespace cli::exit_code {

inline constexpr int ok = 0;
inline constexpr int usage = 64;        // EX_USAGE: bad command line
inline constexpr int unavailable = 69;  // EX_UNAVAILABLE: cannot connect / cannot listen
inline constexpr int software = 70;     // EX_SOFTWARE: an internal error
inline constexpr int cant_create = 73;  // EX_CANTCREAT: cannot open the log file
inline constexpr int io_error = 74;     // EX_IOERR: connection lost or timed out mid-exchange
inline constexpr int temp_fail = 75;    // EX_TEMPFAIL: server went away; some requests unanswered
inline constexpr int protocol = 76;     // EX_PROTOCOL: the peer broke the protocol or sent ERROR

}  // namespace cli::exit_code
