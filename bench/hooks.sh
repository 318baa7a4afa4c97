#!/usr/bin/env bash
# What git-ledger's hooks cost per commit, on a large repository.
#
# Builds (in a temporary directory) a repository with COMMITS commits made
# by git fast-import, a ledger of STEPS steps and EVENTS events written as
# notes by the same fast-import stream, then makes N commits with the
# hooks installed and N without, in alternating rounds, and prints the
# time per commit of each, the difference and the ratio.
#
#   bench/hooks.sh                      # 50,000 commits, 200 steps, 20,000 events, N=60
#   COMMITS=5000 N=20 bench/hooks.sh    # a quicker run
#   KEEP=/tmp/ledger-bench bench/hooks.sh   # keep the repository there
#
# Not part of `cargo test`: timings belong here, not in tests.
set -euo pipefail

COMMITS=${COMMITS:-50000}
STEPS=${STEPS:-200}
EVENTS=${EVENTS:-20000}
FILES_PER_STEP=${FILES_PER_STEP:-20}
UNOWNED=${UNOWNED:-2000}
N=${N:-60}
ROUNDS=${ROUNDS:-6}

here="$(cd "$(dirname "$0")/.." && pwd)"
echo "building git-ledger (release)…" >&2
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
bin_dir="$here/target/release"

if [ -n "${KEEP:-}" ]; then
    work="$KEEP"
    rm -rf "$work" && mkdir -p "$work"
else
    work="$(mktemp -d "${TMPDIR:-/tmp}/git-ledger-bench.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
fi
export PATH="$bin_dir:$PATH"
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_SYSTEM=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME="Bench" GIT_AUTHOR_EMAIL="bench@example.com"
export GIT_COMMITTER_NAME="Bench" GIT_COMMITTER_EMAIL="bench@example.com"
unset GIT_LEDGER_SKIP GIT_LEDGER_RUN GIT_DIR GIT_WORK_TREE || true

repo="$work/repo"
git init -q -b main "$repo"
cd "$repo"

echo "generating $COMMITS commits, $STEPS steps, $EVENTS events…" >&2
start=$(date +%s)
awk -v commits="$COMMITS" -v steps="$STEPS" -v events="$EVENTS" \
    -v per_step="$FILES_PER_STEP" -v unowned="$UNOWNED" '
function blob(text) { printf "data %d\n%s", length(text), text }
function path_of(k) {
    if (k < steps * per_step)
        return sprintf("mod/s%03d/f%02d.rs", int(k / per_step) + 1, k % per_step)
    return sprintf("misc/d%02d/f%04d.txt", (k - steps * per_step) % 50, k - steps * per_step)
}
function stamp(i) { return 1767225600 + i * 60 }
function event(seq, step, kind, extra) {
    return sprintf("{\"v\":1,\"id\":\"%032x\",\"seq\":%d,\"at\":\"2026-01-01T00:00:00Z\",\"by\":\"Bench <bench@example.com>\",\"step\":\"S%03d\",\"kind\":\"%s\",\"source\":\"import\"%s}\n", seq, seq, step, kind, extra)
}
BEGIN {
    total = steps * per_step + unowned
    for (i = 1; i <= commits; i++) {
        print "commit refs/heads/main"
        print "mark :" i
        print "committer Bench <bench@example.com> " stamp(i) " +0000"
        msg = "Change " i "\n"
        if (i % 20 == 0) msg = msg "\nLedger-Step: S" sprintf("%03d", (i / 20) % steps + 1) "\n"
        blob(msg)
        if (i > 1) print "from :" (i - 1)
        if (i == 1) {
            for (k = 0; k < total; k++) { print "M 100644 inline " path_of(k); blob("file " k " v0\n") }
        } else {
            k = (i * 7919) % total
            print "M 100644 inline " path_of(k); blob("file " k " v" i "\n")
        }
        print ""
    }
    # The ledger: a define per step on the first commit, then the other
    # events spread over the history, two per annotated commit.
    print "commit refs/notes/ledger"
    print "committer Bench <bench@example.com> " stamp(commits) " +0000"
    blob("bench ledger\n")
    seq = 0
    for (s = 1; s <= steps; s++) {
        seq++
        note[1] = note[1] event(seq, s, "define", sprintf(",\"title\":\"Step %d\",\"owns\":[\"mod/s%03d/**\"],\"phase\":\"Phase %d\"", s, s, int((s - 1) / 20) + 1))
    }
    while (seq < events) {
        seq++
        s = (seq * 37) % steps + 1
        c = 2 + int(seq / 2) * 5 % (commits - 1)
        if (seq % 3 == 0) note[c] = note[c] event(seq, s, "note", ",\"msg\":\"progress note " seq "\"")
        else note[c] = note[c] event(seq, s, "status", ",\"status\":\"in_progress\"")
    }
    for (c in note) { print "N inline :" c; blob(note[c]) }
    print ""
}' | git fast-import --quiet
git reset -q --hard main
echo "  built in $(( $(date +%s) - start ))s: $(git rev-list --count HEAD) commits, $(git ls-files | wc -l) files" >&2

