// The client's request bookkeeping (client/request_book.hpp): what is
// unsent, what awaits a reply, what a GOAWAY or a lost connection sends
// again and in which order, and how resends are counted.
#include "request_book.hpp"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "client_errors.hpp"

using book = client::request_book<std::string>;

namespace {

// Adds `texts`, then sends them all on a connection whose ids start at
// `first_id`.
void add_and_send(book& b, const std::vector<std::string>& texts, std::uint32_t first_id = 1) {
  for (const auto& t : texts) b.add(t);
  std::uint32_t id = first_id;
  while (b.unsent_count() != 0) b.send_next(id++);
}

// The unsent requests, in the order they would go out (all are sent, on
// ids from `first_id`, to read them).
std::vector<std::string> send_all(book& b, std::uint32_t first_id = 1) {
  std::vector<std::string> sent;
  std::uint32_t id = first_id;
  while (b.unsent_count() != 0) sent.push_back(b.send_next(id++));
  return sent;
}

using texts = std::vector<std::string>;

}  // namespace

BOOST_AUTO_TEST_SUITE(request_book)

BOOST_AUTO_TEST_CASE(requests_go_out_in_the_order_they_were_made_and_are_answered_by_id) {
  book b;
  BOOST_TEST(b.empty());
  b.add("hello");
  b.add("one");
  BOOST_TEST(b.unsent_count() == 2u);
  BOOST_TEST(b.send_next(1) == "hello");
  BOOST_TEST(b.send_next(2) == "one");
  BOOST_TEST(b.unsent_count() == 0u);
  BOOST_TEST(b.awaiting_count() == 2u);
  // Replies in any order.
  BOOST_REQUIRE(b.find(2));
  BOOST_TEST(*b.find(2) == "one");
  BOOST_TEST(b.answer(2).value() == "one");
  BOOST_TEST(b.answer(1).value() == "hello");
  BOOST_TEST(b.empty());
  BOOST_TEST(b.resends() == 0u);
}

BOOST_AUTO_TEST_CASE(a_reply_to_an_unknown_id_or_a_second_reply_answers_nothing) {
  book b;
  add_and_send(b, {"a", "b"});
  BOOST_TEST(!b.answer(3));
  BOOST_TEST(!b.answer(0));
  BOOST_TEST(!b.find(3));
  // An id that shares a slot with one awaiting is still not that one.
  BOOST_TEST(!b.answer(1 + 16));
  BOOST_TEST(b.answer(1).has_value());
  BOOST_TEST(!b.answer(1));  // a duplicate reply
  BOOST_TEST(!b.find(1));
  BOOST_TEST(b.awaiting_count() == 1u);
}

BOOST_AUTO_TEST_CASE(goaway_sends_again_what_is_above_its_last_id_in_first_order) {
  for (std::uint32_t last : {0u, 1u, 2u, 3u, 5u, 6u, 100u, 0xffffffffu}) {
    book b;
    add_and_send(b, {"a", "b", "c", "d", "e"});
    b.add("f");  // made after them, not sent yet
    const std::size_t above = last >= 5 ? 0 : 5 - last;
    BOOST_TEST(b.goaway(last) == above, "last " << last);
    BOOST_TEST(b.awaiting_count() == 5 - above, "last " << last);
    // The requests up to `last` still await their replies.
    for (std::uint32_t id = 1; id <= 5; ++id) {
      BOOST_TEST(bool(b.find(id)) == (id <= last), "last " << last << ", id " << id);
    }
    BOOST_TEST(b.unsent_again() == above);
    // Those above go out before what was never sent, in their first order.
    const texts sent = {"a", "b", "c", "d", "e"};
    texts expected(sent.end() - static_cast<std::ptrdiff_t>(above), sent.end());
    expected.push_back("f");
    BOOST_TEST(send_all(b, 10) == expected, "last " << last);
    BOOST_TEST(b.resends() == above, "last " << last);
  }
}

BOOST_AUTO_TEST_CASE(goaway_keeps_the_first_order_whatever_order_the_ids_were_answered_in) {
  book b;
  add_and_send(b, {"a", "b", "c", "d", "e", "f"});
  b.answer(2);
  b.answer(5);
  // Above 1 and unanswered: 3, 4 and 6 (c, d, f).
  BOOST_TEST(b.goaway(1) == 3u);
  BOOST_TEST(send_all(b, 7) == (texts{"c", "d", "f"}));
}

