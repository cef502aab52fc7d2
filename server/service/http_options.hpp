// The --http listener's own options (http_session.cpp), kept apart from
// server_options.cpp: declared into its description (so --help and the
// --config file know them), then checked and copied into the config.
#pragma once

#include <boost/program_options/options_description.hpp>
#include <string>
#include <vector>

#include "core/server_config.hpp"
#include "option_values.hpp"

namespace server {

struct http_option_values {
  cli::duration header_timeout, body_timeout;
  std::vector<std::string> allowed_origins;

  explicit http_option_values(const server_config& defaults);
  // Adds them to `settings` (the command line's and the file's).
  void add_to(boost::program_options::options_description& settings);
  // Range checks into `checks`; when they pass, the values into `config`.
  void apply(cli::range_checks& checks, server_config& config) const;
};

}  // namespace server
