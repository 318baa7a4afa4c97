#!/usr/bin/env python3
"""A git fast-import stream for git-ledger's benchmarks: a history of COMMITS
commits over STEPS * FILES_PER_STEP owned files and UNOWNED other files, and
a ledger of EVENTS events in refs/notes/ledger written by the same stream.

The ledger is what a team's looks like: one define per step on the first
commit; statuses, trailers' work and notes spread over the history (two
events per annotated commit); then, on the last commit, 60% of the steps
verified (with the fingerprint of their owned files there, computed here
as git-ledger does: SHA-256 over sorted "<mode> <blob> <path>" lines) and
20% done. Every 20th commit carries a Ledger-Step trailer.

  python3 data.py COMMITS STEPS EVENTS FILES_PER_STEP UNOWNED | git fast-import
"""
import hashlib
import sys

commits, steps, events, per_step, unowned = map(int, sys.argv[1:6])
out = sys.stdout.buffer
write = out.write


def data(text):
    b = text.encode()
    write(b"data %d\n" % len(b))
    write(b)


def path_of(k):
    if k < steps * per_step:
        return "mod/s%05d/f%02d.rs" % (k // per_step + 1, k % per_step)
    j = k - steps * per_step
    return "misc/d%02d/f%05d.txt" % (j % 50, j)


def content(k, version):
    return "file %d v%d\n" % (k, version)


def blob_id(text):
    b = text.encode()
    return hashlib.sha1(b"blob %d\0" % len(b) + b).hexdigest()


def step_id(s):
    return "S%05d" % s


def stamp(i):
    return 1767225600 + i * 60


def iso(t):
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


total = steps * per_step + unowned
version = {}
for i in range(1, commits + 1):
    write(b"commit refs/heads/main\nmark :%d\n" % i)
    write(b"committer Bench <bench@example.com> %d +0000\n" % stamp(i))
    msg = "Change %d\n" % i
    if i % 20 == 0:
        msg += "\nLedger-Step: %s\n" % step_id((i // 20) % steps + 1)
    data(msg)
    if i > 1:
        write(b"from :%d\n" % (i - 1))
    if i == 1:
        for k in range(total):
            version[k] = 0
            write(("M 100644 inline %s\n" % path_of(k)).encode())
            data(content(k, 0))
    else:
        k = (i * 7919) % total
        version[k] = i
        write(("M 100644 inline %s\n" % path_of(k)).encode())
        data(content(k, i))
    write(b"\n")


def fingerprint(s):
    lines = []
    for f in range(per_step):
        k = (s - 1) * per_step + f
        lines.append("100644 %s %s\n" % (blob_id(content(k, version[k])), path_of(k)))
    lines.sort()
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def event(seq, s, kind, extra):
    return (
        '{"v":1,"id":"%032x","seq":%d,"at":"%s","by":"Bench <bench@example.com>",'
        '"step":"%s","kind":"%s","source":"import"%s}\n'
        % (seq, seq, iso(stamp(0) + seq), step_id(s), kind, extra)
    )


notes = {}
seq = 0
for s in range(1, steps + 1):
    seq += 1
    notes.setdefault(1, []).append(
        event(seq, s, "define",
              ',"title":"Step %d","owns":["mod/s%05d/**"],"phase":"Phase %d"'
              % (s, s, (s - 1) // 20 + 1)))
verified = steps * 6 // 10
pending = steps * 2 // 10
spread = max(0, events - steps - verified - pending)
for n in range(spread):
    seq += 1
    s = (seq * 37) % steps + 1
    c = 2 + (seq // 2) * 5 % max(1, commits - 1)
    if seq % 3 == 0:
        e = event(seq, s, "note", ',"msg":"progress note %d"' % seq)
    else:
        e = event(seq, s, "status", ',"status":"in_progress"')
    notes.setdefault(c, []).append(e)
for s in range(1, verified + pending + 1):
    seq += 1
    if s <= verified:
        extra = ',"status":"verified","fingerprint":"%s"' % fingerprint(s)
    else:
        extra = ',"status":"completed_pending_verification"'
    notes.setdefault(commits, []).append(event(seq, s, "status", extra))

write(b"commit refs/notes/ledger\n")
write(b"committer Bench <bench@example.com> %d +0000\n" % stamp(commits))
data("bench ledger\n")
for c in sorted(notes):
    write(b"N inline :%d\n" % c)
    data("".join(notes[c]))
write(b"\n")
out.flush()
