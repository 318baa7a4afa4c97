#!/usr/bin/env bash
# What the readable `git log` view (refs/notes/ledger-log) costs: the time
# an append spends refreshing it, and what plain `git log` prints and takes
# with the view, with the raw JSON notes (displayRef=refs/notes/ledger, the
# old default) and with no notes at all.
#   bench/log_view.sh [BINARY]   (default: target/release/git-ledger)
set -euo pipefail
bin="$(cd "$(dirname "${1:-target/release/git-ledger}")" && pwd)/$(basename "${1:-target/release/git-ledger}")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 HOME="$work" \
    GIT_AUTHOR_NAME=Ada GIT_AUTHOR_EMAIL=ada@example.com \
    GIT_COMMITTER_NAME=Ada GIT_COMMITTER_EMAIL=ada@example.com
cd "$work" && git init -q -b main repo && cd repo
mkdir src
for i in $(seq 1 200); do echo "$i" > "src/f$i.rs"; git add -A; git commit -qm "c$i"; done
"$bin" init --no-hooks >/dev/null
for s in $(seq 1 50); do
    "$bin" -q add "S$s" "Step $s with a title of ordinary length" --owns "src/f$s.rs" --check true
done

ms() { # run "$@" N times, print ms per run
    local n=$1; shift
    local t0 t1
    t0=$(date +%s%N)
    for _ in $(seq 1 "$n"); do "$@" >/dev/null; done
    t1=$(date +%s%N)
    echo "scale=2; ($t1 - $t0) / $n / 1000000" | bc
}
marks() { for s in $(seq 1 50); do "$bin" -q mark "S$s" "$1"; done; }

echo "events before timing: $(git notes --ref ledger list | wc -l) notes"
with=$(ms 4 marks in_progress)
git config --unset-all notes.displayRef
without=$(ms 4 marks in_progress)
git config --add notes.displayRef refs/notes/ledger-log
echo "50 marks, view on:  ${with} ms  ($(echo "scale=2; $with / 50" | bc) ms per append)"
echo "50 marks, view off: ${without} ms  ($(echo "scale=2; $without / 50" | bc) ms per append)"
events=$(git log --notes=ledger --format=%N | grep -c '^{')
echo "events: $events"

for mode in view raw none; do
    git config --unset-all notes.displayRef || true
    case $mode in
    view) git config --add notes.displayRef refs/notes/ledger-log ;;
    raw) git config --add notes.displayRef refs/notes/ledger ;;
    esac
    bytes=$(git log | wc -c)
    longest=$(git log | awk '{ if (length($0) > m) m = length($0) } END { print m }')
    t=$(ms 10 git log)
    echo "git log, $mode: $bytes bytes, longest line $longest, $t ms"
done
git config --unset-all notes.displayRef || true; git config --add notes.displayRef refs/notes/ledger-log
git update-ref -d refs/notes/ledger-log
t0=$(date +%s%N); "$bin" -q mark S2 verified -m rebuild; t1=$(date +%s%N)
echo "first append after the view is gone (full rebuild of $events events): $(( (t1 - t0) / 1000000 )) ms"
