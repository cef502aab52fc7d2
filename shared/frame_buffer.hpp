// A receive buffer for framing, after muduo's Buffer: the socket appends at
// the write end, the decoder takes whole frames from the read end.
//
//   [ consumed | readable bytes | writable space ]
//   0      read_index       write_index       capacity
//
// Memory is only moved when the writable space runs short, and only the
// unread tail is moved. Growth is asked for by size, so a caller that has
// validated a frame header grows it to exactly what that frame needs.
// release() gives the memory back while a connection is idle.
#pragma once

#include <cstddef>
#include <memory>
#include <span>

namespace proto {

class frame_buffer {
 public:
  frame_buffer() = default;

  // Writable space of at least `min_bytes`, compacting or growing as needed.
  std::span<std::byte> prepare(std::size_t min_bytes);
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

 private:
  std::unique_ptr<std::byte[]> data_;
  std::size_t capacity_ = 0;
  std::size_t read_index_ = 0;
  std::size_t write_index_ = 0;
};

}  // namespace proto
