// Completion tokens used across the project's coroutines.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace net {

// co_await op(..., use_tuple) gives (error_code, result...) instead of
// throwing: expected errors (end of stream, a cancelled wait) are values.
// An awaitable, so it also works with the awaitable operators (a || b).
inline constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);

// The same, for an operation awaited on its own in a hot loop: the operation
// is started from the awaiting frame instead of a coroutine frame of its own,
// so nothing is allocated for the wait but the operation itself.
inline constexpr auto tuple_op = boost::asio::as_tuple(boost::asio::deferred);

}  // namespace net
