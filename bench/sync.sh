#!/usr/bin/env bash
# Sync of 10,000 new events between two clones through a bare remote on
# disk: `git ledger sync` in the sender then in the receiver, against plain
# `git push` + `git fetch` of the same ref on identical copies.
# Prints both timings (median of REPS runs) and the ratio; target <= 1.2.
#
#   bench/sync.sh                  # builds the release binary first
#   EVENTS=20000 REPS=7 bench/sync.sh
set -euo pipefail

EVENTS=${EVENTS:-10000}
BASE_EVENTS=${BASE_EVENTS:-1000}
COMMITS=${COMMITS:-1000}
REPS=${REPS:-5}

root=$(cd "$(dirname "$0")/.." && pwd)
if [[ -z "${GIT_LEDGER:-}" ]]; then
    (cd "$root" && cargo build --release --quiet)
    GIT_LEDGER="$root/target/release/git-ledger"
fi
command -v python3 >/dev/null || { echo "bench/sync.sh needs python3 to generate events" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 HOME="$work"
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com
unset GIT_DIR GIT_WORK_TREE GIT_NOTES_REF

# A fast-import stream: $COMMITS code commits on main, then one notes commit
# per event (as `git ledger mark` writes them), the first $BASE_EVENTS on
# refs/notes/ledger, the rest on refs/notes/new.
gen() {
    python3 - "$COMMITS" "$BASE_EVENTS" "$EVENTS" <<'PY'
import hashlib, json, random, sys
commits, base, new = map(int, sys.argv[1:])
out = sys.stdout.buffer
def w(s): out.write(s.encode() if isinstance(s, str) else s)
for i in range(1, commits + 1):
    w(f"commit refs/heads/main\nmark :{i}\ncommitter Bench <bench@example.com> {1700000000 + i} +0000\n")
    msg = f"change {i}\n"
    w(f"data {len(msg)}\n{msg}")
    if i > 1:
        w(f"from :{i - 1}\n")
    body = f"line {i}\n"
    w(f"M 100644 inline file{i % 50}.txt\ndata {len(body)}\n{body}\n")
rng = random.Random(7)
notes = {}
statuses = ["in_progress", "completed_pending_verification", "verified", "drift_detected"]
for n in range(1, base + new + 1):
    target = rng.randint(1, commits)
    ev = {"v": 1, "seq": n, "at": f"2026-01-01T00:{n // 3600 % 60:02d}:{n % 60:02d}Z",
          "by": "Bench <bench@example.com>", "step": f"S{rng.randint(1, 200):03d}",
          "kind": "status", "source": "cli", "status": rng.choice(statuses)}
    ev = {"v": 1, "id": hashlib.sha256(json.dumps(ev).encode()).hexdigest()[:32], **{k: v for k, v in ev.items() if k != "v"}}
    line = json.dumps(ev, separators=(",", ":")) + "\n"
    notes[target] = notes.get(target, "") + line
    ref = "refs/notes/ledger" if n <= base else "refs/notes/new"
    msg = f"git-ledger: mark event {n}\n"
    w(f"commit {ref}\nmark :{commits + n}\ncommitter Bench <bench@example.com> {1710000000 + n} +0000\ndata {len(msg)}\n{msg}")
    if n == base + 1:
        w(f"from :{commits + base}\n")
    data = notes[target].encode()
    w(f"N inline :{target}\ndata {len(data)}\n")
    w(data)
    w("\n")
PY
}

echo "preparing: $COMMITS commits, $BASE_EVENTS shared events, $EVENTS new events in one clone" >&2
tpl="$work/template"
mkdir -p "$tpl"
git init -q --bare -b main "$tpl/remote.git"
git init -q -b main "$tpl/a"
gen | git -C "$tpl/a" fast-import --quiet
git -C "$tpl/a" remote add origin "$tpl/remote.git"
git -C "$tpl/a" push -q origin main refs/notes/ledger
git clone -q "$tpl/remote.git" "$tpl/b"
git -C "$tpl/b" fetch -q origin refs/notes/ledger:refs/notes/ledger
# The sender's new events: refs/notes/new continues refs/notes/ledger.
git -C "$tpl/a" update-ref refs/notes/ledger refs/notes/new
git -C "$tpl/a" update-ref -d refs/notes/new
# Both clones have last seen the remote's ledger, as after an earlier sync,
# and have read their ledger since, as every `git ledger mark` does.
for c in a b; do
    git -C "$tpl/$c" update-ref refs/notes/remotes/origin/ledger "$(git -C "$tpl/remote.git" rev-parse refs/notes/ledger)"
    (cd "$tpl/$c" && "$GIT_LEDGER" status -q >/dev/null)
done

copy() { # copy DIR: a fresh copy of the template, remotes pointing at it
    rm -rf "$1"
    cp -a "$tpl" "$1"
    for c in a b; do git -C "$1/$c" remote set-url origin "$1/remote.git"; done
}
now() { date +%s%N; }

ledger_ms=()
plain_ms=()
for rep in $(seq "$REPS"); do
    copy "$work/l"
    t0=$(now)
    (cd "$work/l/a" && "$GIT_LEDGER" sync -q)
    (cd "$work/l/b" && "$GIT_LEDGER" sync -q)
    t1=$(now)
    ledger_ms+=($(((t1 - t0) / 1000000)))
    want=$(git -C "$work/l/a" rev-parse refs/notes/ledger)
    got=$(git -C "$work/l/b" rev-parse refs/notes/ledger)
    [[ "$want" == "$got" ]] || { echo "sync did not bring the receiver every event" >&2; exit 1; }

    copy "$work/p"
    t0=$(now)
    (cd "$work/p/a" && git push -q origin refs/notes/ledger)
    (cd "$work/p/b" && git fetch -q origin refs/notes/ledger:refs/notes/ledger)
    t1=$(now)
    plain_ms+=($(((t1 - t0) / 1000000)))
    echo "run $rep: git ledger sync ${ledger_ms[-1]} ms, git push + git fetch ${plain_ms[-1]} ms" >&2
done

median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print v[int((NR + 1) / 2)]}'; }
best() { printf '%s\n' "$@" | sort -n | head -1; }
l=$(median "${ledger_ms[@]}")
p=$(median "${plain_ms[@]}")
echo "events sent and received: $EVENTS (median of $REPS runs)"
echo "git ledger sync (sender, then receiver): $l ms"
echo "git push + git fetch of refs/notes/ledger: $p ms"
awk -v l="$l" -v p="$p" 'BEGIN { printf "ratio: %.2f (target <= 1.2)\n", l / p }'
# On a busy machine the medians wobble; the best runs show the floor.
awk -v l="$(best "${ledger_ms[@]}")" -v p="$(best "${plain_ms[@]}")" \
    'BEGIN { printf "best runs: %d ms against %d ms, ratio %.2f\n", l, p, l / p }'
