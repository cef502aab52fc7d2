// asio_client: parse the command line, run one exchange, exit with its code.
#include <sys/resource.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <csignal>
#include <exception>
#include <iostream>

#include "bench.hpp"
#include "client_options.hpp"
#include "exchange.hpp"
#include "exit_codes.hpp"
#include "failure.hpp"

namespace {

boost::asio::awaitable<void> run_client(const client::client_config& config, int& status) {
  if (config.bench.enabled) {
    status = co_await client::run_bench(config, std::cout, std::cerr);
  } else if (config.raw) {
    status = co_await client::run_raw_exchange(config, std::cout, std::cerr);
  } else {
    status = co_await client::run_exchange(config, std::cout, std::cerr);
  }
}

}  // namespace

int main(int argc, char* argv[]) {
  const auto parsed = client::parse_command_line(argc, argv);
  if (!parsed.config) return parsed.exit_code;
  std::signal(SIGPIPE, SIG_IGN);  // a vanished server is an error code, not a signal
  // --bench --idle and many connections: every one is a descriptor.
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }

  int status = cli::exit_code::software;
  boost::asio::io_context context(1);
  boost::asio::co_spawn(context, run_client(*parsed.config, status),
                        [&status](std::exception_ptr e) {
                          if (e) status = cli::report(std::cerr, "asio_client", e);
                        });
  context.run();
  return status;
}
