#!/usr/bin/env bash
# Tessera — FUSE mount benchmark against `restic mount` and `borg mount`.
#
# A script that prints a table, never a timed test. The corpus (the same one
# as backup-restore.sh) is backed up once by each tool (tessera, restic,
# borg; not timed for the table), then each tool's snapshot is mounted and
# measured. Every measurement gets a FRESH mount process, and the kernel's
# caches are dropped (sync; echo 3 > /proc/sys/vm/drop_caches) before the
# mount starts and again before the measured command, so every read is cold:
#
#   first listing     from starting the mount command to the first `ls` of
#                     the snapshot's top folder that lists something (polled
#                     every 10 ms)
#   find              `find` over the whole snapshot: wall time and entry
#                     count (the list is compared with the corpus's)
#   cp -a             copy of the whole snapshot into an empty folder, then
#                     `diff -r` against the corpus; plus, for tessera, the
#                     wall time of `tessera restore` of the same snapshot
#   sequential read   `cat` of the corpus's largest file > /dev/null, in MB/s
#   random reads      200 reads of 4 KiB at seeded random offsets of that file
#                     (python3, os.pread; the bytes are checked too)
#   peak RSS          the mount process's VmHWM (/proc/PID/status) just before
#                     it is unmounted; the maximum over all of a tool's mounts
#
# A reference column gives find, cp -a, cat and the random reads on the
# corpus folder itself (no mount, cold caches): the machine's own limits.
#
# Mounts: tessera `tessera mount` (SIGINT unmounts), restic `restic mount`
# (SIGINT), borg `borg mount -f` (`borg umount`). A mount that exits or is not
# ready within BENCH_MOUNT_TIMEOUT is marked FAILED, and so is a measurement
# that fails; the run goes on. Mounts left over (by a crash, or a previous
# run) are killed and lazily unmounted (fusermount3 -u -z), on exit too.
#
# Environment:
#   BENCH_DIR            work folder (default /tmp/tessera-bench, shared with
#                        backup-restore.sh: do not run both at once);
#                        results-mount.md and logs-mount/ stay there, the
#                        rest is removed at the end unless BENCH_KEEP=1
#   BENCH_QUICK=1        small corpus (~400 MB) for a quick run
#   BENCH_LARGE_SRC      large-files source, ':'-separated folders
#                        (default /opt/swift; quick:
#                        /opt/swift/usr/lib/swift/linux:/opt/swift/usr/lib/swift_static)
#   BENCH_SMALL_SRC      many-small-files source (default /usr/share; quick:
#                        /usr/share/man)
#   BENCH_TOOLS          which tools, in order (default "tessera restic borg");
#                        ratios are tessera against restic
#   TESSERA_BIN          tessera binary (default: .build/release/tessera,
#                        built here with swift_build_release; when
#                        TESSERA_BIN is set, nothing is built)
#   BENCH_TIMEOUT        seconds before one measured command or backup is
#                        killed (default 3600)
#   BENCH_MOUNT_TIMEOUT  seconds a mount has to become ready (default 300)
#   BENCH_READS          number of random reads (default 200)
#   BENCH_SEED           seed of the random offsets (default 42)
#   BENCH_REFERENCE=0    skip the reference column: find, cp -a, cat and the
#                        random reads on the corpus folder itself, cold
#   BENCH_KEEP=1         keep corpus, repositories and caches after the run
#
# Needs root (or sudo) for drop_caches and FUSE; without it the caches stay
# warm and the report says so.
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/lib/deps.sh
source "$ROOT/scripts/lib/deps.sh"
# shellcheck source=scripts/lib/timeit.sh
source "$ROOT/scripts/lib/timeit.sh"
# shellcheck source=scripts/lib/corpus.sh
source "$ROOT/scripts/lib/corpus.sh"
# shellcheck source=scripts/lib/bench-tools.sh
source "$ROOT/scripts/lib/bench-tools.sh"

# ---------------------------------------------------------------- settings --

BENCH_DIR=${BENCH_DIR:-/tmp/tessera-bench}
BENCH_QUICK=${BENCH_QUICK:-0}
BENCH_TOOLS=${BENCH_TOOLS:-"tessera restic borg"}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-3600}
BENCH_MOUNT_TIMEOUT=${BENCH_MOUNT_TIMEOUT:-300}
BENCH_READS=${BENCH_READS:-200}
BENCH_SEED=${BENCH_SEED:-42}
BENCH_KEEP=${BENCH_KEEP:-0}
BENCH_REFERENCE=${BENCH_REFERENCE:-1}
corpus_defaults
corpus_check_bench_dir
# /proc/mounts escapes blanks; keep the mount points plain.
[[ $BENCH_DIR != *[[:space:]]* ]] || die "BENCH_DIR must not contain blanks: $BENCH_DIR"
check_bench_tools

