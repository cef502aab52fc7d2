// asio_server: parse the command line, listen, serve until a signal, drain.
#include <spdlog/spdlog.h>

#include <malloc.h>
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <exception>

#include "exit_codes.hpp"
#include "failure.hpp"
#include "logging.hpp"
#include "server.hpp"
#include "server_options.hpp"

int main(int argc, char* argv[]) {
  auto parsed = server::parse_command_line(argc, argv);
  if (!parsed.options) return parsed.exit_code;
  server::server_config& config = parsed.options->config;
  config.handle_signals = true;
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

  server::start_logging(parsed.options->log_level);
  int status = cli::exit_code::ok;
  try {
    server::server srv(config);
    // Printed whatever the log level: scripts and tests read the port here.
    // [::]:8080 for IPv6, 127.0.0.1:8080 for IPv4, tls://..., unix:PATH.
    for (const auto& l : srv.listen()) std::printf("listening on %s\n", l.name.c_str());
    std::fflush(stdout);
    ::getrlimit(RLIMIT_NOFILE, &files);
    spdlog::info(
        "{} thread(s), max frame {} bytes, max {} connections ({} descriptors), {} bytes of "
        "buffers at most, idle timeout {} s",
        config.threads, config.max_frame, config.max_connections,
        static_cast<unsigned long long>(files.rlim_cur), config.max_buffered_bytes,
        std::chrono::duration<double>(config.idle_timeout).count());
    status = srv.run();
    const auto t = srv.summary();
    spdlog::info("stopped: {} connection(s) served, {} request(s) answered, {} closed by force",
                 t.connections, t.requests, t.force_closed);
  } catch (...) {
    const auto failure = cli::describe(std::current_exception());
    std::fprintf(stderr, "asio_server: %s\n", failure.message.c_str());
    status = failure.code;
  }
  server::stop_logging();
  return status;
}
