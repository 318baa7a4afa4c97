//! Nothing is lost: concurrent writers, rewrites, merges by plain git,
//! lines this version cannot read, and fanned-out notes trees.

mod common;
use common::Repo;
use std::collections::HashSet;
use std::process::Stdio;

fn ids(r: &Repo) -> HashSet<String> {
    r.events()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn twenty_concurrent_marks_leave_twenty_events() {
    let r = Repo::new();
    for i in 0..10 {
        r.write(&format!("f{i}.txt"), "x\n");
        r.commit_all(&format!("commit {i}"));
    }
    r.ledger_ok(&["add", "S04", "Storage"]);
    r.ledger_ok(&["add", "S05", "Search"]);
    let before = r.events().len();
    let commits: Vec<String> = r
        .git(&["rev-list", "HEAD", "-n", "10"])
        .lines()
        .map(str::to_string)
        .collect();
    let mut children = Vec::new();
    // Ten identical marks on HEAD, ten on ten different commits.
    for _ in 0..10 {
        children.push(
            r.cmd(common::BIN)
                .args(["mark", "S04", "in_progress"])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
    }
    for c in &commits {
        children.push(
            r.cmd(common::BIN)
                .args(["mark", "S05", "wip", "--commit", c])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
    }
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let events = r.events();
    assert_eq!(events.len(), before + 20);
    assert_eq!(ids(&r).len(), before + 20, "every event has its own id");
    let seqs: HashSet<u64> = events.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(
        seqs.len(),
        events.len(),
        "serialised writers get distinct Lamport seqs"
    );
    assert_eq!(
        r.ledger_json(&["log"]).as_array().unwrap().len(),
        before + 20
    );
    // The notes history is linear: one notes commit per append.
    let history = r.git(&["rev-list", "--count", "refs/notes/ledger"]);
    assert_eq!(history.trim().parse::<usize>().unwrap(), 22);
}

#[test]
fn amend_keeps_status_and_history() {
    let r = Repo::new();
    r.ledger_ok(&["init"]);
    r.write("src/a.rs", "a\n");
    r.commit_all("work");
    r.ledger_ok(&["add", "S01", "A", "--owns", "src/**"]);
    r.ledger_ok(&["mark", "S01", "verified", "-m", "ok"]);
    let old = r.head();
    r.git(&["commit", "-q", "--amend", "-m", "work, reworded"]);
    let new = r.head();
    assert_ne!(old, new);
    let note = r.git(&["notes", "--ref", "ledger", "show", &new]);
    assert!(
        note.contains("\"status\":\"verified\""),
        "git copied the note: {note}"
    );
    let st = r.ledger_json(&["status"]);
    assert_eq!(st["steps"][0]["status"], "verified");
    assert_eq!(
        st["steps"][0]["since"]["commit"],
        new.as_str(),
        "bound to the rewritten commit"
    );
    assert_eq!(
        r.ledger_json(&["log", "S01"]).as_array().unwrap().len(),
        2,
        "copies are one event each"
    );
}

#[test]
fn rebase_keeps_status_and_history() {
    let r = Repo::new();
    r.ledger_ok(&["init"]);
    r.git(&["checkout", "-q", "-b", "feature"]);
    r.write("src/storage/a.rs", "a\n");
    let work = r.commit_all("storage work");
    r.ledger_ok(&["add", "S04", "Storage", "--owns", "src/storage/**"]);
    r.ledger_ok(&["mark", "S04", "in_progress", "--commit", &work]);
    r.write("src/storage/b.rs", "b\n");
    r.commit_all("more storage");
    r.ledger_ok(&["mark", "S04", "verified"]);
    r.git(&["checkout", "-q", "main"]);
    r.write("docs.md", "unrelated\n");
    r.commit_all("docs on main");
    r.git(&["checkout", "-q", "feature"]);
    let before = r.head();
    r.git(&["rebase", "-q", "main"]);
    let after = r.head();
    assert_ne!(before, after);
    let st = r.ledger_json(&["status"]);
    assert_eq!(
        st["steps"][0]["status"], "verified",
        "owned content is unchanged: no drift"
    );
    assert_eq!(st["steps"][0]["since"]["commit"], after.as_str());
    let log = r.ledger_json(&["log", "S04"]);
    assert_eq!(log.as_array().unwrap().len(), 3);
    let rewritten_work = r.git(&["rev-parse", "HEAD~1"]).trim().to_string();
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["commit"] == rewritten_work.as_str() && e["status"] == "in_progress")
    );
}

#[test]
fn ledgers_merged_by_plain_git_notes_merge_read_correctly() {
    let a = Repo::new();
    a.ledger_ok(&["init"]);
    a.ledger_ok(&["add", "S01", "One"]);
    a.ledger_ok(&["add", "S02", "Two"]);
    let b = Repo::clone_from(a.path());
    b.git(&[
        "fetch",
        "-q",
        "origin",
        "refs/notes/ledger:refs/notes/ledger",
    ]);
    // Diverge: both sides write, some on the same commit.
    a.ledger_ok(&["mark", "S01", "verified"]);
    b.ledger_ok(&["mark", "S02", "done"]);
    b.ledger_ok(&["add", "S03", "Three"]);
    a.git(&[
        "fetch",
        "-q",
        b.path().to_str().unwrap(),
        "refs/notes/ledger:refs/notes/theirs",
    ]);
    a.git(&[
        "notes",
        "--ref",
        "ledger",
        "merge",
        "-s",
        "cat_sort_uniq",
        "refs/notes/theirs",
    ]);
    let st = a.ledger_json(&["status"]);
    let got: Vec<(String, String)> = st["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().into(),
                s["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("S01".into(), "verified".into()),
            ("S02".into(), "completed_pending_verification".into()),
            ("S03".into(), "not_started".into())
        ]
    );
    assert_eq!(a.events().len(), 5, "2 shared + 1 from here + 2 from there");
    // And the tool appends on top of git's merge commit.
    a.ledger_ok(&["mark", "S03", "wip"]);
    assert_eq!(a.status_of("S03"), "in_progress");
}

#[test]
fn lines_it_cannot_read_are_skipped_with_one_warning_and_kept() {
    let r = Repo::new();
    r.ledger_ok(&["add", "S01", "One"]);
    let head = r.head();
    let foreign = [
        "",
        "this is not json",
        r#"{"v":2,"id":"00000000000000000000000000000002","seq":50,"at":"2026-01-01T00:00:00Z","by":"x","step":"S01","kind":"status","source":"cli","status":"verified"}"#,
        r#"{"v":1,"id":"00000000000000000000000000000003","seq":51,"at":"2026-01-01T00:00:00Z","by":"x","step":"S01","kind":"vote","source":"cli"}"#,
    ];
    let mut note = r.git(&["notes", "--ref", "ledger", "show", &head]);
    note.push_str(&foreign.join("\n"));
    note.push('\n');
    let file = r.path().join(".git/note.txt");
    std::fs::write(&file, &note).unwrap();
    r.git(&[
        "notes",
        "--ref",
        "ledger",
        "add",
        "-f",
        "-F",
        file.to_str().unwrap(),
        &head,
    ]);

    let out = r.ledger_ok(&["status"]);
    assert_eq!(out.stderr.matches("warning:").count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("3 line(s)"), "{}", out.stderr);
    assert!(out.stdout.contains("S01"));
    assert_eq!(
        r.status_of("S01"),
        "not_started",
        "a v2 line is not applied"
    );
    r.ledger_ok(&["mark", "S01", "wip"]);
    let after = r.git(&["notes", "--ref", "ledger", "show", &head]);
    for line in &foreign[1..] {
        assert!(
            after.lines().any(|l| l == *line),
            "{line} was dropped:\n{after}"
        );
    }
    assert_eq!(r.status_of("S01"), "in_progress");
}

/// `count` commits on main, made with fast-import; returns their ids.
fn many_commits(r: &Repo, count: usize) -> Vec<String> {
    let mut stream = String::new();
    for i in 0..count {
        let msg = format!("c{i}");
        let data = format!("{i}\n");
        stream.push_str(&format!(
            "commit refs/heads/main\nmark :{m}\ncommitter A <a@x> 1700000000 +0000\ndata {}\n{msg}\n{from}M 644 inline f.txt\ndata {}\n{data}\n",
            msg.len(),
            data.len(),
            m = i + 1,
            from = if i == 0 { "from refs/heads/main^0\n".to_string() } else { format!("from :{i}\n") },
        ));
    }
    r.fast_import(&stream);
    r.git(&["reset", "-q", "--hard", "main"]);
    r.git(&["rev-list", "HEAD", "-n", &count.to_string()])
        .lines()
        .map(str::to_string)
        .collect()
}

fn has_fanout(r: &Repo) -> bool {
    r.git(&["ls-tree", "refs/notes/ledger"]).lines().any(|l| {
        l.starts_with("040000 tree")
            && l.ends_with(|c: char| c.is_ascii_hexdigit())
            && l.split('\t').nth(1).is_some_and(|n| n.len() == 2)
    })
}

#[test]
fn notes_trees_fanned_out_by_git_are_read_and_written() {
    let r = Repo::new();
    let commits = many_commits(&r, 330);
    r.ledger_ok(&["add", "S01", "One"]);
    // commits[0] is HEAD, which already holds the define.
    for (i, c) in commits.iter().enumerate().skip(1).take(320) {
        let line = format!(
            r#"{{"v":1,"id":"{:032x}","seq":{},"at":"2026-01-01T00:00:00Z","by":"A <a@x>","step":"S01","kind":"note","source":"cli","msg":"n{i}"}}"#,
            i + 1000,
            i + 1
        );
        r.git(&["notes", "--ref", "ledger", "add", "-m", &line, c]);
    }
    assert!(has_fanout(&r), "git fanned out the notes tree");
    assert_eq!(r.ledger_json(&["log"]).as_array().unwrap().len(), 321);

    // Append to a commit that has a note inside the fan-out, and to new ones.
    r.ledger_ok(&["mark", "S01", "wip", "--commit", &commits[5]]);
    r.ledger_ok(&["mark", "S01", "done", "--commit", &commits[325]]);
    let inside = r.git(&["notes", "--ref", "ledger", "show", &commits[5]]);
    assert_eq!(inside.lines().count(), 2, "{inside}");
    let fresh = r.git(&["notes", "--ref", "ledger", "show", &commits[325]]);
    assert!(fresh.contains("completed_pending_verification"));
    assert_eq!(
        r.git(&["notes", "--ref", "ledger", "list"]).lines().count(),
        322
    );
    assert!(has_fanout(&r));
    assert_eq!(r.status_of("S01"), "completed_pending_verification");
    r.git(&["fsck", "--no-progress"]);
}

#[test]
fn the_tool_fans_out_a_large_flat_tree_itself() {
    let r = Repo::new();
    let commits = many_commits(&r, 300);
    r.ledger_ok(&["add", "S01", "One"]);
    for c in &commits {
        r.ledger_ok(&["-q", "mark", "S01", "wip", "--commit", c]);
    }
    assert!(
        has_fanout(&r),
        "more than 256 notes in one level are fanned out"
    );
    assert_eq!(
        r.git(&["notes", "--ref", "ledger", "list"]).lines().count(),
        300,
        "HEAD holds two events"
    );
    for c in [&commits[0], &commits[150], &commits[299]] {
        let note = r.git(&["notes", "--ref", "ledger", "show", c]);
        assert!(
            note.contains("in_progress"),
            "git reads the fanned-out note on {c}"
        );
    }
    assert_eq!(r.ledger_json(&["log"]).as_array().unwrap().len(), 301);
}

#[test]
fn the_caches_follow_plain_git_edits_and_survive_damage() {
    let r = Repo::new();
    r.ledger_ok(&["add", "S01", "One"]);
    r.write("a.txt", "a\n");
    let second = r.commit_all("second");
    r.ledger_ok(&["mark", "S01", "wip"]);
    assert_eq!(r.ledger_json(&["log"]).as_array().unwrap().len(), 2);
    // Plain git removes a note: the tool no longer sees its event.
    r.git(&["notes", "--ref", "ledger", "remove", &second]);
    assert_eq!(r.ledger_json(&["log"]).as_array().unwrap().len(), 1);
    assert_eq!(r.status_of("S01"), "not_started");
    // Damaged or foreign cache files are ignored and rebuilt.
    let dir = r.path().join(".git/git-ledger");
    let mut damaged = 0;
    let mut dirs = vec![dir.clone()];
    while let Some(d) = dirs.pop() {
        for f in std::fs::read_dir(&d).unwrap() {
            let p = f.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                std::fs::write(p, "garbage\n12 34\n").unwrap();
                damaged += 1;
            }
        }
    }
    assert!(damaged >= 2, "the notes cache and a view cache");
    r.ledger_ok(&["mark", "S01", "done"]);
    assert_eq!(r.status_of("S01"), "completed_pending_verification");
    assert_eq!(r.ledger_json(&["log"]).as_array().unwrap().len(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(r.ledger_json(&["log"]).as_array().unwrap().len(), 2);
}

#[test]
fn a_forged_huge_seq_is_skipped_and_the_ledger_keeps_moving() {
    let r = Repo::new();
    r.ledger_ok(&["add", "S01", "One"]);
    // A line that claims to be the latest event for ever, as a sync could
    // bring it: in an honest ledger no seq exceeds the number of events.
    let forged = r#"{"v":1,"id":"ffffffffffffffffffffffffffffffff","seq":18446744073709551615,"at":"2026-01-01T00:00:00Z","by":"Mallory <m@x>","step":"S01","kind":"status","source":"cli","status":"verified"}"#;
    r.git(&["notes", "--ref", "ledger", "append", "-m", forged, "HEAD"]);
    let out = r.ledger(&["mark", "S01", "wip"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("not_started → in_progress"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains("seq 18446744073709551615 is larger than"),
        "warned once: {}",
        out.stderr
    );
    assert_eq!(r.status_of("S01"), "in_progress");
    r.ledger_ok(&["mark", "S01", "done"]);
    assert_eq!(r.status_of("S01"), "completed_pending_verification");
    // The forged line is still there, untouched; the new ones have small seqs.
    let lines = r.note_lines();
    assert!(lines.iter().any(|l| l == forged));
    let seqs: Vec<u64> = r
        .events()
        .iter()
        .filter_map(|e| e["seq"].as_u64())
        .filter(|s| *s != u64::MAX)
        .collect();
    assert_eq!(seqs, [1, 2, 3], "numbering goes on from the honest events");
}

/// A fast-import stream of a notes commit on top of refs/notes/ledger
/// (or its first, with `first`) putting `lines` on `commits`.
fn notes_stream(first: bool, notes: &[(&String, String)], extra_file: bool) -> String {
    let mut s = String::from(
        "commit refs/notes/ledger\ncommitter A <a@x> 1700000000 +0000\ndata 5\nnotes\n",
    );
    if !first {
        s.push_str("from refs/notes/ledger^0\n");
    }
    if extra_file {
        // Not a note: something else someone keeps in the notes tree.
        s.push_str("M 644 inline README\ndata 4\nhey\n");
    }
    for (commit, text) in notes {
        s.push_str(&format!("N inline {commit}\ndata {}\n{text}\n", text.len()));
    }
    s
}

#[test]
fn a_ledger_of_8000_notes_read_by_git_matches_one_read_through_libgit2() {
    let r = Repo::new();
    let commits = many_commits(&r, 8_000);
    let line = |seq: usize, kind: &str, rest: &str| {
        format!(
            r#"{{"v":1,"id":"{seq:032x}","seq":{seq},"at":"2026-01-01T00:00:00Z","by":"A <a@x>","step":"S{:02}","kind":"{kind}","source":"cli"{rest}}}"#,
            seq % 7
        )
    };
    // Oldest first: the plan, then a status or a note on every commit,
    // and one line that is not an event.
    let oldest: Vec<&String> = commits.iter().rev().collect();
    let mut notes: Vec<(&String, String)> = Vec::new();
    for (i, c) in oldest.iter().enumerate() {
        let seq = i + 1;
        let mut text = if seq <= 7 {
            line(seq, "define", &format!(r#","title":"Step {seq}""#))
        } else if seq % 3 == 0 {
            line(seq, "note", r#","msg":"n""#)
        } else {
            let s = ["in_progress", "blocked", "completed_pending_verification"][seq % 3];
            line(seq, "status", &format!(r#","status":"{s}""#))
        };
        if seq == 100 {
            text.push_str("\nnot an event");
        }
        notes.push((c, text + "\n"));
    }
    // Well below the size read through git: read through libgit2, then
    // 5,000 more notes are added and caught up with, still through libgit2.
    r.fast_import(&notes_stream(true, &notes[..3_000], true));
    let first = r.ledger_env(&[("GIT_LEDGER_TRACE", "1")], &["status"]);
    assert!(!first.stderr.contains("read by git"), "{}", first.stderr);
    r.fast_import(&notes_stream(false, &notes[3_000..], false));
    // And a second, flat note on a commit that has one fanned out (as a
    // merge of two layouts leaves it): one note, both texts.
    let twice = oldest[10];
    let extra = line(8_001, "status", r#","status":"blocked""#) + "\n";
    r.fast_import(&format!(
            "commit refs/notes/ledger\ncommitter A <a@x> 1700000000 +0000\ndata 5\nnotes\nfrom refs/notes/ledger^0\nM 644 inline {twice}\ndata {}\n{extra}\n",
            extra.len()
        ),
    );
    let listed = r.git(&["ls-tree", "-r", "--name-only", "refs/notes/ledger"]);
    assert!(listed.lines().any(|l| l == twice), "flat");
    assert!(
        listed
            .lines()
            .any(|l| l == format!("{}/{}", &twice[..2], &twice[2..])),
        "fanned"
    );
    let through_libgit2 = (r.ledger_json(&["status", "--all"]), r.ledger_json(&["log"]));
    let warned = r.ledger_ok(&["status"]).stderr;

    // Cold: the whole ledger read by git's ls-tree and cat-file.
    std::fs::remove_dir_all(r.path().join(".git/git-ledger")).unwrap();
    let cold = r.ledger_env(&[("GIT_LEDGER_TRACE", "1")], &["status"]);
    assert!(
        cold.stderr.contains("index: 8000 notes read by git"),
        "{}",
        cold.stderr
    );
    let through_git = (r.ledger_json(&["status", "--all"]), r.ledger_json(&["log"]));
    assert_eq!(through_git.1.as_array().unwrap().len(), 8_001);
    assert_eq!(through_git, through_libgit2);
    assert!(cold.stderr.contains("line 2"), "{}", cold.stderr);
    let warning = |s: &str| {
        s.lines()
            .filter(|l| !l.starts_with("trace:"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(warning(&cold.stderr), warning(&warned));
}

/// Past 5,000 events a cold view walks the tree (for the fingerprints)
/// and the history (for the commits in view) on two threads. Both must
/// give what one walk gives: a verified step holds, one whose files
/// changed has drifted, a note on another branch is out of view.
#[test]
fn past_5000_events_the_two_walks_of_a_view_find_drift_and_what_is_in_view() {
    let r = Repo::new();
    r.ledger_ok(&["init", "--no-hooks"]);
    for (id, dir) in [("S01", "one"), ("S02", "two"), ("S03", "three")] {
        r.write(&format!("src/{dir}/a.txt"), &format!("{dir}\n"));
        let owns = format!("src/{dir}/**");
        r.ledger_ok(&["add", id, dir, "--owns", &owns, "--check", "true"]);
    }
    r.commit_all("code");
    r.ledger_ok(&["verify", "S01"]);
    r.ledger_ok(&["verify", "S02"]);
    let seq0 = r.note_lines().len();
    // 6,000 commits, each with a note of one status event on one of 40
    // bulk steps (defined on the first); and a side branch whose note
    // starts S03.
    const BULK: usize = 6000;
    const STEPS: usize = 40;
    let words = [
        "in_progress",
        "completed_pending_verification",
        "not_started",
    ];
    let line = |seq: usize, step: &str, kind: &str, rest: &str| {
        format!(
            r#"{{"v":1,"id":"{seq:032x}","seq":{seq},"at":"2026-02-01T00:00:00Z","by":"Bulk <bulk@example.com>","step":"{step}","kind":"{kind}","source":"cli"{rest}}}"#
        )
    };
    // The side branch first, off the verified commit; then the bulk on main.
    r.git(&["switch", "-q", "-c", "side"]);
    r.write("side.txt", "side\n");
    let side = r.commit_all("side");
    r.git(&["switch", "-q", "main"]);
    let mut bulk = many_commits(&r, BULK);
    bulk.reverse(); // oldest first
    let mut seq = seq0;
    let mut notes: Vec<(&String, String)> = Vec::new();
    for (i, commit) in bulk.iter().enumerate() {
        let mut note = String::new();
        if i == 0 {
            for s in 0..STEPS {
                seq += 1;
                let title = format!(r#","title":"Bulk {s}""#);
                note.push_str(&line(seq, &format!("S{}", 100 + s), "define", &title));
                note.push('\n');
            }
        }
        seq += 1;
        let status = format!(r#","status":"{}""#, words[(i / STEPS + i) % words.len()]);
        note.push_str(&line(
            seq,
            &format!("S{}", 100 + i % STEPS),
            "status",
            &status,
        ));
        notes.push((commit, note + "\n"));
    }
    seq += 1;
    let started = line(seq, "S03", "status", r#","status":"in_progress""#) + "\n";
    notes.push((&side, started));
    r.fast_import(&notes_stream(false, &notes, false));
    assert!(r.git(&["notes", "--ref", "ledger", "list"]).lines().count() > BULK);
    // S02's files change after its verification, with no hook to see it.
    r.write("src/two/a.txt", "changed\n");
    r.git(&[
        "-c",
        "core.hooksPath=/dev/null",
        "commit",
        "-qam",
        "change two",
    ]);

    let expect = |s: usize| {
        let last = BULK - STEPS + s;
        words[(last / STEPS + last) % words.len()]
    };
    let check = |how: &str| {
        let v = r.ledger_json(&["status", "--all"]);
        let status: std::collections::HashMap<&str, &str> = v["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["id"].as_str().unwrap(), s["status"].as_str().unwrap()))
            .collect();
        assert_eq!(status.len(), 3 + STEPS, "{how}: {v}");
        assert_eq!(status["S01"], "verified", "{how}: its files did not change");
        assert_eq!(status["S02"], "drift_detected", "{how}: its files changed");
        assert_eq!(
            status["S03"], "not_started",
            "{how}: started on another branch"
        );
        for s in 0..STEPS {
            assert_eq!(
                status[format!("S{}", 100 + s).as_str()],
                expect(s),
                "{how}: S{}",
                100 + s
            );
        }
    };
    let cache = r.path().join(".git/git-ledger");
    std::fs::remove_dir_all(&cache).ok();
    check("cold");
    check("warm");
    std::fs::remove_dir_all(cache.join("views")).unwrap();
    check("from the index");
    let side = r.ledger_json(&["status", "--all", "--at", "side"]);
    let s03 = common::step(&side, "S03");
    assert_eq!(s03["status"], "in_progress", "seen from the side branch");
}
