// Which requests still need an answer, and where each stands: unsent (in
// the order they were made) or sent on the current connection and awaiting
// its reply (by id). What a connection leaves unanswered, because it ended
// or because its server said GOAWAY, goes back in front of the unsent, in
// its first order, to be sent again on the next connection; the book counts
// those resends. The exchange (--message, --stdin) and the --bench loops
// each keep one, holding what they need of a request: its text, or when it
// was first sent.
//
// Pure: no sockets, no Asio. Awaiting requests sit in a ring indexed by id
// (ids on a connection go 1, 2, 3...), which grows when two awaiting ids
// would share a slot: send() and answer() allocate nothing once it is big
// enough, as the bench's window (in_flight_window.hpp) sees to.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "frame_codec.hpp"

namespace client {

// The last request id a GOAWAY's payload names: its server answers the
// requests up to it and no others. Throws protocol_error ("the server sent
// a GOAWAY that cannot be read") when the payload is not an id.
std::uint32_t read_goaway(proto::bytes_view payload);

template <typename Request>
class request_book {
 public:
  // Room for `capacity` awaiting requests (rounded up to a power of two),
  // made now.
  explicit request_book(std::size_t capacity = 16)
      : slots_(std::bit_ceil(std::max<std::size_t>(capacity, 1))), mask_(slots_.size() - 1) {}

  // A new request, the last of the unsent.
  void add(Request r) { unsent_.push_back({std::move(r), next_order_++, false}); }

  // The first unsent request goes out with `id` and awaits its reply; the
  // returned reference is valid until the book next changes. Counts a
  // resend when it was sent before. There must be an unsent request.
  Request& send_next(std::uint32_t id) {
    not_awaiting(id);
    entry e = std::move(unsent_.front());
    unsent_.pop_front();
    if (e.sent_before) {
      ++resends_;
      --unsent_again_;
    }
    e.sent_before = true;
    return put(id, std::move(e));
  }
  // A new request goes out at once with `id`: add() then send_next(),
  // without queueing. Only when nothing is unsent (the first order is kept).
  void send(std::uint32_t id, Request r) {
    if (!unsent_.empty()) throw std::logic_error("request_book::send with requests unsent");
    not_awaiting(id);
    put(id, {std::move(r), next_order_++, true});
  }
  // Whether a request sent with `id` would take a free slot (the ring would
  // not grow).
  bool slot_free(std::uint32_t id) const noexcept { return !slots_[id & mask_].value; }

  // The request awaiting the reply `id`, or none.
  Request* find(std::uint32_t id) noexcept {
    slot& s = slots_[id & mask_];
    return s.value && s.id == id ? &s.value->request : nullptr;
  }
  const Request* find(std::uint32_t id) const noexcept {
    const slot& s = slots_[id & mask_];
    return s.value && s.id == id ? &s.value->request : nullptr;
  }
  // The reply to `id` came: its request, awaited no more. None when no
  // request awaits `id` (never sent, or answered already).
  std::optional<Request> answer(std::uint32_t id) {
    slot& s = slots_[id & mask_];
    if (!s.value || s.id != id) return std::nullopt;
    std::optional<Request> r(std::move(s.value->request));
    release(s);
    return r;
  }

  // A GOAWAY: the server answers the requests up to `last_id`; those above
  // it become unsent again, in front of the others, in their first order.
  // Returns how many.
  std::size_t goaway(std::uint32_t last_id) {
    return send_again([last_id](std::uint32_t id) { return id > last_id; });
  }
  // The connection ended: everything awaiting becomes unsent again, in
  // front of the others, in its first order. Returns how many.
  std::size_t carry_over() {
    return send_again([](std::uint32_t) { return true; });
  }
  // Nothing more will be sent: forgets the unsent. Returns how many.
  std::size_t drop_unsent() {
    const std::size_t n = unsent_.size();
    unsent_.clear();
    unsent_again_ = 0;
    return n;
  }

  std::size_t unsent_count() const noexcept { return unsent_.size(); }
  std::size_t awaiting_count() const noexcept { return awaiting_; }
  std::size_t size() const noexcept { return unsent_.size() + awaiting_; }
  bool empty() const noexcept { return size() == 0; }
  // How many of the unsent were sent on an earlier connection.
  std::size_t unsent_again() const noexcept { return unsent_again_; }
  // Requests sent again so far, each time it was.
  std::uint64_t resends() const noexcept { return resends_; }

 private:
  struct entry {
    Request request;
    std::uint64_t order;  // its place among all requests made: the first order
    bool sent_before;
  };
  struct slot {
    std::uint32_t id = 0;
    std::optional<entry> value;  // none: free
  };

  void not_awaiting(std::uint32_t id) const {
    if (find(id)) throw std::logic_error("request_book: a request sent with an id that awaits");
  }

  Request& put(std::uint32_t id, entry e) {
    while (slots_[id & mask_].value) grow();
    slot& s = slots_[id & mask_];
    s.id = id;
    s.value.emplace(std::move(e));
    ++awaiting_;
    return s.value->request;
  }

  void release(slot& s) noexcept {
    s.value.reset();
    --awaiting_;
  }

  // Twice the slots. Ids that did not share a slot before do not now.
  void grow() {
    std::vector<slot> bigger(slots_.size() * 2);
    const std::size_t mask = bigger.size() - 1;
    for (auto& s : slots_) {
      if (s.value) bigger[s.id & mask] = std::move(s);
    }
    slots_ = std::move(bigger);
    mask_ = mask;
  }

  template <typename Which>
  std::size_t send_again(Which which) {
    std::vector<entry> again;
    for (auto& s : slots_) {
      if (s.value && which(s.id)) {
        again.push_back(std::move(*s.value));
        release(s);
      }
    }
    std::sort(again.begin(), again.end(),
              [](const entry& a, const entry& b) { return a.order < b.order; });
    unsent_.insert(unsent_.begin(), std::make_move_iterator(again.begin()),
                   std::make_move_iterator(again.end()));
    unsent_again_ += again.size();
    return again.size();
  }

  std::vector<slot> slots_;
  std::size_t mask_;
  std::size_t awaiting_ = 0;
  std::deque<entry> unsent_;
  std::size_t unsent_again_ = 0;  // of unsent_, those sent before
  std::uint64_t next_order_ = 0;
  std::uint64_t resends_ = 0;
};

}  // namespace client
