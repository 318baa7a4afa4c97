#!/usr/bin/env bash
# git-ledger's reads, scans, check, import and hooks against plain git on
# the same data, interleaved in one run. Each row prints the ratio of the
# medians (git-ledger ÷ its git yardstick), the target, and both medians
# with their min-max over ROUNDS runs. Timings belong here, never in
# `cargo test`; quote ratios, the machines are shared and noisy.
#
#   bench/read.sh                              # 50,000 commits, 200 steps, 20,000 events
#   EVENTS=200000 STEPS=2000 bench/read.sh     # the large case
#   GROWTH=1 bench/read.sh                     # how cold/warm status and check grow
#   WIDE=1 bench/read.sh                       # 2,000 against 100,000 steps
#   COMMIT_GRAPH=0 bench/read.sh               # without git's commit-graph file
#   KEEP=/tmp/ledger-bench bench/read.sh       # keep the repositories there
#
# A kept repository grows with each run (the fetch and hook rows add notes
# and commits, and the yardsticks grow with them): quote figures from a
# fresh one.
#
# The repositories are built by git fast-import (bench/lib/data.py); as
# `git gc` and `git maintenance` do by default, a commit-graph file is
# written (COMMIT_GRAPH=0 leaves it out; git's yardsticks read it too).
set -euo pipefail

COMMITS=${COMMITS:-50000}
STEPS=${STEPS:-200}
EVENTS=${EVENTS:-20000}
FILES_PER_STEP=${FILES_PER_STEP:-20}
UNOWNED=${UNOWNED:-2000}
ROUNDS=${ROUNDS:-7}
HOOK_ROUNDS=${HOOK_ROUNDS:-40}
COMMIT_GRAPH=${COMMIT_GRAPH:-1}

here="$(cd "$(dirname "$0")/.." && pwd)"
lib="$here/bench/lib"
if [ -z "${GIT_LEDGER:-}" ]; then
    # The binary install.sh installs (statically linked on Linux with glibc).
    echo "building git-ledger (release, as install.sh does)…" >&2
    host=$(rustc -vV | sed -n 's/^host: //p')
    case "$host" in
    *-linux-gnu)
        RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" \
            cargo build --release --quiet --target "$host" --manifest-path "$here/Cargo.toml"
        GIT_LEDGER="$here/target/$host/release/git-ledger" ;;
    *)
        cargo build --release --quiet --manifest-path "$here/Cargo.toml"
        GIT_LEDGER="$here/target/release/git-ledger" ;;
    esac
fi
L="$GIT_LEDGER"
export PATH="$(dirname "$L"):$PATH"

if [ -n "${KEEP:-}" ]; then
    work="$KEEP"
    mkdir -p "$work"
else
    work="$(mktemp -d "${TMPDIR:-/tmp}/git-ledger-read.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
fi
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_SYSTEM=/dev/null GIT_CONFIG_NOSYSTEM=1 HOME="$work"
export GIT_AUTHOR_NAME="Bench" GIT_AUTHOR_EMAIL="bench@example.com"
export GIT_COMMITTER_NAME="Bench" GIT_COMMITTER_EMAIL="bench@example.com"
unset GIT_LEDGER_SKIP GIT_LEDGER_RUN GIT_DIR GIT_WORK_TREE NO_COLOR || true

pair() { python3 "$lib/pair.py" "$@"; }

# build DIR COMMITS STEPS EVENTS: a repository with its ledger and hooks.
build() {
    local dir=$1 commits=$2 steps=$3 events=$4
    if [ -d "$dir/.git" ] && [ -f "$dir/.built" ]; then return; fi
    rm -rf "$dir" && git init -q -b main "$dir"
    (
        cd "$dir"
        python3 "$lib/data.py" "$commits" "$steps" "$events" "$FILES_PER_STEP" "$UNOWNED" |
            git fast-import --quiet
        git reset -q --hard main
        [ "$COMMIT_GRAPH" = 1 ] && git commit-graph write --reachable 2>/dev/null
        "$L" init -q >/dev/null
        touch .built
    )
    echo "  built $dir: $commits commits, $steps steps, $events events" >&2
}

