// The page's files (server/http/web/), compiled into the binary at build time by
// embed_web.cmake: GET / is index.html, GET /app.js is app.js, and so on.
#pragma once

#include <span>
#include <string_view>

namespace server {

struct web_asset {
  std::string_view path;          // "/" for index.html, else "/" + the file's name
  std::string_view content_type;  // by the file's extension
  std::string_view body;
};

std::span<const web_asset> web_assets() noexcept;

inline const web_asset* find_web_asset(std::string_view path) noexcept {
  for (const auto& a : web_assets()) {
    if (a.path == path) return &a;
  }
  return nullptr;
}

}  // namespace server
