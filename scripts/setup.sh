#!/usr/bin/env bash
# Installs what the build needs, and only what is missing, from Debian 12's
# packages. Safe to run again: a machine that has everything installs nothing.
set -euo pipefail

packages=(
  cmake
  g++
  make
  ninja-build
  libboost1.81-dev                  # Asio (header-only) and the Boost headers
  libboost-program-options1.81-dev  # the command lines
  libboost-test1.81-dev             # the test runner
  libboost-json1.81-dev             # the benchmark's --json result
  libspdlog-dev                     # asynchronous logging, brings libfmt-dev
  libssl-dev                        # TLS (OpenSSL 3), through boost::asio::ssl
  libsystemd-dev                    # sd_notify and socket activation (libsystemd)
  pkgconf                           # finds libsystemd for CMake
  systemd                           # systemd-analyze and systemd-socket-activate, for the unit tests
  help2man                          # the man pages, made from --help
  dpkg-dev                          # cpack -G DEB computes dependencies with dpkg-shlibdeps
  lintian                           # checks the .deb
  openssl                           # the tests make their certificates, and s_client
  socat                             # the tests' Unix socket peer
  iproute2                          # ss: the tests read socket options as a user would
  clang                             # the asan preset and the fuzz targets
  libclang-rt-14-dev                # clang's sanitizer runtimes and libFuzzer
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo=()
if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