header() {
    printf "%-46s %7s  %-9s %12s %19s %12s %19s\n" "$1" "ratio" "target" "git-ledger" "[min-max]" "yardstick" "[min-max]"
}

notes_read='git notes --ref ledger list | cut -d" " -f1 | git cat-file --batch >/dev/null'
# The same read into a reader at the end of a pipe, as any reader of the
# notes takes them in (the yardstick's go to /dev/null, which costs nothing).
notes_piped='git notes --ref ledger list | cut -d" " -f1 | git cat-file --batch | cat >/dev/null'

# Five ordinary commits as a push brings them, one declaring work; no hook
# sees them, so check does the work.
five_commits='for i in 1 2 3 4 5; do echo "$i $$" >> misc/d01/f00001.txt; t=; [ $i = 3 ] && t="--trailer=Ledger-Step: S00001"; git -c core.hooksPath=/dev/null commit -qam "push $i" ${t:+"$t"}; done'

# 1,000 events another clone wrote on recent commits, brought by a fetch.
fetch_1000="python3 '$lib/fetch.py' $STEPS | git fast-import --quiet"

main_rows() {
    local repo=$1 steps=$2
    cd "$repo"
    "$L" status >/dev/null
    git notes --ref ledger list | wc -l >/dev/null
    echo
    echo "repository: $(git rev-list --count HEAD) commits, $(git ls-files | wc -l) files, $steps steps, $("$L" --json status --all | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["steps"]))') listed, $(git notes --ref ledger list | wc -l) annotated commits; commit-graph: $([ -f .git/objects/info/commit-graph ] && echo yes || echo no)"
    header "what (git-ledger ÷ yardstick)"
    pair "$ROUNDS" "status, cold ÷ notes read + rev-list" "<= 1.0" \
        "rm -rf .git/git-ledger" "exec '$L' status" \
        "" "$notes_read; git rev-list HEAD >/dev/null"
    pair "$ROUNDS" "  git, the same read into a reader ÷ that" "" \
        "" "$notes_piped; git rev-list HEAD >/dev/null" \
        "" "$notes_read; git rev-list HEAD >/dev/null"
    rm -rf .git/git-ledger
    echo "  where a cold status goes: $(GIT_LEDGER_TRACE=1 "$L" status 2>&1 >/dev/null | sed -n 's/^trace: view: folded from the index //p')"
    "$L" status >/dev/null
    pair "$ROUNDS" "status, warm ÷ notes read" "<= 0.067" \
        "" "exec '$L' status" "" "$notes_read"
    "$L" check >/dev/null 2>&1 || true
    pair "$ROUNDS" "check after 5 new commits ÷ ls-tree -r HEAD" "<= 2.0" \
        "$five_commits" "exec '$L' check" "" "git ls-tree -r HEAD >/dev/null"
    "$L" scan >/dev/null 2>&1
    pair "$ROUNDS" "scan of all history, cold ÷ git log %(trailers)" "<= 1.0" \
        "rm -rf .git/git-ledger" "exec '$L' scan" \
        "" "git log --format='%(trailers)' >/dev/null"
    # A cold scan takes in the whole ledger and reads the whole history:
    # git doing both at once, on the same cores.
    pair "$ROUNDS" "  git, notes into a reader and log at once ÷ log" "" \
        "" "$notes_piped & git log --format='%(trailers)' >/dev/null; wait" \
        "" "git log --format='%(trailers)' >/dev/null"
    pair "$ROUNDS" "scan, a rerun ÷ git log %(trailers)" "<= 0.2" \
        "" "exec '$L' scan" "" "git log --format='%(trailers)' >/dev/null"
    pair "$ROUNDS" "log -n 20 ÷ full log (both git-ledger)" "<= 0.3" \
        "" "exec '$L' log -n 20" "" "exec '$L' log"
    rm -f .git/ledger-bench-seq
    "$L" status >/dev/null
    pair "$ROUNDS" "status after a fetch of 1,000 events ÷ warm" "<= 3.0" \
        "$fetch_1000" "exec '$L' status" "" "exec '$L' status"
    # The least any reader of the fetched notes pays: git's own diff of
    # the two notes trees, which names the notes that changed.
    pair "$ROUNDS" "  floor: git diff-tree of the 2 notes tips ÷ warm" "" \
        "" "git diff-tree -r refs/notes/ledger^ refs/notes/ledger >/dev/null" "" "exec '$L' status"
    # peaks CMD [PREP]: "total own" peak RSS (KiB) of the median run, by
    # total, of three (bench/lib/rss.py: own is the process's anonymous
    # memory; the rest, file pages it mapped, such as the pack).
    peaks() {
        for i in 1 2 3; do eval "${2:-true}"; python3 "$lib/rss.py" "$1"; done | sort -n | sed -n 2p
    }
    mib() { awk -v k="$1" 'BEGIN {printf "%.1f MiB", k / 1024}'; }
    local total own lt lo
    read -r total own <<<"$(peaks "exec '$L' status" "rm -rf .git/git-ledger")"
    echo "peak memory, cold status: $(mib "$total") (target <= 150 MiB at 200,000 events)"
    echo "  of which its own (sampled every 2 ms) $(mib "$own"), pack and other file pages mapped $(mib $((total - own)))"
    read -r lt lo <<<"$(peaks "exec git ls-tree -r HEAD")"
    echo "  for scale: git cat-file --batch of the notes $(mib "$(peaks "$notes_read" | cut -d' ' -f1)"), git ls-tree -r HEAD $(mib "$lt") (its own $(mib "$lo"))"
    hook_rows "$repo"
    cd "$work"
}

