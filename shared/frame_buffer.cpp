#include "frame_buffer.hpp"

#include <algorithm>
#include <cstring>

namespace proto {

std::span<std::byte> frame_buffer::prepare(std::size_t min_bytes, std::size_t expected_total) {
  if (capacity_ - write_index_ < min_bytes) {
    const std::size_t used = size();
    if (capacity_ - used >= min_bytes && data_) {
      // Enough room once the unread bytes move to the front.
      std::memmove(data_.get(), data_.get() + read_index_, used);
    } else {
      const std::size_t needed = used + min_bytes;
      std::size_t grown = std::max(capacity_ * 2, needed);
      if (expected_total != 0) grown = std::max(needed, std::min(grown, expected_total));
      auto bigger = std::make_unique_for_overwrite<std::byte[]>(grown);
      if (used != 0) std::memcpy(bigger.get(), data_.get() + read_index_, used);
      data_ = std::move(bigger);
      capacity_ = grown;
    }
    read_index_ = 0;
    write_index_ = used;
  }
  return {data_.get() + write_index_, capacity_ - write_index_};
}

void frame_buffer::consume(std::size_t n) noexcept {
  read_index_ += std::min(n, size());
  if (read_index_ == write_index_) read_index_ = write_index_ = 0;  // free compaction
}

void frame_buffer::shrink_to_fit() {
  const std::size_t used = size();
  if (used == capacity_) return;
  if (used == 0) {
    data_.reset();
    capacity_ = read_index_ = write_index_ = 0;
    return;
  }
  auto exact = std::make_unique_for_overwrite<std::byte[]>(used);
  std::memcpy(exact.get(), data_.get() + read_index_, used);
  data_ = std::move(exact);
  capacity_ = write_index_ = used;
  read_index_ = 0;
}

bool frame_buffer::release() noexcept {
  if (!empty() || !data_) return false;
  data_.reset();
  capacity_ = read_index_ = write_index_ = 0;
  return true;
}

}  // namespace proto