CORPUS="$BENCH_DIR/corpus"
REPOS="$BENCH_DIR/repos"
MNTS="$BENCH_DIR/mnt"
# Copies out of the mounts and the restore land on one scratch file system
# (scratch_filesystem in scripts/lib/bench-tools.sh says why).
OUTPUT="$BENCH_DIR/output"
COPIES="$OUTPUT/copy"
RESTORE="$OUTPUT/restore"
LOGS="$BENCH_DIR/logs-mount"
RESULTS="$BENCH_DIR/results-mount.md"
TESSERA_CACHE="$BENCH_DIR/tessera-cache"
RESTIC_CACHE="$BENCH_DIR/restic-cache"
BORG_ARCHIVE="bench"
TESSERA_BIN_SOURCE=""

bench_tool_env

PYTHON=/usr/bin/python3

# Results, keyed "measurement|tool": value, note.
declare -A V N
# Per tool: the ready times of all its mounts, tessera's blobs per mount.
declare -A READY_ALL BLOBS_ALL CPU_ALL
declare -A BACKUP_OK
SETUP_LINES=()

LARGEST=""       # the corpus's largest file
LARGEST_SIZE=0
RANDOM_REF=""    # sha256 of the random reads, on the corpus
FIND_REF="$LOGS/find-reference.txt"
RANDOM_PY="$LOGS/random-reads.py"
DROP_OK=1

step() { printf '\n== %s\n' "$*" >&2; }
calc() { awk -v a="$1" -v b="$2" "BEGIN { $3 }"; } # A B AWK-PROGRAM

# ------------------------------------------------------------------ mounts --

# The mount currently running (one at a time).
MOUNT_PID=""
MOUNT_DIR=""
MOUNT_TOOL=""
MOUNT_LOG=""

is_mounted() { awk -v d="$1" '$2 == d { found = 1 } END { exit !found }' /proc/mounts; }

# Waits up to SECONDS for PID to exit; false if it is still running.
wait_pid_exit() { # PID SECONDS
    local pid=$1 deadline=$((SECONDS + $2))
    while kill -0 "$pid" 2>/dev/null; do
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
    return 0
}

# Lazily unmounts every FUSE mount left under $MNTS.
unmount_leftovers() {
    local d
    while read -r d; do
        log "  lazily unmounting a left-over mount: $d"
        fusermount3 -u -z "$d" 2>/dev/null || umount -l "$d" 2>/dev/null || true
    done < <(awk -v p="$MNTS/" 'index($2, p) == 1 { print $2 }' /proc/mounts)
}

# Starts TOOL's mount on MNT in the background (MOUNT_PID). SIGINT is reset
# to its default for the mount process (bash ignores it in background jobs),
# so tessera and restic can catch it to unmount.
start_mount() { # TOOL MNT LOG
    local tool=$1 mnt=$2 repo="$REPOS/$1"
    local -a cmd
    case "$tool" in
        tessera) cmd=("$TESSERA_BIN" --cache-dir "$TESSERA_CACHE" --json -r "$repo" mount "$mnt") ;;
        restic) cmd=(restic -r "$repo" --cache-dir "$RESTIC_CACHE" mount "$mnt") ;;
        borg) cmd=(borg mount -f "$repo::$BORG_ARCHIVE" "$mnt") ;;
    esac
    printf '%q ' "${cmd[@]}" >"$3.cmd"
    echo >>"$3.cmd"
    MOUNT_TOOL=$tool
    MOUNT_DIR=$mnt
    MOUNT_LOG=$3
    env --default-signal=INT "${cmd[@]}" >"$3" 2>&1 </dev/null &
    MOUNT_PID=$!
}

# Polls `ls -A DIR/` every 10 ms until it lists something. Sets READY_S
# (seconds since T0) or READY_ERR.
wait_ready() { # DIR T0
    local dir=$1 t0=$2 out deadline=$((SECONDS + BENCH_MOUNT_TIMEOUT))
    READY_S=""
    READY_ERR=""
    while :; do
        if out=$(timeout 10 ls -A "$dir/" 2>/dev/null) && [[ -n $out ]]; then
            READY_S=$(calc "$t0" "$EPOCHREALTIME" 'printf "%.3f", b - a')
            return 0
        fi
        if ! kill -0 "$MOUNT_PID" 2>/dev/null; then
            READY_ERR="the mount process exited before the snapshot could be listed"
            return 1
        fi
        if ((SECONDS >= deadline)); then
            READY_ERR="not ready after ${BENCH_MOUNT_TIMEOUT}s"
            return 1
        fi
        sleep 0.01
    done
}

