// Completion tokens used across the project's coroutines.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstddef>
#include <new>

namespace net {

// co_await op(..., use_tuple) gives (error_code, result...) instead of
// throwing: expected errors (end of stream, a cancelled wait) are values.
// An awaitable, so it also works with the awaitable operators (a || b).
inline constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);

// The same, for an operation awaited on its own in a hot loop: the operation
// is started from the awaiting frame instead of a coroutine frame of its own,
// so nothing is allocated for the wait but the operation itself.
inline constexpr auto tuple_op = boost::asio::as_tuple(boost::asio::deferred);

// For the one operation an idle connection keeps pending, its wait for
// readability: memory of exactly its size. Asio's per-thread cache would
// hand it whatever block was freed last, often a larger accept operation's
// (256 bytes where this needs 104), and every idle connection would keep it.
template <typename T>
struct exact_allocator {
  using value_type = T;
  exact_allocator() = default;
  template <typename U>
  exact_allocator(const exact_allocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T))); }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p); }
  friend bool operator==(exact_allocator, exact_allocator) noexcept { return true; }
};

}  // namespace net
