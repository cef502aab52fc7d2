#include "client_options.hpp"

#include <boost/program_options.hpp>
#include <iostream>

#include "cli_support.hpp"
#include "exit_codes.hpp"

namespace client {

namespace po = boost::program_options;

namespace {
constexpr const char* program = "asio_client";

std::chrono::milliseconds seconds_option(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000.0));
}
}  // namespace

parse_result parse_command_line(int argc, const char* const argv[]) {
  client_config c;
  unsigned port = c.port;
  double timeout = 10;
  auto& b = c.bench;
  double duration = 10, warmup = 1;
  std::string type = "echo";

  po::options_description desc(
      "Usage: asio_client [OPTIONS]\n"
      "\n"
      "Connects to an asio_server, greets it (HELLO \"Hello (client)\") and prints the\n"
      "reply, as the lecture's client.c does; then sends any messages, pipelined, and\n"
      "prints each acknowledgement as it arrives.\n"
      "\n"
      "Options");
  // clang-format off
  desc.add_options()
    ("help,h", "show this help and exit")
    ("version", "show the version and exit")
    ("host,H", po::value(&c.host)->default_value(c.host)->value_name("HOST"),
     "server name or address (IPv4, IPv6 such as ::1)")
    ("port,p", po::value(&port)->default_value(port)->value_name("PORT"), "server port")
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
    ("timeout", po::value(&timeout)->default_value(timeout)->value_name("SECONDS"),
     "give up connecting, or waiting for a reply, after this long")
    ("max-in-flight", po::value(&c.max_in_flight)->default_value(c.max_in_flight)->value_name("N"),
     "with --stdin, stop reading input while N messages await their ack");

  po::options_description bench("Load generation (--bench)");
  bench.add_options()
    ("bench", po::bool_switch(&b.enabled),
     "measure the server instead: keep requests in flight on every connection,\n"
     "check every reply (id and payload), and report messages/s, MB/s and\n"
     "latency percentiles. With --raw, drive a plain echo server (asio_server\n"
     "--mode echo, or any RFC 862 server) with fixed-size messages")
    ("connections,c", po::value(&b.connections)->default_value(b.connections)->value_name("N"),
     "connections (with --connect-per-request: workers, each connecting anew\n"
     "for every request)")
    ("depth,d", po::value(&b.depth)->default_value(b.depth)->value_name("N"),
     "requests in flight per connection (pipeline depth)")
    ("size,s", po::value(&b.size)->default_value(b.size)->value_name("BYTES"),
     "payload bytes per request (with --raw: bytes per message)")
    ("type", po::value(&type)->default_value(type)->value_name("TYPE"),
     "echo, message or ping (ping sends no payload)")
    ("duration", po::value(&duration)->default_value(duration)->value_name("SECONDS"),
     "measure for this long, after the warm-up")
    ("requests,n", po::value(&b.requests)->value_name("N"),
     "stop after N answers (after the warm-up), or at --duration if sooner")
    ("warmup", po::value(&warmup)->default_value(warmup)->value_name("SECONDS"),
     "run this long before measuring (0 for none)")
    ("rate", po::value(&b.rate)->value_name("PER_SECOND"),
     "send on a fixed schedule, this many requests per second in all, and time\n"
     "each from when it was due, so a stalled server cannot hide its delay\n"
     "(coordinated omission); --depth still bounds what is in flight")
    ("connect-per-request", po::bool_switch(&b.connect_per_request),
     "connect, send one request, read the reply, close, as the lecture's\n"
     "client.c does; reports connections per second")
    ("idle", po::bool_switch(&b.idle),
     "open --connections connections (each answers one PING, or one byte with\n"
     "--raw), say 'holding N idle connections', hold them for --duration, close")
    ("json", po::bool_switch(&b.json), "print the result as one JSON object");
  // clang-format on
  desc.add(bench);

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return {std::nullopt, proto::usage_error(program, e.what())};
  }
  if (vm.count("help")) {
    std::cout << desc << "\n"
              << "Exit status: 0 when every request was answered; 64 bad command line;\n"
                 "69 cannot connect; 74 connection lost or timed out; 75 the server is\n"
                 "shutting down (GOAWAY) and some requests were not answered; 76 the\n"
                 "server answered with ERROR or broke the protocol.\n";
    return {std::nullopt, proto::exit_code::ok};
  }
  if (vm.count("version")) {
    proto::print_version(program);
    return {std::nullopt, proto::exit_code::ok};
  }
  if (port < 1 || port > 65535)
    return {std::nullopt, proto::usage_error(program, "--port must be 1 to 65535")};
  if (!(timeout > 0))
    return {std::nullopt, proto::usage_error(program, "--timeout must be more than 0")};
  if (c.max_in_flight < 1)
    return {std::nullopt, proto::usage_error(program, "--max-in-flight must be at least 1")};
  if (c.host.empty())
    return {std::nullopt, proto::usage_error(program, "--host must not be empty")};
  if (b.enabled) {
    if (type == "echo") {
      b.type = proto::frame_type::echo;
    } else if (type == "message") {
      b.type = proto::frame_type::message;
    } else if (type == "ping") {
      b.type = proto::frame_type::ping;
      b.size = 0;
    } else {
      return {std::nullopt, proto::usage_error(program, "--type must be echo, message or ping")};
    }
    if (b.connections < 1 || b.depth < 1)
      return {std::nullopt,
              proto::usage_error(program, "--connections and --depth must be at least 1")};
    if (c.raw && b.size < 1)
      return {std::nullopt, proto::usage_error(program, "--raw needs a --size of at least 1")};
    if (b.size > c.max_frame)
      return {std::nullopt,
              proto::usage_error(program, "--size must be at most " + std::to_string(c.max_frame))};
    if (!(duration > 0) || warmup < 0)
      return {std::nullopt,
              proto::usage_error(program, "--duration must be more than 0, --warmup at least 0")};
    if (vm.count("rate") && !(b.rate > 0))
      return {std::nullopt, proto::usage_error(program, "--rate must be more than 0")};
    if (b.rate > 0 && (c.raw || b.connect_per_request || b.idle))
      return {std::nullopt,
              proto::usage_error(program, "--rate works with the protocol's requests only")};
    if (b.connect_per_request && b.idle)
      return {std::nullopt,
              proto::usage_error(program, "--connect-per-request and --idle exclude each other")};
    b.duration = seconds_option(duration);
    b.warmup = seconds_option(warmup);
  } else {
    for (const auto& option : bench.options()) {
      const auto& name = option->long_name();
      if (vm.count(name) && !vm[name].defaulted()) {
        return {std::nullopt, proto::usage_error(program, "--" + name + " needs --bench")};
      }
    }
  }
  c.port = static_cast<std::uint16_t>(port);
  c.timeout = std::chrono::milliseconds(static_cast<long long>(timeout * 1000));
  return {std::move(c), proto::exit_code::ok};
}

}  // namespace client
