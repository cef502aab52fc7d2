#!/usr/bin/env bash
# The Debian package, as an operator meets it: built with CPack, checked with
# dpkg-deb and lintian, installed with dpkg -i on this machine, used, then
# removed and purged. Needs root (or sudo) for dpkg; CTest label `package`.
#   test/package/package_test.sh BUILD_DIR
set -euo pipefail
build=$1
cd "$build"
sudo=()
if [[ $(id -u) -ne 0 ]]; then sudo=(sudo -n); fi
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

if dpkg-query -W -f='${Status}' asio-server 2>/dev/null | grep -q 'install ok installed'; then
  echo "asio-server is installed on this machine already: not touching it"
  exit 77
fi

rm -f asio-server_*.deb
cpack -G DEB >/dev/null
deb=$(ls asio-server_*_amd64.deb)
echo "built $deb"

# Dependencies computed by dpkg-shlibdeps, plus adduser for the maintainer scripts.
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for lib in libc6 libstdc++6 libboost-program-options1.81.0 libspdlog libsystemd0 libssl3 adduser; do
  [[ $depends == *"$lib"* ]] || fail "Depends lacks $lib"
done

contents=$(dpkg -c "$deb" | awk '{print $6}')
for f in ./usr/bin/asio_server ./usr/bin/asio_client \
  ./etc/asio_server/asio_server.conf ./lib/systemd/system/asio_server.service \
  ./lib/systemd/system/asio_server.socket ./usr/share/man/man1/asio_server.1.gz \
  ./usr/share/man/man1/asio_client.1.gz ./usr/share/doc/asio-server/copyright \
  ./usr/share/doc/asio-server/changelog.gz; do
  grep -qx -- "$f" <<<"$contents" || fail "dpkg -c does not list $f"
done
[[ $(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles) == /etc/asio_server/asio_server.conf ]] ||
  fail "the config file is not a conffile"
echo "dpkg -c lists the expected files"

# lintian: no errors (and, as of this writing, no warnings either).
lintian --fail-on error,warning "$deb" 2>/dev/null || fail "lintian: $(lintian "$deb" 2>/dev/null)"
echo "lintian: no errors, no warnings"

"${sudo[@]}" dpkg -i "$deb" >/dev/null
trap '"${sudo[@]}" dpkg -P asio-server >/dev/null 2>&1 || true' EXIT
/usr/bin/asio_server --version
getent passwd asio_server >/dev/null || fail "no system user asio_server"
[[ ! -e /etc/systemd/system/sockets.target.wants/asio_server.socket ]] ||
  fail "installing enabled the socket; it must start nothing"
# update-state recorded the units, so that purge cleans up after them.
ls /var/lib/systemd/deb-systemd-helper-enabled/asio_server.socket.dsh-also >/dev/null ||
  fail "deb-systemd-helper does not know the units"
verify=$(systemd-analyze verify --man=no /lib/systemd/system/asio_server.service \
  /lib/systemd/system/asio_server.socket 2>&1) || fail "systemd-analyze verify: $verify"
[[ -z $verify ]] || fail "systemd-analyze verify said: $verify"
/usr/bin/asio_server --config /etc/asio_server/asio_server.conf --check-config
# The installed server serves TLS: it gets as far as reading the certificate.
tls=$(/usr/bin/asio_server --listen tls://127.0.0.1:0 --tls-cert /nonexistent.pem \
  --tls-key /nonexistent.key 2>&1) && fail "started without a certificate"
[[ $tls == *"--tls-cert /nonexistent.pem: cannot read"* ]] || fail "TLS from /usr/bin: $tls"
echo "installed: the units verify, the config checks, TLS starts"

"${sudo[@]}" dpkg -r asio-server >/dev/null
[[ ! -e /usr/bin/asio_server ]] || fail "dpkg -r left the programs"
[[ -e /etc/asio_server/asio_server.conf ]] || fail "dpkg -r removed the conffile (only purge may)"
"${sudo[@]}" dpkg -P asio-server >/dev/null
[[ ! -e /etc/asio_server ]] || fail "dpkg -P left /etc/asio_server"
trap - EXIT
echo "dpkg -r removed it, dpkg -P purged it"
