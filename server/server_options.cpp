#include "server_options.hpp"

#include <boost/program_options.hpp>
#include <iostream>
#include <thread>

#include "cli_support.hpp"
#include "exit_codes.hpp"
#include "logging.hpp"
#include "option_values.hpp"

namespace server {

namespace po = boost::program_options;

namespace {

constexpr const char* program = "asio_server";

cli::duration seconds_of(std::chrono::milliseconds d) {
  return {std::chrono::duration<double>(d).count()};
}

}  // namespace

parse_result parse_command_line(int argc, const char* const argv[]) {
  server_options o;
  server_config& c = o.config;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  cli::count port{c.port}, threads{cores}, max_connections{c.max_connections};
  cli::byte_size max_frame{c.max_frame}, max_buffered{c.max_buffered_bytes};
  cli::duration idle = seconds_of(c.idle_timeout), drain = seconds_of(c.drain_timeout),
                handshake = seconds_of(c.handshake_timeout), write = seconds_of(c.write_timeout),
                frame = seconds_of(c.frame_timeout);
  std::string mode = "protocol";

  po::options_description desc(
      "Usage: asio_server [OPTIONS]\n"
      "\n"
      "Serves the asio_server protocol (shared/PROTOCOL.md) over TCP: HELLO, MESSAGE,\n"
      "ECHO and PING, pipelined, each answered by request id. A peer whose first byte\n"
      "is not the protocol's magic (0xA5) is served as plain bytes, like the lecture's\n"
      "server: its first chunk gets \"Hello (server)!\", every later one \"Received\".\n"
      "\n"
      "Durations are seconds (2.5) or carry a unit (500ms, 30s, 5m, 1h); sizes are\n"
      "bytes, or carry K, M or G (powers of 1024).\n"
      "\n"
      "Options");
  // clang-format off
  desc.add_options()
    ("help,h", "show this help and exit")
    ("version", "show the version and exit")
    ("port,p", po::value(&port)->default_value(port)->value_name("PORT"),
     "TCP port to listen on; 0 picks a free one. The real port is printed as\n"
     "'listening on ADDRESS:PORT'.")
    ("bind,b", po::value(&c.bind_address)->value_name("ADDRESS"),
     "address or host name to listen on (default: every interface, IPv6 and\n"
     "IPv4 on one socket, or IPv4 only where the machine has no IPv6)")
    ("threads,t", po::value(&threads)->default_value(threads)->value_name("N"),
     "I/O threads, 1 to 1024, each with its own event loop; connections are\n"
     "spread over them round-robin (default: the number of cores)")
    ("max-frame", po::value(&max_frame)->default_value(max_frame)->value_name("SIZE"),
     "largest request payload accepted; a larger one is answered with ERROR 2\n"
     "and the connection is closed")
    ("max-connections", po::value(&max_connections)->default_value(max_connections)->value_name("N"),
     "connections served at once; one more is answered ERROR 4 (server busy)\n"
     "and closed while the server goes on accepting. The open-file limit is\n"
     "raised to its maximum at start; past it, accepting pauses and retries.")
    ("max-buffered-bytes", po::value(&max_buffered)->default_value(max_buffered)->value_name("SIZE"),
     "memory all connections together may hold between reads: frames still\n"
     "arriving, replies not yet taken, busy connections' read buffers. When it\n"
     "is used up, connections holding more than 4 KiB are not read, and a frame\n"
     "that cannot go on within a second is refused with ERROR 4; others are\n"
     "served as usual")
    ("handshake-timeout", po::value(&handshake)->default_value(handshake)->value_name("DURATION"),
     "close a connection that sends nothing for this long after connecting")
    ("idle-timeout", po::value(&idle)->default_value(idle)->value_name("DURATION"),
     "close a connection that has sent no complete request for this long\n"
     "(framed peers get GOAWAY first); a frame trickling in byte by byte does\n"
     "not count as activity")
    ("frame-timeout", po::value(&frame)->default_value(frame)->value_name("DURATION"),
     "close a connection whose frame is not complete this long after its first\n"
     "byte arrived (GOAWAY first)")
    ("write-timeout", po::value(&write)->default_value(write)->value_name("DURATION"),
     "close a connection that takes no reply bytes for this long (the server\n"
     "stops reading from a peer that does not read, so what it queues for one\n"
     "connection stays bounded)")
    ("drain-timeout", po::value(&drain)->default_value(drain)->value_name("DURATION"),
     "on SIGINT/SIGTERM, how long connections get to finish before they are\n"
     "closed; the server then exits 0")
    ("mode", po::value(&mode)->default_value(mode)->value_name("MODE"),
     "protocol: the framed protocol (and plain-bytes peers as the lecture's\n"
     "server); echo: send every byte back as it came (RFC 862), to measure the\n"
     "server with the same load as any echo server")
    ("greeting", po::value(&c.greeting)->default_value(c.greeting)->value_name("TEXT"),
     "the reply to HELLO (and to a plain-bytes peer's first message)")
    ("log-level", po::value(&o.log_level)->default_value(o.log_level)->value_name("LEVEL"),
     "trace, debug, info, warn, error or off. At info every greeting and message\n"
     "is logged, as the lecture's server prints them; use warn under load.");
  // clang-format on

  po::variables_map vm;
  if (const auto stop = cli::parse_options(
          argc, argv, desc, program, vm,
          "Signals: SIGINT or SIGTERM drains and exits 0 (a second one closes what is\n"
          "left at once); SIGHUP is logged and ignored.\n"
          "\n"
          "Exit status: 0 after a clean shutdown (SIGINT or SIGTERM), 64 for a bad\n"
          "command line, 69 when the address cannot be listened on, 70 on an\n"
          "internal error.\n")) {
    return {std::nullopt, *stop};
  }
  constexpr double ms = 0.001;
  cli::range_checks checks;
  checks.check("--port", port, 0, 65535)
      .check("--threads", threads, 1, 1024)
      .check("--max-frame", max_frame, 1, std::uint64_t{1} << 30)
      .check("--max-connections", max_connections, 1, 1'000'000)
      .check("--max-buffered-bytes", max_buffered, std::uint64_t{1} << 20, std::uint64_t{1} << 40)
      .require(max_frame.value <= max_buffered.value,
               "--max-frame cannot be more than --max-buffered-bytes: a frame must fit in it")
      .check("--handshake-timeout", handshake, ms, cli::max_seconds)
      .check("--idle-timeout", idle, ms, cli::max_seconds)
      .check("--frame-timeout", frame, ms, cli::max_seconds)
      .check("--write-timeout", write, ms, cli::max_seconds)
      .check("--drain-timeout", drain, ms, cli::max_seconds)
      .require(mode == "protocol" || mode == "echo", "--mode must be protocol or echo")
      .require(is_log_level(o.log_level), "--log-level must be one of " + std::string(log_levels));
  if (checks.problem()) return {std::nullopt, cli::usage_error(program, *checks.problem())};

  c.port = static_cast<std::uint16_t>(port.value);
  c.threads = static_cast<unsigned>(threads.value);
  c.max_frame = static_cast<std::uint32_t>(max_frame.value);
  c.max_connections = max_connections.value;
  c.max_buffered_bytes = max_buffered.value;
  c.mode = mode == "echo" ? service_mode::echo : service_mode::protocol;
  c.idle_timeout = idle.ms();
  c.handshake_timeout = handshake.ms();
  c.frame_timeout = frame.ms();
  c.write_timeout = write.ms();
  c.drain_timeout = drain.ms();
  c.linger_timeout = std::min(c.linger_timeout, c.drain_timeout);
  return {std::move(o), cli::exit_code::ok};
}

}  // namespace server
