#!/usr/bin/env bash
# Quick start, as root on Debian 12:
#   ./build.sh run [IPCDUMP OPTIONS]   install what is missing, build, trace
#   ./build.sh test                    install what is missing, build, run every test
#   ./build.sh deps | build | bench
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages: build (libpcre2-dev: the filter's regular expressions; libyaml-dev:
# ipcdumpd's configuration; libsystemd-dev: its sd_notify and journald output), tests (cmocka,
# pytest, setpriv, ip, libclang-rt-14-dev: the libFuzzer runtime; man-db and groff-base
# check the man pages; curl for the README's examples; systemd: systemd-analyze verify
# checks the unit file, procps the /bin/kill of its ExecReload;
# rsyslog: the syslog output's peer; openssl: the API tests' certificates; prometheus: its
# promtool and a server that scrapes the API; python3-yaml reads the OpenAPI file),
# the REST API (libmicrohttpd-dev with GnuTLS, libcrypt-dev), ipcdump --remote (libcurl4-openssl-dev),
# /etc/services (netbase),
# benchmarks (peers).
PACKAGES=(make clang llvm gcc pkg-config libbpf-dev libelf-dev zlib1g-dev uthash-dev libsqlite3-dev sqlite3
	  bpftool libcmocka-dev libzstd-dev libpcre2-dev libyaml-dev libsystemd-dev libcurl4-openssl-dev libclang-rt-14-dev python3 python3-pytest util-linux
	  iproute2 netbase man-db groff-base curl zstd systemd procps rsyslog
	  libmicrohttpd-dev libgnutls28-dev libcrypt-dev openssl prometheus python3-yaml)
BENCH_PACKAGES=(bpftrace strace)

missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
	done
}

install_missing() {
	local need
	need=$(missing "$@")
	[ -z "$need" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "build.sh: missing packages: $need (run as root to install them)" >&2
		exit 1
	fi
	apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null
}

cmd=${1:-run}
shift || true
case "$cmd" in
deps) install_missing "${PACKAGES[@]}" ;;
build) install_missing "${PACKAGES[@]}"; make -j"$(nproc)" all ;;
run) install_missing "${PACKAGES[@]}"; make -j"$(nproc)" all >&2; exec ./build/ipcdump "$@" ;;
test) install_missing "${PACKAGES[@]}"; make -j"$(nproc)" all san progs; make test ;;
bench) install_missing "${PACKAGES[@]}" "${BENCH_PACKAGES[@]}"; make bench ;;
*) echo "usage: ./build.sh run|test|deps|build|bench" >&2; exit 2 ;;
esac
