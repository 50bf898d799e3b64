#!/usr/bin/env bash
# Tessera — build and run the test suite (debug). This is what CI runs.
#
#   scripts/test.sh                      # everything
#   scripts/test.sh --filter ChunkerTests  # extra arguments go to `swift test`
#
# Installs missing system packages first (apt-get). The build log goes to
# .build/test-build.log (its tail is printed if the build fails); the output
# of `swift test` goes to stdout. Exits non-zero when the build or any test
# fails.
#
# The tests get their own TMPDIR and a clean TESSERA_* environment, so they
# never pick up a real repository or password from the caller and two runs
# on one machine do not collide. Set TESSERA_KEEP_TEST_TMP=1 to keep
# the temporary directory for inspection.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib/deps.sh
source "$ROOT/scripts/lib/deps.sh"

ensure_build_deps
ensure_test_servers

mkdir -p .build
BUILD_LOG="$ROOT/.build/test-build.log"
JOBS=$(nproc 2>/dev/null || echo 2)

# One run at a time per checkout: SwiftPM would serialize on .build anyway,
# but a second run would otherwise fail confusingly half-way.
exec 9>"$ROOT/.build/test.lock"
if command -v flock >/dev/null 2>&1 && ! flock -n 9; then
    log "Another scripts/test.sh is running in $ROOT; waiting for it to finish..."
    flock 9
fi

log "Building Tessera and its tests (debug, $JOBS jobs; log: ${BUILD_LOG#"$ROOT"/})..."
start=$SECONDS
if ! swift build --build-tests --jobs "$JOBS" >"$BUILD_LOG" 2>&1; then
    log ""
    log "error: swift build failed after $((SECONDS - start)) s. Last 80 lines of $BUILD_LOG:"
    log "----------------------------------------------------------------------"
    tail -n 80 "$BUILD_LOG" >&2
    log "----------------------------------------------------------------------"
    exit 1
fi
log "Build finished in $((SECONDS - start)) s."

# Isolated environment for the tests (after the build, so SwiftPM's own
# caches are untouched): a private TMPDIR, removed afterwards, and no
# TESSERA_* variables leaking in from the caller's shell.
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/tessera-test.XXXXXX")
cleanup() {
    # A test process that crashed leaves its helpers running (mounts, servers)
    # and its mounts in place; end them first, so that the crash's own report
    # stays the last thing printed instead of rm's complaints about
    # read-only snapshots.
    pkill -KILL -f "$TEST_TMP/" 2>/dev/null || true
    # Newest mounts first (tac), so a mount inside another goes before it.
    local _device point type _rest
    while read -r _device point type _rest; do
        [[ $point == "$TEST_TMP"/* ]] || continue
        log "Unmounting $point ($type), left behind by the tests"
        if [[ $type == fuse.* ]]; then
            fusermount3 -u -z "$point" 2>/dev/null || true
        else
            umount -l "$point" 2>/dev/null || true
        fi
    done < <(tac /proc/mounts)
    if [[ "${TESSERA_KEEP_TEST_TMP:-0}" == 1 ]]; then
        log "Kept test scratch directory: $TEST_TMP"
    else
        rm -rf "$TEST_TMP"
    fi
}
trap cleanup EXIT
unset TESSERA_REPOSITORY TESSERA_PASSWORD TESSERA_PASSWORD_FILE TESSERA_PASSWORD_COMMAND TESSERA_CACHE_DIR
export TMPDIR="$TEST_TMP"

# Suites that time the real clock: they run on their own after the rest,
# since with every other suite running in the same process on two cores a
# task's sleep can end seconds late and the test would time the machine
# (the stalled-S3 test once measured its 0.5 s read timeout as 10.6 s).
# A regular expression, for both --skip and --filter.
TIMED_SUITES="BandwidthLimitOverHTTPTests|S3StalledServerTests"

start=$SECONDS
status=0
# Swift Testing reports on stderr; send it to stdout. All tests use Swift
# Testing, so XCTest is disabled (its runner would only print "Executed 0 tests").
if [[ $# -gt 0 ]]; then
    log "Running tests: swift test --skip-build --disable-xctest $*"
    swift test --skip-build --disable-xctest "$@" 2>&1 || status=$?
else
    log "Running tests: swift test --skip-build --disable-xctest --skip '$TIMED_SUITES', then --filter '$TIMED_SUITES' alone"
    swift test --skip-build --disable-xctest --skip "$TIMED_SUITES" 2>&1 || status=$?
    swift test --skip-build --disable-xctest --filter "$TIMED_SUITES" 2>&1 || status=$?
fi
if [[ $status -ne 0 ]]; then
    log "error: tests failed (swift test exited with status $status after $((SECONDS - start)) s)."
    exit "$status"
fi
log "All tests passed in $((SECONDS - start)) s."