BOOST_AUTO_TEST_CASE(carry_over_puts_everything_unanswered_first_in_first_order) {
  book b;
  add_and_send(b, {"a", "b", "c", "d"});
  b.add("e");
  b.answer(3);
  BOOST_TEST(b.carry_over() == 3u);
  BOOST_TEST(b.awaiting_count() == 0u);
  BOOST_TEST(b.unsent_again() == 3u);
  // The next connection: ids start at 1 again.
  BOOST_TEST(send_all(b) == (texts{"a", "b", "d", "e"}));
  BOOST_TEST(b.resends() == 3u);
  BOOST_TEST(b.unsent_again() == 0u);
}

BOOST_AUTO_TEST_CASE(goaway_then_a_lost_connection_keeps_the_first_order_across_both) {
  book b;
  add_and_send(b, {"a", "b", "c", "d"});
  b.add("e");
  BOOST_TEST(b.goaway(2) == 2u);  // c, d go back
  // The connection is lost before 1 and 2 are answered.
  BOOST_TEST(b.carry_over() == 2u);
  BOOST_TEST(send_all(b) == (texts{"a", "b", "c", "d", "e"}));
  BOOST_TEST(b.resends() == 4u);
}

BOOST_AUTO_TEST_CASE(each_time_a_request_is_sent_again_counts) {
  book b;
  add_and_send(b, {"a", "b"});
  b.carry_over();
  send_all(b);  // both again: 2
  b.answer(1);
  b.carry_over();
  send_all(b);  // b a third time: 3
  BOOST_TEST(b.resends() == 3u);
  // What is dropped unsent is not counted.
  b.carry_over();
  BOOST_TEST(b.drop_unsent() == 1u);
  BOOST_TEST(b.unsent_again() == 0u);
  BOOST_TEST(b.resends() == 3u);
  BOOST_TEST(b.empty());
}

BOOST_AUTO_TEST_CASE(a_request_sent_at_once_is_sent_again_like_any_other) {
  client::request_book<int> b(4);
  BOOST_TEST(b.slot_free(1));
  b.send(1, 10);
  b.send(2, 20);
  BOOST_TEST(!b.slot_free(1));
  BOOST_TEST(!b.slot_free(1 + 4));  // the same slot in a ring of 4
  BOOST_TEST(b.slot_free(3));
  b.carry_over();
  BOOST_CHECK_THROW(b.send(1, 30), std::logic_error);  // it would go before those unsent
  BOOST_TEST(b.send_next(1) == 10);
  BOOST_TEST(b.send_next(2) == 20);
  BOOST_TEST(b.resends() == 2u);
  b.send(3, 30);
  BOOST_TEST(b.resends() == 2u);
}

BOOST_AUTO_TEST_CASE(the_ring_grows_when_awaiting_ids_would_share_a_slot) {
  client::request_book<int> b(2);
  for (int i = 0; i < 1000; ++i) b.add(i);
  for (std::uint32_t id = 1; id <= 1000; ++id) BOOST_TEST(b.send_next(id) == int(id) - 1);
  BOOST_TEST(b.awaiting_count() == 1000u);
  for (std::uint32_t id = 1000; id >= 1; --id) {
    BOOST_REQUIRE(b.find(id));
    BOOST_TEST(*b.find(id) == int(id) - 1);
  }
  BOOST_TEST(b.goaway(500) == 500u);
  BOOST_CHECK_THROW(b.send_next(1), std::logic_error);  // id 1 awaits already
  BOOST_TEST(b.unsent_count() == 500u);                 // and nothing was lost
  BOOST_TEST(b.send_next(1001) == 500);
}

BOOST_AUTO_TEST_CASE(a_goaway_that_cannot_be_read_is_a_protocol_error) {
  const std::byte last_7[] = {std::byte{0}, std::byte{0}, std::byte{0}, std::byte{7}};
  BOOST_TEST(client::read_goaway(last_7) == 7u);
  for (std::size_t size : {0u, 3u}) {
    try {
      client::read_goaway(proto::bytes_view(last_7, size));
      BOOST_FAIL("no exception for " << size << " bytes");
    } catch (const client::protocol_error& e) {
      BOOST_TEST(std::string(e.what()) == "the server sent a GOAWAY that cannot be read");
      BOOST_TEST(e.code == cli::exit_code::protocol);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
