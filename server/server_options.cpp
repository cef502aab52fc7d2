#include "server_options.hpp"

#include <boost/program_options.hpp>
#include <iostream>
#include <thread>

#include "cli_support.hpp"
#include "exit_codes.hpp"
#include "logging.hpp"

namespace server {

namespace po = boost::program_options;

namespace {

constexpr const char* program = "asio_server";

std::chrono::milliseconds seconds_option(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000.0));
}

}  // namespace

parse_result parse_command_line(int argc, const char* const argv[]) {
  server_options o;
  server_config& c = o.config;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  unsigned port = c.port;
  double idle = 300, drain = 5, handshake = 10, write = 30;
  std::string mode = "protocol";

  po::options_description desc(
      "Usage: asio_server [OPTIONS]\n"
      "\n"
      "Serves the asio_server protocol (shared/PROTOCOL.md) over TCP: HELLO, MESSAGE,\n"
      "ECHO and PING, pipelined, each answered by request id. A peer whose first byte\n"
      "is not the protocol's magic (0xA5) is served as plain bytes, like the lecture's\n"
      "server: its first chunk gets \"Hello (server)!\", every later one \"Received\".\n"
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
    ("threads,t", po::value(&c.threads)->default_value(cores)->value_name("N"),
     "I/O threads, each with its own event loop; connections are spread over\n"
     "them round-robin (default: the number of cores)")
    ("max-frame", po::value(&c.max_frame)->default_value(c.max_frame)->value_name("BYTES"),
     "largest request payload accepted; a larger one is answered with ERROR 2\n"
     "and the connection is closed")
    ("max-connections", po::value(&c.max_connections)->default_value(c.max_connections)->value_name("N"),
     "connections served at once; one more is answered ERROR 4 (server busy)\n"
     "and closed while the server goes on accepting. The open-file limit is\n"
     "raised to its maximum at start; past it, accepting pauses and retries.")
    ("handshake-timeout", po::value(&handshake)->default_value(handshake)->value_name("SECONDS"),
     "close a connection that sends nothing for this long after connecting")
    ("write-timeout", po::value(&write)->default_value(write)->value_name("SECONDS"),
     "close a connection that takes none of its replies for this long (the\n"
     "server stops reading from a peer that does not read, so what it queues\n"
     "for one connection stays bounded)")
    ("idle-timeout", po::value(&idle)->default_value(idle)->value_name("SECONDS"),
     "close a connection that has sent no complete request for this long\n"
     "(framed peers get GOAWAY first); a frame trickling in byte by byte does\n"
     "not count as activity")
    ("drain-timeout", po::value(&drain)->default_value(drain)->value_name("SECONDS"),
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
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return {std::nullopt, proto::usage_error(program, e.what())};
  }
  if (vm.count("help")) {
    std::cout << desc << "\n"
              << "Exit status: 0 after a clean shutdown (SIGINT or SIGTERM), 64 for a bad\n"
                 "command line, 69 when the address cannot be listened on, 70 on an\n"
                 "internal error.\n";
    return {std::nullopt, proto::exit_code::ok};
  }
  if (vm.count("version")) {
    proto::print_version(program);
    return {std::nullopt, proto::exit_code::ok};
  }
  if (port > 65535) return {std::nullopt, proto::usage_error(program, "--port must be 0 to 65535")};
  if (c.threads < 1 || c.threads > 1024)
    return {std::nullopt, proto::usage_error(program, "--threads must be 1 to 1024")};
  if (c.max_frame < 1)
    return {std::nullopt, proto::usage_error(program, "--max-frame must be at least 1")};
  if (c.max_connections < 1)
    return {std::nullopt, proto::usage_error(program, "--max-connections must be at least 1")};
  if (!(idle > 0) || !(drain > 0) || !(handshake > 0) || !(write > 0))
    return {std::nullopt, proto::usage_error(program, "timeouts must be more than 0 seconds")};
  if (mode == "echo") {
    c.mode = service_mode::echo;
  } else if (mode != "protocol") {
    return {std::nullopt, proto::usage_error(program, "--mode must be protocol or echo")};
  }
  if (!is_log_level(o.log_level)) {
    return {std::nullopt,
            proto::usage_error(program, "--log-level must be one of " + std::string(log_levels))};
  }
  c.port = static_cast<std::uint16_t>(port);
  c.idle_timeout = seconds_option(idle);
  c.handshake_timeout = seconds_option(handshake);
  c.write_timeout = seconds_option(write);
  c.drain_timeout = seconds_option(drain);
  c.linger_timeout = std::min(c.linger_timeout, c.drain_timeout);
  return {std::move(o), proto::exit_code::ok};
}

}  // namespace server
