#include "input_lines.hpp"

#include "client_asio.hpp"

namespace client {

input_lines::input_lines(const asio::any_io_executor& executor) : descriptor_(executor) {
  if (input_.valid()) descriptor_.assign(input_.release());
}

awaitable<boost::system::error_code> input_lines::read() {
  char chunk[16 * 1024];
  auto [ec, n] = co_await descriptor_.async_read_some(asio::buffer(chunk), use_tuple);
  if (ec) {
    ended_ = true;
  } else {
    buffered_.append(chunk, n);
  }
  co_return ec;
}

std::optional<std::string_view> input_lines::next() {
  std::string_view rest = std::string_view(buffered_).substr(taken_);
  std::string_view line;
  if (const auto nl = rest.find('\n'); nl != std::string_view::npos) {
    line = rest.substr(0, nl);
    taken_ += nl + 1;
  } else if (ended_ && !rest.empty()) {
    line = rest;
    taken_ = buffered_.size();
  } else {
    buffered_.erase(0, taken_);
    taken_ = 0;
    return std::nullopt;
  }
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

void input_lines::close() {
  boost::system::error_code ignored;
  descriptor_.close(ignored);
}

}  // namespace client
