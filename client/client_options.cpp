#include "client_options.hpp"

#include <boost/program_options.hpp>
#include <iostream>

#include "cli_support.hpp"
#include "exit_codes.hpp"
#include "option_values.hpp"

namespace client {

namespace po = boost::program_options;

namespace {
constexpr const char* program = "asio_client";
}  // namespace

parse_result parse_command_line(int argc, const char* const argv[]) {
  client_config c;
  auto& b = c.bench;
  cli::count port{c.port}, max_in_flight{c.max_in_flight}, connections{b.connections},
      depth{b.depth}, requests{0};
  cli::byte_size size{b.size};
  cli::duration timeout{10}, duration{10}, warmup{1}, reconnect_for{30};
  std::string type = "echo";

  po::options_description desc(
      "Usage: asio_client [OPTIONS]\n"
      "\n"
      "Connects to an asio_server, greets it (HELLO \"Hello (client)\") and prints the\n"
      "reply, as the lecture's client.c does; then sends any messages, pipelined, and\n"
      "prints each acknowledgement as it arrives.\n"
      "\n"
      "Durations are seconds (2.5) or carry a unit (500ms, 30s, 5m, 1h); sizes are\n"
      "bytes, or carry K, M or G (powers of 1024).\n"
      "\n"
      "Options");
  // clang-format off
  desc.add_options()
    ("help,h", "show this help and exit")
    ("version", "show the version and exit")
    ("host,H", po::value(&c.host)->default_value(c.host)->value_name("HOST"),
     "server name or address (IPv4, IPv6 such as ::1)")
    ("port,p", po::value(&port)->default_value(port)->value_name("PORT"), "server port")
    ("unix", po::value(&c.transport.unix_path)->value_name("PATH"),
     "connect to the server's Unix socket at PATH instead of HOST:PORT")
    ("tls", po::bool_switch(&c.transport.tls),
     "speak TLS: the server's certificate must be signed by --ca (or a CA the\n"
     "system trusts) and name --host (a name, sent as SNI, or an address)")
    ("ca", po::value(&c.transport.ca_file)->value_name("FILE"),
     "with --tls: trust the CA certificates in FILE (PEM) instead of the\n"
     "system's")
    ("cert", po::value(&c.transport.cert_file)->value_name("FILE"),
     "with --tls: present this certificate (PEM), for a server that requires\n"
     "client certificates (mutual TLS); needs --key")
    ("key", po::value(&c.transport.key_file)->value_name("FILE"),
     "with --tls: the private key of --cert (PEM)")
    ("message,m", po::value(&c.messages)->value_name("TEXT"),
     "send TEXT as a MESSAGE after the greeting; repeat to send several, all\n"
     "written at once (pipelined)")
    ("stdin", po::bool_switch(&c.read_stdin),
     "send each line of standard input as a MESSAGE; exits 0 after end of input\n"
     "once every message is acknowledged (works in a pipe, like nc)")
    ("raw", po::bool_switch(&c.raw),
     "speak plain bytes instead of frames, like the lecture's client.c: send the\n"
     "greeting (then each message), printing the server's reply to each")
    ("greeting", po::value(&c.hello)->default_value(c.hello)->value_name("TEXT"),
     "the greeting to send")
    ("timeout", po::value(&timeout)->default_value(timeout)->value_name("DURATION"),
     "give up connecting, or waiting for an answer to a request sent, after\n"
     "this long")
    ("max-in-flight", po::value(&max_in_flight)->default_value(max_in_flight)->value_name("N"),
     "with --stdin, stop reading input while N messages await their ack")
    ("reconnect", po::bool_switch(&c.reconnect),
     "when the server says GOAWAY, read the replies up to its last id, then\n"
     "connect again and send the requests it did not process; when a\n"
     "connection drops, connect again and send what was unanswered (every\n"
     "request type is idempotent). Reconnects back off, with jitter. For\n"
     "--message, --stdin and --bench's closed loop (not --raw, --rate,\n"
     "--connect-per-request or --idle); --bench reports reconnects, resends\n"
     "and the slowest second")
    ("reconnect-for", po::value(&reconnect_for)->default_value(reconnect_for)->value_name("DURATION"),
     "with --reconnect, give up (exit 69) when, after a connection ended, no\n"
     "new one could be made, or none was answered, for this long. The first\n"
     "connection is not retried: a server that is not there at the start is\n"
     "exit 69 at once, as without --reconnect");

  po::options_description bench("Load generation (--bench)");
  bench.add_options()
    ("bench", po::bool_switch(&b.enabled),
     "measure the server instead: keep requests in flight on every connection,\n"
     "check every reply (id and payload), and report messages/s, MB/s and\n"
     "latency percentiles. With --raw, drive a plain echo server (asio_server\n"
     "--mode echo, or any RFC 862 server) with fixed-size messages")
    ("connections,c", po::value(&connections)->default_value(connections)->value_name("N"),
     "connections (with --connect-per-request: workers, each connecting anew\n"
     "for every request)")
    ("depth,d", po::value(&depth)->default_value(depth)->value_name("N"),
     "requests in flight per connection (pipeline depth)")
    ("size,s", po::value(&size)->default_value(size)->value_name("SIZE"),
     "payload bytes per request (with --raw: bytes per message)")
    ("type", po::value(&type)->default_value(type)->value_name("TYPE"),
     "echo, message or ping (ping sends no payload)")
    ("duration", po::value(&duration)->default_value(duration)->value_name("DURATION"),
     "measure for this long, after the warm-up")
    ("requests,n", po::value(&requests)->value_name("N"),
     "stop after N answers (after the warm-up), or at --duration if sooner")
    ("warmup", po::value(&warmup)->default_value(warmup)->value_name("DURATION"),
     "run this long before measuring (0 for none)")
    ("rate", po::value(&b.rate)->value_name("PER_SECOND"),
     "send on a fixed schedule, this many requests per second in all, and time\n"
     "each from when it was due, so a stalled server cannot hide its delay\n"
     "(coordinated omission); --depth still bounds what is in flight")
    ("connect-per-request", po::bool_switch(&b.connect_per_request),
     "connect, send one request, read the reply, close, as the lecture's\n"
     "client.c does; reports connections per second")
    ("idle", po::bool_switch(&b.idle),
     "open --connections connections (each must answer one PING, or one byte\n"
     "with --raw, within --timeout), say 'holding N idle connections', hold\n"
     "them for --duration, close")
    ("json", po::bool_switch(&b.json), "print the result as one JSON object");
  // clang-format on
  desc.add(bench);

  po::variables_map vm;
  if (const auto stop = cli::parse_options(
          argc, argv, desc, program, vm,
          "Exit status: 0 when every request was answered; 64 bad command line;\n"
          "69 cannot connect; 74 connection lost or timed out; 75 the server is\n"
          "shutting down (GOAWAY) and some requests were not answered; 76 the\n"
          "server answered with ERROR or broke the protocol.\n")) {
    return {std::nullopt, *stop};
  }
  constexpr double ms = 0.001;
  cli::range_checks checks;
  checks.check("--port", port, 1, 65535)
      .check("--timeout", timeout, ms, cli::max_seconds)
      .check("--max-in-flight", max_in_flight, 1, 1'000'000)
      .require(!c.host.empty(), "--host must not be empty")
      .require(c.transport.unix_path.empty() || !c.transport.tls,
               "--unix and --tls exclude each other")
      .require(c.transport.unix_path.size() <= 107,
               "--unix: a Unix socket's path can be at most 107 bytes")
      .require(c.transport.tls || (c.transport.ca_file.empty() && c.transport.cert_file.empty() &&
                                   c.transport.key_file.empty()),
               "--ca, --cert and --key need --tls")
      .require(c.transport.cert_file.empty() == c.transport.key_file.empty(),
               "--cert and --key go together")
      .require(!c.reconnect || !c.raw, "--reconnect works with the protocol only, not --raw")
      .check("--reconnect-for", reconnect_for, ms, cli::max_seconds)
      .require(c.reconnect || !vm.count("reconnect-for") || vm["reconnect-for"].defaulted(),
               "--reconnect-for needs --reconnect");
  if (b.enabled) {
    checks
        .require(type == "echo" || type == "message" || type == "ping",
                 "--type must be echo, message or ping")
        .check("--connections", connections, 1, 1'000'000)
        .check("--depth", depth, 1, 65536)
        .check("--size", size, c.raw ? 1 : 0, c.max_frame)
        .check("--duration", duration, ms, cli::max_seconds)
        .check("--warmup", warmup, 0, cli::max_seconds)
        .require(!vm.count("requests") || requests.value >= 1, "--requests must be at least 1")
        .check("--rate", b.rate, vm.count("rate") ? 0.001 : 0, 1e9)
        .require(b.rate == 0 || (!c.raw && !b.connect_per_request && !b.idle),
                 "--rate works with the protocol's requests only")
        .require(!(b.connect_per_request && b.idle),
                 "--connect-per-request and --idle exclude each other")
        .require(!c.reconnect || (b.rate == 0 && !b.connect_per_request && !b.idle),
                 "--reconnect works with --bench's closed loop only "
                 "(not --rate, --connect-per-request or --idle)");
  } else {
    for (const auto& option : bench.options()) {
      const auto& name = option->long_name();
      checks.require(!vm.count(name) || vm[name].defaulted(), "--" + name + " needs --bench");
    }
  }
  if (checks.problem()) return {std::nullopt, cli::usage_error(program, *checks.problem())};

  c.port = static_cast<std::uint16_t>(port.value);
  c.timeout = timeout.ms();
  c.max_in_flight = max_in_flight.value;
  b.connections = static_cast<unsigned>(connections.value);
  b.depth = static_cast<unsigned>(depth.value);
  b.size = type == "ping" ? 0 : size.value;
  b.type = type == "message" ? proto::frame_type::message
           : type == "ping"  ? proto::frame_type::ping
                             : proto::frame_type::echo;
  b.duration = duration.ms();
  b.warmup = warmup.ms();
  c.reconnect_for = reconnect_for.ms();
  b.requests = requests.value;
  return {std::move(c), cli::exit_code::ok};
}

}  // namespace client