git ledger init -q >/dev/null
# Real statuses through the tool: verified steps get real fingerprints.
verified=$(( STEPS * 6 / 10 )); pending=$(( STEPS * 2 / 10 ))
for s in $(seq 1 "$STEPS"); do
    id=$(printf "S%03d" "$s")
    if [ "$s" -le "$verified" ]; then git ledger -q mark "$id" verified
    elif [ "$s" -le $(( verified + pending )) ]; then git ledger -q mark "$id" done
    fi
done
echo "  ledger: $STEPS steps ($verified verified, $pending pending), $(git ledger --json log | grep -c '"seq"') events on $(git notes --ref ledger list | wc -l) commits" >&2

no_hooks="$work/no-hooks"
mkdir -p "$no_hooks"
# The floor any hook pays: git starting a shell that does nothing.
empty_hooks="$work/empty-hooks"
mkdir -p "$empty_hooks"
for h in prepare-commit-msg commit-msg post-commit post-merge post-rewrite; do
    printf '#!/bin/sh\nexit 0\n' >"$empty_hooks/$h"
    chmod +x "$empty_hooks/$h"
done
ms() { echo $(( $(date +%s%N) / 1000000 )); }

# One timed batch: $1 commits of kind $2 (unowned | ack), hooks $3 (on | off).
batch() {
    local n=$1 kind=$2 mode=$3 i t0 t1 file msg
    case "$mode" in
    off) git config core.hooksPath "$no_hooks" ;;
    empty) git config core.hooksPath "$empty_hooks" ;;
    *) git config --unset core.hooksPath || true ;;
    esac
    t0=$(ms)
    for i in $(seq 1 "$n"); do
        if [ "$kind" = unowned ]; then
            file=misc/d00/f0000.txt; msg="Unowned change"
            echo "$mode $i $RANDOM" >> "$file"
            git commit -q -a -m "$msg"
        else
            file=mod/s001/f00.rs
            echo "// $mode $i $RANDOM" >> "$file"
            git commit -q -a -m "Comment in S001" --trailer "Ledger-Ack: S001" 2>/dev/null
        fi
    done
    t1=$(ms)
    echo $(( t1 - t0 ))
}

run_case() {
    local kind=$1 hooks=$2 on=0 off=0 per=$(( N / ROUNDS )) r
    batch 3 "$kind" "$hooks" >/dev/null; batch 3 "$kind" off >/dev/null   # warm caches
    for r in $(seq 1 "$ROUNDS"); do
        off=$(( off + $(batch "$per" "$kind" off) ))
        on=$(( on + $(batch "$per" "$kind" "$hooks") ))
    done
    local total=$(( per * ROUNDS ))
    awk -v on="$on" -v off="$off" -v n="$total" -v label="$3" 'BEGIN {
        printf "%-44s %8.2f ms %8.2f ms %+8.2f ms %7.3f\n", label, off / n, on / n, (on - off) / n, on / off
    }'
}

echo
echo "repository: $(git rev-list --count HEAD) commits, $(git ls-files | wc -l) files, $STEPS steps, $EVENTS+ events"
printf "%-44s %11s %11s %11s %7s\n" "$N commits each" "no hooks" "hooks" "added" "ratio"
run_case unowned on "git-ledger hooks, commit of an unowned file"
run_case ack on "git-ledger hooks, Ledger-Ack (writes an event)"
run_case unowned empty "floor: empty sh hooks, same commits"
