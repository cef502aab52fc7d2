// What the server says to systemd and takes from it, through libsystemd
// (sd-daemon(3)): notifications for Type=notify, and the sockets of socket
// activation. Without NOTIFY_SOCKET, LISTEN_FDS or WATCHDOG_USEC (a server
// not started by systemd) every call here does nothing.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace server::systemd {

// sd_notify(3): "READY=1", "STOPPING=1", "RELOADING=1", "WATCHDOG=1",
// "STATUS=...", several joined by '\n'. Any thread.
void notify(std::string_view state);

// "RELOADING=1" with the MONOTONIC_USEC that systemd 253 and later expect.
std::string reloading();

// How often to say WATCHDOG=1 (half of WatchdogSec), when systemd asks.
std::optional<std::chrono::microseconds> watchdog_interval();

// A listening socket systemd passed (LISTEN_FDS), with its name
// (FileDescriptorName=, "tls" for a TLS listener).
struct passed_socket {
  int fd;
  std::string name;
};
// The sockets passed to this process, taken once: the variables are unset,
// so that no child inherits them. Empty without socket activation.
std::vector<passed_socket> take_passed_sockets();

}  // namespace server::systemd
