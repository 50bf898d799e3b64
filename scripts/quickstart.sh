#!/usr/bin/env bash
# Tessera — quick start: build, make a demo repository, back something up.
#
#   scripts/quickstart.sh [PATH]
#
# 1. installs missing system packages and builds .build/release/tessera;
# 2. creates a demo repository in ${TESSERA_DEMO_REPO:-$HOME/tessera-demo-repo}
#    with a generated password in the file next to it (<repo>-password,
#    mode 600); an existing repository and password file are reused;
# 3. backs up PATH (default: $HOME) and lists the snapshots;
# 4. prints the commands to try next.
#
# TESSERA_BIN=/path/to/tessera skips the build and uses that binary.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/deps.sh
source "$ROOT/scripts/lib/deps.sh"

if [[ $# -gt 1 ]]; then
    die "usage: $0 [PATH]   (back up PATH, default \$HOME, into a demo repository)"
fi
SOURCE=${1:-$HOME}
[[ -e $SOURCE ]] || die "nothing to back up at $SOURCE"
SOURCE=$(realpath -s -- "$SOURCE")

REPO=${TESSERA_DEMO_REPO:-$HOME/tessera-demo-repo}
[[ $REPO == /* ]] || REPO="$PWD/$REPO"
REPO=${REPO%/}
PASSWORD_FILE="$REPO-password"

# 1. Build.
if [[ -n "${TESSERA_BIN:-}" ]]; then
    TESSERA=$TESSERA_BIN
    [[ -x $TESSERA ]] || die "TESSERA_BIN=$TESSERA is not an executable file"
    log "Using $TESSERA (TESSERA_BIN; not building)."
else
    ensure_build_deps
    mkdir -p "$ROOT/.build"
    BUILD_LOG="$ROOT/.build/quickstart-build.log"
    log "Building tessera (release; the first build takes several minutes; log: $BUILD_LOG)..."
    if ! swift_build_release >"$BUILD_LOG" 2>&1; then
        log "error: swift build -c release --static-swift-stdlib failed. Last 40 lines of $BUILD_LOG:"
        tail -n 40 "$BUILD_LOG" >&2
        exit 1
    fi
    TESSERA="$ROOT/.build/release/tessera"
    [[ -x $TESSERA ]] || die "the build succeeded but $TESSERA is missing"
fi

# 2. Password and repository. Only these two settings are used: unset any
# other password source the caller's shell may have.
unset TESSERA_PASSWORD TESSERA_PASSWORD_COMMAND
export TESSERA_REPOSITORY="$REPO"
export TESSERA_PASSWORD_FILE="$PASSWORD_FILE"

mkdir -p "$(dirname "$REPO")"
if [[ -e $PASSWORD_FILE ]]; then
    [[ -s $PASSWORD_FILE ]] || die "$PASSWORD_FILE exists but is empty; delete it (and $REPO, if it holds nothing you need) and run again"
    log "Using the existing password file $PASSWORD_FILE."
else
    (
        umask 077
        head -c 32 /dev/urandom | base64 | tr -d '\n=' >"$PASSWORD_FILE"
        echo >>"$PASSWORD_FILE"
    )
    chmod 600 "$PASSWORD_FILE"
    log "Generated a password in $PASSWORD_FILE (mode 600). Keep a copy somewhere safe: without it the backups cannot be read."
fi

if [[ -f "$REPO/config" ]]; then
    log "Repository $REPO already exists; not initializing it again."
else
    log "Creating the repository $REPO..."
    "$TESSERA" init || die "tessera init failed (see above)"
fi

# 3. Back up. Leave out the repository, its password and tessera's cache
# in case they live inside the folder being backed up.
CACHE_DIR=${TESSERA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tessera}
log "Backing up $SOURCE..."
status=0
"$TESSERA" snapshot create \
    --exclude "$REPO" --exclude "$PASSWORD_FILE" --exclude "$CACHE_DIR" \
    "$SOURCE" || status=$?
case $status in
    0) ;;
    3) log "warning: the snapshot was made, but some files could not be read (listed above)." ;;
    *) die "tessera snapshot create failed with status $status (see above)" ;;
esac

log ""
log "Snapshots in $REPO:"
"$TESSERA" snapshot list || die "tessera snapshot list failed (see above)"

# 4. What next.
T=$(printf '%q' "$TESSERA")
S=$(printf '%q' "$SOURCE")
cat <<NEXT

Your demo repository is ready. Next, in a shell:

  export TESSERA_REPOSITORY=$(printf '%q' "$REPO")
  export TESSERA_PASSWORD_FILE=$(printf '%q' "$PASSWORD_FILE")

  # list the snapshots, and the files in the newest one
  $T snapshot list
  $T ls latest $S

  # restore everything (it lands in /tmp/tessera-restore$S)
  $T restore latest --target /tmp/tessera-restore

  # verify the repository (add --read-data to decrypt and check every blob)
  $T check

  # back up again: only what changed is stored
  $T snapshot create $S
NEXT
