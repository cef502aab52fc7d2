// Gives freed heap memory back to the system (malloc_trim) on a thread of
// its own, so that no I/O thread stalls on it: trimming a large heap walks
// all of it, which takes milliseconds that every connection of the worker
// would wait. Workers ask (request(), any thread, cheap); the trimmer's
// thread trims once per batch of requests. Confined by its mutex.
#pragma once

#include <malloc.h>

#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <thread>

namespace server {

class heap_trimmer {
 public:
  heap_trimmer()
      : thread_([this](std::stop_token stop) {
          std::unique_lock lock(mutex_);
          while (wake_.wait(lock, stop, [this] { return wanted_; })) {
            wanted_ = false;
            lock.unlock();
            ::malloc_trim(0);
            lock.lock();
            ++trims_;
          }
        }) {}
  heap_trimmer(const heap_trimmer&) = delete;
  heap_trimmer& operator=(const heap_trimmer&) = delete;

  void request() {
    {
      std::lock_guard lock(mutex_);
      wanted_ = true;
    }
    wake_.notify_one();
  }
  // How many trims were done (for tests).
  unsigned long trims() const {
    std::lock_guard lock(mutex_);
    return trims_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable_any wake_;
  bool wanted_ = false;
  unsigned long trims_ = 0;
  std::jthread thread_;  // last: it stops and joins before the rest goes
};

}  // namespace server
