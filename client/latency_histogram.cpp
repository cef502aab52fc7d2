#include "latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace client {

latency_histogram::latency_histogram()
    : buckets_(static_cast<std::size_t>(max_bits - sub_bits + 1) * sub_count, 0) {}

std::size_t latency_histogram::index_of(std::uint64_t v) noexcept {
  if (v < sub_count) return static_cast<std::size_t>(v);
  const int shift = std::bit_width(v) - 1 - sub_bits;  // >= 0
  const std::uint64_t mantissa = v >> shift;           // in [sub_count, 2 * sub_count)
  return static_cast<std::size_t>(std::uint64_t(shift + 1) * sub_count + (mantissa - sub_count));
}

std::uint64_t latency_histogram::highest_in(std::size_t index) noexcept {
  if (index < sub_count) return index;
  const int shift = static_cast<int>(index / sub_count) - 1;
  const std::uint64_t mantissa = index % sub_count + sub_count;
  return ((mantissa + 1) << shift) - 1;
}

void latency_histogram::record(std::uint64_t ns) noexcept {
  ns = std::min(ns, (std::uint64_t{1} << max_bits) - 1);
  ++buckets_[index_of(ns)];
  ++count_;
  sum_ += ns;
  min_ = std::min(min_, ns);
  max_ = std::max(max_, ns);
}

void latency_histogram::merge(const latency_histogram& other) noexcept {
  for (std::size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void latency_histogram::reset() noexcept {
  std::fill(buckets_.begin(), buckets_.end(), 0);
  count_ = sum_ = max_ = 0;
  min_ = UINT64_MAX;
}

std::uint64_t latency_histogram::percentile(double percent) const noexcept {
  if (count_ == 0) return 0;
  const double wanted = std::ceil(std::clamp(percent, 0.0, 100.0) / 100.0 * double(count_));
  const std::uint64_t rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(wanted));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::clamp(highest_in(i), min(), max_);
  }
  return max_;
}

}  // namespace client
