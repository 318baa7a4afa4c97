#!/usr/bin/env python3
"""Times two shell commands interleaved, ROUNDS times each, and prints one
row: the ratio of their medians, both medians and their min-max.

  python3 pair.py ROUNDS LABEL TARGET PREP_A CMD_A PREP_B CMD_B

PREP_* run untimed before each timed run (empty: nothing). Each command
runs through `sh -c` with stdout discarded, so both sides pay the same
shell start; the order alternates per round so that a machine's drift
hits both alike. Exit status is ignored (a check may say no).
"""
import statistics
import subprocess
import sys
import time

rounds = int(sys.argv[1])
label, target, prep_a, cmd_a, prep_b, cmd_b = sys.argv[2:8]


def run(cmd):
    subprocess.run(["sh", "-c", cmd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def timed(prep, cmd):
    if prep:
        run(prep)
    t0 = time.perf_counter()
    run(cmd)
    return (time.perf_counter() - t0) * 1000.0


a, b = [], []
for r in range(rounds):
    if r % 2 == 0:
        a.append(timed(prep_a, cmd_a))
        b.append(timed(prep_b, cmd_b))
    else:
        b.append(timed(prep_b, cmd_b))
        a.append(timed(prep_a, cmd_a))
ma, mb = statistics.median(a), statistics.median(b)
ratio = ma / mb if mb else float("inf")
print(
    "%-46s %7.3f  %-9s %9.1f ms [%7.1f-%7.1f] %9.1f ms [%7.1f-%7.1f]"
    % (label, ratio, target, ma, min(a), max(a), mb, min(b), max(b))
)
