//! `git ledger sync` and the merge reads do of fetched ledgers, against real
//! bare remotes on disk, driven through the real binary and plain git.

mod common;

use common::{BIN, Repo, bare_remote};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use tempfile::TempDir;

/// A bare remote holding one commit on `main`, and the clone that made it.
fn remote_with_commit() -> (TempDir, std::path::PathBuf, Repo) {
    let (dir, path) = bare_remote();
    let first = Repo::new();
    first.git(&["remote", "add", "origin", path.to_str().unwrap()]);
    first.git(&["push", "-q", "-u", "origin", "main"]);
    (dir, path, first)
}

fn sync_json(repo: &Repo, args: &[&str]) -> Value {
    let mut all = vec!["sync"];
    all.extend_from_slice(args);
    repo.ledger_json(&all)
}

/// Event ids as plain `git notes` sees them, and how many lines carry them.
fn event_ids(repo: &Repo) -> (BTreeSet<String>, usize) {
    let events = repo.events();
    let ids = events
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    (ids, events.len())
}

/// The remote's ledger tip, as `git ls-remote` reports it (None: no ledger).
fn remote_tip(remote: &Path) -> Option<String> {
    let probe = Repo::new();
    let out = probe.git(&["ls-remote", remote.to_str().unwrap(), "refs/notes/ledger"]);
    out.split_whitespace().next().map(str::to_string)
}

/// Every event id the remote holds, read through a fresh clone.
fn remote_ids(remote: &Path) -> (BTreeSet<String>, usize) {
    let reader = Repo::clone_from(remote);
    reader.ledger_ok(&["sync"]);
    event_ids(&reader)
}

fn status_events(repo: &Repo, step: &str) -> Vec<Value> {
    repo.events()
        .into_iter()
        .filter(|e| e["kind"] == "status" && e["step"] == step)
        .collect()
}

#[test]
fn two_clones_that_marked_different_steps_apart_both_see_the_union() {
    let (_d, remote, a) = remote_with_commit();
    a.ledger_ok(&["add", "S1", "Parser"]);
    a.ledger_ok(&["add", "S2", "Printer"]);
    a.ledger_ok(&["sync"]);
    let b = Repo::clone_from(&remote);
    let got = sync_json(&b, &[]);
    assert_eq!(got["received"], 2, "{got}");
    assert_eq!(got["merge"], "fast-forward");

    a.ledger_ok(&["mark", "S1", "in_progress"]);
    b.ledger_ok(&["mark", "S2", "done"]);
    let sent = sync_json(&a, &[]);
    assert_eq!(
        (sent["received"].clone(), sent["sent"].clone()),
        (0.into(), 1.into())
    );
    let both = sync_json(&b, &[]);
    assert_eq!(both["received"], 1, "{both}");
    assert_eq!(both["sent"], 1, "{both}");
    assert_eq!(both["merge"], "merge");
    let back = sync_json(&a, &[]);
    assert_eq!(back["received"], 1, "{back}");
    assert_eq!(back["merge"], "fast-forward");

    for clone in [&a, &b] {
        assert_eq!(clone.status_of("S1"), "in_progress");
        assert_eq!(clone.status_of("S2"), "completed_pending_verification");
    }
    assert_eq!(event_ids(&a), event_ids(&b));
    assert_eq!(event_ids(&a).1, 4, "two defines and two marks, each once");
    // The merge commit has both histories as parents, as plain git shows.
    let parents = b.git(&["log", "-1", "--format=%P", "refs/notes/ledger"]);
    assert_eq!(parents.split_whitespace().count(), 2, "{parents}");
}

