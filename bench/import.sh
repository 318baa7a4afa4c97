#!/usr/bin/env bash
# How `git ledger import` scales: generates ledgers of SIZE_MB and twice
# that, then times `import --dry-run --json` of each and reads its peak
# memory (GNU time's maximum resident set). Prints seconds, MB of memory,
# memory per byte of input, and the time ratio of the two sizes.
#   bench/import.sh [SIZE_MB] [RUNS] [seed|dense]     (defaults 1, 3, seed)
# `seed`: step sections in the seed layout with their subsections, prose
# and an id-less section, as real ledgers are. `dense`: a step every ~60
# bytes in every shape (sections, checklists, tables, dated logs).
set -euo pipefail
SIZE=${1:-1}
RUNS=${2:-3}
MODE=${3:-seed}
cd "$(dirname "$0")/.."
cargo build --release --quiet
BIN="$PWD/target/release/git-ledger"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
gen() { # gen BYTES FILE
  python3 - "$1" "$2" "$MODE" <<'PY'
import sys
limit, path, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
out, n = [], 0
size = 0
SEED = """## Step S{n:05} – Object storage {n} (DigitalOcean Spaces / S3)

- **Status:** {status}
- **Last updated:** 2025-12-{day:02} 07:30 UTC
- **Responsible run ID:** run-{n}

### Scope & files

- **Blueprint references:**
  - `docs/CANONICAL_BLUEPRINT.md`: storage sections, §4.1 schema.
- **Files touched:**
  - `backend/src/cortex/storage/m{n}.py` (added retries)
  - backend/src/cortex/pkg{n}/__init__.py

### Implementation summary

- Checked `backend/pyproject.toml` and added the missing `boto3` dependency.
- Verified `.env` presence; configuration and keys verified with a script.
- Structure for `backend/src/cortex/` matches §2.2 exactly – 中文 ✅ é.

### Observable invariants

- `pytest backend/tests/test_storage_{n}.py` completes successfully.
- Uploads are idempotent and retried three times.

### Tests & commands run

- `pytest backend/tests/test_storage_{n}.py` – PASSED
- `doctl account get` – UNKNOWN (shell output capture failed)

### Edge cases considered

- Empty bucket; missing credentials.

### Concerns & open issues

- **Layout:** `tests` directory is in the wrong location (root vs `backend/tests`).

### Verification history

- [x] Verified on 2025-12-{day:02} by run run-{n}
  Notes: Manual verification confirmed via auxiliary scripts.

---

## Frontend maintenance {n} (Ad Hoc)

- **Status:** verified

Some notes about the work that name no step, for the report to list.

"""
while size < limit:
    n += 1
    if mode == "seed":
        block = SEED.format(n=n, day=n % 28 + 1, status=["verified", "in_progress", "completed_pending_verification", "not_started"][n % 4])
        out.append(block)
        size += len(block.encode())
        continue
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
echo "- [x] T1 One" > tiny.md
f=$(measure tiny.md); a=$(measure one.md); b=$(measure two.md)
python3 - "$f" "$a" "$b" "$one" "$two" <<'PY'
import sys
(_, floor), (t1, m1), (t2, m2) = [tuple(map(float, s.split())) for s in sys.argv[1:4]]
s1, s2 = int(sys.argv[4]), int(sys.argv[5])
print(f"floor (a one-line file): {floor/1024:.1f} MB")
for label, t, m, s in (("1x", t1, m1, s1), ("2x", t2, m2, s2)):
    print(f"{label}: {s/2**20:.1f} MB input  {t:.2f} s  {m/1024:.0f} MB peak memory  ({(m-floor)*1024/s:.1f}x the file above the floor)")
print(f"time ratio 2x/1x: {t2/max(t1,0.01):.2f} (linear: 2.0)")
PY
