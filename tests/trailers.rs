//! Trailers (SPEC 3): parsed with git's rules, ingested idempotently by
//! `git ledger scan`.

mod common;

use common::{Repo, bare_remote};
use serde_json::Value;
use std::collections::BTreeSet;

const KEYS: [&str; 4] = ["ledger-step", "ledger-status", "ledger-ack", "ledger-run"];

/// A repository with steps S04 and S05 defined (not started).
fn with_steps() -> Repo {
    let r = Repo::new();
    r.ledger_ok(&["init", "--no-hooks"]);
    r.ledger_ok(&["add", "S04", "Object storage", "--owns", "src/storage/**"]);
    r.ledger_ok(&["add", "S05", "Listing", "--owns", "src/list/**"]);
    r
}

/// Commits `message` byte for byte (no cleanup); returns the commit id.
fn commit_verbatim(r: &Repo, message: &str) -> String {
    let file = r.path().join(".git").join("MSG");
    std::fs::write(&file, message).unwrap();
    r.git(&[
        "commit",
        "-q",
        "--allow-empty",
        "--cleanup=verbatim",
        "-F",
        file.to_str().unwrap(),
    ]);
    r.head()
}

/// The ledger trailers `git interpret-trailers --parse` finds in a commit's message.
fn git_trailers(r: &Repo, commit: &str) -> Vec<(String, String)> {
    let raw = r.git(&["cat-file", "commit", commit]);
    let message = raw.split_once("\n\n").map(|(_, m)| m).unwrap_or("");
    let out = r.pipe(
        "git",
        &["interpret-trailers", "--parse"],
        message.as_bytes(),
    );
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
        .filter(|(k, _)| KEYS.contains(&k.as_str()))
        .collect()
}