# Records the mount's peak RSS (MOUNT_RSS_KB) and CPU time (MOUNT_CPU_S),
# unmounts it, and makes sure the process is gone and nothing stays mounted.
stop_mount() {
    MOUNT_RSS_KB=""
    MOUNT_CPU_S=""
    MOUNT_EXIT=""
    [[ -n $MOUNT_PID ]] || return 0
    local pid=$MOUNT_PID mnt=$MOUNT_DIR hz
    MOUNT_PID=""
    hz=$(getconf CLK_TCK)
    if kill -0 "$pid" 2>/dev/null; then
        MOUNT_RSS_KB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || MOUNT_RSS_KB=""
        # utime and stime are fields 14 and 15; drop "pid (comm) " first.
        MOUNT_CPU_S=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null |
            awk -v hz="$hz" '{ printf "%.2f", ($12 + $13) / hz }') || MOUNT_CPU_S=""
        if [[ $MOUNT_TOOL == borg ]]; then
            timeout 60 borg umount "$mnt" >>"$MOUNT_LOG.umount" 2>&1 || kill -INT "$pid" 2>/dev/null || true
        else
            kill -INT "$pid" 2>/dev/null || true
        fi
        if ! wait_pid_exit "$pid" 60; then
            log "  warning: the $MOUNT_TOOL mount (pid $pid) did not exit after unmounting; killing it"
            kill -TERM "$pid" 2>/dev/null || true
            wait_pid_exit "$pid" 10 || kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    MOUNT_EXIT=0
    wait "$pid" 2>/dev/null || MOUNT_EXIT=$?
    if is_mounted "$mnt"; then
        log "  warning: $mnt is still mounted; lazy unmount"
        fusermount3 -u -z "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
    fi
}

drop_caches() {
    sync
    if [[ $DROP_OK == 1 ]] && ! (echo 3 >/proc/sys/vm/drop_caches) 2>/dev/null; then
        DROP_OK=0
        log "warning: cannot write /proc/sys/vm/drop_caches (not root?); caches stay warm"
    fi
}

on_exit() {
    local status=$?
    set +e
    stop_mount
    unmount_leftovers
    if [[ $BENCH_KEEP == 1 ]]; then
        log "BENCH_KEEP=1: corpus and repositories left in $BENCH_DIR"
    else
        cleanup_big
    fi
    release_scratch_filesystem "$OUTPUT"
    if [[ $status -ne 0 ]]; then
        log "error: the benchmark stopped early (status $status); logs are in $LOGS"
    fi
}

# Removes everything big; keeps results-mount.md and logs-mount/. Mount
# points are only removed when nothing is mounted on them.
cleanup_big() {
    unmount_leftovers
    rm -rf --one-file-system "$MNTS"
    rm -rf "$CORPUS" "$REPOS" "$COPIES" "$RESTORE" "$TESSERA_CACHE" "$RESTIC_CACHE" "$BORG_BASE_DIR" \
        "$BENCH_DIR/tessera-bin"
}

# ------------------------------------------------------------------- setup --

install_deps() {
    step "Checking tools"
    local pkgs=(time coreutils findutils diffutils python3 fuse3)
    for tool in $BENCH_TOOLS; do
        case "$tool" in
            restic) pkgs+=(restic) ;;
            # borg mount needs a FUSE binding for Debian's python3.
            borg) pkgs+=(borgbackup python3-llfuse) ;;
        esac
    done
    ensure_packages "${pkgs[@]}"
    [[ -c /dev/fuse ]] || die "/dev/fuse is missing: FUSE is not available here"
}


# Runs tessera from a copy in BENCH_DIR, so that a rebuild of TESSERA_BIN
# during the run cannot mix two versions in one table.
copy_tessera_bin() {
    [[ -x $TESSERA_BIN ]] || return 0
    TESSERA_BIN_SOURCE=$TESSERA_BIN
    cp -p "$TESSERA_BIN" "$BENCH_DIR/tessera-bin"
    TESSERA_BIN="$BENCH_DIR/tessera-bin"
    log "Running a copy of $TESSERA_BIN_SOURCE (modified $(date -u -r "$TESSERA_BIN" '+%Y-%m-%d %H:%M:%S UTC'))."
}

# Runs one setup command under timeit; logs and records its wall time.
setup_op() { # TOOL NAME CMD...
    local tool=$1 name=$2
    shift 2
    local base
    base="$LOGS/setup-$tool-$name"
    printf '%q ' "$@" >"$base.cmd"
    echo >>"$base.cmd"
    local status=0 wall cpu rss
    timeit "$base.time" "$base.log" timeout --kill-after=60 "$BENCH_TIMEOUT" "$@" || status=$?
    read -r wall cpu rss < <(timeit_parse "$base.time")
    if [[ $status -ne 0 && ! ($name == backup && (($tool == borg && $status -eq 1) || ($tool != borg && $status -eq 3))) ]]; then
        log "[$tool] $name: FAILED (exit $status); last lines of $base.log:"
        tail -n 15 "$base.log" | sed 's/^/    /' >&2
        SETUP_LINES+=("$tool $name: FAILED (exit $status)")
        return 1
    fi
    log "[$tool] $name: $wall s wall, $cpu s CPU, $rss MiB peak RSS"
    local warn=""
    [[ $status -eq 0 ]] || warn=" (exit $status: warnings)"
    SETUP_LINES+=("$tool $name: $wall s wall, $cpu s CPU, $rss MiB peak RSS$warn")
    return 0
}