hook_rows() {
    local repo=$1
    cd "$repo"
    local empty="$work/empty-hooks"
    mkdir -p "$empty"
    for h in prepare-commit-msg commit-msg post-commit post-merge post-rewrite; do
        printf '#!/bin/sh\nexit 0\n' >"$empty/$h"
        chmod +x "$empty/$h"
    done
    git config --unset core.hooksPath 2>/dev/null || true
    "$L" hooks install >/dev/null
    local edit='echo "$$ $(date +%N)" >> misc/d02/f00002.txt'
    pair "$HOOK_ROUNDS" "commit with hooks ÷ with 3 empty sh hooks" "<= 1.10" \
        "$edit" "git commit -qam 'Unowned change'" \
        "$edit" "git -c core.hooksPath='$empty' commit -qam 'Unowned change'"
    # The least a hook that starts git-ledger at all costs: the same empty
    # hooks, post-commit starting the binary to print its version.
    local floor="$work/floor-hooks"
    rm -rf "$floor" && cp -r "$empty" "$floor"
    printf '#!/bin/sh\n"%s" --version >/dev/null\n' "$L" >"$floor/post-commit"
    pair "$HOOK_ROUNDS" "  floor: post-commit starting git-ledger ÷ empty" "" \
        "$edit" "git -c core.hooksPath='$floor' commit -qam 'Unowned change'" \
        "$edit" "git -c core.hooksPath='$empty' commit -qam 'Unowned change'"
}

