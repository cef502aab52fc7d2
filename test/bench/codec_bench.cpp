// The codec alone, with Google Benchmark: ns per frame and bytes per second
// for encoding and decoding, payloads of 16 B to 64 KiB.
//
//   build-release/codec_bench   (built with -DASIO_SERVER_BENCH=ON)
#include <benchmark/benchmark.h>

#include <vector>

#include "frame_codec.hpp"

namespace {

std::vector<std::byte> payload_of(std::size_t size) {
  return std::vector<std::byte>(size, std::byte{'x'});
}

// Appending to a reply buffer whose capacity is reused, as a session does.
void encode_append(benchmark::State& state) {
  const auto payload = payload_of(static_cast<std::size_t>(state.range(0)));
  std::vector<std::byte> out;
  std::uint32_t id = 0;
  for (auto _ : state) {
    out.clear();
    proto::append_frame(out, proto::frame_type::echo_reply, ++id, payload);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(out.size()));
}

// Encoding into a fixed span.
void encode_span(benchmark::State& state) {
  const auto payload = payload_of(static_cast<std::size_t>(state.range(0)));
  std::vector<std::byte> out(proto::header_size + payload.size());
  std::uint32_t id = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(proto::encode_frame(out, proto::frame_type::echo, ++id, payload));
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(out.size()));
}

// Decoding one complete frame at the front of a buffer: a view, no copy.
void decode(benchmark::State& state) {
  std::vector<std::byte> in;
  proto::append_frame(in, proto::frame_type::echo, 1,
                      payload_of(static_cast<std::size_t>(state.range(0))));
  for (auto _ : state) {
    auto r = proto::decode_frame(in, proto::default_max_payload);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(in.size()));
}

// Decoding 64 pipelined frames from one read, as a session does.
void decode_batch(benchmark::State& state) {
  std::vector<std::byte> in;
  const auto payload = payload_of(static_cast<std::size_t>(state.range(0)));
  for (std::uint32_t id = 1; id <= 64; ++id)
    proto::append_frame(in, proto::frame_type::echo, id, payload);
  for (auto _ : state) {
    proto::bytes_view rest = in;
    while (!rest.empty()) {
      const auto r = proto::decode_frame(rest, proto::default_max_payload);
      benchmark::DoNotOptimize(r.decoded.payload.data());
      rest = rest.subspan(r.consumed);
    }
  }
  state.SetItemsProcessed(state.iterations() * 64);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(in.size()));
}

}  // namespace

BENCHMARK(encode_append)->RangeMultiplier(4)->Range(16, 64 << 10);
BENCHMARK(encode_span)->RangeMultiplier(4)->Range(16, 64 << 10);
BENCHMARK(decode)->RangeMultiplier(4)->Range(16, 64 << 10);
BENCHMARK(decode_batch)->RangeMultiplier(4)->Range(16, 64 << 10);

BENCHMARK_MAIN();