backup_tool() { # TOOL
    local tool=$1 repo="$REPOS/$1"
    step "$tool: init and backup (not part of the table)"
    rm -rf "${REPOS:?}/$tool"
    BACKUP_OK[$tool]=0
    if [[ $tool == tessera && ! -x $TESSERA_BIN ]]; then
        SETUP_LINES+=("tessera: no binary at $TESSERA_BIN")
        return 0
    fi
    case "$tool" in
        tessera)
            setup_op tessera init "$TESSERA_BIN" --cache-dir "$TESSERA_CACHE" -r "$repo" init &&
                setup_op tessera backup "$TESSERA_BIN" --cache-dir "$TESSERA_CACHE" -r "$repo" backup -q "$CORPUS" &&
                BACKUP_OK[$tool]=1 ;;
        restic)
            setup_op restic init restic -r "$repo" --cache-dir "$RESTIC_CACHE" init --repository-version 2 &&
                setup_op restic backup restic -r "$repo" --cache-dir "$RESTIC_CACHE" --compression auto backup -q "$CORPUS" &&
                BACKUP_OK[$tool]=1 ;;
        borg)
            setup_op borg init borg init -e repokey-blake2 "$repo" &&
                setup_op borg backup borg create --compression "zstd,3" "$repo::$BORG_ARCHIVE" "$CORPUS" &&
                BACKUP_OK[$tool]=1 ;;
    esac
    return 0
}

