#include "service/config_file.hpp"

#include <boost/program_options/parsers.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace server {

namespace po = boost::program_options;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

std::optional<std::string> config_file::store(const po::options_description& desc,
                                              po::variables_map& vm) {
  std::ifstream in(path_);
  if (!in) return path_ + ": cannot read it: " + std::strerror(errno);
  std::ostringstream all;
  all << in.rdbuf();
  text_ = all.str();
  std::istringstream lines(text_);
  try {
    const auto parsed = po::parse_config_file(lines, desc);
    for (const auto& o : parsed.options) keys_.insert(o.string_key);
    po::store(parsed, vm);
  } catch (const po::invalid_config_file_syntax& e) {
    // "... invalid line 'LINE'": find that line.
    return path_ + ": " + line_of_text(e.tokens()) + e.what();
  } catch (const po::multiple_occurrences& e) {
    std::string key = e.get_option_name();
    while (!key.empty() && key.front() == '-') key.erase(0, 1);
    return path_ + ": " + line_of(key, /*last=*/true) + e.what();
  } catch (const po::error_with_option_name& e) {
    std::string key = e.get_option_name();
    while (!key.empty() && key.front() == '-') key.erase(0, 1);
    return path_ + ": " + line_of(key) + e.what();
  } catch (const po::error& e) {
    return path_ + ": " + e.what();
  }
  return std::nullopt;
}

std::string config_file::locate(std::string_view name, const std::string& problem,
                                const std::set<std::string, std::less<>>& command_line_keys) const {
  std::string_view key = name;
  while (!key.empty() && key.front() == '-') key.remove_prefix(1);
  if (!keys_.contains(key) || command_line_keys.contains(key)) return problem;
  return path_ + ": " + line_of(key) + problem;
}

std::string config_file::line_of_text(std::string_view text) const {
  std::istringstream lines(text_);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    if (trim(line) == trim(text)) return "line " + std::to_string(number) + ": ";
  }
  return {};
}

std::string config_file::line_of(std::string_view key, bool last) const {
  // "section.key" when the file has [section] lines: the key as written.
  if (const auto dot = key.rfind('.'); dot != std::string_view::npos) key.remove_prefix(dot + 1);
  std::istringstream lines(text_);
  std::string line, found;
  for (int number = 1; std::getline(lines, line); ++number) {
    std::string_view l = trim(line);
    if (l.substr(0, key.size()) != key) continue;
    l = trim(l.substr(key.size()));
    if (!l.empty() && l.front() == '=') {
      found = "line " + std::to_string(number) + ": ";
      if (!last) break;
    }
  }
  return found;
}

}  // namespace server
