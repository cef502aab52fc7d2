// asio_server: parse the options, become a daemon if asked, listen, tell
// whoever started it (systemd, the --daemon command), serve until a signal,
// drain.
#include <spdlog/spdlog.h>

#include <malloc.h>
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>

#include "core/server.hpp"
#include "exit_codes.hpp"
#include "failure.hpp"
#include "service/daemonize.hpp"
#include "service/logging.hpp"
#include "service/pid_file.hpp"
#include "service/server_options.hpp"
#include "service/systemd.hpp"

int main(int argc, char* argv[]) {
  auto parsed = server::parse_command_line(argc, argv);
  if (!parsed.options) return parsed.exit_code;
  const server::server_options& options = *parsed.options;
  server::server_config& config = parsed.options->config;
  config.handle_signals = true;
  config.reload = [&options](server::reloaded& r) {
    auto fresh = server::reread_options(options);
    if (auto* problem = std::get_if<std::string>(&fresh)) {
      r.problem = *problem;
      return;
    }
    auto& o = std::get<server::server_options>(fresh);
    r.config = std::move(o.config);
    r.log_level = o.log.level;
    // Where the log goes and in what form, the pid file: set at start.
    if (o.log.target != options.log.target || o.log.file != options.log.file) {
      r.restart_only.emplace_back("--log-target/--log-file");
    }
    if (o.log.json != options.log.json) r.restart_only.emplace_back("--log-format");
    if (o.pid_file != options.pid_file) r.restart_only.emplace_back("--pid-file");
    if (o.daemon != options.daemon) r.restart_only.emplace_back("--daemon");
  };
  std::signal(SIGPIPE, SIG_IGN);  // a vanished peer is an error code, not a signal
  // Every connection is a descriptor: take all the system allows.
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }

  // Buffers of 32 KiB and more (frames still arriving, replies to a slow
  // reader) get memory of their own from the kernel and give it back when
  // freed. By default glibc raises this threshold each time such a block is
  // freed, after which they come from its heaps, which keep what they once
  // held: under a flood of large frames the server's memory would then stay
  // far above what the budget (--max-buffered-bytes) lets connections hold.
  ::mallopt(M_MMAP_THRESHOLD, 32 * 1024);

  if (options.daemon && std::getenv("NOTIFY_SOCKET") != nullptr) {
    std::fprintf(stderr,
                 "asio_server: --daemon under systemd (NOTIFY_SOCKET is set): systemd runs the "
                 "server in the foreground; leave daemon out of its config\n");
    return cli::exit_code::usage;
  }
  // Before any thread starts (the log's is the first): only the forking
  // thread lives on in the daemon.
  std::optional<server::daemon_link> parent;
  if (options.daemon) parent.emplace(server::daemon_link::daemonize());
  std::optional<server::pid_file> pid;
  const auto say = [&](const std::string& line) {
    if (parent) {
      parent->say(line);
    } else {
      std::printf("%s\n", line.c_str());
    }
  };
  const auto give_up = [&](const cli::exit_status& failure) {
    pid.reset();  // gone before the command that waits returns
    if (parent) {
      parent->failed(failure.code, failure.message);
    } else {
      std::fprintf(stderr, "asio_server: %s\n", failure.message.c_str());
    }
    return failure.code;
  };

  try {
    if (!options.pid_file.empty()) pid.emplace(options.pid_file);
    server::start_logging(options.log);
  } catch (const cli::failure&) {
    return give_up(cli::describe(std::current_exception()));
  } catch (const std::exception& e) {
    return give_up(
        {cli::exit_code::cant_create, "cannot open --log-file: " + std::string(e.what())});
  }
  int status = cli::exit_code::ok;
  try {
    server::server srv(config);
    // Printed whatever the log level: scripts and tests read the port here.
    // [::]:8080 for IPv6, 127.0.0.1:8080 for IPv4, tls://..., unix:PATH.
    std::string where;
    for (const auto& l : srv.listen()) {
      say("listening on " + l.name);
      where += (where.empty() ? "" : ", ") + l.name;
    }
    std::fflush(stdout);
    ::getrlimit(RLIMIT_NOFILE, &files);
    spdlog::info(
        "{} thread(s), max frame {} bytes, max {} connections ({} descriptors), {} bytes of "
        "buffers at most, idle timeout {} s",
        config.threads, config.max_frame, config.max_connections,
        static_cast<unsigned long long>(files.rlim_cur), config.max_buffered_bytes,
        std::chrono::duration<double>(config.idle_timeout).count());
    spdlog::info("ready: listening on {}", where);
    server::systemd::notify("READY=1\nSTATUS=listening on " + where);
    if (parent) {
      parent->ready();
      parent.reset();
    }
    status = srv.run();
    const auto t = srv.summary();
    spdlog::info("stopped: {} connection(s) served, {} request(s) answered, {} closed by force",
                 t.connections, t.requests, t.force_closed);
  } catch (...) {
    status = give_up(cli::describe(std::current_exception()));
  }
  server::stop_logging();
  return status;
}
