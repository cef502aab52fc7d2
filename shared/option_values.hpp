// Option values that need more than Program_options' own number parsing,
// and the range checks every numeric option goes through. Both programs use
// these, so both reject the same mistakes with the same words:
//   count      a whole number, digits only: "-1" is an error, not 4294967295
//   byte_size  a number of bytes, optionally with K, M or G (powers of 1024)
//   duration   seconds as a decimal ("2.5"), or with a unit: 500ms, 30s, 5m, 1h
// A value that parses but is out of range (1e10 seconds, inf, 0 threads) is
// caught by range_checks, which names the option and its range in one line.
#pragma once

#include <boost/any.hpp>
#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cli {

struct count {
  std::uint64_t value = 0;
};
struct byte_size {
  std::uint64_t value = 0;
};
struct duration {
  double seconds = 0;
  // Rounded to milliseconds, saturating: never negative, never wrapped.
  std::chrono::milliseconds ms() const noexcept;
};

std::optional<std::uint64_t> parse_count(std::string_view text) noexcept;
std::optional<std::uint64_t> parse_byte_size(std::string_view text) noexcept;
std::optional<double> parse_seconds(std::string_view text) noexcept;

// "1 MiB", "256 KiB", "1000 bytes": as --help shows defaults and ranges.
std::string format_bytes(std::uint64_t bytes);

std::ostream& operator<<(std::ostream& out, const count& c);
std::ostream& operator<<(std::ostream& out, const byte_size& b);
std::ostream& operator<<(std::ostream& out, const duration& d);

// Program_options' parsing hooks, found by argument-dependent lookup.
void validate(boost::any& out, const std::vector<std::string>& values, count*, int);
void validate(boost::any& out, const std::vector<std::string>& values, byte_size*, int);
void validate(boost::any& out, const std::vector<std::string>& values, duration*, int);

// The longest time any option accepts: a year.
inline constexpr double max_seconds = 365.0 * 24 * 3600;

// Checks values against their ranges; the first one outside is the problem.
//   cli::range_checks checks;
//   checks.check("--threads", threads, 1, 1024).check("--idle-timeout", idle, 0.001, max_seconds);
//   if (checks.problem()) return usage_error(program, *checks.problem());
class range_checks {
 public:
  range_checks& check(std::string_view option, count value, std::uint64_t min, std::uint64_t max);
  range_checks& check(std::string_view option, byte_size value, std::uint64_t min,
                      std::uint64_t max);
  range_checks& check(std::string_view option, duration value, double min_seconds,
                      double max_seconds);
  range_checks& check(std::string_view option, double value, double min, double max);
  // A condition of the caller's own, with its reason.
  range_checks& require(bool condition, std::string_view reason);

  const std::optional<std::string>& problem() const noexcept { return problem_; }

 private:
  std::optional<std::string> problem_;
};

}  // namespace cli
