#include "reconnect.hpp"

#include <algorithm>

#include "client_asio.hpp"
#include "connection.hpp"

namespace client {

namespace {
constexpr auto first_backoff = std::chrono::milliseconds(10);
constexpr auto most_backoff = std::chrono::milliseconds(1000);
}  // namespace

reconnector::reconnector(connector& server, const client_config& config, std::uint32_t seed)
    : server_(server), config_(config), random_(seed), opened_(clock::now()) {}

void reconnector::ended(std::uint64_t answered) {
  if (answered != 0) {
    fruitless_ = 0;
  } else if (fruitless_++ == 0) {
    fruitless_since_ = opened_;
  }
}

awaitable<std::optional<stream>> reconnector::connect(const bool& stopping) {
  std::uniform_real_distribution<double> jitter(0.5, 1.5);
  auto wait = [&](std::chrono::milliseconds backoff) {
    return sleep_for(std::chrono::milliseconds(
        static_cast<std::int64_t>(double(backoff.count()) * jitter(random_))));
  };
  const auto give_up = (fruitless_ != 0 ? fruitless_since_ : clock::now()) + config_.reconnect_for;
  // After fruitless connections, as if that many attempts had failed.
  auto backoff = std::min(first_backoff * (1u << std::min(fruitless_, 7u)), most_backoff);
  if (fruitless_ != 0) {
    why_ = "no answer within --reconnect-for: each new connection was closed before any answer";
    if (clock::now() >= give_up) co_return std::nullopt;
    co_await wait(backoff / 2);
  }
  while (!stopping) {
    try {
      auto s = co_await server_.connect(config_.timeout);
      opened_ = clock::now();
      co_return s;
    } catch (const std::exception& e) {
      why_ = std::string("no new connection within --reconnect-for: ") + e.what();
    }
    if (clock::now() >= give_up) co_return std::nullopt;
    co_await wait(backoff);
    backoff = std::min(backoff * 2, most_backoff);
  }
  co_return std::nullopt;
}

}  // namespace client
