#!/usr/bin/env bash
# Tessera — measure a command with GNU time (/usr/bin/time -v). Source it.
#
#   timeit TIMEFILE LOGFILE CMD [ARG...]
#       Runs CMD with stdout+stderr to LOGFILE and GNU time's report to
#       TIMEFILE. Returns CMD's exit status (never aborts under set -e).
#
#   timeit_parse TIMEFILE
#       Prints "WALL_S CPU_S RSS_MIB": elapsed wall-clock seconds, user+system
#       CPU seconds and the peak resident set size in MiB, from a report
#       written by `/usr/bin/time -v`. Prints "- - -" if the report is missing
#       or unreadable.
#
# /usr/bin/time comes from the Debian package `time` (not the shell keyword).

if [[ -n "${_TESSERA_TIMEIT_SH:-}" ]]; then
    return 0
fi
_TESSERA_TIMEIT_SH=1

TIMEIT_GNU_TIME=${TIMEIT_GNU_TIME:-/usr/bin/time}

timeit() {
    local timefile=$1 logfile=$2
    shift 2
    local status=0
    "$TIMEIT_GNU_TIME" -v -o "$timefile" "$@" >"$logfile" 2>&1 || status=$?
    return "$status"
}

timeit_parse() {
    local timefile=$1
    if [[ ! -s $timefile ]]; then
        echo "- - -"
        return 0
    fi
    # Elapsed is "h:mm:ss" or "m:ss.cc"; max RSS is in KiB.
    awk -F': ' '
        /Elapsed \(wall clock\) time/ {
            n = split($NF, p, ":"); wall = 0
            for (i = 1; i <= n; i++) wall = wall * 60 + p[i]
            haveWall = 1
        }
        /User time \(seconds\)/   { user = $NF; haveUser = 1 }
        /System time \(seconds\)/ { sys = $NF;  haveSys = 1 }
        /Maximum resident set size \(kbytes\)/ { rss = $NF; haveRss = 1 }
        END {
            printf "%s %s %s\n",
                haveWall ? sprintf("%.2f", wall) : "-",
                (haveUser && haveSys) ? sprintf("%.2f", user + sys) : "-",
                haveRss ? sprintf("%.1f", rss / 1024) : "-"
        }' "$timefile"
}
