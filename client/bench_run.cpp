// The accounting of a --bench run: latencies recorded in the measured
// window, the answers per second, errors, and every reply checked against
// what was sent.
#include <algorithm>
#include <cstring>

#include "bench_run.hpp"

namespace client {

namespace {

void stamp(std::vector<std::byte>& bytes, std::uint32_t id) {
  for (std::size_t i = 0; i < std::min<std::size_t>(4, bytes.size()); ++i) {
    bytes[i] = std::byte(id >> (24 - 8 * i));
  }
}

}  // namespace

bench_run::bench_run(const client_config& c, connector& s)
    : config(c),
      options(c.bench),
      server(s),
      payload_(c.bench.size, std::byte{'x'}),
      pattern_(c.bench.size, std::byte{'x'}) {}

void bench_run::start(bench_clock::time_point now) {
  measure_from_ = now + options.warmup;
  // One count per second of the window, made now: record() allocates nothing.
  // (The slowest second is looked for in the first day, at most.)
  const auto seconds = std::chrono::ceil<std::chrono::seconds>(options.duration).count();
  per_second_.assign(static_cast<std::size_t>(std::min<std::int64_t>(seconds, 86'400)) + 1, 0);
}

void bench_run::record(bench_clock::time_point sent, bench_clock::time_point now) noexcept {
  const auto ns = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(now - sent).count());
  ++answered_total;
  if (track_progress) this_second.record(ns);
  if (stopping_ || now < measure_from_) return;
  result_.latency.record(ns);
  ++result_.answered;
  const auto second = static_cast<std::size_t>((now - measure_from_) / std::chrono::seconds(1));
  if (second < per_second_.size()) ++per_second_[second];
  result_.payload_bytes += options.size;
  if (options.requests != 0 && result_.answered >= options.requests) stop(now);
}

void bench_run::stop(bench_clock::time_point now) noexcept {
  if (stopping_) return;
  stopping_ = true;
  stopped_at_ = now;
}

void bench_run::fail(int exit_code, std::string why) {
  if (++result_.errors == 1) result_.first_error = std::move(why);
  if (exit_code_ == cli::exit_code::ok) exit_code_ = exit_code;
}

void bench_run::close_all() {
  for (auto* s : live_sockets) {
    if (s) s->close();
  }
}

bench_result bench_run::finish(bench_clock::time_point now) {
  stop(now);
  result_.elapsed =
      stopped_at_ > measure_from_ ? stopped_at_ - measure_from_ : bench_clock::duration::zero();
  // Whole seconds only: the last, cut short by the stop, would look slow.
  const auto whole = std::min(per_second_.size(),
                              static_cast<std::size_t>(result_.elapsed / std::chrono::seconds(1)));
  if (whole > 0) {
    result_.min_1s_per_second =
        double(*std::min_element(per_second_.begin(), per_second_.begin() + whole));
  }
  return std::move(result_);
}

const std::vector<std::byte>& bench_run::payload_for(std::uint32_t id) {
  stamp(payload_, id);
  return payload_;
}

bool bench_run::echoed_correctly(proto::bytes_view got, std::uint32_t id) const {
  if (got.size() != pattern_.size()) return false;
  const std::size_t head = std::min<std::size_t>(4, got.size());
  for (std::size_t i = 0; i < head; ++i) {
    if (got[i] != std::byte(id >> (24 - 8 * i))) return false;
  }
  return std::memcmp(got.data() + head, pattern_.data() + head, got.size() - head) == 0;
}

bool bench_run::reply_is_right(const proto::frame& f) {
  if (f.type() == proto::frame_type::error) {
    const auto e = proto::parse_error(f.payload);
    fail(cli::exit_code::protocol, "server error " + std::to_string(e ? e->code : 0) + ": " +
                                       std::string(e ? e->text : "(unreadable)"));
    return false;
  }
  if (f.type() == proto::frame_type::goaway) {
    fail(cli::exit_code::temp_fail, "the server is shutting down (GOAWAY)");
    return false;
  }
  bool right = f.type() == reply_type(options.type);
  if (right && options.type == proto::frame_type::echo) right = echoed_correctly(f.payload, f.id());
  if (right && options.type == proto::frame_type::message) right = f.text() == proto::ack_text;
  if (right && options.type == proto::frame_type::ping) right = f.payload.empty();
  if (!right) {
    fail(cli::exit_code::protocol, "wrong reply to request " + std::to_string(f.id()) + ": " +
                                       std::string(proto::type_name(f.header.type)) + " with " +
                                       std::to_string(f.payload.size()) + " bytes");
  }
  return right;
}

bool bench_run::take_reply(const proto::frame& f, in_flight_window& window,
                           bench_clock::time_point now) {
  // GOAWAY (id 0) and an ERROR about the connection answer no request.
  if (f.type() == proto::frame_type::goaway ||
      (f.type() == proto::frame_type::error && f.id() == 0)) {
    return reply_is_right(f);
  }
  const auto sent = window.take(f.id());
  if (!sent) {
    fail(cli::exit_code::protocol,
         "reply to request " + std::to_string(f.id()) + ", which is not in flight");
    return false;
  }
  if (!reply_is_right(f)) return false;
  record(*sent, now);
  return true;
}

void bench_run::closed_early(std::size_t in_flight) {
  fail(cli::exit_code::io_error,
       "the server closed a connection with " + std::to_string(in_flight) + " requests in flight");
}

}  // namespace client
