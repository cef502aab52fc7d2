// A worker is one io_context and the one thread that runs it.
//
// Threading design: one io_context per thread ("one loop per thread", as in
// muduo), with the acceptor handing connections out round-robin. A session is
// created on its worker's io_context and never leaves it, so a session, its
// socket, its timer and its buffers are only ever touched by one thread and
// need no lock and no strand. We chose this over one shared io_context with a
// strand per session because the strand design pays for a lock or an atomic
// on every handler and moves sessions between cores, while this one costs
// nothing per operation; its price, an uneven spread when connections differ
// in weight, does not matter for a request/response server with short
// requests. The only cross-thread traffic is post() (thread-safe by Asio's
// contract) and the live-session count (an atomic, see session_tracker.hpp).
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/intrusive/list.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <thread>
#include <vector>

namespace server {

// What a worker needs of a session to shut it down. Sessions link themselves
// into their worker's list and unlink automatically when destroyed.
class drainable_session : public boost::intrusive::list_base_hook<
                              boost::intrusive::link_mode<boost::intrusive::auto_unlink>> {
 public:
  // Finish the requests already read, send GOAWAY, close gracefully.
  virtual void go_away() = 0;
  // Close now.
  virtual void force_close() = 0;

 protected:
  ~drainable_session() = default;
};

class worker {
 public:
  explicit worker(unsigned index);
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  boost::asio::io_context& context() noexcept { return context_; }
  unsigned index() const noexcept { return index_; }

  // Runs the io_context on a new thread; join() waits for it to return.
  void start_thread();
  void join();
  // Runs the io_context on the calling thread until it has no work left.
  void run();

  // The rest runs on this worker's thread only.
  void attach(drainable_session& s) noexcept { sessions_.push_back(s); }
  bool draining() const noexcept { return draining_; }
  // Every session says GOAWAY; run() returns once they are all gone.
  void begin_drain();
  // Closes every session still open; returns how many there were.
  std::size_t force_close_all();

  // Scratch memory for the one session running on this thread right now.
  // A session reads into `read_scratch` and builds its replies in
  // `reply_scratch` between two awaits, and leaves nothing there when it
  // awaits, so all sessions of a worker share them: an idle session holds no
  // buffer, and a busy one allocates nothing (the capacity stays here).
  std::span<std::byte> read_scratch() noexcept { return {read_scratch_.get(), read_scratch_size}; }
  std::vector<std::byte>& reply_scratch() noexcept { return reply_scratch_; }

  // Totals kept by this worker's sessions; read them after run() returned.
  std::uint64_t connections = 0;
  std::uint64_t requests = 0;

 private:
  using session_list =
      boost::intrusive::list<drainable_session, boost::intrusive::constant_time_size<false>>;

  static constexpr std::size_t read_scratch_size = 64 * 1024;

  unsigned index_;
  std::unique_ptr<std::byte[]> read_scratch_;
  std::vector<std::byte> reply_scratch_;
  boost::asio::io_context context_{1};  // concurrency hint: one thread runs it
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> keep_running_;
  session_list sessions_;
  bool draining_ = false;
  std::thread thread_;
};

}  // namespace server
