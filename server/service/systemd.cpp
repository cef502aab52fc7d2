#include "service/systemd.hpp"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <cstdlib>

namespace server::systemd {

void notify(std::string_view state) {
  // Without NOTIFY_SOCKET, sd_notify() does nothing and says so.
  const std::string text(state);
  ::sd_notify(/*unset_environment=*/0, text.c_str());
}

std::string reloading() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const auto usec = static_cast<unsigned long long>(now.tv_sec) * 1'000'000ULL +
                    static_cast<unsigned long long>(now.tv_nsec) / 1'000ULL;
  return "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec);
}

std::optional<std::chrono::microseconds> watchdog_interval() {
  std::uint64_t usec = 0;
  if (::sd_watchdog_enabled(/*unset_environment=*/0, &usec) <= 0 || usec == 0) return {};
  return std::chrono::microseconds(usec / 2);
}

std::vector<passed_socket> take_passed_sockets() {
  std::vector<passed_socket> sockets;
  char** names = nullptr;
  const int n = ::sd_listen_fds_with_names(/*unset_environment=*/1, &names);
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
