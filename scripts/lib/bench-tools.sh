#!/usr/bin/env bash
# Tessera — the tools compared by the scripts in scripts/bench/ (tessera,
# restic, borg). Source it.
#
#   bench_tool_env
#       Clears the tools' settings inherited from the caller's environment
#       (repositories, password files and commands, caches), sets one fixed
#       password for all three, and puts borg's home in $BENCH_DIR/borg-home
#       (BORG_BASE_DIR), so nothing leaks in and nothing is written to the
#       caller's home. Expects BENCH_DIR to be set.
#
#   tool_version TOOL
#       One line naming TOOL's version (tessera: `--version`, the git
#       revision of $ROOT and the binary's path and modification time;
#       expects TESSERA_BIN and ROOT to be set).
#
#   scratch_filesystem DIR SIZE
#       Mounts a fresh journaled ext4 (a sparse loop image DIR.img of SIZE,
#       e.g. 8G) on DIR when running as root, so copies and restores land on
#       an ordinary file system: this machine's root is ext4 without a
#       journal, whose allocator scans the inodes freed in the last 30-60 s
#       on every create, so writing 20,000 files right after deleting many
#       took 4-8 s of system time instead of 1 (perf: recently_deleted under
#       ext4_create), whichever tool came next. Sets SCRATCH_FS to a
#       description for the results. Not root: DIR stays a plain folder.
#
#   release_scratch_filesystem DIR
#       Unmounts what scratch_filesystem mounted and removes the image.
#
#   check_bench_tools
#       Dies unless every word of BENCH_TOOLS is tessera, restic or borg.
#
#   build_tessera
#       Sets TESSERA_BIN to $ROOT/.build/release/tessera and builds it
#       (swift_build_release from deps.sh, log in $LOGS/tessera-build.log), unless
#       TESSERA_BIN is set already. A failed build is a warning: the
#       tessera cells of the table then show FAILED.

if [[ -n "${_TESSERA_BENCH_TOOLS_SH:-}" ]]; then
    return 0
fi
_TESSERA_BENCH_TOOLS_SH=1

bench_tool_env() {
    unset TESSERA_REPOSITORY TESSERA_PASSWORD_FILE TESSERA_PASSWORD_COMMAND TESSERA_CACHE_DIR
    unset RESTIC_REPOSITORY RESTIC_REPOSITORY_FILE RESTIC_PASSWORD_FILE RESTIC_PASSWORD_COMMAND RESTIC_CACHE_DIR RESTIC_COMPRESSION
    unset BORG_REPO BORG_PASSCOMMAND BORG_PASSPHRASE_FD BORG_KEY_FILE
    export TESSERA_PASSWORD="tessera-bench-password"
    export RESTIC_PASSWORD="tessera-bench-password"
    export BORG_PASSPHRASE="tessera-bench-password"
    export BORG_BASE_DIR="$BENCH_DIR/borg-home"
    export BORG_RELOCATED_REPO_ACCESS_IS_OK=yes
}

tool_version() {
    case "$1" in
        tessera)
            if [[ -x $TESSERA_BIN ]]; then
                local v rev built
                v=$("$TESSERA_BIN" --version 2>/dev/null | head -n 1) || v=""
                rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null) || rev="uncommitted"
                [[ $v == tessera* ]] || v="tessera ${v:-(no --version output)}"
                # The source tree may have moved on since the binary was built.
                built=$(date -u -r "$TESSERA_BIN" '+%Y-%m-%d %H:%M UTC' 2>/dev/null) || built="?"
                echo "$v @ $rev (binary $TESSERA_BIN, built $built)"
            else
                echo "tessera: no binary at $TESSERA_BIN"
            fi ;;
        restic) restic version 2>/dev/null | head -n 1 || echo "restic: not found" ;;
        borg) borg --version 2>/dev/null || echo "borg: not found" ;;
    esac
}

scratch_filesystem() {
    local dir=$1 size=$2
    mkdir -p "$dir"
    # shellcheck disable=SC2034  # read by the sourcing script
    SCRATCH_FS="$(stat -f -c %T "$dir") (the work folder's own)"
    if [[ $(id -u) != 0 ]] || ! command -v mkfs.ext4 >/dev/null; then
        return 0
    fi
    release_scratch_filesystem "$dir"
    truncate -s "$size" "$dir.img"
    mkfs.ext4 -q -F "$dir.img"
    mount -o loop "$dir.img" "$dir"
    # shellcheck disable=SC2034
    SCRATCH_FS="fresh ext4 with a journal ($size loop image)"
}

release_scratch_filesystem() {
    local dir=$1
    if mountpoint -q "$dir" 2>/dev/null; then umount "$dir"; fi
    rm -f "$dir.img"
}

check_bench_tools() {
    local tool
    for tool in $BENCH_TOOLS; do
        case "$tool" in
            tessera | restic | borg) ;;
            *) die "unknown tool in BENCH_TOOLS: $tool (known: tessera restic borg)" ;;
        esac
    done
}

build_tessera() {
    if [[ -n "${TESSERA_BIN:-}" ]]; then
        log "Using TESSERA_BIN=$TESSERA_BIN (not building)."
        return 0
    fi
    TESSERA_BIN="$ROOT/.build/release/tessera"
    printf '\n== %s\n' "Building tessera (swift_build_release in scripts/lib/deps.sh; log: $LOGS/tessera-build.log)" >&2
    ensure_build_deps
    local start=$SECONDS
    if swift_build_release >"$LOGS/tessera-build.log" 2>&1; then
        log "Built in $((SECONDS - start)) s: $TESSERA_BIN"
    else
        log "warning: the release build failed; tessera cells will show FAILED. Last lines:"
        tail -n 30 "$LOGS/tessera-build.log" >&2
    fi
}
