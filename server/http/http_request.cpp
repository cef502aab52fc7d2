#include "http/http_request.hpp"

#include <algorithm>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <cctype>
#include <string_view>
#include <utility>
#include <vector>

namespace server {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

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

http_response make(const http_request_message& req, http::status status, std::string_view type,
                   std::string body) {
  http_response res{status, req.version()};
  res.set(http::field::server, "asio_server");
  res.set(http::field::content_type, type);
  res.set(http::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  if (req.method() == http::verb::head) res.body().clear();  // the length stays
  return res;
}

std::optional<http::status> status_for(const beast::error_code& ec, bool begun, bool budget_short) {
  if (ec == beast::error::timeout) {
    return begun ? std::optional(http::status::request_timeout) : std::nullopt;
  }
  if (ec == http::error::buffer_overflow && budget_short) return http::status::service_unavailable;
  if (ec == http::error::header_limit) return http::status::request_header_fields_too_large;
  if (ec == http::error::body_limit) return http::status::payload_too_large;
  if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
      ec != http::error::end_of_stream && ec != http::error::partial_message) {
    return http::status::bad_request;
  }
  return std::nullopt;
}

http_response refusal(http::status status, const beast::error_code& ec) {
  http_request_message req;
  req.version(11);
  req.keep_alive(false);
  std::string why = ec.message();
  if (status == http::status::not_implemented) {
    why = "a transfer coding this server does not implement";
  } else if (status == http::status::bad_request && !ec) {
    why = "the request's body has no length this server can trust";
  } else if (status == http::status::request_timeout) {
    why = "the request did not come in time";
  } else if (status == http::status::service_unavailable) {
    why = "server busy: its memory for requests is used up; try again later";
  }
  http_response res = make(req, status, "text/plain", why + "\n");
  if (status == http::status::service_unavailable) res.set(http::field::retry_after, "5");
  return res;
}

std::optional<std::string> normal_origin(std::string_view origin) {
  std::string o(origin);
  std::transform(o.begin(), o.end(), o.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view default_port;
  std::size_t at = 0;
  if (o.starts_with("http://")) {
    default_port = "80";
    at = 7;
  } else if (o.starts_with("https://")) {
    default_port = "443";
    at = 8;
  } else {
    return std::nullopt;
  }
  const std::string_view rest = std::string_view(o).substr(at);
  // The host ends at the port's colon: after the bracket of an IPv6 one.
  const std::size_t host_end =
      rest.starts_with('[') ? rest.find(']') + 1 : std::min(rest.find(':'), rest.size());
  if (host_end == 0 || host_end > rest.size()) return std::nullopt;
  const std::string_view host = rest.substr(0, host_end);
  std::string_view port = rest.substr(host_end);
  if (!port.empty()) {
    port.remove_prefix(1);  // the colon
    if (rest[host_end] != ':' || port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
  }
  if (host.find_first_of("/?#@ \t") != std::string_view::npos) return std::nullopt;
  std::string normal = o.substr(0, at);
  normal += host;
  if (!port.empty() && port != default_port) normal.append(":").append(port);
  return normal;
}

bool origin_allowed(const http_request_header& req, const tcp::endpoint& local,
                    const std::vector<std::string>& allowed) {
  const auto field = req.find(http::field::origin);
  if (field == req.end()) return true;
  const auto origin = normal_origin(std::string_view(field->value().data(), field->value().size()));
  if (!origin) return false;  // "null" (a sandboxed page, a file) among others
  for (const auto& a : allowed) {
    if (normal_origin(a) == origin) return true;
  }
  // The page's own: the address it was served from, as a browser names it.
  auto address = local.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    // a dual-stack listener's IPv4 peer
    address = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
  }
  const std::string port = std::to_string(local.port());
  // Appended piece by piece: GCC 12 at -O3 warns falsely (stringop-overflow)
  // on "[" + std::string.
  std::string host;
  if (address.is_v6()) host += '[';
  host += address.to_string();
  if (address.is_v6()) host += ']';
  if (origin == normal_origin("http://" + host + ":" + port)) return true;
  return address.is_loopback() && origin == normal_origin("http://localhost:" + port);
}

}  // namespace server
