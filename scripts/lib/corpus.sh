#!/usr/bin/env bash
# Tessera — the benchmark corpus, shared by the scripts in scripts/bench/.
# Source it after scripts/lib/deps.sh (it uses log and die).
#
#   corpus_defaults
#       Sets BENCH_LARGE_SRC and BENCH_SMALL_SRC (':'-separated folders) when
#       the caller left them unset: /opt/swift and /usr/share, or with
#       BENCH_QUICK=1 (~400 MB) /opt/swift/usr/lib/swift/linux,
#       /opt/swift/usr/lib/swift_static and /usr/share/man.
#
#   corpus_check_bench_dir
#       Makes BENCH_DIR absolute, without a trailing slash, and refuses
#       folders too broad to be cleaned up (/, /tmp, $HOME...).
#
#   build_corpus
#       Copies the sources into $CORPUS/large/<name> and $CORPUS/small/<name>
#       (cp -a; errors go to $LOGS/corpus-copy.log) and sets CORPUS_FILES,
#       CORPUS_BYTES (regular files) and CORPUS_DESC.
#
#   corpus_stats
#       Sets CORPUS_FILES and CORPUS_BYTES from what is in $CORPUS now.
#
#   mib BYTES            prints BYTES in MiB, one decimal
#
# Expects BENCH_DIR, CORPUS and LOGS to be set.

if [[ -n "${_TESSERA_CORPUS_SH:-}" ]]; then
    return 0
fi
_TESSERA_CORPUS_SH=1

CORPUS_BYTES=0
CORPUS_FILES=0
CORPUS_DESC=""

mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

corpus_defaults() {
    if [[ ${BENCH_QUICK:-0} == 1 ]]; then
        BENCH_LARGE_SRC=${BENCH_LARGE_SRC:-/opt/swift/usr/lib/swift/linux:/opt/swift/usr/lib/swift_static}
        BENCH_SMALL_SRC=${BENCH_SMALL_SRC:-/usr/share/man}
    else
        BENCH_LARGE_SRC=${BENCH_LARGE_SRC:-/opt/swift}
        BENCH_SMALL_SRC=${BENCH_SMALL_SRC:-/usr/share}
    fi
}

corpus_check_bench_dir() {
    [[ $BENCH_DIR == /* ]] || BENCH_DIR="$PWD/$BENCH_DIR"
    BENCH_DIR=${BENCH_DIR%/}
    case "$BENCH_DIR" in
        "" | / | /tmp | /root | /home | /usr | /opt | /var | "$HOME")
            die "BENCH_DIR=$BENCH_DIR is too broad; choose a dedicated folder such as /tmp/tessera-bench" ;;
    esac
}

copy_sources() { # DEST SRC-LIST(:-separated)
    local dest=$1 list=$2 src name
    local -a srcs
    mkdir -p "$dest"
    IFS=: read -r -a srcs <<<"$list"
    for src in "${srcs[@]}"; do
        [[ -n $src ]] || continue
        [[ -d $src ]] || die "corpus source $src is not a folder (check BENCH_LARGE_SRC / BENCH_SMALL_SRC)"
        name=$(basename "$src")
        if [[ -e "$dest/$name" ]]; then
            name="$name-$(printf '%s' "$src" | sha256sum | cut -c1-8)"
        fi
        log "  copying $src -> ${dest#"$BENCH_DIR"/}/$name"
        if ! cp -a "$src" "$dest/$name" 2>>"$LOGS/corpus-copy.log"; then
            log "  warning: some files of $src could not be copied (see $LOGS/corpus-copy.log); the corpus is what was copied"
        fi
    done
}

corpus_stats() {
    local stats
    stats=$(find "$CORPUS" -type f -printf '%s\n' | awk '{ s += $1; n++ } END { printf "%.0f %.0f", n, s }')
    CORPUS_FILES=${stats% *}
    CORPUS_BYTES=${stats#* }
}

build_corpus() {
    printf '\n== %s\n' "Building the corpus in $CORPUS" >&2
    rm -rf "$CORPUS"
    mkdir -p "$CORPUS"
    copy_sources "$CORPUS/large" "$BENCH_LARGE_SRC"
    copy_sources "$CORPUS/small" "$BENCH_SMALL_SRC"
    corpus_stats
    local dirs links
    dirs=$(find "$CORPUS" -type d | wc -l)
    links=$(find "$CORPUS" -type l | wc -l)
    CORPUS_DESC="$CORPUS_FILES files, $dirs folders, $links symlinks, $(mib "$CORPUS_BYTES") MiB in regular files"
    log "  corpus: $CORPUS_DESC"
}
