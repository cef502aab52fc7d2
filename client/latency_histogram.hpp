// A log-linear latency histogram in the manner of HdrHistogram (Debian 12
// packages no C or C++ HdrHistogram): values below 128 ns are counted
// exactly, larger ones in 128 linear steps per power of two, so a reported
// percentile is at most 1/128 (0.8%) above the true value. Recording is an
// index computation and an increment; nothing allocates after construction.
#pragma once

#include <cstdint>
#include <vector>

namespace client {

class latency_histogram {
 public:
  latency_histogram();

  void record(std::uint64_t nanoseconds) noexcept;
  void merge(const latency_histogram& other) noexcept;
  void reset() noexcept;

  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t max() const noexcept { return max_; }
  std::uint64_t min() const noexcept { return count_ == 0 ? 0 : min_; }
  double mean() const noexcept { return count_ == 0 ? 0.0 : double(sum_) / double(count_); }
  // The smallest recorded value such that `percent` % of all values are at
  // or below it (within the histogram's precision; never above max()).
  std::uint64_t percentile(double percent) const noexcept;

 private:
  static constexpr int sub_bits = 7;
  static constexpr std::uint64_t sub_count = std::uint64_t{1} << sub_bits;
  // Values up to 2^40 ns (18 minutes); larger ones count as 2^40 - 1.
  static constexpr int max_bits = 40;

  static std::size_t index_of(std::uint64_t v) noexcept;
  static std::uint64_t highest_in(std::size_t index) noexcept;

  std::vector<std::uint64_t> buckets_;
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
};

}  // namespace client
