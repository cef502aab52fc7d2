#include "systemd.hpp"

#include <dlfcn.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include <cstdlib>
#include <mutex>

namespace server::systemd {

namespace {

// libsystemd, loaded only when systemd speaks to this process (its
// variables are set): elsewhere it and the libraries it brings (gcrypt,
// lzma, zstd, lz4, cap) would cost about 1 MiB of memory at start, for
// nothing. The package depends on libsystemd0 all the same.
struct library {
  decltype(&::sd_notify) notify = nullptr;
  decltype(&::sd_watchdog_enabled) watchdog_enabled = nullptr;
  decltype(&::sd_listen_fds_with_names) listen_fds_with_names = nullptr;
};

const library& libsystemd() {
  static library lib;
  static std::once_flag once;
  std::call_once(once, [] {
    if (!std::getenv("NOTIFY_SOCKET") && !std::getenv("LISTEN_FDS") &&
        !std::getenv("WATCHDOG_USEC")) {
      return;
    }
    void* handle = ::dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) return;  // then there is no systemd to speak to either
    lib.notify = reinterpret_cast<decltype(lib.notify)>(::dlsym(handle, "sd_notify"));
    lib.watchdog_enabled =
        reinterpret_cast<decltype(lib.watchdog_enabled)>(::dlsym(handle, "sd_watchdog_enabled"));
    lib.listen_fds_with_names = reinterpret_cast<decltype(lib.listen_fds_with_names)>(
        ::dlsym(handle, "sd_listen_fds_with_names"));
  });
  return lib;
}

}  // namespace

void notify(std::string_view state) {
  const auto& lib = libsystemd();
  if (lib.notify == nullptr) return;
  const std::string text(state);
  lib.notify(/*unset_environment=*/0, text.c_str());
}

std::string reloading() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const auto usec = static_cast<unsigned long long>(now.tv_sec) * 1'000'000ULL +
                    static_cast<unsigned long long>(now.tv_nsec) / 1'000ULL;
  return "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec);
}

std::optional<std::chrono::microseconds> watchdog_interval() {
  const auto& lib = libsystemd();
  std::uint64_t usec = 0;
  if (lib.watchdog_enabled == nullptr) return {};
  if (lib.watchdog_enabled(/*unset_environment=*/0, &usec) <= 0 || usec == 0) return {};
  return std::chrono::microseconds(usec / 2);
}

std::vector<passed_socket> take_passed_sockets() {
  const auto& lib = libsystemd();
  std::vector<passed_socket> sockets;
  if (lib.listen_fds_with_names == nullptr) return sockets;
  char** names = nullptr;
  const int n = lib.listen_fds_with_names(/*unset_environment=*/1, &names);
  for (int i = 0; i < n; ++i) {
    sockets.push_back({SD_LISTEN_FDS_START + i, names && names[i] ? names[i] : ""});
  }
  if (names != nullptr) {
    for (int i = 0; i < n; ++i) std::free(names[i]);
    std::free(names);
  }
  return sockets;
}

}  // namespace server::systemd
