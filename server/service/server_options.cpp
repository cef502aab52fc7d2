#include "service/server_options.hpp"

#include <algorithm>
#include <boost/program_options.hpp>
#include <charconv>
#include <filesystem>
#include <iostream>
#include <set>
#include <thread>

#include "cli_support.hpp"
#include "exit_codes.hpp"
#include "option_values.hpp"
#include "service/config_file.hpp"
#include "service/http_options.hpp"
#include "service/logging.hpp"

namespace server {

namespace po = boost::program_options;

namespace {

constexpr const char* program = "asio_server";

cli::duration seconds_of(std::chrono::milliseconds d) {
  return {std::chrono::duration<double>(d).count()};
}

// `path` against `base` (the folder the server was started in: a daemon
// has left it for / by the time it reloads).
std::string absolute(const std::string& path, const std::string& base) {
  if (path.empty() || path.front() == '/') return path;
  return (std::filesystem::path(base) / path).lexically_normal().string();
}

constexpr std::string_view epilogue =
    "Signals: SIGINT or SIGTERM drains and exits 0 (a second one closes what is\n"
    "left at once). SIGHUP reads the command line and --config file again and\n"
    "applies what can change live: --log-level, --greeting, the limits and\n"
    "timeouts (for new connections) and the --tls-* files (for new handshakes);\n"
    "a reload that fails is logged and the running configuration stays. SIGUSR1\n"
    "reopens --log-file (after logrotate moved it).\n"
    "\n"
    "Under systemd (Type=notify) the server says READY=1 once it listens, and\n"
    "serves the sockets systemd passes it (socket activation, LISTEN_FDS)\n"
    "instead of --listen: a socket named tls (FileDescriptorName=tls) is served\n"
    "as TLS, the others as TCP or Unix sockets as they are.\n"
    "\n"
    "Examples:\n"
    "  asio_server --port 8080\n"
    "  asio_server --listen tcp://127.0.0.1:8080 --listen unix:/tmp/asio.sock\n"
    "  asio_server --listen tls://[::]:8443 --tls-cert cert.pem --tls-key key.pem\n"
    "  asio_server --config /etc/asio_server/asio_server.conf --daemon \\\n"
    "      --pid-file /run/asio_server.pid\n"
    "\n"
    "Exit status: 0 after a clean shutdown (SIGINT or SIGTERM), 64 for a bad\n"
    "command line or config file, or TLS files that cannot be loaded, 69 when an\n"
    "address cannot be listened on (or another server holds --pid-file), 70 on\n"
    "an internal error.\n";

// One parse of the command line and its config file. `at_start`: --help,
// --version and --check-config are answered (on stdout) and `stop` set.
std::variant<server_options, std::string> parse(const std::vector<std::string>& args,
                                                const std::string& start_dir, bool at_start,
                                                std::optional<int>& stop) {
  server_options o;
  o.args = args;
  o.start_dir = start_dir;
  server_config& c = o.config;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  cli::count port{c.port}, threads{cores}, max_connections{c.max_connections},
      max_tls_handshakes{c.max_tls_handshakes};
  cli::byte_size max_frame{c.max_frame}, max_buffered{c.max_buffered_bytes};
  cli::duration idle = seconds_of(c.idle_timeout), drain = seconds_of(c.drain_timeout),
                handshake = seconds_of(c.handshake_timeout), write = seconds_of(c.write_timeout),
                frame = seconds_of(c.frame_timeout);
  std::string mode = "protocol";
  std::vector<std::string> listen_urls;
  std::string unix_mode = "0660";
  std::string proxy_from = "127.0.0.0/8,::1/128";
  cli::count backlog{c.backlog}, keepalive{c.keepalive_seconds};

  std::string log_target = "stdout", log_format = "text";
  std::string http_address;
  http_option_values http_values(c);
  const char* const title =
      "Usage: asio_server [OPTIONS]\n"
      "\n"
      "Serves the asio_server protocol (shared/PROTOCOL.md) over TCP, TLS or a Unix\n"
      "socket: HELLO, MESSAGE, ECHO and PING, pipelined, each answered by request id.\n"
      "A peer whose first byte is not the protocol's magic (0xA5) is served as plain\n"
      "bytes, like the lecture's server: its first chunk gets \"Hello (server)!\",\n"
      "every later one \"Received\".\n"
      "\n"
      "Durations are seconds (2.5) or carry a unit (500ms, 30s, 5m, 1h); sizes are\n"
      "bytes, or carry K, M or G (powers of 1024).\n"
      "\n"
      "Options";
  // clang-format off
  po::options_description general;  // the command line's alone
  general.add_options()
    ("help,h", "show this help and exit")
    ("version", "show the version and exit")
    ("config", po::value(&o.config_file)->value_name("FILE"),
     "read options from FILE too, one per line as 'name = value' with the "
     "names below ('# ' starts a comment; server/dist/asio_server.conf lists "
     "them all). The command line wins over the file. Read again on SIGHUP.")
    ("check-config", "check the command line and --config file, say so and exit "
     "(0 when they are good, 64 and the problem when not)");
  po::options_description settings;  // the command line's and the file's
  settings.add_options()
    ("port,p", po::value(&port)->default_value(port)->value_name("PORT"),
     "TCP port to listen on; 0 picks a free one. The real port is printed as "
     "'listening on ADDRESS:PORT'.")
    ("bind,b", po::value(&c.bind_address)->value_name("ADDRESS"),
     "address or host name to listen on (default: every interface, IPv6 and "
     "IPv4 on one socket, or IPv4 only where the machine has no IPv6)")
    ("listen", po::value(&listen_urls)->composing()->value_name("URL"),
     "where to listen, repeatable: tcp://HOST:PORT, tls://HOST:PORT or "
     "unix:PATH (IPv6 hosts in brackets, tcp://[::1]:8080; * for every "
     "interface). Without it, one TCP listener on --bind and --port.")
    ("http", po::value(&http_address)->value_name("HOST:PORT"),
     "also listen for HTTP on HOST:PORT ([::1]:8081 for IPv6; PORT 0 picks one): "
     "/healthz (200 while running), /readyz (503 once a drain starts), and a page "
     "naming them. Off by default.")
    ("tls-cert", po::value(&c.tls.cert_file)->value_name("FILE"),
     "for tls:// listeners: the server's certificate, then its chain (PEM)")
    ("tls-key", po::value(&c.tls.key_file)->value_name("FILE"),
     "for tls:// listeners: the certificate's private key (PEM)")
    ("tls-client-ca", po::value(&c.tls.client_ca_file)->value_name("FILE"),
     "require every TLS client to present a certificate signed by this CA "
     "(PEM): mutual TLS")
    ("tls-min-version", po::value(&c.tls.min_version)->default_value(c.tls.min_version)->value_name("VERSION"),
     "1.3 (TLS 1.3 only), or 1.2 to also accept TLS 1.2 clients")
    ("unix-mode", po::value(&unix_mode)->default_value(unix_mode)->value_name("OCTAL"),
     "permissions of a unix: listener's socket file: who may connect")
    ("backlog", po::value(&backlog)->default_value(backlog)->value_name("N"),
     "length of each listener's queue of connections not yet accepted; the "
     "kernel caps it at net.core.somaxconn")
    ("reuse-port", po::bool_switch(&c.reuse_port),
     "SO_REUSEPORT on TCP and TLS listeners: several server processes can "
     "listen on one port, and the kernel spreads connections over them")
    ("proxy-protocol", po::bool_switch(&c.proxy_protocol),
     "every tcp://, tls:// and unix: listener requires a PROXY protocol header "
     "(v1 or v2, as HAProxy's send-proxy and send-proxy-v2 send it) before "
     "anything else, and names the client it carries in the log; one "
     "listener alone: add ?proxy to its --listen URL. A connection without a "
     "valid header, or from outside --proxy-from, is closed")
    ("proxy-from", po::value(&proxy_from)->default_value(proxy_from)->value_name("CIDR,..."),
     "who may send a PROXY header: addresses or networks, such as "
     "10.0.0.0/8,::1 (unix: peers are trusted: the socket file's mode says who "
     "may connect)")
    ("keepalive", po::value(&keepalive)->default_value(keepalive)->value_name("SECONDS"),
     "TCP keepalive: probe a connection silent for this long, then every "
     "third of it, three times, so that a vanished peer is found in about "
     "twice SECONDS; 0 turns it off")
    ("threads,t", po::value(&threads)->default_value(threads)->value_name("N"),
     "I/O threads, 1 to 1024, each with its own event loop; connections are "
     "spread over them round-robin (default: the number of cores)")
    ("max-frame", po::value(&max_frame)->default_value(max_frame)->value_name("SIZE"),
     "largest request payload accepted; a larger one is answered with ERROR 2 "
     "and the connection is closed")
    ("max-connections", po::value(&max_connections)->default_value(max_connections)->value_name("N"),
     "connections served at once; one more is answered ERROR 4 (server busy) "
     "and closed while the server goes on accepting. The open-file limit is "
     "raised to its maximum at start; past it, accepting pauses and retries.")
    ("max-buffered-bytes", po::value(&max_buffered)->default_value(max_buffered)->value_name("SIZE"),
     "memory all connections together may hold between reads: frames still "
     "arriving, replies not yet taken, busy connections' read buffers. When it "
     "is used up, connections holding more than 4 KiB are not read, and a frame "
     "that cannot go on within a second is refused with ERROR 4; others are "
     "served as usual")
    ("max-tls-handshakes",
     po::value(&max_tls_handshakes)->default_value(max_tls_handshakes)->value_name("N"),
     "TLS handshakes in progress at once on each I/O thread; more TLS "
     "connections wait in the listen queue until one finishes, so that a flood "
     "of handshakes cannot crowd out the connections being served. Each one in "
     "progress also counts 200 KiB against --max-buffered-bytes")
    ("handshake-timeout", po::value(&handshake)->default_value(handshake)->value_name("DURATION"),
     "close a connection that sends nothing for this long after connecting")
    ("idle-timeout", po::value(&idle)->default_value(idle)->value_name("DURATION"),
     "close a connection that has sent no complete request for this long "
     "(framed peers get GOAWAY first); a frame trickling in byte by byte does "
     "not count as activity")
    ("frame-timeout", po::value(&frame)->default_value(frame)->value_name("DURATION"),
     "close a connection whose frame is not complete this long after its first "
     "byte arrived (GOAWAY first)")
    ("write-timeout", po::value(&write)->default_value(write)->value_name("DURATION"),
     "close a connection that takes no reply bytes for this long (the server "
     "stops reading from a peer that does not read, so what it queues for one "
     "connection stays bounded)")
    ("drain-timeout", po::value(&drain)->default_value(drain)->value_name("DURATION"),
     "on SIGINT/SIGTERM, how long connections get to finish before they are "
     "closed; the server then exits 0")
    ("mode", po::value(&mode)->default_value(mode)->value_name("MODE"),
     "protocol: the framed protocol (and plain-bytes peers as the lecture's "
     "server); echo: send every byte back as it came (RFC 862), to measure the "
     "server with the same load as any echo server")
    ("greeting", po::value(&c.greeting)->default_value(c.greeting)->value_name("TEXT"),
     "the reply to HELLO (and to a plain-bytes peer's first message)")
    ("log-level", po::value(&o.log.level)->default_value(o.log.level)->value_name("LEVEL"),
     "trace, debug, info, warn, error or off. At info every greeting and message "
     "is logged, as the lecture's server prints them; use warn under load.")
    ("log-target", po::value(&log_target)->default_value(log_target)->value_name("TARGET"),
     "where the log goes: stdout (under systemd, the journal), or syslog "
     "(facility daemon; the default with --daemon unless --log-file is given)")
    ("log-file", po::value(&o.log.file)->value_name("FILE"),
     "append the log to FILE instead; SIGUSR1 reopens it (for logrotate)")
    ("log-format", po::value(&log_format)->default_value(log_format)->value_name("FORMAT"),
     "text: one line a message for people; json: one JSON object a line "
     "({\"time\",\"level\",\"message\"}) for log collectors")
    ("daemon", po::bool_switch(&o.daemon),
     "run in the background as a classic (SysV) daemon: fork, setsid, fork, "
     "chdir /, umask 022, standard streams to /dev/null; the command returns 0 "
     "once the server listens (69 and the reason when it cannot). Not under "
     "systemd, which runs it in the foreground (Type=notify).")
    ("pid-file", po::value(&o.pid_file)->value_name("FILE"),
     "write the server's process id to FILE (atomically), remove it at exit; "
     "a live process id already in it makes the server refuse to start");
  // clang-format on
  http_values.add_to(settings);
  po::options_description desc(title);
  desc.add(general).add(settings);

  po::variables_map vm;
  std::set<std::string, std::less<>> command_line_keys;
  try {
    const auto parsed = po::command_line_parser(args).options(desc).run();
    for (const auto& opt : parsed.options) command_line_keys.insert(opt.string_key);
    po::store(parsed, vm);
  } catch (const po::error& e) {
    return std::string(e.what());
  }
  if (at_start && vm.count("help")) {
    std::cout << desc << "\n" << epilogue;
    stop = cli::exit_code::ok;
    return o;
  }
  if (at_start && vm.count("version")) {
    cli::print_version(program);
    stop = cli::exit_code::ok;
    return o;
  }
  std::optional<config_file> file;
  if (vm.count("config")) {
    const std::string& given = vm["config"].as<std::string>();
    std::error_code ec;
    if (std::filesystem::is_directory(absolute(given, start_dir), ec)) {
      return given + ": cannot read it: it is a directory";
    }
    file.emplace(absolute(given, start_dir));
    if (auto problem = file->store(settings, vm)) return *problem;
  }
  try {
    po::notify(vm);
  } catch (const po::error& e) {
    return std::string(e.what());
  }
  // A problem names its option first ("--port must be ..."): say where it was.
  const auto located = [&](const std::string& problem) {
    if (!file) return problem;
    return file->locate(problem.substr(0, problem.find(' ')), problem, command_line_keys);
  };
  constexpr double ms = 0.001;
  cli::range_checks checks;
  checks.check("--port", port, 0, 65535)
      .check("--threads", threads, 1, 1024)
      .check("--max-frame", max_frame, 1, std::uint64_t{1} << 30)
      .check("--max-connections", max_connections, 1, 1'000'000)
      .check("--max-tls-handshakes", max_tls_handshakes, 1, 100'000)
      .check("--max-buffered-bytes", max_buffered, std::uint64_t{1} << 20, std::uint64_t{1} << 40)
      .require(max_frame.value <= max_buffered.value,
               "--max-frame cannot be more than --max-buffered-bytes: a frame must fit in it")
      .check("--handshake-timeout", handshake, ms, cli::max_seconds)
      .check("--idle-timeout", idle, ms, cli::max_seconds)
      .check("--frame-timeout", frame, ms, cli::max_seconds)
      .check("--write-timeout", write, ms, cli::max_seconds)
      .check("--drain-timeout", drain, ms, cli::max_seconds)
      .require(mode == "protocol" || mode == "echo", "--mode must be protocol or echo")
      .require(is_log_level(o.log.level), "--log-level must be one of " + std::string(log_levels))
      .require(log_target == "stdout" || log_target == "syslog",
               "--log-target must be stdout or syslog")
      .require(log_format == "text" || log_format == "json", "--log-format must be text or json")
      .require(o.log.file.empty() || vm["log-target"].defaulted(),
               "--log-file and --log-target: the log goes to one place, say which");
  // The listeners, and what each needs.
  for (const auto& url : listen_urls) {
    std::string problem;
    const auto where = parse_listen_address(url, problem);
    checks.require(where.has_value(), "--listen " + url + ": " + problem);
    if (where) c.listeners.push_back(*where);
  }
  http_values.apply(checks, c);
  if (!http_address.empty()) {
    std::string problem;
    auto where = parse_listen_address("tcp://" + http_address, problem);
    checks.require(where.has_value(), "--http " + http_address + ": " + problem);
    if (where) {
      where->kind = transport::http;
      c.http = *where;
      checks.require(!where->proxy, "--http " + http_address + ": no PROXY header on HTTP");
    }
  }
  std::string proxy_problem;
  const auto trusted = proxy::trusted_networks::parse(proxy_from, proxy_problem);
  checks.require(trusted.has_value(), "--proxy-from " + proxy_from + ": " + proxy_problem);
  if (trusted) c.proxy_from = *trusted;
  const bool any_tls = std::any_of(c.listeners.begin(), c.listeners.end(),
                                   [](const auto& l) { return l.kind == transport::tls; });
  unsigned mode_bits = 0;
  const auto [mode_end, mode_ec] =
      std::from_chars(unix_mode.data(), unix_mode.data() + unix_mode.size(), mode_bits, 8);
  checks
      .require(c.listeners.empty() || (vm["port"].defaulted() && !vm.count("bind")),
               "--port and --bind make the one listener when there is no --listen; with "
               "--listen, add tcp://HOST:PORT to it instead")
      .require(!any_tls || (!c.tls.cert_file.empty() && !c.tls.key_file.empty()),
               "a tls:// listener needs --tls-cert and --tls-key")
      .require(c.tls.min_version == "1.2" || c.tls.min_version == "1.3",
               "--tls-min-version must be 1.2 or 1.3")
      .require(!unix_mode.empty() && mode_ec == std::errc() &&
                   mode_end == unix_mode.data() + unix_mode.size() && mode_bits <= 0777,
               "--unix-mode must be octal permissions from 0 to 0777, such as 0660")
      .check("--backlog", backlog, 1, 65535)
      .check("--keepalive", keepalive, 0, 32767);
  if (checks.problem()) return located(*checks.problem());
  c.unix_mode = mode_bits;
  c.backlog = static_cast<unsigned>(backlog.value);
  c.keepalive_seconds = static_cast<unsigned>(keepalive.value);

  c.port = static_cast<std::uint16_t>(port.value);
  c.threads = static_cast<unsigned>(threads.value);
  c.max_frame = static_cast<std::uint32_t>(max_frame.value);
  c.max_connections = max_connections.value;
  c.max_tls_handshakes = max_tls_handshakes.value;
  c.max_buffered_bytes = max_buffered.value;
  c.mode = mode == "echo" ? service_mode::echo : service_mode::protocol;
  c.idle_timeout = idle.ms();
  c.handshake_timeout = handshake.ms();
  c.frame_timeout = frame.ms();
  c.write_timeout = write.ms();
  c.drain_timeout = drain.ms();
  c.linger_timeout = std::min(c.linger_timeout, c.drain_timeout);

  o.log.target = !o.log.file.empty() ? log_target::file
                 : log_target == "syslog" || (o.daemon && vm["log-target"].defaulted())
                     ? log_target::syslog
                     : log_target::stdout_;
  o.log.json = log_format == "json";
  // Read again on SIGHUP, and a daemon works in /: every file by its whole path.
  o.config_file = absolute(o.config_file, start_dir);
  o.pid_file = absolute(o.pid_file, start_dir);
  o.log.file = absolute(o.log.file, start_dir);
  if (o.daemon) {
    for (auto* path : {&c.tls.cert_file, &c.tls.key_file, &c.tls.client_ca_file}) {
      *path = absolute(*path, start_dir);
    }
    for (auto& l : c.listeners) {
      if (l.kind == transport::unix_socket) l.path = absolute(l.path, start_dir);
    }
  }
  if (at_start && vm.count("check-config")) {
    std::printf("%s: configuration OK%s%s\n", program, file ? ": " : "",
                file ? file->path().c_str() : "");
    stop = cli::exit_code::ok;
  }
  return o;
}

}  // namespace

parse_result parse_command_line(int argc, const char* const argv[]) {
  std::optional<int> stop;
  std::error_code ec;
  const std::string here = std::filesystem::current_path(ec).string();
  auto r = parse(std::vector<std::string>(argv + 1, argv + argc), here, /*at_start=*/true, stop);
  if (auto* problem = std::get_if<std::string>(&r)) {
    return {std::nullopt, cli::usage_error(program, *problem)};
  }
  if (stop) return {std::nullopt, *stop};
  return {std::move(std::get<server_options>(r)), cli::exit_code::ok};
}

std::variant<server_options, std::string> reread_options(const server_options& running) {
  std::optional<int> stop;
  return parse(running.args, running.start_dir, /*at_start=*/false, stop);
}

}  // namespace server