#[test]
fn both_clones_marking_the_same_step_differently_agree_and_keep_both_events() {
    let (_d, remote, a) = remote_with_commit();
    a.ledger_ok(&["add", "S1", "Parser"]);
    a.ledger_ok(&["sync"]);
    let b = Repo::clone_from(&remote);
    b.ledger_ok(&["sync"]);

    a.ledger_ok(&["mark", "S1", "in_progress", "-m", "from a"]);
    b.ledger_ok(&[
        "mark",
        "S1",
        "completed_pending_verification",
        "-m",
        "from b",
    ]);
    a.ledger_ok(&["sync"]);
    b.ledger_ok(&["sync"]);
    a.ledger_ok(&["sync"]);

    assert_eq!(a.status_of("S1"), b.status_of("S1"));
    for clone in [&a, &b] {
        let msgs: BTreeSet<String> = status_events(clone, "S1")
            .iter()
            .map(|e| e["msg"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(msgs, BTreeSet::from(["from a".into(), "from b".into()]));
    }
    assert_eq!(a.ledger_json(&["log", "S1"]), b.ledger_json(&["log", "S1"]));
}

#[test]
fn five_clones_syncing_at_the_same_moment_leave_all_hundred_events_on_the_remote() {
    let (_d, remote, first) = remote_with_commit();
    first.ledger_ok(&["add", "BASE", "Shared step"]);
    first.ledger_ok(&["sync"]);
    let clones: Vec<Repo> = (0..5).map(|_| Repo::clone_from(&remote)).collect();
    for (c, clone) in clones.iter().enumerate() {
        clone.ledger_ok(&["sync"]);
        for n in 0..20 {
            clone.ledger_ok(&["add", &format!("C{c}-{n:02}"), "Work"]);
        }
    }
    let running: Vec<_> = clones
        .iter()
        .map(|c| {
            c.cmd(BIN)
                .args(["sync", "--json"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut sent = 0;
    for child in running {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "sync failed: {stderr}");
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        sent += report["sent"].as_u64().unwrap();
    }
    assert!(
        sent >= 100,
        "each clone's 20 events were sent by someone: {sent}"
    );
    let (ids, lines) = remote_ids(&remote);
    assert_eq!(ids.len(), 101, "100 new events and the shared define");
    assert_eq!(lines, 101, "no line twice");
    // A second round brings every clone everything, and changes nothing more.
    for clone in &clones {
        clone.ledger_ok(&["sync"]);
    }
    for clone in &clones {
        let got = sync_json(clone, &[]);
        assert_eq!(
            (got["received"].as_u64(), got["sent"].as_u64()),
            (Some(0), Some(0))
        );
        assert_eq!(event_ids(clone).0, ids);
    }
}

#[test]
fn a_ledger_merged_by_plain_git_notes_merge_syncs_cleanly() {
    let (_d, remote, a) = remote_with_commit();
    a.ledger_ok(&["init"]);
    a.ledger_ok(&["add", "S1", "Parser"]);
    a.ledger_ok(&["sync"]);
    let b = Repo::clone_from(&remote);
    b.ledger_ok(&["init"]);
    b.ledger_ok(&["sync"]);
    a.ledger_ok(&["mark", "S1", "wip"]);
    a.ledger_ok(&["sync"]);
    b.ledger_ok(&["add", "S2", "Printer"]);

    // b merges by hand, as a git user who knows notes would.
    b.git(&[
        "fetch",
        "-q",
        "origin",
        "refs/notes/ledger:refs/notes/theirs",
    ]);
    b.git(&[
        "notes",
        "--ref",
        "ledger",
        "merge",
        "-s",
        "cat_sort_uniq",
        "refs/notes/theirs",
    ]);
    let got = sync_json(&b, &[]);
    assert_eq!(got["received"], 0, "{got}");
    assert_eq!(got["sent"], 1, "the remote lacked only S2's define: {got}");
    a.ledger_ok(&["sync"]);
    a.ledger_ok(&["mark", "S2", "done"]);
    a.ledger_ok(&["sync"]);
    b.ledger_ok(&["sync"]);

    for clone in [&a, &b] {
        assert_eq!(clone.status_of("S1"), "in_progress");
        assert_eq!(clone.status_of("S2"), "completed_pending_verification");
        let (ids, lines) = event_ids(clone);
        assert_eq!((ids.len(), lines), (4, 4));
    }
}

#[test]
fn a_force_pushed_older_ledger_is_restored_by_the_next_sync_of_a_clone_that_has_the_events() {
    let (_d, remote, a) = remote_with_commit();
    a.ledger_ok(&["add", "S1", "Parser"]);
    a.ledger_ok(&["sync"]);
    let old = remote_tip(&remote).unwrap();
    let b = Repo::clone_from(&remote);
    b.ledger_ok(&["init", "--remote", "origin"]);
    b.git(&["fetch", "-q", "origin"]);
    a.ledger_ok(&["mark", "S1", "wip"]);
    a.ledger_ok(&["mark", "S1", "done"]);
    a.ledger_ok(&["sync"]);
    b.git(&["fetch", "-q", "origin"]);
    assert_eq!(b.status_of("S1"), "completed_pending_verification");

    // Someone rewinds the remote's ledger with a forced push.
    let rewinder = Repo::clone_from(&remote);
    rewinder.git(&[
        "fetch",
        "-q",
        "origin",
        "refs/notes/ledger:refs/notes/ledger",
    ]);
    rewinder.git(&[
        "push",
        "-q",
        "--force",
        "origin",
        &format!("{old}:refs/notes/ledger"),
    ]);
    assert_eq!(remote_tip(&remote).as_deref(), Some(old.as_str()));

    // A plain fetch moves only b's remote-tracking ref: its ledger keeps the events.
    b.git(&["fetch", "-q", "origin"]);
    assert_eq!(b.status_of("S1"), "completed_pending_verification");
    assert_eq!(b.events().len(), 3);

    let got = sync_json(&b, &[]);
    assert_eq!(got["sent"], 2, "{got}");
    assert_eq!(got["received"], 0, "{got}");
    let (ids, _) = remote_ids(&remote);
    assert_eq!(ids, event_ids(&a).0, "the remote holds every event again");
    assert_eq!(a.ledger_json(&["sync"])["received"], 0);
}

#[test]
fn a_remote_without_a_ledger_is_not_an_error() {
    let (_d, remote, a) = remote_with_commit();
    let got = sync_json(&a, &[]);
    assert_eq!(got["tip"], Value::Null);
    assert_eq!(
        (got["received"].as_u64(), got["sent"].as_u64()),
        (Some(0), Some(0))
    );
    let text = a.ledger_ok(&["sync"]);
    assert!(
        text.stdout
            .contains("neither this clone nor origin has a ledger"),
        "{}",
        text.stdout
    );
    assert_eq!(remote_tip(&remote), None);

    a.ledger_ok(&["add", "S1", "Parser"]);
    let b = Repo::clone_from(&remote);
    assert_eq!(
        b.ledger_json(&["sync"])["tip"],
        Value::Null,
        "b has no ledger and neither has the remote"
    );
    let got = sync_json(&a, &[]);
    assert_eq!(got["sent"], 1, "{got}");
    assert_eq!(
        remote_tip(&remote),
        Some(a.git(&["rev-parse", "refs/notes/ledger"]).trim().into())
    );
}

#[test]
fn init_remote_lets_plain_git_fetch_bring_the_ledger_that_reads_then_merge() {
    let (_d, remote, a) = remote_with_commit();
    let b = Repo::clone_from(&remote);
    let first = b.ledger_json(&["init", "--remote", "origin"]);
    let changed = first["changed"].to_string();
    assert!(changed.contains("remote.origin.fetch"), "{changed}");
    assert!(changed.contains("ledger.remote"), "{changed}");
    let again = b.ledger_json(&["init", "--remote", "origin"]);
    assert_eq!(
        again["changed"],
        serde_json::json!([]),
        "init twice changes nothing"
    );
    let refspecs = b.git(&["config", "--get-all", "remote.origin.fetch"]);
    assert_eq!(
        refspecs.matches("refs/notes/remotes/origin/ledger").count(),
        1,
        "{refspecs}"
    );
    assert_eq!(b.git(&["config", "ledger.remote"]).trim(), "origin");

    // The remote has no ledger yet: plain fetch still works.
    b.git(&["fetch", "-q", "origin"]);

    a.ledger_ok(&["add", "S1", "Parser"]);
    a.ledger_ok(&["mark", "S1", "wip"]);
    a.ledger_ok(&["sync"]);
    b.git(&["fetch", "-q", "origin"]);
    assert!(
        b.note_lines().is_empty(),
        "the fetch alone writes only the tracking ref"
    );
    assert_eq!(b.status_of("S1"), "in_progress");
    assert_eq!(
        b.events().len(),
        2,
        "the read merged the fetched ledger into refs/notes/ledger"
    );
    assert_eq!(
        b.git(&["rev-parse", "refs/notes/ledger"]),
        b.git(&["rev-parse", "refs/notes/remotes/origin/ledger"]),
        "a fast-forward"
    );
}

#[test]
fn reads_merge_a_fetched_ledger_that_diverged_from_the_local_one() {
    let (_d, remote, a) = remote_with_commit();
    a.ledger_ok(&["add", "S1", "Parser"]);
    a.ledger_ok(&["sync"]);
    let b = Repo::clone_from(&remote);
    b.ledger_ok(&["init", "--remote", "origin"]);
    b.git(&["fetch", "-q", "origin"]);
    b.ledger_ok(&["add", "S2", "Printer"]);
    a.ledger_ok(&["mark", "S1", "done"]);
    a.ledger_ok(&["sync"]);
    b.git(&["fetch", "-q", "origin"]);
    let steps = b.ledger_json(&["status"])["steps"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(steps, 2);
    assert_eq!(b.status_of("S1"), "completed_pending_verification");
    let parents = b.git(&["log", "-1", "--format=%P", "refs/notes/ledger"]);
    assert_eq!(parents.split_whitespace().count(), 2, "{parents}");
    let got = sync_json(&b, &[]);
    assert_eq!(
        (got["received"].as_u64(), got["sent"].as_u64()),
        (Some(0), Some(1))
    );
}

#[test]
fn an_unknown_remote_name_is_refused_with_the_remotes_there_are() {
    let (_d, _remote, a) = remote_with_commit();
    a.ledger_ok(&["add", "S1", "Parser"]);
    let before = a.git(&["for-each-ref"]);
    let r = a.ledger(&["sync", "upstrem"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("error: 'upstrem' is not a remote of this clone"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("hint: remotes here: origin"),
        "{}",
        r.stderr
    );
    assert_eq!(a.git(&["for-each-ref"]), before, "nothing written");

    let r = a.ledger(&["init", "--remote", "upstrem"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        a.git_run(&["config", "notes.displayRef"]).stdout.is_empty(),
        "init wrote nothing"
    );

    a.git(&["config", "ledger.remote", "gone"]);
    let r = a.ledger(&["sync"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("ledger.remote names 'gone'"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_clone_without_any_remote_is_told_to_name_one() {
    let lonely = Repo::new();
    let r = lonely.ledger(&["sync"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no remote to sync with"), "{}", r.stderr);
    assert!(
        r.stderr.contains("this clone has no remote"),
        "{}",
        r.stderr
    );
}

#[test]
fn an_unreachable_remote_is_a_clear_error_and_loses_nothing() {
    let (_d, _remote, a) = remote_with_commit();
    a.ledger_ok(&["add", "S1", "Parser"]);
    a.ledger_ok(&["sync"]);
    a.ledger_ok(&["mark", "S1", "wip"]);
    let before = a.note_lines();
    a.git(&["remote", "set-url", "origin", "/nonexistent/remote.git"]);

    let r = a.ledger(&["sync"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("error: could not push the ledger to 'origin'"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("nonexistent"),
        "git's reason is shown: {}",
        r.stderr
    );
    assert!(r.stderr.contains("hint:"), "{}", r.stderr);
    assert_eq!(a.note_lines(), before);

    // Once the tracking ref matches, sync fetches first: that fails as clearly.
    let tip = a.git(&["rev-parse", "refs/notes/ledger"]);
    a.git(&["update-ref", "refs/notes/remotes/origin/ledger", tip.trim()]);
    let r = a.ledger(&["sync"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("error: could not fetch the ledger from 'origin'"),
        "{}",
        r.stderr
    );
    assert_eq!(a.note_lines(), before);
    assert_eq!(a.status_of("S1"), "in_progress");
}

#[test]
fn sync_defaults_to_the_upstream_remote_of_the_current_branch() {
    let (_d, remote, a) = remote_with_commit();
    a.git(&["remote", "rename", "origin", "hub"]);
    a.git(&["branch", "--set-upstream-to", "hub/main"]);
    a.ledger_ok(&["add", "S1", "Parser"]);
    let got = sync_json(&a, &[]);
    assert_eq!(got["remote"], "hub");
    assert_eq!(got["sent"], 1);
    assert!(remote_tip(&remote).is_some());
}

/// Adds `count` commits on a side branch, each with a plain-text note in
/// refs/notes/ledger, in one fast-import run (which fans the notes tree out).
fn add_many_plain_notes(repo: &Repo, count: usize) {
    let head = repo.head();
    let tip = repo.git(&["rev-parse", "refs/notes/ledger"]);
    let mut stream = String::new();
    for i in 1..=count {
        stream.push_str(&format!(
            "commit refs/heads/side\nmark :{i}\ncommitter Ada <ada@example.com> 1767268800 +0000\ndata 2\nc\n"
        ));
        let from = if i == 1 {
            head.clone()
        } else {
            format!(":{}", i - 1)
        };
        stream.push_str(&format!("from {from}\n\n"));
    }
    stream.push_str(&format!(
        "commit refs/notes/ledger\ncommitter Ada <ada@example.com> 1767268800 +0000\ndata 6\nnotes\nfrom {}\n",
        tip.trim()
    ));
    for i in 1..=count {
        stream.push_str(&format!("N inline :{i}\ndata 11\nlegacy {i:03}\n\n"));
    }
    repo.fast_import(&stream);
}

#[test]
fn a_fanned_out_notes_tree_and_a_flat_one_merge_into_one_note_per_commit() {
    let (_d, remote, a) = remote_with_commit();
    a.ledger_ok(&["add", "S1", "Parser"]);
    a.ledger_ok(&["sync"]);
    let b = Repo::clone_from(&remote);
    b.ledger_ok(&["sync"]);
    b.ledger_ok(&["mark", "S1", "wip"]);
    add_many_plain_notes(&a, 300);
    let top = a.git(&["ls-tree", "--name-only", "refs/notes/ledger"]);
    assert!(
        top.lines().all(|n| n.len() == 2),
        "a's notes are fanned out:\n{top}"
    );
    let flat = b.git(&["ls-tree", "--name-only", "refs/notes/ledger"]);
    assert_eq!(
        flat.lines().map(str::len).collect::<Vec<_>>(),
        vec![40],
        "b's are flat"
    );

    a.ledger_ok(&["sync"]);
    let got = sync_json(&b, &[]);
    assert_eq!(got["merge"], "merge", "{got}");
    a.ledger_ok(&["sync"]);

    let first = a.git(&["rev-list", "--max-parents=0", "main"]);
    for clone in [&a, &b] {
        let note = clone.git(&["notes", "--ref", "ledger", "show", first.trim()]);
        assert_eq!(
            note.lines().count(),
            2,
            "the define and the mark, once each:\n{note}"
        );
        assert_eq!(clone.note_lines().len(), 302);
        assert_eq!(clone.status_of("S1"), "in_progress");
    }
}

#[test]
fn a_ledger_deleted_on_the_remote_is_restored_from_what_a_plain_fetch_brought() {
    let (_d, remote, a) = remote_with_commit();
    a.ledger_ok(&["add", "S1", "Parser"]);
    a.ledger_ok(&["mark", "S1", "wip"]);
    a.ledger_ok(&["sync"]);
    let b = Repo::clone_from(&remote);
    b.ledger_ok(&["init", "--remote", "origin"]);
    b.git(&["fetch", "-q", "origin"]);
    // The ledger is deleted on the remote and in a; b only fetched it.
    a.git(&["push", "-q", "origin", ":refs/notes/ledger"]);
    a.git(&["update-ref", "-d", "refs/notes/ledger"]);
    assert_eq!(remote_tip(&remote), None);

    let got = sync_json(&b, &[]);
    assert_eq!(got["sent"], 2, "{got}");
    assert_eq!(remote_ids(&remote).1, 2);
    assert_eq!(b.status_of("S1"), "in_progress");
}

#[test]
fn a_relative_remote_url_resolves_from_the_clone_as_with_git_itself() {
    let (dir, remote, a) = remote_with_commit();
    let parent = a.path().parent().unwrap();
    assert_eq!(
        dir.path().parent().unwrap(),
        parent,
        "both temporary dirs share a parent"
    );
    let name = dir.path().file_name().unwrap().to_str().unwrap();
    a.git(&[
        "remote",
        "set-url",
        "origin",
        &format!("../{name}/remote.git"),
    ]);
    a.ledger_ok(&["add", "S1", "Parser"]);
    let out = a
        .cmd(BIN)
        .current_dir("/")
        .args(["-C", a.path().to_str().unwrap(), "--json", "sync"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(remote_tip(&remote).is_some());
}

#[test]
fn ledgers_started_apart_in_two_clones_merge_though_they_share_no_history() {
    let (_d, remote, a) = remote_with_commit();
    let b = Repo::clone_from(&remote);
    a.ledger_ok(&["add", "S1", "Parser"]);
    b.ledger_ok(&["add", "S2", "Printer"]);
    a.ledger_ok(&["sync"]);
    let got = sync_json(&b, &[]);
    assert_eq!(got["merge"], "merge", "{got}");
    assert_eq!(
        (got["received"].as_u64(), got["sent"].as_u64()),
        (Some(1), Some(1))
    );
    a.ledger_ok(&["sync"]);
    for clone in [&a, &b] {
        let ids: Vec<String> = clone.ledger_json(&["status"])["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(ids.len(), 2, "{ids:?}");
    }
    // Reads merge unrelated fetched ledgers too.
    let c = Repo::clone_from(&remote);
    c.ledger_ok(&["add", "S3", "Linker"]);
    c.ledger_ok(&["init", "--remote", "origin"]);
    c.git(&["fetch", "-q", "origin"]);
    assert_eq!(
        c.ledger_json(&["status"])["steps"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn doctor_points_at_init_remote_when_fetch_does_not_bring_the_ledger() {
    let (_keep, url) = common::bare_remote();
    let a = Repo::new();
    // A remote added after init: init sets up the fetch only for remotes it sees.
    a.ledger_ok(&["init"]);
    a.git(&["remote", "add", "origin", url.to_str().unwrap()]);
    let v = a.ledger_json(&["doctor"]);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "remote")
        .unwrap()
        .clone();
    assert_eq!(f["level"], "warn");
    assert_eq!(f["fix"], "git ledger init --remote origin");
    a.ledger_ok(&["init"]);
    let v = a.ledger_json(&["doctor"]);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "remote")
        .unwrap()
        .clone();
    assert_eq!(f["level"], "ok", "{f}");
}

#[test]
fn refs_that_looked_like_the_ledger_were_merged_into_it() {
    let (_d, remote, a) = remote_with_commit();
    a.write("src/app.rs", "fn main() {}\n");
    let code = a.commit_all("Code");
    a.git(&["push", "-q", "origin", "main"]);
    a.ledger_ok(&["add", "S1", "Parser"]);
    a.ledger_ok(&["sync"]);
    // Someone pushes a code commit where the `ledger*` fetch pattern finds it.
    a.git(&[
        "push",
        "-q",
        "origin",
        &format!("{code}:refs/notes/ledger-x/y/ledger"),
    ]);
    let b = Repo::clone_from(&remote);
    b.ledger_ok(&["init", "--remote", "origin"]);
    b.git(&["fetch", "-q", "origin"]);
    assert!(
        b.git_run(&["rev-parse", "refs/notes/remotes/origin/ledger-x/y/ledger"])
            .code
            == 0
    );
    b.ledger_ok(&["status"]);
    b.ledger_ok(&["sync"]);
    let history = b.git(&["rev-list", "refs/notes/ledger"]);
    assert!(
        !history.contains(&code),
        "a code commit in the notes history"
    );
    assert_eq!(b.status_of("S1"), "not_started");
    let theirs = a.git(&["ls-remote", "origin", "refs/notes/ledger"]);
    let tip = theirs.split_whitespace().next().unwrap();
    a.git(&["fetch", "-q", "origin", "refs/notes/ledger"]);
    assert!(!a.git(&["rev-list", tip]).contains(&code));

    // The remote's ledger itself replaced by a code commit: refused, named.
    a.git(&[
        "push",
        "-q",
        "-f",
        "origin",
        &format!("{code}:refs/notes/ledger"),
    ]);
    let before = b.git(&["rev-parse", "refs/notes/ledger"]);
    let r = b.ledger(&["sync"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("refs/notes/remotes/origin/ledger is not a ledger")
            && r.stderr.contains("holds 'README.md'"),
        "{}",
        r.stderr
    );
    assert_eq!(b.git(&["rev-parse", "refs/notes/ledger"]), before);
    // Reads warn and show the local ledger.
    let r = b.ledger(&["status"]);
    assert_eq!(r.code, 0);
    assert!(r.stderr.contains("is not a ledger"), "{}", r.stderr);
    assert_eq!(b.git(&["rev-parse", "refs/notes/ledger"]), before);
}

#[test]
fn sync_merges_rewrote_non_utf8_note_lines() {
    let (_d, remote, a) = remote_with_commit();
    a.ledger_ok(&["add", "S1", "Parser"]);
    a.ledger_ok(&["sync"]);
    let b = Repo::clone_from(&remote);
    b.ledger_ok(&["sync"]);
    // a: a line in another encoding, written by hand on the shared commit.
    let head = a.head();
    let raw = b"legacy note \xe9t\xe9 \xff\n";
    let file = a.path().join("raw-note");
    std::fs::write(&file, raw).unwrap();
    a.git(&[
        "notes",
        "--ref",
        "ledger",
        "append",
        "-F",
        file.to_str().unwrap(),
        &head,
    ]);
    a.ledger_ok(&["sync"]);
    // b wrote meanwhile: its sync makes a real merge.
    b.ledger_ok(&["mark", "S1", "wip"]);
    let got = sync_json(&b, &[]);
    assert_eq!(got["merge"], "merge", "{got}");
    let note = b
        .cmd("git")
        .args(["notes", "--ref", "ledger", "show", &head])
        .output()
        .unwrap()
        .stdout;
    assert!(
        note.windows(raw.len() - 1)
            .any(|w| w == &raw[..raw.len() - 1]),
        "the line changed: {}",
        String::from_utf8_lossy(&note)
    );
    assert!(
        !note.windows(3).any(|w| w == "\u{fffd}".as_bytes()),
        "U+FFFD written"
    );
    // And back on a, after its next sync, still byte for byte.
    a.ledger_ok(&["sync"]);
    let note = a
        .cmd("git")
        .args(["notes", "--ref", "ledger", "show", &head])
        .output()
        .unwrap()
        .stdout;
    assert!(
        note.windows(raw.len() - 1)
            .any(|w| w == &raw[..raw.len() - 1])
    );
    assert!(
        !note.windows(3).any(|w| w == "\u{fffd}".as_bytes()),
        "U+FFFD written"
    );
}
