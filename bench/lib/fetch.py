#!/usr/bin/env python3
"""What a fetch brings: 1,000 events another clone wrote on recent commits,
as a notes commit on top of refs/notes/ledger (a fast-forward after the
fetch). Prints a git fast-import stream; keeps the next seq in
.git/ledger-bench-seq so that every line stays honest (SPEC 2.2).

  python3 fetch.py STEPS | git fast-import --quiet
"""
import random
import subprocess
import sys

steps = int(sys.argv[1])


def git(*args):
    return subprocess.run(["git", *args], capture_output=True, text=True).stdout


have = {l.split()[1] for l in git("notes", "--ref", "ledger", "list").splitlines() if l}
recent = [c for c in git("rev-list", "-n", "20000", "HEAD").split() if c not in have][:500]
try:
    n = int(open(".git/ledger-bench-seq").read())
except (OSError, ValueError):
    n = subprocess.run(
        "git notes --ref ledger list | cut -d' ' -f1 | git cat-file --batch",
        shell=True, capture_output=True, text=True).stdout.count('"seq"')
out = ["commit refs/notes/ledger", "committer Bench <bench@example.com> 1800000000 +0000",
       "data 8", "fetched", "from refs/notes/ledger^0"]
for c in recent:
    lines = ""
    for _ in range(2):
        n += 1
        lines += ('{"v":1,"id":"%032x","seq":%d,"at":"2026-06-01T00:00:00Z","by":"Other <o@x>",'
                  '"step":"S%05d","kind":"status","source":"cli","status":"in_progress"}\n'
                  % (random.getrandbits(127), n, n % steps + 1))
    out += ["N inline " + c, "data %d" % len(lines.encode()), lines.rstrip("\n")]
open(".git/ledger-bench-seq", "w").write(str(n))
sys.stdout.write("\n".join(out) + "\n\n")
