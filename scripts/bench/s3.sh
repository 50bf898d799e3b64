#!/usr/bin/env bash
# Tessera — backup and restore of a corpus to S3, tessera against restic.
#
# Both tools talk to one moto S3 server on loopback
# (scripts/testing/moto-s3-server.py) through the counting proxy
# (scripts/testing/fault-proxy.py with no faults), which counts the HTTP
# requests each step sends, by method; restic reports none itself. moto runs
# without signature checks here (MOTO_CHECK_SIGNATURES=0): restic's client
# sends query values that moto's check wrongly refuses. moto and the proxy
# are Python: they cap the throughput, equally for both tools, so the
# figures compare the clients' work and request counts, not S3's speed.
#
# Each tool gets a fresh bucket and runs, under /usr/bin/time -v:
#   init, backup of the corpus, restore into an empty folder (compared with
#   the corpus by diff -r).
# Prints a Markdown table (wall seconds, CPU seconds, peak RSS, requests by
# method) and writes it to $BENCH_DIR/s3-results.md.
#
# Environment:
#   BENCH_DIR       work folder (default /tmp/tessera-bench-s3)
#   BENCH_SRC       the corpus, ':'-separated folders (default /usr/share/man)
#   BENCH_TOOLS     default "tessera restic"
#   TESSERA_BIN     tessera binary to measure (default: built here with
#                   swift_build_release, log in logs/tessera-build.log)
#   BENCH_CONNECTIONS  tessera --connections and restic -o s3.connections (default 5)
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/lib/deps.sh
source "$ROOT/scripts/lib/deps.sh"
# shellcheck source=scripts/lib/timeit.sh
source "$ROOT/scripts/lib/timeit.sh"
# shellcheck source=scripts/lib/bench-tools.sh
source "$ROOT/scripts/lib/bench-tools.sh"

BENCH_DIR=${BENCH_DIR:-/tmp/tessera-bench-s3}
BENCH_SRC=${BENCH_SRC:-/usr/share/man}
BENCH_TOOLS=${BENCH_TOOLS:-"tessera restic"}
BENCH_CONNECTIONS=${BENCH_CONNECTIONS:-5}
case "$BENCH_DIR" in
    "" | / | /tmp | /root | /home | /usr | /opt | /var) die "BENCH_DIR=$BENCH_DIR is too broad" ;;
esac

ensure_packages time
ensure_test_servers
if [[ $BENCH_TOOLS == *restic* ]]; then ensure_packages restic; fi

release_scratch_filesystem "$BENCH_DIR/restore"
rm -rf "$BENCH_DIR"
mkdir -p "$BENCH_DIR"/{logs,restore}
LOGS="$BENCH_DIR/logs"
# Built here (an up-to-date release build) unless TESSERA_BIN names a binary.
build_tessera
# Restores go to a fresh journaled ext4 when we may mount one (see
# scratch_filesystem in scripts/lib/bench-tools.sh for why).
scratch_filesystem "$BENCH_DIR/restore" 8G
restore_fs=$SCRATCH_FS
CORPUS="$BENCH_DIR/corpus"
mkdir -p "$CORPUS"
IFS=: read -r -a sources <<<"$BENCH_SRC"
for source in "${sources[@]}"; do cp -a "$source" "$CORPUS/"; done
corpus_bytes=$(du -sb "$CORPUS" | cut -f1)
corpus_files=$(find "$CORPUS" -type f | wc -l)

# The servers stop when these descriptors close (at exit).
mkfifo "$BENCH_DIR/moto.in" "$BENCH_DIR/proxy.in"
MOTO_CHECK_SIGNATURES=0 python3 "$ROOT/scripts/testing/moto-s3-server.py" <"$BENCH_DIR/moto.in" >"$BENCH_DIR/moto.json" 2>"$BENCH_DIR/logs/moto.log" &
moto_pid=$!
exec 7>"$BENCH_DIR/moto.in"
for _ in $(seq 100); do [[ -s $BENCH_DIR/moto.json ]] && break; sleep 0.2; done
upstream=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoint"])' "$BENCH_DIR/moto.json")
python3 "$ROOT/scripts/testing/fault-proxy.py" "$upstream" --rate 0 <"$BENCH_DIR/proxy.in" >"$BENCH_DIR/proxy.json" 2>"$BENCH_DIR/logs/proxy.log" &
proxy_pid=$!
exec 8>"$BENCH_DIR/proxy.in"
for _ in $(seq 100); do [[ -s $BENCH_DIR/proxy.json ]] && break; sleep 0.2; done
endpoint=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoint"])' "$BENCH_DIR/proxy.json")
cleanup() {
    exec 7>&- 8>&-
    wait "$moto_pid" "$proxy_pid" 2>/dev/null || true
    release_scratch_filesystem "$BENCH_DIR/restore"
}
trap cleanup EXIT

