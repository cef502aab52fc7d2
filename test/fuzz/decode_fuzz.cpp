// libFuzzer target: the frame decoder on arbitrary bytes, fed the way a
// session feeds it (a receive buffer filled in chunks, every complete frame
// taken after each chunk). The first input byte picks the chunk size and the
// second the payload limit, so both vary too. Checks what the codec
// promises: it never reads past its input, a complete frame re-encodes to
// the same bytes (flags aside), the limit holds, and an error is final.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "frame_buffer.hpp"
#include "frame_codec.hpp"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t chunk = 1 + data[0] % 64;
  const std::uint32_t limit = std::uint32_t{data[1]} * 16;
  const auto* stream = reinterpret_cast<const std::byte*>(data + 2);
  const std::size_t length = size - 2;

  proto::frame_buffer buffer;
  std::vector<std::byte> reencoded;
  for (std::size_t at = 0; at < length;) {
    const std::size_t n = std::min(chunk, length - at);
    auto space = buffer.prepare(n);
    std::memcpy(space.data(), stream + at, n);
    buffer.commit(n);
    at += n;
    for (;;) {
      const auto input = buffer.readable();
      const auto r = proto::decode_frame(input, limit);
      if (r.status == proto::decode_status::need_more) {
        require(r.needed > input.size());
        break;
      }
      if (r.status != proto::decode_status::complete) {
        // A session answers ERROR and closes: nothing after this matters.
        if (r.status == proto::decode_status::too_large) require(r.decoded.header.length > limit);
        return 0;
      }
      require(r.consumed == proto::header_size + r.decoded.payload.size());
      require(r.consumed <= input.size());
      require(r.decoded.payload.size() <= limit);
      require(r.decoded.payload.data() == input.data() + proto::header_size);
      reencoded.clear();
      proto::append_frame(reencoded, r.decoded.type(), r.decoded.id(), r.decoded.payload);
      require(reencoded.size() == r.consumed);
      // Byte 3 (flags) is sent as 0 and ignored on receipt.
      require(std::memcmp(reencoded.data(), input.data(), 3) == 0);
      require(std::memcmp(reencoded.data() + 4, input.data() + 4, r.consumed - 4) == 0);
      buffer.consume(r.consumed);
    }
  }
  return 0;
}
