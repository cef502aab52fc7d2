// Runs a built program as a child process for end-to-end tests: arguments,
// optional standard input, captured standard output and error, and waits
// that are bounded (the child is killed when a deadline passes). A thread of
// its own reads the child's output as it comes, so a test busy elsewhere
// never leaves a pipe full and the child blocked on a write to its log.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace test {

class child_process {
 public:
  // Starts argv[0] with the rest as arguments. `input` is written to its
  // standard input, which is then closed unless `keep_stdin_open`.
  explicit child_process(std::vector<std::string> argv, std::string input = {},
                         bool keep_stdin_open = false);
  ~child_process();  // kills the child if it still runs
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  // The next line of standard output (without '\n'), or none at end of
  // output or after `timeout`.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);
  void send_signal(int signo);
  // More standard input (opened with `keep_stdin_open`); blocks while the
  // pipe is full. False if it cannot be written.
  bool write_stdin(std::string_view text);
  void close_stdin();

  // Waits for the exit, collecting the rest of the output. Returns the exit
  // code, or -1 (after killing it) if the child outlived `timeout`, or 128+N
  // when signal N ended it.
  int wait(std::chrono::milliseconds timeout);

  std::string out() const;  // everything read so far
  std::string err() const;
  pid_t pid() const { return pid_; }

 private:
  void drain();  // the reader thread: output, errors and the exit, until all three end
  void reap();   // waits for the killed child, if it has not been waited for
  pid_t pid_ = -1;
  int pidfd_ = -1, stop_fd_ = -1;
  int in_ = -1, out_fd_ = -1, err_fd_ = -1;
  // What the reader thread shares with the test's thread, under `mutex_`.
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::string out_, err_;
  bool out_done_ = false, err_done_ = false;
  std::optional<int> status_;
  std::size_t line_start_ = 0;  // the test's thread's alone
  std::thread reader_;
};

struct run_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs a program to completion (killed after `timeout`).
run_result run(std::vector<std::string> argv, std::string input = {},
               std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace test
