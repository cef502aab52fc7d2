#include "worker.hpp"

#include <spdlog/spdlog.h>

namespace server {

worker::worker(unsigned index)
    : index_(index),
      read_scratch_(std::make_unique_for_overwrite<std::byte[]>(read_scratch_size)),
      keep_running_(context_.get_executor()) {
  reply_scratch_.reserve(read_scratch_size);
}

void worker::start_thread() {
  thread_ = std::thread([this] { run(); });
}

void worker::join() {
  if (thread_.joinable()) thread_.join();
}

void worker::run() {
  // Sessions catch their own exceptions; anything reaching here is a bug in
  // a completion handler, so log it and keep the other sessions going.
  for (;;) {
    try {
      context_.run();
      return;
    } catch (const std::exception& e) {
      spdlog::error("worker {}: unexpected exception: {}", index_, e.what());
    }
  }
}

void worker::begin_drain() {
  draining_ = true;
  keep_running_.reset();
  // go_away() never unlinks synchronously, so iterating is safe.
  for (auto& s : sessions_) s.go_away();
}

std::size_t worker::force_close_all() {
  std::size_t n = 0;
  for (auto& s : sessions_) {
    s.force_close();
    ++n;
  }
  return n;
}

}  // namespace server
