// Standard input line by line, read on the event loop (--stdin): each line
// without its "\n" (or "\r\n"); at the end of input, what follows the last
// "\n" is a line too. Standard input is opened as standard_input.hpp says,
// on a description of our own.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/system/error_code.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "standard_input.hpp"

namespace client {

class input_lines {
 public:
  explicit input_lines(const boost::asio::any_io_executor& executor);

  // Whether standard input could be opened; error() says why not.
  bool valid() const noexcept { return input_.error().empty(); }
  const std::string& error() const noexcept { return input_.error(); }

  // Reads what standard input has now, for next() to take. An error ends
  // the input: boost::asio::error::eof at its end, operation_aborted after
  // close().
  boost::asio::awaitable<boost::system::error_code> read();
  // The next line read, valid until the next call; none when no whole line
  // is left. After read() has ended the input, the rest is the last line.
  std::optional<std::string_view> next();
  // Ends a read() under way.
  void close();

 private:
  standard_input input_;
  boost::asio::posix::stream_descriptor descriptor_;
  std::string buffered_;
  std::size_t taken_ = 0;  // of buffered_, the lines next() returned
  bool ended_ = false;
};

}  // namespace client
