#!/usr/bin/env bash
# Tessera — shared helpers for the scripts in scripts/. Source this file:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib/deps.sh"
#
# ensure_packages PKG...   install the Debian packages that are missing
# ensure_build_deps        everything `swift build` / `swift test` needs
# ensure_swift             make sure `swift` is on PATH
# ensure_test_servers      moto (PyPI) and rclone (Debian) for the S3 and REST tests
# swift_build_release      the release build of this checkout (.build/release/tessera)
#
# Packages are installed with apt-get (non-interactive). `apt-get update`
# runs at most once per shell, and only when something is missing. When not
# running as root, sudo is used.

# Guard against being sourced twice.
if [[ -n "${_TESSERA_DEPS_SH:-}" ]]; then
    return 0
fi
_TESSERA_DEPS_SH=1
_TESSERA_APT_UPDATED=0

# The C libraries and tools the package links against or the tests use.
# git: SwiftPM fetches the package dependencies with it.
# rsync, libglib2.0-bin (gio): the mount tests copy out of a mount as file managers do.
TESSERA_BUILD_PACKAGES=(libzstd-dev libsodium-dev libfuse3-dev fuse3 pkg-config attr libsqlite3-dev git rsync libglib2.0-bin)

log() { printf '%s\n' "$*" >&2; }

# The release build, with the Swift runtime and Foundation linked in: a cold
# start maps one file instead of a dozen shared libraries (0.13 s -> 0.07 s on
# the bench machine, the largest part of a mount's first listing after the
# key), and the binary runs where no Swift toolchain is installed.
swift_build_release() {
    (cd "$(dirname "${BASH_SOURCE[0]}")/../.." && swift build -c release --static-swift-stdlib "$@")
}
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Fails with a clear message unless we are root or sudo is available.
require_root_or_sudo() {
    if [[ $(id -u) -ne 0 ]] && ! command -v sudo >/dev/null 2>&1; then
        die "installing $* needs root, and sudo is not installed; run this script as root, install sudo, or install the packages yourself"
    fi
}

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    else
        sudo "$@"
    fi
}

# True when the Debian package $1 is installed.
package_installed() {
    local status
    status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || return 1
    [[ $status == "install ok installed" ]]
}

# ensure_packages PKG... — installs only the packages that are missing.
ensure_packages() {
    if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
        log "warning: not a Debian/Ubuntu system (no dpkg-query/apt-get); cannot check packages."
        log "         Make sure these (or your distribution's equivalents) are installed: $*"
        return 0
    fi
    local missing=() pkg
    for pkg in "$@"; do
        package_installed "$pkg" || missing+=("$pkg")
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        return 0
    fi
    require_root_or_sudo "${missing[*]}"
    log "Installing missing packages: ${missing[*]}"
    # apt's output goes to a log; its tail is shown only if something fails.
    local aptlog
    aptlog=$(mktemp "${TMPDIR:-/tmp}/tessera-apt.XXXXXX.log")
    if [[ $_TESSERA_APT_UPDATED -eq 0 ]]; then
        if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get update >>"$aptlog" 2>&1; then
            tail -n 20 "$aptlog" >&2
            die "apt-get update failed (log: $aptlog); check the network and /etc/apt/sources.list"
        fi
        _TESSERA_APT_UPDATED=1
    fi
    if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >>"$aptlog" 2>&1; then
        tail -n 20 "$aptlog" >&2
        die "could not install: ${missing[*]} (apt-get install failed; log: $aptlog)"
    fi
    rm -f "$aptlog"
    for pkg in "${missing[@]}"; do
        package_installed "$pkg" || die "package $pkg is still not installed after apt-get install"
    done
}

# ensure_swift — `swift` on PATH, falling back to /opt/swift/usr/bin.
ensure_swift() {
    if command -v swift >/dev/null 2>&1; then
        return 0
    fi
    if [[ -x /opt/swift/usr/bin/swift ]]; then
        export PATH="/opt/swift/usr/bin:$PATH"
        log "Using the Swift toolchain in /opt/swift/usr/bin (it was not on PATH)."
        return 0
    fi
    die "swift not found: install a Swift 6 toolchain (https://www.swift.org/install/linux/) and put its usr/bin on PATH (or unpack it at /opt/swift)"
}

# ensure_build_deps — system packages for building and testing, and swift.
ensure_build_deps() {
    ensure_packages "${TESSERA_BUILD_PACKAGES[@]}"
    ensure_swift
}

# ensure_test_servers — the servers the backend tests start on loopback:
# moto's S3 server (PyPI `moto[server]`, with boto3) and `rclone serve restic`.
ensure_test_servers() {
    ensure_packages rclone
    if ! command -v python3 >/dev/null 2>&1; then
        ensure_packages python3 python3-pip
    fi
    if ! python3 -c 'import moto.server, boto3, flask' >/dev/null 2>&1; then
        log "Installing moto[server] with pip (the S3 tests run against it)..."
        # Debian's own Python refuses system-wide installs without the flag.
        python3 -m pip install --quiet 'moto[server]' \
            || python3 -m pip install --quiet --break-system-packages 'moto[server]' \
            || die "could not install moto[server] with pip; install it yourself (pip install 'moto[server]')"
    fi
}
