#include "http/http_request.hpp"

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <string_view>
#include <vector>

namespace server {

namespace beast = boost::beast;
namespace http = beast::http;

std::optional<http::status> framing_problem(const http_request_header& req) {
  const auto fields = req.equal_range(http::field::transfer_encoding);
  if (fields.first == fields.second) return std::nullopt;
  if (req.version() < 11 || req.count(http::field::content_length) != 0) {
    return http::status::bad_request;
  }
  std::vector<std::string_view> codings;
  for (auto f = fields.first; f != fields.second; ++f) {
    std::string_view list(f->value().data(), f->value().size());
    while (!list.empty()) {  // bounded: each pass takes at least one character
      const auto comma = std::min(list.find(','), list.size());
      std::string_view coding = list.substr(0, comma);
      list.remove_prefix(std::min(comma + 1, list.size()));
      coding.remove_prefix(std::min(coding.find_first_not_of(" \t"), coding.size()));
      coding.remove_suffix(coding.size() -
                           std::min(coding.find_last_not_of(" \t") + 1, coding.size()));
      if (!coding.empty()) codings.push_back(coding);
    }
  }
  const auto chunked = [](std::string_view c) { return beast::iequals(c, "chunked"); };
  if (codings.empty() || !chunked(codings.back()) ||
      std::count_if(codings.begin(), codings.end(), chunked) != 1) {
    return http::status::bad_request;
  }
  if (codings.size() != 1) return http::status::not_implemented;
  return std::nullopt;
}

}  // namespace server
