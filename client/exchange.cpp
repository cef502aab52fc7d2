#include "exchange.hpp"

#include "conversation.hpp"

namespace client {

awaitable<int> run_exchange(const client_config& config, std::ostream& out, std::ostream& err) {
  std::exception_ptr failure;
  try {
    connector server(config);
    auto first = co_await server.connect(config.timeout);
    conversation ex(server, std::move(first), config, out, err);
    const int status = co_await ex.run();
    co_return status;
  } catch (...) {
    failure = std::current_exception();
  }
  co_return cli::report(err, "asio_client", failure);
}

}  // namespace client
