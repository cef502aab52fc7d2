// --config FILE: the command line's options, one per line, in
// Boost.Program_options' config-file syntax ("key = value", "#" comments).
// The command line wins over the file: its values are stored first, and
// Program_options keeps the first value stored for an option (repeatable
// options such as listen take both).
#pragma once

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace server {

class config_file {
 public:
  explicit config_file(std::string path) : path_(std::move(path)) {}

  // Reads the file and stores its options in `vm`. Returns the problem, in
  // one line naming the file, the line and the key where it can:
  //   /etc/asio_server/asio_server.conf: line 12: unrecognised option 'prot'
  std::optional<std::string> store(const boost::program_options::options_description& desc,
                                   boost::program_options::variables_map& vm);

  // `problem` about option `name` (as "--name"), told as the file's when the
  // file set that option and the command line did not.
  std::string locate(std::string_view name, const std::string& problem,
                     const std::set<std::string, std::less<>>& command_line_keys) const;

  const std::string& path() const noexcept { return path_; }

 private:
  // "line N: " for the line that sets `key`, or "" when none does.
  std::string line_of(std::string_view key, bool last = false) const;
  // "line N: " for the line that reads `text`, or "".
  std::string line_of_text(std::string_view text) const;

  std::string path_;
  std::string text_;
  std::set<std::string, std::less<>> keys_;  // the options the file set
};

}  // namespace server
