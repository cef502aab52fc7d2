#include "request_book.hpp"

#include "client_errors.hpp"

namespace client {

std::uint32_t read_goaway(proto::bytes_view payload) {
  const auto last = proto::parse_goaway(payload);
  if (!last) throw protocol_error("the server sent a GOAWAY that cannot be read");
  return *last;
}

}  // namespace client
