// Loading the TLS module (tls_module.hpp) from beside the executable.
#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <mutex>
#include <string>

#include "exit_codes.hpp"
#include "failure.hpp"
#include "tls_module.hpp"

namespace server {

namespace {

// Beside the running executable, where the build puts it; else where an
// install puts it: PREFIX/lib/asio_server beside PREFIX/bin (the package's
// /usr/lib/asio_server). ASIO_SERVER_TLS_MODULE names another file, for
// tests.
std::string module_path() {
  if (const char* path = std::getenv("ASIO_SERVER_TLS_MODULE")) return path;
  char exe[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  std::string dir = n > 0 ? std::string(exe, static_cast<std::size_t>(n)) : std::string(".");
  dir.erase(dir.find_last_of('/') == std::string::npos ? 0 : dir.find_last_of('/'));
  std::string beside = (dir.empty() ? std::string(".") : dir) + "/asio_server_tls.so";
  if (::access(beside.c_str(), F_OK) == 0) return beside;
  return dir + "/../lib/asio_server/asio_server_tls.so";
}

}  // namespace

const tls_module& load_tls_module() {
  static std::once_flag once;
  static const tls_module* module = nullptr;
  static std::string problem;
  std::call_once(once, [] {
    const std::string path = module_path();
    // Never unloaded: sessions and contexts made by it live as long as the
    // process may.
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      problem = std::string("cannot load TLS: ") + ::dlerror();
      return;
    }
    using entry = const tls_module* (*)();
    auto* get = reinterpret_cast<entry>(::dlsym(handle, "asio_server_tls_module"));
    if (get == nullptr) {
      problem = "cannot load TLS: " + path + " is not asio_server's TLS module";
      return;
    }
    module = get();
  });
  if (module == nullptr) throw cli::failure(cli::exit_code::unavailable, problem);
  return *module;
}

}  // namespace server