import_rows() {
    cd "$work"
    python3 - <<'PY'
import os
def ledger(size):
    out, n = [], 0
    while sum(map(len, out)) < size:
        n += 1
        out.append(
            f"## Step S{n:05d} – Part {n} of the plan\n\n"
            f"- **Status:** {'verified' if n % 3 else 'in_progress'}\n"
            f"- **Last updated:** 2026-01-{n % 28 + 1:02d}\n"
            f"- **Responsible run ID:** run-{n:04d}\n\n"
            f"### Scope & files\n- `src/part{n}/mod.rs`\n- `src/part{n}/tests.rs`\n\n"
            f"### Implementation summary\nPart {n} adds the handler, its storage and its tests.\n\n"
            f"### Observable invariants\n- `cargo test part{n}` passes\n\n"
            f"### Verification history\n- [x] Verified on 2026-01-{n % 28 + 1:02d} by run-{n:04d}\n\n")
    return "".join(out)
for mb in (1, 2):
    open(f"ledger-{mb}mb.md", "w").write(ledger(mb * 1024 * 1024))
PY
    local fresh='rm -rf imp && git init -q imp && git -C imp commit -q --allow-empty -m init'
    echo
    header "import (git-ledger ÷ git-ledger)"
    pair 9 "import of a 2 MB ledger ÷ 1 MB" "<= 2.2" \
        "$fresh" "cd imp && exec '$L' -q import ../ledger-2mb.md" \
        "$fresh" "cd imp && exec '$L' -q import ../ledger-1mb.md"
    pair 9 "import of 1 MB ÷ 1 s" "<= 1.0" \
        "$fresh" "cd imp && exec '$L' -q import ../ledger-1mb.md" \
        "" "sleep 1"
}

if [ -n "${GROWTH:-}" ]; then
    echo
    echo "growth: cold status, warm status, check after 5 commits (medians, ms; git's notes read + rev-list for scale)"
    printf "%-28s %10s %10s %10s %14s\n" "data" "cold" "warm" "check" "git read+walk"
    for spec in "5000 200 20000" "50000 200 20000" "200000 200 20000" \
        "50000 20 20000" "50000 2000 20000" "50000 200 2000" "50000 200 200000"; do
        set -- $spec
        dir="$work/g-$1-$2-$3"
        build "$dir" "$1" "$2" "$3" >/dev/null 2>&1
        cd "$dir"
        "$L" status >/dev/null
        med() { python3 -c 'import sys,statistics; print("%.1f" % statistics.median(map(float, sys.argv[1:])))' "$@"; }
        t() { local s; s=$(date +%s%N); eval "$1" >/dev/null 2>&1 || true; echo $(( ($(date +%s%N) - s) / 1000 )); }
        cold=(); warm=(); chk=(); git_t=()
        for r in 1 2 3 4 5; do
            rm -rf .git/git-ledger
            cold+=("$(t "'$L' status")")
            warm+=("$(t "'$L' status")")
            "$L" check >/dev/null 2>&1 || true # the history read once, as CI's first run does
            eval "$five_commits" >/dev/null 2>&1
            chk+=("$(t "'$L' check")")
            git_t+=("$(t "$notes_read; git rev-list HEAD >/dev/null")")
        done
        printf "%-28s %10s %10s %10s %14s\n" "$1 commits $2 steps $3 ev" \
            "$(med "${cold[@]}" | awk '{print $1/1000}')" "$(med "${warm[@]}" | awk '{print $1/1000}')" \
            "$(med "${chk[@]}" | awk '{print $1/1000}')" "$(med "${git_t[@]}" | awk '{print $1/1000}')"
        cd "$work"
    done
    exit 0
fi

if [ -n "${WIDE:-}" ]; then
    echo
    header "2,000 against 100,000 steps (git-ledger ÷ git-ledger)"
    FILES_PER_STEP=1 UNOWNED=100
    for s in 2000 100000; do build "$work/w-$s" 5000 "$s" $((2 * s)); done
    pair 3 "export --format html, 100,000 ÷ 2,000 steps" "<= 50" \
        "" "cd '$work/w-100000' && exec '$L' export --format html" \
        "" "cd '$work/w-2000' && exec '$L' export --format html"
    pair 3 "status, cold, 100,000 ÷ 2,000 steps" "<= 50" \
        "rm -rf '$work/w-100000/.git/git-ledger'" "cd '$work/w-100000' && exec '$L' status" \
        "rm -rf '$work/w-2000/.git/git-ledger'" "cd '$work/w-2000' && exec '$L' status"
    exit 0
fi

echo "building the repository…" >&2
build "$work/repo" "$COMMITS" "$STEPS" "$EVENTS"
main_rows "$work/repo" "$STEPS"
import_rows
