// The session's phases and deadlines, driven by a clock of the test's own.
#include "session/session_state.hpp"
#include "session/goodbye.hpp"

#include <boost/test/unit_test.hpp>

using namespace std::chrono_literals;
using server::end_reason;
using server::phase;
using server::session_state;
using server::session_timeouts;
using server::steady_clock;

namespace {

session_timeouts timeouts() {
  session_timeouts t;
  t.handshake = 10s;
  t.idle = 300s;
  t.frame = 30s;
  t.write = 20s;
  t.linger = 2s;
  t.budget_grace = 1s;
  return t;
}

const steady_clock::time_point t0 = steady_clock::time_point() + 1000h;

}  // namespace

BOOST_AUTO_TEST_SUITE(session_state_suite)

BOOST_AUTO_TEST_CASE(a_new_connection_has_the_handshake_deadline) {
  const auto t = timeouts();
  session_state s(t, t0);
  BOOST_TEST((s.current() == phase::greeting));
  BOOST_TEST(!s.expired(t0 + 9s));
  BOOST_TEST(s.expired(t0 + 10s));
  BOOST_TEST((s.timeout_reason() == end_reason::handshake_timeout));
}

BOOST_AUTO_TEST_CASE(the_idle_clock_restarts_with_each_answer_not_with_a_partial_frame) {
  const auto t = timeouts();
  session_state s(t, t0);
  s.read(t0 + 1s, true, false);
  BOOST_TEST((s.current() == phase::reading));
  BOOST_TEST((s.deadline() == t0 + 301s));
  // The start of a frame: the idle clock goes on, and the frame's own starts.
  s.read(t0 + 100s, false, true);
  BOOST_TEST((s.current() == phase::mid_frame));
  BOOST_TEST((s.deadline() == t0 + 130s));
  // More of the same frame: neither clock restarts.
  s.read(t0 + 120s, false, true);
  BOOST_TEST((s.deadline() == t0 + 130s));
  BOOST_TEST((s.timeout_reason() == end_reason::frame_timeout));
}

BOOST_AUTO_TEST_CASE(a_frame_begun_late_in_the_idle_period_ends_with_the_idle_clock) {
  const auto t = timeouts();
  session_state s(t, t0);
  s.read(t0, true, false);
  s.read(t0 + 290s, false, true);  // idle ends at 300 s, before the frame's 320 s
  BOOST_TEST((s.deadline() == t0 + 300s));
  BOOST_TEST((s.timeout_reason() == end_reason::idle_timeout));
}

BOOST_AUTO_TEST_CASE(a_frame_completed_and_another_begun_in_one_read_starts_the_frame_clock_again) {
  const auto t = timeouts();
  session_state s(t, t0);
  s.read(t0, false, true);
  s.read(t0 + 25s, true, true);
  BOOST_TEST((s.deadline() == t0 + 55s));
}

BOOST_AUTO_TEST_CASE(the_write_deadline_is_refreshed_by_every_byte_the_peer_takes) {
  const auto t = timeouts();
  session_state s(t, t0);
  s.read(t0, true, false);
  s.writing(t0);
  BOOST_TEST((s.deadline() == t0 + 20s));
  s.wrote(t0 + 15s);
  s.wrote(t0 + 30s);
  BOOST_TEST(!s.expired(t0 + 49s));
  BOOST_TEST(s.expired(t0 + 50s));
  BOOST_TEST((s.timeout_reason() == end_reason::write_timeout));
  s.written(t0 + 40s, false);
  BOOST_TEST((s.current() == phase::reading));
  BOOST_TEST((s.deadline() == t0 + 340s));
}

BOOST_AUTO_TEST_CASE(a_deadline_that_passed_unnoticed_does_not_outlive_the_phase) {
  // The watchdog looked after the idle deadline had passed, but a read had
  // completed just before: the connection went on. Nothing remembers that a
  // deadline "fired": the later end of stream is a plain close.
  const auto t = timeouts();
  session_state s(t, t0);
  s.read(t0, true, false);
  BOOST_TEST(s.expired(t0 + 300s));   // what the watchdog saw
  s.read(t0 + 300s, true, false);     // the read that was already on its way
  BOOST_TEST(!s.expired(t0 + 300s));  // so the coroutine carries on
  BOOST_TEST((s.current() == phase::reading));
}