# The corpus's largest file, the expected `find` list, the expected bytes of
# the random reads.
prepare_references() {
    step "Reference data from the corpus"
    local line
    # The biggest size; the first path in sort order among equals.
    line=$(find "$CORPUS" -type f -printf '%s %p\n' |
        awk '{ s = $1 + 0; p = substr($0, length($1) + 2) }
             s > best || (s == best && p < path) { best = s; path = p }
             END { print best, path }')
    LARGEST=${line#* }
    LARGEST_SIZE=${line%% *}
    log "  largest file: ${LARGEST#"$CORPUS"/} ($(mib "$LARGEST_SIZE") MiB)"

    # What `find SNAPSHOT/ -printf '%P\n'` should print: the snapshot root
    # (empty line), the corpus's parent folders, then the corpus.
    local -a comps
    local p="" i
    IFS=/ read -r -a comps <<<"${CORPUS#/}"
    {
        echo
        for ((i = 0; i < ${#comps[@]} - 1; i++)); do
            p=${p:+$p/}${comps[i]}
            echo "$p"
        done
        (cd / && find "${CORPUS#/}")
    } | sort >"$FIND_REF"
    log "  expected find entries: $(wc -l <"$FIND_REF")"

    write_random_py
    RANDOM_REF=$(random_reads "$LARGEST" | cut -d' ' -f2)
}

# Writes $RANDOM_PY: `python3 RANDOM_PY FILE SIZE SEED COUNT` prints
# "SECONDS SHA256" for COUNT reads of 4 KiB at offsets drawn from
# random.Random(SEED) below SIZE (the corpus file's size), timed from the
# open to the last read.
write_random_py() {
    cat >"$RANDOM_PY" <<'EOF'
import hashlib, os, random, sys, time
path, size, seed, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(seed)
offsets = [rng.randrange(0, max(1, size - 4096 + 1)) for _ in range(count)]
digest = hashlib.sha256()
start = time.perf_counter()
fd = os.open(path, os.O_RDONLY)
try:
    for offset in offsets:
        digest.update(os.pread(fd, 4096, offset))
finally:
    os.close(fd)
print("%.4f %s" % (time.perf_counter() - start, digest.hexdigest()))
EOF
}
random_reads() { # FILE
    "$PYTHON" "$RANDOM_PY" "$1" "$LARGEST_SIZE" "$BENCH_SEED" "$BENCH_READS"
}

# ------------------------------------------------------------ measurements --

# Runs CMD with a time limit, output to LOG; sets T_WALL (s) and T_STATUS.
run_timed() { # LOG CMD...
    local logf=$1 t0 t1
    shift
    T_STATUS=0
    t0=$EPOCHREALTIME
    timeout --foreground --kill-after=30 "$BENCH_TIMEOUT" "$@" >"$logf" 2>&1 || T_STATUS=$?
    t1=$EPOCHREALTIME
    T_WALL=$(calc "$t0" "$t1" 'printf "%.3f", b - a')
}

snapshot_dir() { # TOOL MNT — the snapshot's root inside the mount
    case "$1" in
        tessera | restic) echo "$2/snapshots/latest" ;;
        borg) echo "$2" ;;
    esac
}

fail_cell() { # KEY NOTE
    V[$1]="FAILED"
    N[$1]=$2
    log "  ${1#*|} ${1%%|*}: FAILED ($2)"
}

measure_find() { # TOOL SNAP BASE
    local tool=$1 snap=$2 base=$3 key="find|$1"
    run_timed "$base.log" find "$snap/" -fprintf "$base.list" '%P\n'
    if [[ $T_STATUS -ne 0 ]]; then
        fail_cell "$key" "find exit $T_STATUS, see logs-mount/$(basename "$base").log"
        return
    fi
    V[$key]=$T_WALL
    V["count|$tool"]=$(wc -l <"$base.list")
    local differ
    differ=$(sort "$base.list" | comm -3 "$FIND_REF" - | wc -l)
    if [[ $differ -ne 0 ]]; then
        N["count|$tool"]="$differ entries differ from the corpus (logs-mount/$(basename "$base").list)"
    fi
    log "  find: $T_WALL s, ${V["count|$tool"]} entries"
}

measure_cp() { # TOOL SNAP BASE
    local tool=$1 snap=$2 base=$3 key="cp|$1" dest="$COPIES/$1"
    rm -rf "$dest"
    mkdir -p "$dest"
    run_timed "$base.log" cp -a "$snap/." "$dest/"
    if [[ $T_STATUS -ne 0 ]]; then
        # cp -a also fails when it cannot keep an attribute; the data may be
        # complete: diff decides, the note tells.
        N[$key]="cp exit $T_STATUS ($(grep -c . "$base.log") error lines, see logs-mount/$(basename "$base").log)"
    fi
    V[$key]=$T_WALL
    if [[ ! -d $dest$CORPUS ]]; then
        fail_cell "$key" "nothing copied; cp exit $T_STATUS"
        V["diff|$tool"]="-"
    elif diff -r --no-dereference -q "$CORPUS" "$dest$CORPUS" >"$base.diff" 2>&1; then
        V["diff|$tool"]="identical"
    else
        V["diff|$tool"]="MISMATCH"
        N["diff|$tool"]="$(wc -l <"$base.diff") diff lines, see logs-mount/$(basename "$base").diff"
        log "  cp -a copy differs from the corpus; first lines:"
        head -n 5 "$base.diff" | sed 's/^/    /' >&2
    fi
    log "  cp -a: $T_WALL s (exit $T_STATUS), diff -r: ${V["diff|$tool"]}"
    rm -rf "$dest"
}

measure_seq() { # TOOL SNAP BASE
    local tool=$1 snap=$2 base=$3 key="seq|$1"
    # shellcheck disable=SC2016 # $1 is for the inner bash
    run_timed "$base.log" bash -c 'cat -- "$1" >/dev/null' _ "$snap$LARGEST"
    if [[ $T_STATUS -ne 0 ]]; then
        fail_cell "$key" "cat exit $T_STATUS, see logs-mount/$(basename "$base").log"
        return
    fi
    V[$key]=$(calc "$LARGEST_SIZE" "$T_WALL" 'printf "%.1f", a / 1e6 / b')
    V["seqwall|$tool"]=$T_WALL
    log "  cat: $T_WALL s, ${V[$key]} MB/s"
}

measure_rand() { # TOOL SNAP BASE
    local tool=$1 snap=$2 base=$3 key="rand|$1" out
    run_timed "$base.log" "$PYTHON" "$RANDOM_PY" "$snap$LARGEST" "$LARGEST_SIZE" "$BENCH_SEED" "$BENCH_READS"
    out=$(tail -n 1 "$base.log")
    if [[ $T_STATUS -ne 0 || $out != *" "* ]]; then
        fail_cell "$key" "python exit $T_STATUS, see logs-mount/$(basename "$base").log"
        return
    fi
    V[$key]=${out%% *}
    if [[ ${out#* } != "$RANDOM_REF" ]]; then
        N[$key]="the bytes read differ from the corpus file's"
        V[$key]="${V[$key]} (WRONG DATA)"
    fi
    log "  random reads: ${V[$key]} s"
}

# One fresh mount of TOOL for one measurement (listing find cp seq rand).
session() { # TOOL KIND
    local tool=$1 kind=$2 mnt="$MNTS/$1" base="$LOGS/$1-$2" t0 snap
    log "[$tool] $kind: fresh mount"
    stop_mount
    if is_mounted "$mnt"; then
        fusermount3 -u -z "$mnt" 2>/dev/null || true
    fi
    mkdir -p "$mnt"
    if [[ -n $(ls -A "$mnt") ]]; then
        fail_cell "$kind|$tool" "mount point $mnt is not empty"
        return
    fi
    snap=$(snapshot_dir "$tool" "$mnt")
    drop_caches
    t0=$EPOCHREALTIME
    start_mount "$tool" "$mnt" "$base.mount.log"
    if ! wait_ready "$snap" "$t0"; then
        fail_cell "$kind|$tool" "mount: $READY_ERR; see logs-mount/$(basename "$base").mount.log"
        stop_mount
        tail -n 10 "$base.mount.log" | sed 's/^/    /' >&2
        return
    fi
    READY_ALL[$tool]="${READY_ALL[$tool]:-} $READY_S"
    log "  snapshot listed after $READY_S s"
    if [[ $kind == listing ]]; then
        V["listing|$tool"]=$READY_S
    else
        drop_caches
        "measure_$kind" "$tool" "$snap" "$base"
    fi
    stop_mount
    if [[ -n $MOUNT_RSS_KB ]]; then
        local mib_rss
        mib_rss=$(calc "$MOUNT_RSS_KB" 0 'printf "%.1f", a / 1024')
        if [[ -z ${V["rss|$tool"]:-} ]] || calc "$mib_rss" "${V["rss|$tool"]}" 'exit !(a > b)'; then
            V["rss|$tool"]=$mib_rss
        fi
        CPU_ALL[$tool]="${CPU_ALL[$tool]:-} $kind=${MOUNT_CPU_S}s"
        log "  mount process: peak RSS $mib_rss MiB, CPU ${MOUNT_CPU_S} s, exit $MOUNT_EXIT"
    else
        log "  mount process had exited before unmounting (exit $MOUNT_EXIT)"
        N["rss|$tool"]="a mount process exited on its own (see logs)"
    fi
    if [[ $tool == tessera ]]; then
        local blobs
        blobs=$(sed -n -E 's/.*"blobs_loaded" *: *([0-9]+).*/\1/p' "$base.mount.log" | tail -n 1)
        BLOBS_ALL[$tool]="${BLOBS_ALL[$tool]:-} $kind=${blobs:-?}"
        if [[ $MOUNT_EXIT != 0 ]]; then
            N["exit|$tool"]="${N["exit|$tool"]:-}$kind: exit $MOUNT_EXIT; "
        fi
    fi
}

tessera_restore() {
    local target="$RESTORE/tessera" base="$LOGS/tessera-restore"
    step "tessera: restore of the same snapshot (for the cp -a target)"
    rm -rf "$target"
    mkdir -p "$target"
    drop_caches
    local status=0 wall cpu rss
    timeit "$base.time" "$base.log" timeout --kill-after=60 "$BENCH_TIMEOUT" \
        "$TESSERA_BIN" --cache-dir "$TESSERA_CACHE" -r "$REPOS/tessera" restore latest --target "$target" || status=$?
    read -r wall cpu rss < <(timeit_parse "$base.time")
    if [[ $status -ne 0 ]]; then
        fail_cell "restore|tessera" "exit $status, see logs-mount/tessera-restore.log"
    else
        V["restore|tessera"]=$wall
        if ! diff -r --no-dereference -q "$CORPUS" "$target$CORPUS" >"$base.diff" 2>&1; then
            N["restore|tessera"]="restored tree differs from the corpus (logs-mount/tessera-restore.diff)"
        fi
        log "  restore: $wall s wall, $cpu s CPU, $rss MiB peak RSS"
    fi
    rm -rf "$target"
}

# The same find, cp -a, cat and random reads on the corpus folder itself,
# caches dropped before each: what this machine's disk and kernel allow.
measure_local() {
    local base="$LOGS/local" dest="$COPIES/local"
    step "Reference: the corpus folder itself (no mount; cold caches)"
    drop_caches
    run_timed "$base-find.log" find "$CORPUS/" -fprintf "$base-find.list" '%P\n'
    V["find|local"]=$T_WALL
    [[ $T_STATUS -eq 0 ]] || V["find|local"]="FAILED"
    log "  find: ${V["find|local"]} s"
    rm -rf "$dest"
    mkdir -p "$dest"
    drop_caches
    run_timed "$base-cp.log" cp -a "$CORPUS/." "$dest/"
    V["cp|local"]=$T_WALL
    [[ $T_STATUS -eq 0 ]] || V["cp|local"]="FAILED"
    log "  cp -a: ${V["cp|local"]} s"
    rm -rf "$dest"
    drop_caches
    measure_seq local "" "$base-seq"
    drop_caches
    measure_rand local "" "$base-rand"
}

measure_tool() { # TOOL
    local tool=$1 kind
    step "$tool: mount measurements (a fresh mount each, cold caches)"
    if [[ ${BACKUP_OK[$tool]:-0} != 1 ]]; then
        for kind in listing find cp seq rand rss; do
            fail_cell "$kind|$tool" "no backup to mount"
        done
        return
    fi
    for kind in listing find cp seq rand; do
        session "$tool" "$kind"
    done
    if [[ $tool == tessera ]]; then
        tessera_restore
    fi
}

# ----------------------------------------------------------------- report --

has_tool() { [[ " $BENCH_TOOLS " == *" $1 "* ]]; }
num() { [[ ${1:-} =~ ^[0-9]+(\.[0-9]+)?$ ]]; }

# "restic / tessera" as "N.N× faster" (or slower), for times.
speedup() { # KEY
    local t=${V["$1|tessera"]:-} r=${V["$1|restic"]:-}
    if num "$t" && num "$r" && calc "$t" 0 'exit !(a > 0)'; then
        calc "$r" "$t" 'x = a / b; if (x >= 1) printf "%.1f× faster", x; else printf "%.1f× slower", 1 / x'
    else
        echo "-"
    fi
}

# Prints "yes"/"no"/"-" for an awk condition on A (tessera) and B.
check() { # A B CONDITION
    if num "$1" && num "$2"; then
        if calc "$1" "$2" "exit !($3)"; then echo "yes"; else echo "**no**"; fi
    else
        echo "-"
    fi
}

# One table row: LABEL, the three tools' cells for KEY, the corpus folder's
# (reference) cell, RATIO, TARGET, MET.
row() { # LABEL KEY RATIO TARGET MET
    local label=$1 key=$2 cells=() tool
    for tool in tessera restic borg; do
        if has_tool "$tool"; then
            cells+=("${V["$key|$tool"]:-FAILED}")
        else
            cells+=("not run")
        fi
    done
    if [[ $BENCH_REFERENCE == 1 ]]; then
        cells+=("${V["$key|local"]:--}")
    else
        cells+=("not run")
    fi
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" "${cells[@]}" "$3" "$4" "$5"
}

# "yes" when every tool's cell KEY equals VALUE and has no note.
all_equal() { # KEY VALUE
    local tool
    for tool in $BENCH_TOOLS; do
        if [[ ${V["$1|$tool"]:-} != "$2" || -n ${N["$1|$tool"]:-} ]]; then
            echo "**no**"
            return
        fi
    done
    echo "yes"
}

write_report() {
    local cpu_model mem_gib expected
    cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
    mem_gib=$(awk '/^MemTotal/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo 2>/dev/null || true)
    expected=$(wc -l <"$FIND_REF")
    V["restore|restic"]="-"
    V["restore|borg"]="-"

    local t_list=${V["listing|tessera"]:-} t_find=${V["find|tessera"]:-} r_find=${V["find|restic"]:-}
    local t_cp=${V["cp|tessera"]:-} r_cp=${V["cp|restic"]:-} t_restore=${V["restore|tessera"]:-}
    local t_seq=${V["seq|tessera"]:-} r_seq=${V["seq|restic"]:-}
    local t_rss=${V["rss|tessera"]:-} r_rss=${V["rss|restic"]:-}
    local ratio_rss="-" ratio_seq="-" cp_restore="-" met_cp m1 m2
    if num "$t_rss" && num "$r_rss"; then
        ratio_rss=$(calc "$t_rss" "$r_rss" 'printf "%.2f× restic", a / b')
    fi
    if num "$t_seq" && num "$r_seq"; then
        ratio_seq=$(calc "$t_seq" "$r_seq" 'printf "%.1f× restic", a / b')
    fi
    if num "$t_cp" && num "$t_restore"; then
        cp_restore=$(calc "$t_cp" "$t_restore" 'printf "%.2f", a / b')
    fi
    m1=$(check "$r_cp" "$t_cp" 'a >= 2 * b')
    m2=$(check "$cp_restore" 1.5 'a <= b')
    met_cp="$m1 / $m2"

    {
        echo "# Tessera mount benchmark"
        echo
        echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
        echo "- machine: $(nproc) cores (${cpu_model:-unknown CPU}), ${mem_gib:-?} GiB RAM, $(uname -sr); load average at start $LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg)"
        echo "- corpus: $CORPUS_DESC"
        echo "  - large files: \`$BENCH_LARGE_SRC\`; small files: \`$BENCH_SMALL_SRC\`$([[ $BENCH_QUICK == 1 ]] && echo " (BENCH_QUICK=1)")"
        echo "  - largest file: \`${LARGEST#"$CORPUS"/}\`, $(mib "$LARGEST_SIZE") MiB"
        for tool in $BENCH_TOOLS; do
            echo "- $(tool_version "$tool")"
        done
        if [[ -n $TESSERA_BIN_SOURCE ]]; then
            echo "  - tessera ran from a copy of \`$TESSERA_BIN_SOURCE\` taken at the start"
        fi
        echo "- settings: tessera defaults (local repository: no disk cache); restic repository v2, \`--compression auto\`; borg \`repokey-blake2\`, \`--compression zstd,3\`, \`borg mount -f\`"
        if [[ $DROP_OK == 1 ]]; then
            echo "- each measurement in a fresh mount process; \`sync; echo 3 > /proc/sys/vm/drop_caches\` before starting the mount and again before the measured command"
        else
            echo "- each measurement in a fresh mount process; **caches NOT dropped** (no permission): warm-cache figures"
        fi
        echo "- wall times from bash \`\$EPOCHREALTIME\`; random reads timed inside python3 (open + $BENCH_READS × os.pread of 4 KiB, seed $BENCH_SEED); MB/s = 10^6 B/s; tessera restore under \`/usr/bin/time -v\`"
        echo
        echo "| measurement | tessera | restic | borg | corpus folder (reference, no mount) | tessera vs restic | target | met |"
        echo "| --- | ---: | ---: | ---: | ---: | --- | --- | --- |"
        row "first listing (s)" listing "$(speedup listing)" "≤ 0.5 s" "$(check "$t_list" 0.5 'a <= b')"
        row "find, whole snapshot (s)" find "$(speedup find)" "≥ 5× faster" "$(check "$r_find" "$t_find" 'a >= 5 * b')"
        row "find: entries (corpus: $expected)" count "-" "same list" "$(all_equal count "$expected")"
        row "cp -a, whole snapshot (s)" cp "$(speedup cp); ${cp_restore}× tessera restore" "≥ 2× faster; ≤ 1.5× restore" "$met_cp"
        row "cp -a: diff -r with the corpus" diff "-" "identical" "$(all_equal diff identical)"
        row "tessera restore, same snapshot (s)" restore "-" "-" "-"
        row "sequential read, largest file (MB/s)" seq "$ratio_seq" "-" "-"
        row "$BENCH_READS random 4 KiB reads (s)" rand "$(speedup rand)" "-" "-"
        row "mount peak RSS, max over its mounts (MiB)" rss "$ratio_rss" "≤ 0.5× restic" "$(check "$t_rss" "$r_rss" 'a <= 0.5 * b')"
        bounds
        echo
        echo "Every mount's first listing (s), in the order listing, find, cp, seq, rand:"
        echo
        for tool in $BENCH_TOOLS; do
            echo "- $tool:${READY_ALL[$tool]:- none}"
        done
        echo
        echo "CPU time of the mount process, per mount:"
        echo
        for tool in $BENCH_TOOLS; do
            echo "- $tool:${CPU_ALL[$tool]:- none}"
        done
        if has_tool tessera; then
            echo "- tessera blobs loaded per mount (\`--json\` summary):${BLOBS_ALL[tessera]:- none}"
        fi
        local key notes=()
        for key in "${!N[@]}"; do
            notes+=("${key#*|} / ${key%%|*}: ${N[$key]}")
        done
        if [[ ${#notes[@]} -gt 0 ]]; then
            echo
            echo "Notes:"
            echo
            printf '%s\n' "${notes[@]}" | sort | sed 's/^/- /'
        fi
        echo
        echo "Setup (not part of the table):"
        echo
        printf '%s\n' "${SETUP_LINES[@]}" | sed 's/^/- /'
    } >"$RESULTS"
}

# What the corpus folder itself (no mount) reaches on this machine in the
# same run, next to the two relative targets: when a plain folder cannot meet
# a target, no mount can.
bounds() {
    local l_cp=${V["cp|local"]:-} l_find=${V["find|local"]:-} t_restore=${V["restore|tessera"]:-}
    local r_find=${V["find|restic"]:-}
    num "$l_cp" || num "$l_find" || return 0
    echo
    echo "The machine's own bounds, same run (corpus folder, no mount, cold caches):"
    echo
    if num "$l_cp" && num "$t_restore"; then
        echo "- cp -a of the corpus folder: $l_cp s, $(calc "$l_cp" "$t_restore" 'printf "%.2f", a / b')× the tessera restore (the mount's target: ≤ 1.5×)"
    fi
    if num "$l_find" && num "$r_find"; then
        echo "- find over the corpus folder: $l_find s; the find target (5× restic's $r_find s) asks for $(calc "$r_find" 0 'printf "%.3f", a / 5') s"
    fi
}

# ------------------------------------------------------------------- main --

main() {
    mkdir -p "$BENCH_DIR"
    LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
    rm -rf "$LOGS" "$RESULTS"
    mkdir -p "$LOGS"
    cleanup_big
    scratch_filesystem "$OUTPUT" 12G
    SETUP_LINES+=("copies and restores written to: $SCRATCH_FS")
    mkdir -p "$REPOS" "$MNTS" "$COPIES" "$RESTORE"
    trap on_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    log "Mount benchmark work folder: $BENCH_DIR (tools: $BENCH_TOOLS)"

    install_deps
    if has_tool tessera; then
        build_tessera
    fi
    TESSERA_BIN=${TESSERA_BIN:-$ROOT/.build/release/tessera}
    if has_tool tessera; then
        copy_tessera_bin
    fi

    build_corpus
    prepare_references

    local tool
    for tool in $BENCH_TOOLS; do
        backup_tool "$tool"
    done
    for tool in $BENCH_TOOLS; do
        measure_tool "$tool"
    done
    if [[ $BENCH_REFERENCE == 1 ]]; then
        measure_local
    fi

    write_report
    echo
    cat "$RESULTS"
    log ""
    log "Results written to $RESULTS (logs in $LOGS)."
}

main "$@"