eval "$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print("export AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_DEFAULT_REGION=%s" % (c["access_key_id"], c["secret_access_key"], c["region"]))' "$BENCH_DIR/moto.json")"
export TESSERA_PASSWORD=bench RESTIC_PASSWORD=bench

# Requests so far, by method, as "GET=12 PUT=3 ..." (asks the proxy).
requests_so_far() {
    local before
    before=$(grep -c '"requests"' "$BENCH_DIR/logs/proxy.log" || true)
    echo stats >&8
    for _ in $(seq 100); do
        [[ $(grep -c '"requests"' "$BENCH_DIR/logs/proxy.log" || true) -gt $before ]] && break
        sleep 0.05
    done
    tail -n 1 "$BENCH_DIR/logs/proxy.log" | python3 -c 'import json,sys; m=json.load(sys.stdin)["methods"]; print(" ".join(f"{k}={m[k]}" for k in sorted(m)))'
}

# The difference of two requests_so_far results: "GET 10, PUT 3 (13)".
requests_between() {
    python3 - "$1" "$2" <<'PY'
import sys
def parse(text):
    return {k: int(v) for k, v in (item.split("=") for item in text.split())}
before, after = parse(sys.argv[1]), parse(sys.argv[2])
delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
print(", ".join(f"{k} {v}" for k, v in sorted(delta.items()) if v) + f" ({sum(delta.values())})")
PY
}

rows=()
step() {  # step TOOL NAME CMD...
    local tool=$1 name=$2 before after status=0
    shift 2
    before=$(requests_so_far)
    timeit "$BENCH_DIR/logs/$tool-$name.time" "$BENCH_DIR/logs/$tool-$name.log" "$@" || status=$?
    after=$(requests_so_far)
    read -r wall cpu rss < <(timeit_parse "$BENCH_DIR/logs/$tool-$name.time")
    local result="$wall | $cpu | $rss | $(requests_between "$before" "$after")"
    [[ $status -eq 0 ]] || result="FAILED (status $status, logs/$tool-$name.log) | | |"
    rows+=("| $tool | $name | $result |")
    log "$tool $name: $result"
}

for tool in $BENCH_TOOLS; do
    bucket="bench-$tool-$RANDOM"
    repo="s3:$endpoint/$bucket"
    target="$BENCH_DIR/restore/$tool"
    case $tool in
        tessera)
            export TESSERA_CACHE_DIR="$BENCH_DIR/tessera-cache"
            step tessera init "$TESSERA_BIN" -r "$repo" init
            step tessera backup "$TESSERA_BIN" -r "$repo" --connections "$BENCH_CONNECTIONS" backup -q "$CORPUS"
            step tessera restore "$TESSERA_BIN" -r "$repo" --connections "$BENCH_CONNECTIONS" restore -q latest --target "$target"
            ;;
        restic)
            export RESTIC_CACHE_DIR="$BENCH_DIR/restic-cache"
            step restic init restic -r "$repo" init
            step restic backup restic -r "$repo" -o s3.connections="$BENCH_CONNECTIONS" backup -q "$CORPUS"
            step restic restore restic -r "$repo" -o s3.connections="$BENCH_CONNECTIONS" restore -q latest --target "$target"
            ;;
        *) die "unknown tool $tool" ;;
    esac
    if diff -r --no-dereference -q "$CORPUS" "$target$CORPUS" >"$BENCH_DIR/logs/$tool-diff.log" 2>&1; then
        log "$tool: restore identical to the corpus"
    else
        rows+=("| $tool | verify | FAILED: restore differs (logs/$tool-diff.log) | | | |")
    fi
done

{
    echo "Corpus: $BENCH_SRC ($corpus_files files, $corpus_bytes bytes); S3: moto on loopback through a counting proxy; connections: $BENCH_CONNECTIONS; restore target: $restore_fs; tessera: $TESSERA_BIN"
    echo
    echo "| tool | step | wall s | CPU s | peak RSS MiB | HTTP requests |"
    echo "| --- | --- | --- | --- | --- | --- |"
    printf '%s\n' "${rows[@]}"
} | tee "$BENCH_DIR/s3-results.md"
