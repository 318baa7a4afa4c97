#!/usr/bin/env python3
"""Runs one shell command and prints its peak resident memory split in
two, in KiB: "total anonymous".

  python3 rss.py CMD

total is the kernel's peak RSS of the command (as `/usr/bin/time -f %M`
reports it). anonymous is the most of it that was the process's own
memory (heap, stacks), sampled from /proc every 2 ms, so a little under
the true peak; the rest are file pages it mapped, such as the pack files
libgit2 maps to read objects, which the page cache shares and can drop.
The command runs through `sh -c`; start it with `exec` so that the
process sampled is the command itself.
"""
import os
import subprocess
import sys
import time


def rss_anon(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


child = subprocess.Popen(["sh", "-c", sys.argv[1]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
anon = 0
while True:
    pid, _, usage = os.wait4(child.pid, os.WNOHANG)
    if pid:
        break
    anon = max(anon, rss_anon(child.pid))
    time.sleep(0.002)
print(usage.ru_maxrss, anon)
