#!/usr/bin/env bash
# How `git ledger import` scales: generates ledgers of SIZE_MB and twice
# that (step sections, checklists, tables, a dated log, prose, all with
# ids), then times `import --dry-run --json` of each and reads its peak
# memory (GNU time's maximum resident set). Prints seconds, MB of memory,
# memory per byte of input, and the time ratio of the two sizes.
#   bench/import.sh [SIZE_MB] [RUNS]      (defaults 1 and 3)
set -euo pipefail
SIZE=${1:-1}
RUNS=${2:-3}
cd "$(dirname "$0")/.."
cargo build --release --quiet
BIN="$PWD/target/release/git-ledger"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
gen() { # gen BYTES FILE
  python3 - "$1" "$2" <<'PY'
import sys
limit, path = int(sys.argv[1]), sys.argv[2]
out, n = [], 0
size = 0
while size < limit:
    n += 1
    block = f"""## Step S{n:05} – Storage layer {n} (née “jobs”)

- **Status:** {['verified','in_progress','completed_pending_verification','not_started'][n % 4]}
- **Last updated:** 2026-01-{n % 28 + 1:02} 09:15 UTC
- **Responsible run ID:** run-{n}

### Scope & files

- **Files touched:**
  - `src/storage/m{n}.rs`
  - src/pkg{n}/__init__.py

### Observable invariants

- `test -f src/storage/m{n}.rs` exits 0
- Uploads are idempotent – 中文 ✅ é.

### Verification history

- [x] Verified on 2026-01-{n % 28 + 1:02} by run run-{n}
  Notes: fine.

## Phase {n}: Checklist ✅ COMPLETE

- [x] T{n:05}a Create `.github/workflows/` [P]
- [ ] T{n:05}b Wire it up
  - [x] detail with **bold** and `code`
- [~] **M{n}.1: Writer** (Epic {n}) - WAL

| ID | Title | Status |
|----|-------|--------|
| L{n}a | Plan | ✅ Complete |
| L{n}b | Tokens | 🟡 In Progress |

## 2026-02-{n % 28 + 1:02} — Log {n}

- **Action**: wired the projection, see [md#{n}](x.md).
- [x] **Q{n}.1 & Q{n}.2: identity**

Some prose that goes nowhere, for the report.

"""
    out.append(block)
    size += len(block.encode())
open(path, "w").write("".join(out))
PY
}
measure() { # measure FILE → "seconds maxrss_kb"
  best=""
  for _ in $(seq 1 "$RUNS"); do
    r=$( { /usr/bin/time -f "%e %M" "$BIN" --json import "$1" --dry-run >/dev/null; } 2>&1 | tail -1)
    if [ -z "$best" ] || [ "$(echo "$r" | cut -d' ' -f1 | tr -d .)" -lt "$(echo "$best" | cut -d' ' -f1 | tr -d .)" ]; then best="$r"; fi
  done
  echo "$best"
}
one=$((SIZE * 1024 * 1024)); two=$((2 * one))
gen "$one" "$WORK/one.md"; gen "$two" "$WORK/two.md"
cd "$WORK"
a=$(measure one.md); b=$(measure two.md)
python3 - "$a" "$b" "$one" "$two" <<'PY'
import sys
(t1, m1), (t2, m2) = [tuple(map(float, s.split())) for s in sys.argv[1:3]]
s1, s2 = int(sys.argv[3]), int(sys.argv[4])
for label, t, m, s in (("1x", t1, m1, s1), ("2x", t2, m2, s2)):
    print(f"{label}: {s/2**20:.1f} MB input  {t:.2f} s  {m/1024:.0f} MB peak memory  ({m*1024/s:.1f}x the file)")
print(f"time ratio 2x/1x: {t2/max(t1,0.01):.2f} (linear: 2.0)")
PY