BOOST_AUTO_TEST_CASE(throttling_has_a_grace_period_then_means_over_budget) {
  const auto t = timeouts();
  session_state s(t, t0);
  s.read(t0, false, true);
  s.throttled(t0 + 1s);
  BOOST_TEST((s.current() == phase::throttled));
  BOOST_TEST((s.deadline() == t0 + 2s));
  BOOST_TEST((s.timeout_reason() == end_reason::over_budget));
  // Throttled from 1 s to 1.5 s: the server did not read, so the frame
  // clock stood still for that half second.
  s.unthrottled(t0 + 1500ms);
  BOOST_TEST((s.current() == phase::mid_frame));
  BOOST_TEST((s.deadline() == t0 + 30500ms));
}

BOOST_AUTO_TEST_CASE(the_frame_clock_stands_still_while_replies_are_written) {
  const auto t = timeouts();
  session_state s(t, t0);
  s.read(t0, true, true);  // a request answered, and the start of the next frame kept
  BOOST_TEST((s.deadline() == t0 + 30s));
  s.writing(t0 + 1s);
  BOOST_TEST((s.deadline() == t0 + 21s));
  BOOST_TEST(!s.stalled_for(t0 + 1s + 999ms, 1s));
  BOOST_TEST(s.stalled_for(t0 + 2s, 1s));
  s.wrote(t0 + 10s);
  BOOST_TEST(!s.stalled_for(t0 + 10s + 999ms, 1s));
  s.written(t0 + 25s, true);  // 24 s writing, not reading: the frame has had 1 s
  BOOST_TEST((s.current() == phase::mid_frame));
  BOOST_TEST((s.deadline() == t0 + 54s));
  BOOST_TEST((s.timeout_reason() == end_reason::frame_timeout));
}

BOOST_AUTO_TEST_CASE(closing_lingers_for_the_linger_time) {
  const auto t = timeouts();
  session_state s(t, t0);
  s.closing(t0 + 5s);
  BOOST_TEST((s.current() == phase::closing));
  BOOST_TEST((s.deadline() == t0 + 7s));
}

BOOST_AUTO_TEST_CASE(deadlines_saturate_instead_of_overflowing) {
  session_timeouts t = timeouts();
  t.idle = std::chrono::milliseconds::max();
  session_state s(t, t0);
  s.read(t0, true, false);
  BOOST_TEST((s.deadline() == steady_clock::time_point::max()));
  BOOST_TEST(!s.expired(t0 + 100000h));
  BOOST_TEST((server::saturating_add(steady_clock::time_point::max() - 1s, 5s) ==
              steady_clock::time_point::max()));
}

BOOST_AUTO_TEST_CASE(the_control_state_says_what_is_awaited_and_why_it_ends) {
  const auto t = timeouts();
  session_state s(t, t0);
  BOOST_TEST((s.doing() == server::activity::working));
  BOOST_TEST(!s.ending().has_value());
  s.awaiting(server::activity::reading);
  BOOST_TEST((s.doing() == server::activity::reading));
  s.end(end_reason::handshake_timeout);
  s.end(end_reason::handshake_failed);  // a truer reason replaces it
  BOOST_TEST((s.ending() == end_reason::handshake_failed));
  s.end(std::nullopt);  // a drain lets a begun TLS handshake finish
  BOOST_TEST(!s.ending().has_value());
}

BOOST_AUTO_TEST_CASE(the_last_words_follow_from_why_the_connection_ends) {
  using server::last_words;
  using server::last_words_for;
  // Every request read is answered: GOAWAY says which was the last.
  for (auto why : {end_reason::shutdown, end_reason::idle_timeout, end_reason::frame_timeout}) {
    BOOST_TEST((last_words_for(why) == last_words::go_away));
  }
  BOOST_TEST((last_words_for(end_reason::over_budget) == last_words::refuse));
  // Closed gracefully (half-close and linger) with nothing more to say.
  BOOST_TEST((last_words_for(end_reason::bad_frame) == last_words::nothing));
  BOOST_TEST((last_words_for(end_reason::handshake_timeout) == last_words::nothing));
  // The peer is gone or will not be waited for: closed at once.
  for (auto why :
       {end_reason::peer_closed, end_reason::peer_closed_mid_frame, end_reason::connection_lost,
        end_reason::handshake_failed, end_reason::write_timeout, end_reason::over_budget_unread,
        end_reason::closed_by_server, end_reason::internal_error}) {
    BOOST_TEST((last_words_for(why) == last_words::none));
  }
}

BOOST_AUTO_TEST_SUITE_END()
