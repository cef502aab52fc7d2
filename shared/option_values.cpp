#include "option_values.hpp"

#include <algorithm>
#include <boost/program_options/errors.hpp>
#include <boost/program_options/value_semantic.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <ostream>

namespace cli {

namespace po = boost::program_options;

namespace {

bool ends_with_nocase(std::string_view text, std::string_view suffix) {
  if (text.size() < suffix.size()) return false;
  return std::equal(suffix.begin(), suffix.end(), text.end() - suffix.size(),
                    [](char a, char b) { return std::tolower(a) == std::tolower(b); });
}

// A number as the shortest text that says it ("0.5", "300", "1e+10").
std::string shortest(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.10g", v);
  return text;
}

template <typename Value>
void validate_with(boost::any& out, const std::vector<std::string>& values, const char* what,
                   const char* examples, auto parse) {
  po::validators::check_first_occurrence(out);
  const std::string& text = po::validators::get_single_string(values);
  const auto parsed = parse(text);
  if (!parsed) {
    // Program_options fills in the option's name.
    po::error_with_option_name e(std::string("'%value%' is not ") + what +
                                     " for %canonical_option% (write " + examples + ")",
                                 "", text);
    e.set_substitute("value", text);
    throw e;
  }
  out = Value{*parsed};
}

}  // namespace

std::chrono::milliseconds duration::ms() const noexcept {
  const double ms = std::round(seconds * 1000.0);
  if (!(ms > 0)) return std::chrono::milliseconds::zero();  // also NaN
  constexpr double most = static_cast<double>(std::numeric_limits<std::int64_t>::max() / 2);
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::min(ms, most)));
}

std::optional<std::uint64_t> parse_count(std::string_view text) noexcept {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

std::optional<std::uint64_t> parse_byte_size(std::string_view text) noexcept {
  struct unit {
    std::string_view suffix;
    int shift;
  };
  // Longest first, so that "KiB" is not taken for "B".
  static constexpr unit units[] = {{"KiB", 10}, {"MiB", 20}, {"GiB", 30}, {"KB", 10}, {"MB", 20},
                                   {"GB", 30},  {"K", 10},   {"M", 20},   {"G", 30},  {"B", 0}};
  int shift = 0;
  for (const auto& u : units) {
    if (ends_with_nocase(text, u.suffix)) {
      text.remove_suffix(u.suffix.size());
      shift = u.shift;
      break;
    }
  }
  const auto n = parse_count(text);
  if (!n || (shift != 0 && *n > (std::numeric_limits<std::uint64_t>::max() >> shift))) {
    return std::nullopt;
  }
  return *n << shift;
}

std::optional<double> parse_seconds(std::string_view text) noexcept {
  double scale = 1;
  if (ends_with_nocase(text, "ms")) {
    text.remove_suffix(2);
    scale = 0.001;
  } else if (ends_with_nocase(text, "s")) {
    text.remove_suffix(1);
  } else if (ends_with_nocase(text, "m")) {
    text.remove_suffix(1);
    scale = 60;
  } else if (ends_with_nocase(text, "h")) {
    text.remove_suffix(1);
    scale = 3600;
  }
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v * scale;  // may be inf, nan or negative: range_checks says so
}

std::string format_bytes(std::uint64_t bytes) {
  if (bytes != 0 && bytes % (1u << 30) == 0) return std::to_string(bytes >> 30) + " GiB";
  if (bytes != 0 && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes != 0 && bytes % (1u << 10) == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
}

std::ostream& operator<<(std::ostream& out, const count& c) { return out << c.value; }

std::ostream& operator<<(std::ostream& out, const byte_size& b) {
  // As it can be written back: 1M, 256K, 1000.
  if (b.value != 0 && b.value % (1u << 30) == 0) return out << (b.value >> 30) << 'G';
  if (b.value != 0 && b.value % (1u << 20) == 0) return out << (b.value >> 20) << 'M';
  if (b.value != 0 && b.value % (1u << 10) == 0) return out << (b.value >> 10) << 'K';
  return out << b.value;
}

std::ostream& operator<<(std::ostream& out, const duration& d) {
  return out << shortest(d.seconds);
}

void validate(boost::any& out, const std::vector<std::string>& values, count*, int) {
  validate_with<count>(out, values, "a whole number", "digits only, such as 100", parse_count);
}

void validate(boost::any& out, const std::vector<std::string>& values, byte_size*, int) {
  validate_with<byte_size>(out, values, "a size in bytes", "such as 65536, 64K or 1M",
                           parse_byte_size);
}

void validate(boost::any& out, const std::vector<std::string>& values, duration*, int) {
  validate_with<duration>(out, values, "a duration", "seconds such as 2.5, or 500ms, 5m, 1h",
                          parse_seconds);
}

range_checks& range_checks::check(std::string_view option, count value, std::uint64_t min,
                                  std::uint64_t max) {
  if (!problem_ && (value.value < min || value.value > max)) {
    problem_ = std::string(option) + " must be from " + std::to_string(min) + " to " +
               std::to_string(max) + " (not " + std::to_string(value.value) + ")";
  }
  return *this;
}

range_checks& range_checks::check(std::string_view option, byte_size value, std::uint64_t min,
                                  std::uint64_t max) {
  if (!problem_ && (value.value < min || value.value > max)) {
    problem_ = std::string(option) + " must be from " + format_bytes(min) + " to " +
               format_bytes(max) + " (not " + format_bytes(value.value) + ")";
  }
  return *this;
}

range_checks& range_checks::check(std::string_view option, duration value, double min_seconds,
                                  double max_seconds) {
  if (!problem_ && !(value.seconds >= min_seconds && value.seconds <= max_seconds)) {
    problem_ = std::string(option) + " must be from " + shortest(min_seconds) + " to " +
               shortest(max_seconds) + " seconds (not " + shortest(value.seconds) + ")";
  }
  return *this;
}

range_checks& range_checks::check(std::string_view option, double value, double min, double max) {
  if (!problem_ && !(value >= min && value <= max)) {
    problem_ = std::string(option) + " must be from " + shortest(min) + " to " + shortest(max) +
               " (not " + shortest(value) + ")";
  }
  return *this;
}

range_checks& range_checks::require(bool condition, std::string_view reason) {
  if (!problem_ && !condition) problem_ = std::string(reason);
  return *this;
}

}  // namespace cli
