// The requests of one --bench connection slot, each with its send time: at
// most --depth in flight on the connection and, with --reconnect, what a
// connection left unanswered (it was lost, or its server said GOAWAY)
// carried over to the next one, timed from when it was first sent. The
// request book (request_book.hpp) keeps them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "request_book.hpp"

namespace client {

using bench_clock = std::chrono::steady_clock;

class in_flight_window {
 public:
  explicit in_flight_window(unsigned depth);

  // Whether request `next_id` can go out: fewer than the depth are in
  // flight, and its slot of the book's ring (twice the depth: no
  // allocation per request) is free.
  bool has_room(std::uint32_t next_id) const noexcept {
    return book_.awaiting_count() < depth_ && book_.slot_free(next_id);
  }
  // Request `id` goes out: the first one carried over from an earlier
  // connection, if any, else a new one sent at `now`. True when it was
  // carried over (it is sent again).
  bool put(std::uint32_t id, bench_clock::time_point now);
  // The send time of `id`, which is no longer in flight; none if it was not.
  std::optional<bench_clock::time_point> take(std::uint32_t id) { return book_.answer(id); }
  bool empty() const noexcept { return book_.awaiting_count() == 0; }
  std::size_t size() const noexcept { return book_.awaiting_count(); }

  // A GOAWAY: the requests in flight above `last_id` are carried over.
  void goaway(std::uint32_t last_id) { book_.goaway(last_id); }
  // The connection ended: everything in flight is carried over.
  void carry_over() { book_.carry_over(); }

 private:
  request_book<bench_clock::time_point> book_;
  std::size_t depth_;
};

}  // namespace client
