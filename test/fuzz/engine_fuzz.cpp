// libFuzzer target: the protocol engine fed an arbitrary byte stream, cut
// into reads by the fuzzer too, the way a session feeds it (unconsumed
// bytes kept and fed again with more). Checks, for every input:
//  - a framed peer's replies are whole frames, one per request answered,
//    plus at most one ERROR, after which nothing more is answered;
//  - the replies do not depend on where the reads cut the stream: fed whole,
//    the same stream gets the same bytes back;
//  - what is left unconsumed is less than the frame it starts needs.
// The sanitizers (ASan, UBSan) watch the engine and the codec underneath.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "frame_codec.hpp"
#include "protocol/protocol_engine.hpp"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "engine_fuzz: %s\n", what);
  std::abort();
}

void require(bool condition, const char* what) {
  if (!condition) fail(what);
}

struct quiet_events final : server::engine_events {};

struct outcome {
  std::vector<std::byte> replies;
  std::uint64_t answered = 0;
  bool closed = false;
};

// Feeds `stream` in reads whose sizes come from `cuts` (cycled; 1 to 256).
outcome feed(const server::engine_settings& settings, proto::bytes_view stream,
             proto::bytes_view cuts) {
  server::protocol_engine engine(settings);
  quiet_events events;
  outcome o;
  std::vector<std::byte> kept;
  std::size_t at = 0, i = 0;
  while (at < stream.size()) {
    std::size_t n = stream.size() - at;
    if (!cuts.empty())
      n = std::min(n, std::size_t{std::to_integer<std::uint8_t>(cuts[i++ % cuts.size()])} + 1);
    kept.insert(kept.end(), stream.begin() + static_cast<std::ptrdiff_t>(at),
                stream.begin() + static_cast<std::ptrdiff_t>(at + n));
    at += n;
    const auto r = engine.feed(kept, o.replies, events);
    require(r.consumed <= kept.size(), "consumed more than it was given");
    if (r.consumed < kept.size() && !o.closed) {
      require(r.next_frame_size > kept.size() - r.consumed, "kept a whole frame unanswered");
    }
    o.answered += r.answered;
    if (r.next == server::next_step::close_after_replies) {
      require(!o.closed, "closed twice");
      o.closed = true;
    }
    kept.erase(kept.begin(), kept.begin() + static_cast<std::ptrdiff_t>(r.consumed));
  }
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  // First byte: how many of the following bytes are read sizes (0 to 31).
  const std::size_t cut_count = std::min<std::size_t>(data[0] % 32, size - 1);
  const auto* bytes = reinterpret_cast<const std::byte*>(data);
  const proto::bytes_view cuts(bytes + 1, cut_count);
  const proto::bytes_view stream(bytes + 1 + cut_count, size - 1 - cut_count);

  server::engine_settings settings;
  settings.max_frame = 4096;  // reachable by the fuzzer
  const outcome cut = feed(settings, stream, cuts);
  if (stream.empty() || std::to_integer<std::uint8_t>(stream[0]) != proto::magic) return 0;

  const outcome whole = feed(settings, stream, {});
  require(cut.replies == whole.replies, "the replies depend on how reads cut the stream");
  require(cut.answered == whole.answered, "the count depends on how reads cut the stream");
  // Whole frames only: one per request answered, and the ERROR if closed.
  proto::bytes_view rest = cut.replies;
  std::uint64_t frames = 0;
  while (!rest.empty()) {
    const auto r = proto::decode_frame(rest, UINT32_MAX);
    require(r.status == proto::decode_status::complete, "a reply that is not a whole frame");
    rest = rest.subspan(r.consumed);
    ++frames;
  }
  require(frames == cut.answered + (cut.closed ? 1 : 0), "not one reply per request");
  return 0;
}
