#!/usr/bin/env bash
# What a clean-checkout verify costs over the checkout itself: times
# `git ledger verify` of a step whose check is `true` against plain
# `git worktree add --detach` + `git worktree remove` of the same commit, in
# a repository of FILES files. Prints both medians and their ratio.
#   bench/verify.sh [FILES] [RUNS]      (defaults 5000 and 7)
set -euo pipefail
FILES=${1:-5000}
RUNS=${2:-7}
cd "$(dirname "$0")/.."
cargo build --release --quiet
BIN="$PWD/target/release/git-ledger"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_SYSTEM=/dev/null
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com
export TMPDIR="$WORK/tmp"
mkdir -p "$TMPDIR"
cd "$WORK"
git init -q -b main repo
cd repo
for i in $(seq 1 "$FILES"); do
  d="src/m$((i % 50))"
  mkdir -p "$d"
  echo "file $i" > "$d/f$i.txt"
done
git add -A
git commit -qm "bench data"
"$BIN" -q add S01 "Bench" --owns 'src/**' --check 'true'

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

ledger_times=()
git_times=()
for _ in $(seq 1 "$RUNS"); do
  t0=$(now)
  "$BIN" -q verify S01 > /dev/null
  t1=$(now)
  git worktree add -q --detach "$TMPDIR/plain" HEAD
  git worktree remove --force "$TMPDIR/plain"
  t2=$(now)
  ledger_times+=("$(echo "$t1 - $t0" | bc)")
  git_times+=("$(echo "$t2 - $t1" | bc)")
done
L=$(printf '%s\n' "${ledger_times[@]}" | median)
G=$(printf '%s\n' "${git_times[@]}" | median)
printf 'files=%s runs=%s\n' "$FILES" "$RUNS"
printf 'git ledger verify (check: true)      median %.3fs\n' "$L"
printf 'git worktree add + remove            median %.3fs\n' "$G"
printf 'ratio                                %.2f\n' "$(echo "$L / $G" | bc -l)"
