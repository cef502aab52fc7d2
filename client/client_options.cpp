#include "client_options.hpp"

#include <boost/program_options.hpp>
#include <iostream>

#include "cli_support.hpp"
#include "exit_codes.hpp"

namespace client {

namespace po = boost::program_options;

namespace {
constexpr const char* program = "asio_client";
}

parse_result parse_command_line(int argc, const char* const argv[]) {
  client_config c;
  unsigned port = c.port;
  double timeout = 10;

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
  c.port = static_cast<std::uint16_t>(port);
  c.timeout = std::chrono::milliseconds(static_cast<long long>(timeout * 1000));
  return {std::move(c), proto::exit_code::ok};
}

}  // namespace client
