// A receive buffer for framing, after muduo's Buffer: the socket appends at
// the write end, the decoder takes whole frames from the read end.
//
//   [ consumed | readable bytes | writable space ]
//   0      read_index       write_index       capacity
//
// Memory is only moved when the writable space runs short, and only the
// unread tail is moved. Growth doubles, but never past the size the caller
// says the data will have in all (a frame whose header announced it), so a
// frame's buffer grows with its bytes and ends no larger than the frame.
// release() and shrink_to_fit() give memory back.
#pragma once

#include <cstddef>
#include <memory>
#include <span>

namespace proto {

class frame_buffer {
 public:
  frame_buffer() = default;

  // Writable space of at least `min_bytes`, compacting or growing as needed.
  // When growing, `expected_total` (if not 0) caps the capacity at the
  // readable bytes' expected size, unless `min_bytes` needs more.
  std::span<std::byte> prepare(std::size_t min_bytes, std::size_t expected_total = 0);
  // Marks `n` bytes of the last prepare() as received.
  void commit(std::size_t n) noexcept { write_index_ += n; }

  std::span<const std::byte> readable() const noexcept {
    return {data_.get() + read_index_, write_index_ - read_index_};
  }
  std::size_t size() const noexcept { return write_index_ - read_index_; }
  bool empty() const noexcept { return read_index_ == write_index_; }
  std::size_t capacity() const noexcept { return capacity_; }

  // Drops `n` bytes from the read end.
  void consume(std::size_t n) noexcept;
  // Frees the memory when nothing is buffered; returns whether it did.
  bool release() noexcept;
  // Keeps the readable bytes in memory of exactly their size (none if empty).
  void shrink_to_fit();

 private:
  std::unique_ptr<std::byte[]> data_;
  std::size_t capacity_ = 0;
  std::size_t read_index_ = 0;
  std::size_t write_index_ = 0;
};

}  // namespace proto
