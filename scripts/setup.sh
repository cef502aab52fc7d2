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
  haproxy                           # the load balancer the scale-out tests put in front
  iproute2                          # ss: the tests read socket options as a user would
  clang                             # the asan preset and the fuzz targets
  libclang-rt-14-dev                # clang's sanitizer runtimes and libFuzzer
  prometheus                        # promtool checks /metrics (its daemon is not started)
  chromium                          # the browser test's browser (driven by playwright-core)
  nodejs                            # runs the browser test
  npm                               # installs playwright-core (test/browser/package.json)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

# A machine that has node and npm already (not from Debian) keeps them.
command -v node >/dev/null && missing=("${missing[@]/nodejs/}")
command -v npm >/dev/null && missing=("${missing[@]/npm/}")
read -ra missing <<<"${missing[*]}"

if ((${#missing[@]} != 0)); then
  echo "setup: installing ${missing[*]}"
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
  # RUNLEVEL=1: the packages' maintainer scripts start no daemon (prometheus).
  export DEBIAN_FRONTEND=noninteractive RUNLEVEL=1
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# playwright-core, pinned by test/browser/package-lock.json; it downloads no
# browser (the test drives Debian's /usr/bin/chromium).
browser_dir="$(dirname "$0")/../test/browser"
if [[ -f $browser_dir/package-lock.json && ! -d $browser_dir/node_modules/playwright-core ]]; then
  echo "setup: npm ci in test/browser"
  (cd "$browser_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi
