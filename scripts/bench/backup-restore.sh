#!/usr/bin/env bash
# Tessera — backup/restore benchmark against restic and borg.
#
# A script that prints a table, never a timed test. On one corpus, each tool
# (tessera, restic, borg) gets, in this order:
#
#   init                     create an encrypted repository
#   initial backup           back up the whole corpus
#   unchanged re-backup      back it up again, nothing changed
#   --- the corpus is changed once, deterministically, for all tools ---
#   backup after 2% change   every 50th file gets 4 KiB overwritten in its
#                            middle (or appended, if small) + a few new files
#   full restore             restore the last snapshot into an empty folder
#                            (then compared with the corpus: diff -r)
#
# Each command runs under /usr/bin/time -v: wall time, user+sys CPU and peak
# RSS are reported, plus throughput (corpus bytes / wall time, in 10^6 B/s)
# and the repository size (du -sb) after the operation. Nothing drops the
# page cache: the corpus is read once before the first tool (the "reference"
# rows, which also give the machine's own limits) and every tool works on
# the same warm data. A failing tool is marked FAILED in the table; the run
# goes on.
#
# Environment:
#   BENCH_DIR        work folder (default /tmp/tessera-bench); results.md and
#                    logs/ stay there, the corpus and repositories are removed
#                    at the end unless BENCH_KEEP=1
#   BENCH_QUICK=1    small corpus (~400 MB) for a quick run
#   BENCH_LARGE_SRC  large-files source, ':'-separated folders
#                    (default /opt/swift, the Swift toolchain, ~3.3 GB;
#                    quick: /opt/swift/usr/lib/swift/linux:/opt/swift/usr/lib/swift_static)
#   BENCH_SMALL_SRC  many-small-files source, ':'-separated (default /usr/share;
#                    quick: /usr/share/man)
#   BENCH_TOOLS      which tools, in order (default "tessera restic borg")
#   TESSERA_BIN      tessera binary (default: .build/release/tessera, built
#                    here with swift_build_release; when TESSERA_BIN is
#                    set, nothing is built)
#   BENCH_TIMEOUT    seconds before one command is killed (default 7200)
#   BENCH_VERIFY=0   skip comparing the restored tree with the corpus
#   BENCH_REFERENCE=0  skip the reference rows (tar | cat, sha256sum, zstd, cp)
#   BENCH_KEEP=1     keep corpus, repositories and caches after the run
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
BENCH_TIMEOUT=${BENCH_TIMEOUT:-7200}
BENCH_VERIFY=${BENCH_VERIFY:-1}
BENCH_REFERENCE=${BENCH_REFERENCE:-1}
BENCH_KEEP=${BENCH_KEEP:-0}
corpus_defaults
corpus_check_bench_dir
check_bench_tools

CORPUS="$BENCH_DIR/corpus"
REPOS="$BENCH_DIR/repos"
RESTORE="$BENCH_DIR/restore"
LOGS="$BENCH_DIR/logs"
RESULTS="$BENCH_DIR/results.md"
TESSERA_CACHE="$BENCH_DIR/tessera-cache"
RESTIC_CACHE="$BENCH_DIR/restic-cache"

# Passwords and tool homes: nothing from the caller's environment leaks in,
# nothing is written to the caller's home.
bench_tool_env

OPS=("init" "initial backup" "unchanged re-backup" "backup after 2% change" "full restore")

# Results, keyed "op|tool".
declare -A R_STATUS R_WALL R_CPU R_RSS R_THR R_SIZE R_NOTE
# Reference rows, in order.
REF_NAMES=()
declare -A REF_WALL REF_CPU REF_RSS REF_THR

step() { printf '\n== %s\n' "$*" >&2; }

# Removes everything big; keeps results.md and logs/.
cleanup_big() {
    rm -rf "$CORPUS" "$REPOS" "$RESTORE" "$TESSERA_CACHE" "$RESTIC_CACHE" "$BORG_BASE_DIR" \
        "$BENCH_DIR/cp-copy" "$BENCH_DIR/pool.bin"
}
on_exit() {
    local status=$?
    if [[ $BENCH_KEEP == 1 ]]; then
        log "BENCH_KEEP=1: corpus and repositories left in $BENCH_DIR"
    else
        cleanup_big
    fi
    if [[ $status -ne 0 ]]; then
        log "error: the benchmark stopped early (status $status); logs are in $LOGS"
    fi
}

mb_per_s() {
    awk -v b="$1" -v s="$2" 'BEGIN { if (s == "-" || s + 0 <= 0) print "-"; else printf "%.1f", b / 1e6 / s }'
}
dir_bytes() { du -sb "$1" 2>/dev/null | cut -f1; }

# ------------------------------------------------------------ dependencies --

install_deps() {
    step "Checking tools"
    local pkgs=(time openssl coreutils diffutils tar zstd)
    for tool in $BENCH_TOOLS; do
        case "$tool" in
            restic) pkgs+=(restic) ;;
            borg) pkgs+=(borgbackup) ;;
        esac
    done
    ensure_packages "${pkgs[@]}"
    [[ -x /usr/bin/time ]] || die "/usr/bin/time is missing even though package 'time' is installed"
}


# ------------------------------------------------------------------ corpus --

# A fixed pseudo-random byte pool (AES-256-CTR keystream of a fixed key), so
# the change is identical on every run and machine and is not compressible.
make_pool() {
    head -c $((8 * 1048576)) /dev/zero |
        openssl enc -aes-256-ctr -nosalt \
            -K bd86fd6fd4dd93b78bf713e5c05e819f9fafe6a29b891a7b88d15338da1fa859 \
            -iv 000102030405060708090a0b0c0d0e0f >"$BENCH_DIR/pool.bin"
}

# Every 50th regular file (sorted by path) gets 4 KiB of pool bytes: written
# over its middle when it has at least 8 KiB, else appended. Then a few new
# files are added.
apply_change() {
    step "Changing the corpus (every 50th file + new files; same change for every tool)"
    make_pool
    local pool="$BENCH_DIR/pool.bin" slices=2048
    local i=0 k=0 f size
    while IFS= read -r -d '' f; do
        i=$((i + 1))
        ((i % 50 == 0)) || continue
        [[ -w $f ]] || chmod u+w "$f"
        size=$(stat -c %s "$f")
        if ((size >= 8192)); then
            dd if="$pool" of="$f" bs=4096 count=1 skip=$((k % slices)) \
                seek=$((size / 2 - 2048)) oflag=seek_bytes conv=notrunc status=none
        else
            dd if="$pool" of="$f" bs=4096 count=1 skip=$((k % slices)) \
                oflag=append conv=notrunc status=none
        fi
        k=$((k + 1))
    done < <(find "$CORPUS" -type f -print0 | sort -z)

    local new="$CORPUS/bench-new" n
    mkdir -p "$new"
    for n in $(seq 1 8); do # 8 x 512 KiB
        dd if="$pool" of="$new/large-$n.bin" bs=4096 count=128 skip=$((1024 + n * 128)) status=none
    done
    for n in $(seq 1 32); do # 32 x 4 KiB
        dd if="$pool" of="$new/small-$n.bin" bs=4096 count=1 skip=$((n * 7)) status=none
    done
    rm -f "$pool"
    local old_bytes=$CORPUS_BYTES
    corpus_stats
    CHANGE_DESC="$k files modified (4 KiB each), 40 files added ($(mib $((CORPUS_BYTES - old_bytes))) MiB more in total)"
    log "  $CHANGE_DESC"
}

# ------------------------------------------------------------- reference --

reference_op() { # NAME CMD... — a machine-limit figure, in its own table
    local name=$1
    shift
    local tf="$LOGS/reference-${#REF_NAMES[@]}.time" lf="$LOGS/reference-${#REF_NAMES[@]}.log"
    REF_NAMES+=("$name")
    local wall cpu rss
    if timeit "$tf" "$lf" "$@"; then
        read -r wall cpu rss < <(timeit_parse "$tf")
        REF_WALL[$name]=$wall
        REF_CPU[$name]=$cpu
        REF_RSS[$name]=$rss
        REF_THR[$name]=$(mb_per_s "$CORPUS_BYTES" "$wall")
    else
        REF_WALL[$name]="FAILED"
        REF_CPU[$name]="-"
        REF_RSS[$name]="-"
        REF_THR[$name]="-"
    fi
    log "  $name: ${REF_WALL[$name]} s"
}

run_reference() {
    step "Reference figures (this also warms the page cache)"
    local c
    c=$(printf '%q' "$CORPUS")
    reference_op "read: tar | cat" bash -c "tar -C $c -cf - . | cat >/dev/null"
    reference_op "hash: tar | sha256sum" bash -c "tar -C $c -cf - . | sha256sum >/dev/null"
    reference_op "compress: tar | zstd -3 -T0" bash -c "tar -C $c -cf - . | zstd -q -3 -T0 >/dev/null"
    reference_op "copy: cp -a" cp -a "$CORPUS" "$BENCH_DIR/cp-copy"
    rm -rf "$BENCH_DIR/cp-copy"
}

# ------------------------------------------------------------------- tools --

# Fills CMD (and CMD_CWD) with the command for OP on TOOL.
ARCHIVE_N=0
LAST_ARCHIVE=""
tool_cmd() { # TOOL OP TARGET
    local tool=$1 op=$2 target=${3:-} repo="$REPOS/$1"
    CMD=()
    CMD_CWD=""
    case "$tool:$op" in
        tessera:init) CMD=("$TESSERA_BIN" --cache-dir "$TESSERA_CACHE" -r "$repo" init) ;;
        tessera:*backup*) CMD=("$TESSERA_BIN" --cache-dir "$TESSERA_CACHE" -r "$repo" snapshot create "$CORPUS") ;;
        tessera:"full restore") CMD=("$TESSERA_BIN" --cache-dir "$TESSERA_CACHE" -r "$repo" restore latest --target "$target") ;;
        restic:init) CMD=(restic -r "$repo" --cache-dir "$RESTIC_CACHE" init --repository-version 2) ;;
        restic:*backup*) CMD=(restic -r "$repo" --cache-dir "$RESTIC_CACHE" --compression auto backup "$CORPUS") ;;
        restic:"full restore") CMD=(restic -r "$repo" --cache-dir "$RESTIC_CACHE" restore latest --target "$target") ;;
        borg:init) CMD=(borg init -e repokey-blake2 "$repo") ;;
        borg:*backup*)
            ARCHIVE_N=$((ARCHIVE_N + 1))
            CMD=(borg create --compression "zstd,3" --stats "$repo::bench-$ARCHIVE_N" "$CORPUS") ;;
        borg:"full restore")
            CMD=(borg extract "$repo::$LAST_ARCHIVE")
            CMD_CWD=$target ;;
        *) die "internal: no command for $tool / $op" ;;
    esac
}

slug() { printf '%s' "$1" | tr -c 'a-zA-Z0-9' '-' | tr -s '-'; }