fn scanned_trailers(scan: &Value, commit: &str) -> Vec<(String, String)> {
    scan["trailers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["commit"] == commit)
        .map(|t| {
            (
                t["key"].as_str().unwrap().to_lowercase(),
                t["value"].as_str().unwrap().trim().to_string(),
            )
        })
        .collect()
}

#[test]
fn trailers_are_read_as_git_interpret_trailers_reads_them() {
    let messages = [
        "Plain subject\n\nLedger-Step: S04\n",
        "Subject\n\nBody line.\n\nledger-step: S04, S05\nLEDGER-ACK: S04\n",
        "Subject\n\nLedger-Step: S04\n\nProse after the trailers.\n",
        "Subject\n\nSigned-off-by: A <a@example.com>\nLedger-Status: S04 done\nsome prose\n",
        "Subject\n\nLedger-Step: S04\nnot a trailer line\n",
        "Subject\n\nLedger-Status: S04\n  completed_pending_verification\n",
        "Subject\n\nLedger-Step : S05\n",
        "Subject\n\nLedger-Step: S04\n---\n src/x.rs | 2 +-\n",
        "Ledger-Step: S04\n",
        "Subject\n\nLedger-Run: run-7\nLedger-Step: S05\nLedger-Step: S04\n",
        "Subject\n\nCo-authored-by: B <b@example.com>\nLedger-Ack: S05\n# a comment\n",
        "Subject\n\n(cherry picked from commit 0123456)\nLedger-Step: S04\none\ntwo\nthree\n",
        "Ünïcode – ✓ subject\n\nLedger-Step: S05\n",
        "Subject\n\nLedger-Step:S04\n\n\n",
        "Subject\n\nBody\nLedger-Step: S04\n",
        "Subject\n\nLedger-Stpe: S04\nLedger-Step: S05\n",
    ];
    let r = with_steps();
    let commits: Vec<String> = messages.iter().map(|m| commit_verbatim(&r, m)).collect();
    let scan = r.ledger_json(&["scan"]);
    let mut with_trailers = 0;
    for (m, c) in messages.iter().zip(&commits) {
        let git = git_trailers(&r, c);
        with_trailers += usize::from(!git.is_empty());
        assert_eq!(scanned_trailers(&scan, c), git, "message {m:?}");
    }
    assert!(
        with_trailers >= 10,
        "the cases exercise trailers: {with_trailers}"
    );
}

#[test]
fn scan_ingests_once_and_a_second_scan_adds_nothing() {
    let r = with_steps();
    let c1 = commit_verbatim(&r, "Start storage\n\nLedger-Step: S04\n");
    let c2 = commit_verbatim(
        &r,
        "Finish listing\n\nLedger-Status: S05 done\nLedger-Run: run-004\n",
    );
    let first = r.ledger_json(&["scan"]);
    let added = first["added"].as_array().unwrap();
    assert_eq!(added.len(), 2, "{first}");
    assert_eq!(added[0]["commit"], c1);
    assert_eq!(added[0]["source"], "trailer");
    assert_eq!(added[0]["status"], "in_progress");
    assert_eq!(added[1]["commit"], c2);
    assert_eq!(added[1]["run"], "run-004");
    assert_eq!(added[1]["by"], "Ada Lovelace <ada@example.com>");
    assert_eq!(r.status_of("S04"), "in_progress");
    assert_eq!(r.status_of("S05"), "completed_pending_verification");

    let lines = r.note_lines();
    // A rerun reads only what no scan of this plan read: nothing.
    let rerun = r.ledger_json(&["scan"]);
    assert_eq!(rerun["commits"], 0, "{rerun}");
    assert_eq!(r.note_lines(), lines, "plain git sees no new line");
    // Read again on purpose: everything is already recorded.
    let second = r.ledger_json(&["scan", "HEAD"]);
    assert_eq!(second["added"].as_array().unwrap().len(), 0, "{second}");
    assert_eq!(second["already"], 2);
    assert_eq!(r.note_lines(), lines, "plain git sees no new line");
    let text = r.ledger_ok(&["scan", "HEAD"]).stdout;
    assert!(
        text.contains("0 event(s) added, 2 already recorded"),
        "{text}"
    );
    let text = r.ledger_ok(&["scan"]).stdout;
    assert!(text.contains("git ledger scan HEAD"), "{text}");
    // What plain git shows on the commit.
    let note = r.git(&["notes", "--ref", "ledger", "show", &c2]);
    assert!(
        note.contains("\"trailer\":\"Ledger-Status: S05 done\""),
        "{note}"
    );
}

#[test]
fn two_clones_scanning_the_same_commits_make_the_same_event_ids() {
    let (_dir, remote) = bare_remote();
    let a = with_steps();
    commit_verbatim(&a, "Work\n\nLedger-Step: S04, S05\nLedger-Ack: S04\n");
    a.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    a.git(&["push", "-q", "origin", "main", "refs/notes/ledger"]);
    let b = Repo::clone_from(&remote);
    b.git(&[
        "fetch",
        "-q",
        "origin",
        "refs/notes/ledger:refs/notes/ledger",
    ]);

    let ids = |r: &Repo| -> BTreeSet<String> {
        r.ledger_json(&["scan"])["added"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_string())
            .collect()
    };
    let in_a = ids(&a);
    let in_b = ids(&b);
    assert_eq!(in_a.len(), 3, "two in_progress and one ack");
    assert_eq!(in_a, in_b);
}

#[test]
fn trailers_naming_unknown_steps_are_reported_not_ingested() {
    let r = with_steps();
    let c = commit_verbatim(&r, "Typo\n\nLedger-Step: S4\nLedger-Status: S05 finished\n");
    let before = r.note_lines();
    let scan = r.ledger_json(&["scan"]);
    assert_eq!(scan["added"].as_array().unwrap().len(), 0);
    let rejected = scan["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 2, "{scan}");
    assert!(rejected.iter().all(|x| x["commit"] == c));
    let reasons: Vec<&str> = rejected
        .iter()
        .map(|x| x["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|x| x.contains("unknown step 'S4' — did you mean S04?")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|x| x.contains("'finished' is not a status")),
        "{reasons:?}"
    );
    assert_eq!(r.note_lines(), before, "nothing written");
    let text = r.ledger_ok(&["scan", "HEAD"]).stdout;
    assert!(text.contains("not ingested"), "{text}");
    // Once S4 is defined, a plain scan reads the history again for it.
    r.ledger_ok(&["add", "S4", "Four"]);
    let again = r.ledger_json(&["scan"]);
    assert_eq!(again["added"].as_array().unwrap().len(), 1, "{again}");
}

#[test]
fn scan_range_reads_only_that_range() {
    let r = with_steps();
    commit_verbatim(&r, "Old\n\nLedger-Step: S04\n");
    let base = r.head();
    commit_verbatim(&r, "New\n\nLedger-Step: S05\n");
    let scan = r.ledger_json(&["scan", &format!("{base}..HEAD")]);
    assert_eq!(scan["commits"], 1);
    let added = scan["added"].as_array().unwrap();
    assert_eq!(added.len(), 1);
    assert_eq!(added[0]["step"], "S05");
    assert_eq!(r.status_of("S04"), "not_started");

    let bad = r.ledger(&["scan", "nosuchbranch..HEAD"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(
        bad.stderr
            .contains("error: 'nosuchbranch..HEAD' is not a revision range"),
        "{}",
        bad.stderr
    );
    assert!(bad.stderr.contains("hint:"));
}

#[test]
fn scan_of_a_revision_reads_its_whole_history_across_a_commit_graph_and_newer_commits() {
    // A merge inside git's commit-graph file, a commit newer than it: the
    // history `scan HEAD` reads is HEAD's, every commit once, parents
    // first, as git lists it.
    let r = with_steps();
    let a = commit_verbatim(&r, "Start\n\nLedger-Step: S04\n");
    r.git(&["checkout", "-q", "-b", "side"]);
    let b = commit_verbatim(&r, "Side\n\nLedger-Step: S05\n");
    r.git(&["checkout", "-q", "-"]);
    r.write("src/other.txt", "c\n");
    r.commit_all("C");
    r.git(&["merge", "-q", "--no-ff", "-m", "Merge side", "side"]);
    r.git(&["commit-graph", "write", "--reachable"]);
    assert!(r.path().join(".git/objects/info/commit-graph").exists());
    let d = commit_verbatim(&r, "Newer\n\nLedger-Step: S04\n");

    let scan = r.ledger_json(&["scan", "HEAD"]);
    let count: u64 = r
        .git(&["rev-list", "--count", "HEAD"])
        .trim()
        .parse()
        .unwrap();
    assert_eq!(scan["commits"], count, "{scan}");
    let order: Vec<&str> = scan["trailers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["commit"].as_str().unwrap())
        .collect();
    assert_eq!(order.len(), 3, "{scan}");
    assert_eq!(order[0], a.as_str(), "the oldest first: {scan}");
    assert_eq!(order[1], b.as_str(), "{scan}");
    assert_eq!(order[2], d.as_str(), "the newest last: {scan}");
    assert_eq!(r.status_of("S05"), "in_progress");
    // The same revision named by its id reads the same history.
    let again = r.ledger_json(&["scan", &d]);
    assert_eq!(again["commits"], count, "{again}");
    assert_eq!(again["added"].as_array().unwrap().len(), 0, "{again}");
}

#[test]
fn an_old_trailer_does_not_undo_a_later_status() {
    let r = with_steps();
    commit_verbatim(&r, "Start\n\nLedger-Step: S04\n");
    r.write("src/storage/a.rs", "a\n");
    r.commit_all("Storage");
    r.ledger_ok(&["mark", "S04", "verified"]);
    // The old commit's trailer arrives after the verification (first scan).
    let scan = r.ledger_json(&["scan"]);
    assert_eq!(scan["added"].as_array().unwrap().len(), 0, "{scan}");
    let superseded = scan["superseded"].as_array().unwrap();
    assert_eq!(superseded.len(), 1);
    assert!(
        superseded[0]["reason"]
            .as_str()
            .unwrap()
            .contains("later status: verified")
    );
    assert_eq!(r.status_of("S04"), "verified");
}

#[test]
fn a_commit_may_set_a_status_and_work_on_a_step_at_once() {
    let r = with_steps();
    commit_verbatim(
        &r,
        "Done\n\nLedger-Step: S04\nLedger-Status: S04 completed_pending_verification\n",
    );
    let scan = r.ledger_json(&["scan"]);
    let added = scan["added"].as_array().unwrap();
    assert_eq!(added.len(), 1, "the status wins over Ledger-Step: {scan}");
    assert_eq!(r.status_of("S04"), "completed_pending_verification");
}

#[test]
fn which_status_is_later_is_told_the_same_across_a_commit_graph_and_newer_commits() {
    // git's commit-graph file holds the history up to B; C, D and E are
    // newer than the file. Each trailer is judged against the statuses
    // of its descendants only, whichever side of the file they sit on.
    let r = with_steps();
    let a = commit_verbatim(&r, "Start\n\nLedger-Step: S04\n");
    r.write("src/storage/a.rs", "a\n");
    r.commit_all("B");
    r.ledger_ok(&["mark", "S04", "done"]);
    r.git(&["commit-graph", "write", "--reachable"]);
    assert!(r.path().join(".git/objects/info/commit-graph").exists());
    let c = commit_verbatim(&r, "Listing\n\nLedger-Step: S05\n");
    r.write("src/list/a.rs", "a\n");
    r.commit_all("D");
    r.ledger_ok(&["mark", "S05", "done"]);
    let e = commit_verbatim(&r, "Storage again\n\nLedger-Step: S04\n");

    let scan = r.ledger_json(&["scan"]);
    let superseded: BTreeSet<(String, String)> = scan["superseded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["commit"].as_str().unwrap().to_string(),
                s["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let commits: BTreeSet<&str> = superseded.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(commits, BTreeSet::from([a.as_str(), c.as_str()]), "{scan}");
    assert!(
        superseded
            .iter()
            .all(|(_, why)| why.contains("later status: completed_pending_verification")),
        "{scan}"
    );
    // E is newer than the file, B inside it: B's status is not later.
    let added = scan["added"].as_array().unwrap();
    assert_eq!(added.len(), 1, "{scan}");
    assert_eq!(added[0]["commit"], e.as_str());
    assert_eq!(r.status_of("S04"), "in_progress");
    assert_eq!(r.status_of("S05"), "completed_pending_verification");
}
