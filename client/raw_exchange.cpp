// --raw: the lecture's client.c with timeouts and error messages. There is
// no framing, so each reply is whatever one read returns.
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <iostream>
#include <string>

#include "client_asio.hpp"
#include "connection.hpp"
#include "exchange.hpp"
#include "exit_codes.hpp"
#include "printable.hpp"
#include "transport.hpp"

namespace client {

namespace {

// One read of up to 1024 bytes (the lecture's BUFSIZE), or nothing after
// `timeout`. Throws on a connection error; an empty string is end of stream.
awaitable<std::optional<std::string>> read_reply(stream& socket,
                                                 std::chrono::milliseconds timeout) {
  char buffer[1024];
  asio::steady_timer timer(co_await asio::this_coro::executor, timeout);
  auto result = co_await (socket.async_read_some(asio::buffer(buffer), use_tuple) ||
                          timer.async_wait(use_tuple));
  if (result.index() == 1) co_return std::nullopt;
  auto [ec, n] = std::get<0>(result);
  if (is_end_of_stream(ec)) co_return std::string{};
  if (ec) throw boost::system::system_error(ec);
  co_return std::string(buffer, n);
}

}  // namespace

awaitable<int> run_raw_exchange(const client_config& config, std::ostream& out, std::ostream& err) {
  std::exception_ptr failure;
  try {
    connector server(config);
    auto socket = co_await server.connect(config.timeout);
    std::vector<std::string> texts{config.hello};
    texts.insert(texts.end(), config.messages.begin(), config.messages.end());
    if (config.read_stdin) {
      for (std::string line; std::getline(std::cin, line);) texts.push_back(line);
    }
    for (std::size_t i = 0; i < texts.size(); ++i) {
      co_await asio::async_write(socket, asio::buffer(texts[i]), asio::use_awaitable);
      if (i == 0) out << "Message sent (client)" << std::endl;
      const auto reply = co_await read_reply(socket, config.timeout);
      if (!reply) {
        err << "asio_client: no answer from the server for "
            << std::chrono::duration<double>(config.timeout).count() << " s (--timeout)"
            << std::endl;
        co_return cli::exit_code::io_error;
      }
      if (reply->empty()) {
        err << "asio_client: the server closed the connection" << std::endl;
        co_return cli::exit_code::io_error;
      }
      out << proto::printable(*reply) << std::endl;
    }
    socket.shutdown_send();
    co_return cli::exit_code::ok;
  } catch (...) {
    failure = std::current_exception();
  }
  co_return cli::report(err, "asio_client", failure);
}

}  // namespace client