# Runs OP for TOOL under /usr/bin/time -v and records the figures.
run_op() { # TOOL OP
    local tool=$1 op=$2 key="$2|$1" target="" status=0
    local base
    base="$LOGS/$tool-$(slug "$op")"
    if [[ $tool == tessera && ! -x $TESSERA_BIN ]]; then
        R_STATUS[$key]="FAILED"
        R_NOTE[$key]="no binary at $TESSERA_BIN"
        log "[$tool] $op: FAILED (no binary at $TESSERA_BIN)"
        return 1
    fi
    if [[ $op == "full restore" ]]; then
        target="$RESTORE/$tool"
        rm -rf "$target"
        mkdir -p "$target"
        if [[ $tool == borg && -z $LAST_ARCHIVE ]]; then
            R_STATUS[$key]="FAILED"
            R_NOTE[$key]="no archive to restore"
            log "[$tool] $op: FAILED (no archive was created)"
            return 1
        fi
    fi
    tool_cmd "$tool" "$op" "$target"
    log "[$tool] $op ..."
    printf '%q ' "${CMD[@]}" >"$base.cmd"
    echo >>"$base.cmd"
    if [[ -n $CMD_CWD ]]; then
        (cd "$CMD_CWD" && timeit "$base.time" "$base.log" timeout --kill-after=60 "$BENCH_TIMEOUT" "${CMD[@]}") || status=$?
    else
        timeit "$base.time" "$base.log" timeout --kill-after=60 "$BENCH_TIMEOUT" "${CMD[@]}" || status=$?
    fi

    local wall cpu rss
    read -r wall cpu rss < <(timeit_parse "$base.time")
    R_WALL[$key]=$wall
    R_CPU[$key]=$cpu
    R_RSS[$key]=$rss
    R_THR[$key]=$(mb_per_s "$CORPUS_BYTES" "$wall")
    R_SIZE[$key]=$(mib "$(dir_bytes "$REPOS/$tool" || echo 0)")

    # restic 3 / tessera 3: finished but some files were unreadable;
    # borg 1: finished with warnings. Anything else non-zero is a failure.
    if [[ $status -eq 0 ]]; then
        R_STATUS[$key]="ok"
    elif [[ $status -eq 124 || $status -eq 137 ]]; then
        R_STATUS[$key]="FAILED"
        R_NOTE[$key]="timed out after ${BENCH_TIMEOUT}s"
    elif [[ ($tool == borg && $status -eq 1) || ($tool != borg && $status -eq 3 && $op == *backup*) ]]; then
        R_STATUS[$key]="warning"
        R_NOTE[$key]="exit $status, see logs/$(basename "$base").log"
    else
        R_STATUS[$key]="FAILED"
        R_NOTE[$key]="exit $status, see logs/$(basename "$base").log"
    fi
    if [[ $op == init || ${R_STATUS[$key]} == FAILED ]]; then
        R_THR[$key]="-"
    fi
    if [[ ${R_STATUS[$key]} == ok || ${R_STATUS[$key]} == warning ]]; then
        if [[ $tool == borg && $op == *backup* ]]; then
            LAST_ARCHIVE="bench-$ARCHIVE_N"
        fi
        log "[$tool] $op: ${R_STATUS[$key]}, $wall s wall, $cpu s CPU, $rss MiB peak RSS, repo ${R_SIZE[$key]} MiB"
    else
        log "[$tool] $op: ${R_STATUS[$key]} (exit $status). Last lines of $base.log:"
        tail -n 15 "$base.log" | sed 's/^/    /' >&2
    fi

    if [[ $op == "full restore" ]]; then
        if [[ ${R_STATUS[$key]} != FAILED && $BENCH_VERIFY == 1 ]]; then
            if diff -r --no-dereference -q "$CORPUS" "$target$CORPUS" >"$base.diff" 2>&1; then
                R_NOTE[$key]="restored tree identical (diff -r)"
            else
                R_STATUS[$key]="FAILED"
                R_THR[$key]="-"
                R_NOTE[$key]="restored tree differs: $(wc -l <"$base.diff") diff lines, see logs/$(basename "$base").diff"
                log "[$tool] restore differs from the corpus; first lines:"
                head -n 10 "$base.diff" | sed 's/^/    /' >&2
            fi
        fi
        rm -rf "$target"
    fi
    [[ ${R_STATUS[$key]} != FAILED ]]
}

# Per-tool state between phases.
declare -A TOOL_READY LAST_ARCHIVE_OF ARCHIVE_N_OF

phase_one() { # TOOL: init, initial backup, unchanged re-backup
    local tool=$1
    step "$tool: init, initial backup, unchanged re-backup"
    ARCHIVE_N=0
    LAST_ARCHIVE=""
    rm -rf "${REPOS:?}/$tool"
    mkdir -p "$REPOS"
    if run_op "$tool" "init"; then
        TOOL_READY[$tool]=1
        run_op "$tool" "initial backup" || true
        run_op "$tool" "unchanged re-backup" || true
    else
        TOOL_READY[$tool]=0
        local op
        for op in "initial backup" "unchanged re-backup"; do
            R_STATUS["$op|$tool"]="FAILED"
            R_NOTE["$op|$tool"]="${R_NOTE["init|$tool"]:-init failed}"
        done
    fi
    ARCHIVE_N_OF[$tool]=$ARCHIVE_N
    LAST_ARCHIVE_OF[$tool]=$LAST_ARCHIVE
}

phase_two() { # TOOL: backup after the change, full restore
    local tool=$1
    step "$tool: backup after the change, full restore"
    ARCHIVE_N=${ARCHIVE_N_OF[$tool]:-0}
    LAST_ARCHIVE=${LAST_ARCHIVE_OF[$tool]:-}
    if [[ ${TOOL_READY[$tool]:-0} == 1 ]]; then
        run_op "$tool" "backup after 2% change" || true
        run_op "$tool" "full restore" || true
    else
        local op
        for op in "backup after 2% change" "full restore"; do
            R_STATUS["$op|$tool"]="FAILED"
            R_NOTE["$op|$tool"]="${R_NOTE["init|$tool"]:-init failed}"
        done
    fi
}

