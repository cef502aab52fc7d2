// What a --bench run measured, and how it is shown: a few readable lines, a
// progress line while it runs, or one JSON object for scripts.
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

#include "client_config.hpp"
#include "latency_histogram.hpp"

namespace client {

struct bench_result {
  latency_histogram latency;                // answers within the measured window
  std::uint64_t answered = 0;               // in the measured window
  std::uint64_t payload_bytes = 0;          // request payload bytes answered in the window, one way
  std::chrono::duration<double> elapsed{};  // the measured window
  std::uint64_t errors = 0;
  std::string first_error;
  std::size_t connections_held = 0;              // --idle
  std::chrono::duration<double> connect_time{};  // --idle: time to open them all
  std::uint64_t reconnects = 0;                  // --reconnect: connections opened again
  std::uint64_t resends = 0;                     // requests sent again on them
  // The fewest answers in one whole second of the measured window, per
  // second (0 when it was shorter than a second).
  double min_1s_per_second = 0;

  double per_second() const {
    return elapsed.count() > 0 ? double(answered) / elapsed.count() : 0.0;
  }
};

// "ECHO 64 B, 50 connections x depth 16" and the like.
std::string describe_load(const client_config& config);

void print_text(const bench_result& r, const client_config& config, std::ostream& out);
void print_json(const bench_result& r, const client_config& config, std::ostream& out);
// print_json with --json, else print_text.
void print_result(const bench_result& r, const client_config& config, std::ostream& out);
// One line, rewritten in place ("\r") once a second on a terminal.
void print_progress(std::chrono::duration<double> since_start, std::uint64_t answered_per_second,
                    const latency_histogram& last_second, std::uint64_t errors, bool warming_up,
                    std::ostream& out);

}  // namespace client