# ----------------------------------------------------------------- report --

write_report() {
    local cpu_model mem_gib
    cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
    mem_gib=$(awk '/^MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo 2>/dev/null || true)
    {
        echo "# Tessera backup/restore benchmark"
        echo
        echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
        echo "- machine: $(nproc) cores (${cpu_model:-unknown CPU}), ${mem_gib:-?} GiB RAM, $(uname -sr)"
        echo "- corpus: $CORPUS_DESC (before the change)"
        echo "  - large files: \`$BENCH_LARGE_SRC\`; small files: \`$BENCH_SMALL_SRC\`$([[ $BENCH_QUICK == 1 ]] && echo " (BENCH_QUICK=1)")"
        echo "- change: ${CHANGE_DESC:-not applied}"
        for tool in $BENCH_TOOLS; do
            echo "- $(tool_version "$tool")"
        done
        echo "- settings: tessera defaults; restic repository v2, \`--compression auto\`; borg \`repokey-blake2\`, \`--compression zstd,3\`"
        echo "- wall/CPU/RSS from \`/usr/bin/time -v\`; CPU = user + sys; throughput = corpus bytes / wall (10^6 B/s); repository size = \`du -sb\` after the operation; warm page cache"
        echo
        echo "| operation | tool | status | wall (s) | CPU (s) | peak RSS (MiB) | throughput (MB/s) | repo size (MiB) | note |"
        echo "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"
        local op tool key
        for op in "${OPS[@]}"; do
            for tool in $BENCH_TOOLS; do
                key="$op|$tool"
                printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
                    "$op" "$tool" "${R_STATUS[$key]:-FAILED}" \
                    "${R_WALL[$key]:--}" "${R_CPU[$key]:--}" "${R_RSS[$key]:--}" \
                    "${R_THR[$key]:--}" "${R_SIZE[$key]:--}" "${R_NOTE[$key]:-}"
            done
        done
        if [[ ${#REF_NAMES[@]} -gt 0 ]]; then
            echo
            echo "Reference: the machine's own limits on the same corpus (warm cache)"
            echo
            echo "| operation | wall (s) | CPU (s) | peak RSS (MiB) | throughput (MB/s) |"
            echo "| --- | ---: | ---: | ---: | ---: |"
            local name
            for name in "${REF_NAMES[@]}"; do
                printf '| %s | %s | %s | %s | %s |\n' "${name//|/\\|}" \
                    "${REF_WALL[$name]}" "${REF_CPU[$name]}" "${REF_RSS[$name]}" "${REF_THR[$name]}"
            done
        fi
    } >"$RESULTS"
}

# ------------------------------------------------------------------- main --

main() {
    mkdir -p "$BENCH_DIR"
    cleanup_big
    rm -rf "$LOGS"
    mkdir -p "$LOGS" "$REPOS" "$RESTORE"
    trap on_exit EXIT
    log "Benchmark work folder: $BENCH_DIR (tools: $BENCH_TOOLS)"

    install_deps
    if [[ " $BENCH_TOOLS " == *" tessera "* ]]; then
        build_tessera
    fi
    TESSERA_BIN=${TESSERA_BIN:-$ROOT/.build/release/tessera}

    build_corpus
    local avail need
    avail=$(df -PB1 "$BENCH_DIR" | awk 'NR == 2 { print $4 }')
    need=$((CORPUS_BYTES * 4))
    if [[ -n $avail ]] && ((avail < need)); then
        log "warning: only $(mib "$avail") MiB free in $BENCH_DIR; this run may need about $(mib "$need") MiB more"
    fi

    if [[ $BENCH_REFERENCE == 1 ]]; then
        run_reference
    fi

    local tool
    for tool in $BENCH_TOOLS; do
        phase_one "$tool"
    done
    apply_change
    for tool in $BENCH_TOOLS; do
        phase_two "$tool"
    done

    write_report
    echo
    cat "$RESULTS"
    log ""
    log "Results written to $RESULTS (logs in $LOGS)."
}

main "$@"
