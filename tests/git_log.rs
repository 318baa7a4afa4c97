//! What plain git shows of the ledger after `init`: a short line per
//! event in `git log` (a derived view, rebuilt after every write and
//! sync), the raw JSON one option away; `init --undo`; and a fresh clone
//! that finds its remote's ledger.

mod common;

use common::{Repo, bare_remote};
use std::path::Path;

/// Notes lines under "Notes (ledger-log):" in `git log` output.
fn view_lines(log: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for l in log.lines() {
        if l.starts_with("Notes (") {
            inside = l == "Notes (ledger-log):";
            continue;
        }
        if l.starts_with("commit ") {
            inside = false;
        }
        if inside && !l.trim().is_empty() {
            out.push(l.trim().to_string());
        }
    }
    out
}

#[test]
fn plain_git_log_after_init_shows_one_short_line_per_event() {
    let r = Repo::new();
    r.write("src/storage/spaces.rs", "pub fn spaces() {}\n");
    r.commit_all("Add storage");
    let before = r.git(&["log"]);
    let init = r.ledger_ok(&["init"]);
    assert!(
        init.stdout
            .contains("notes.displayRef += refs/notes/ledger-log"),
        "{}",
        init.stdout
    );
    let noisy = format!("printf '%.0s{}' $(seq 1 60); true", "x".repeat(60));
    r.ledger_ok(&[
        "add",
        "S04",
        "Object storage",
        "--owns",
        "src/storage/**",
        "--check",
        &noisy,
        "--check",
        "true",
    ]);
    r.ledger_env(&[("GIT_LEDGER_RUN", "run-004")], &["verify", "S04"]);
    r.append("src/storage/spaces.rs", "// tweak\n");
    r.commit_all("Tweak spaces");

    let log = r.git(&["log"]);
    assert!(
        !log.contains("{\"v\":1"),
        "no raw JSON in plain git log:\n{log}"
    );
    for l in log.lines() {
        assert!(l.chars().count() <= 124, "a line over 120 characters: {l}");
    }
    let lines = view_lines(&log);
    assert!(
        lines.contains(&"S04 defined \"Object storage\" · Ada Lovelace".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"S04 → verified · pass 2/2 · verify · run-004 · Ada Lovelace".to_string()),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("S04 → drift_detected · src/storage/spaces.rs · hook")),
        "the hook's drift shows on its commit: {lines:?}"
    );
    assert_eq!(
        lines.len(),
        3,
        "one line per event, the evidence with its status: {lines:?}"
    );
    assert!(
        log.len() < before.len() * 4,
        "git log grew from {} to {} bytes",
        before.len(),
        log.len()
    );

    // The raw events stay one option away.
    assert!(r.git(&["log", "--notes=ledger"]).contains("{\"v\":1"));
    let raw = r.git(&["notes", "--ref", "ledger", "show", "HEAD"]);
    assert!(raw.starts_with("{\"v\":1"), "{raw}");
    // An amend carries the view with the events (notes.rewriteRef).
    r.git(&["commit", "-q", "--amend", "-m", "Tweak spaces, amended"]);
    let amended = view_lines(&r.git(&["log", "-1"]));
    assert!(
        amended.iter().any(|l| l.contains("drift_detected")),
        "{amended:?}"
    );
}

#[test]
fn init_replaces_the_raw_display_of_earlier_versions_and_undo_takes_it_all_back() {
    let r = Repo::new();
    r.git(&["config", "--add", "notes.displayRef", "refs/notes/ledger"]);
    let doctor = r.ledger(&["--json", "doctor"]).json();
    let display = doctor["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "notes.displayRef")
        .unwrap()
        .clone();
    assert_eq!(display["level"], "warn", "{display}");
    assert!(
        display["detail"].as_str().unwrap().contains("raw JSON"),
        "{display}"
    );
    let (_remote_dir, remote) = bare_remote();
    r.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    let init = r.ledger_ok(&["init"]);
    assert!(
        init.stdout
            .contains("notes.displayRef -= refs/notes/ledger "),
        "{}",
        init.stdout
    );
    assert!(
        init.stdout.contains("remote.origin.fetch += "),
        "{}",
        init.stdout
    );
    assert_eq!(
        r.git(&["config", "--get-all", "notes.displayRef"]).trim(),
        "refs/notes/ledger-log"
    );
    r.ledger_ok(&["add", "S01", "Setup"]);
    assert!(
        r.git_run(&["rev-parse", "-q", "--verify", "refs/notes/ledger-log"])
            .code
            == 0
    );

    let undo = r.ledger_ok(&["init", "--undo"]);
    assert!(
        undo.stdout.contains("removed the post-commit hook"),
        "{}",
        undo.stdout
    );
    let config = r.git(&["config", "--local", "--list"]);
    for gone in ["notes.", "ledger", "remotes/origin/ledger"] {
        assert!(!config.contains(gone), "{gone} is still set:\n{config}");
    }
    assert!(!r.path().join(".git/hooks/post-commit").exists());
    assert_ne!(
        r.git_run(&["rev-parse", "-q", "--verify", "refs/notes/ledger-log"])
            .code,
        0
    );
    assert_eq!(r.events().len(), 1, "the ledger itself stays");
    let again = r.ledger_ok(&["init", "--deinit"]);
    assert!(again.stdout.contains("nothing to undo"), "{}", again.stdout);
    r.ledger_ok(&["init"]);
    assert!(
        view_lines(&r.git(&["log"])).contains(&"S01 defined \"Setup\" · Ada Lovelace".to_string())
    );
}

/// A script that records each time git talks to the remote, then does it.
fn counting_upload_pack(r: &Repo) -> std::path::PathBuf {
    let log = r.home.path().join("upload-pack.log");
    let script = r.home.path().join("upload-pack.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho called >> '{}'\nexec git-upload-pack \"$@\"\n",
            log.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    r.git(&[
        "config",
        "remote.origin.uploadpack",
        script.to_str().unwrap(),
    ]);
    log
}

fn calls(log: &Path) -> usize {
    std::fs::read_to_string(log)
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

#[test]
fn a_fresh_clone_notices_the_remote_ledger_and_init_fetches_it() {
    let (_remote_dir, remote) = bare_remote();
    let a = Repo::new();
    a.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    a.git(&["push", "-q", "origin", "main"]);
    a.ledger_ok(&["init"]);
    for id in ["S01", "S02", "S03"] {
        a.ledger_ok(&["add", id, "A step"]);
    }
    a.ledger_ok(&["sync"]);

    let b = Repo::clone_from(&remote);
    let log = counting_upload_pack(&b);
    let status = b.ledger_ok(&["status"]);
    assert!(
        status.stdout.starts_with("No steps yet"),
        "{}",
        status.stdout
    );
    assert!(
        status
            .stderr
            .contains("'origin' has a ledger (refs/notes/ledger) that this clone has not fetched"),
        "{}",
        status.stderr
    );
    assert!(
        status.stderr.contains("hint: git ledger init"),
        "{}",
        status.stderr
    );
    assert_eq!(calls(&log), 1, "one look at the remote");
    let next = b.ledger_ok(&["--json", "next"]);
    assert!(next.stderr.contains("has a ledger"), "{}", next.stderr);

    let init = b.ledger_ok(&["init"]);
    assert!(
        init.stdout
            .contains("fetched the ledger from origin: 3 event(s)"),
        "{}",
        init.stdout
    );
    let steps = b.ledger_json(&["status"])["steps"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(steps, 3);
    let view = view_lines(&b.git(&["log"]));
    assert_eq!(
        view.len(),
        3,
        "the view is built from the fetched ledger: {view:?}"
    );

    // With a ledger here, reads never touch the network.
    let before = calls(&log);
    for cmd in [&["status"][..], &["next"], &["log"], &["show", "S01"]] {
        let out = b.ledger_ok(cmd);
        assert!(!out.stderr.contains("has a ledger"), "{}", out.stderr);
    }
    assert_eq!(calls(&log), before, "no remote call once a ledger is here");

    // Plain git fetch now brings new events, and the view follows.
    a.ledger_ok(&["add", "S04", "Later"]);
    a.ledger_ok(&["sync"]);
    b.git(&["fetch", "-q"]);
    assert_eq!(
        b.ledger_json(&["status"])["steps"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_eq!(
        view_lines(&b.git(&["log"])).len(),
        4,
        "rebuilt after the merge of the fetch"
    );
}

#[test]
fn a_clone_whose_remote_has_no_ledger_asks_once_in_a_while() {
    let (_remote_dir, remote) = bare_remote();
    let a = Repo::new();
    a.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    a.git(&["push", "-q", "origin", "main"]);
    let b = Repo::clone_from(&remote);
    let log = counting_upload_pack(&b);
    for _ in 0..3 {
        let s = b.ledger_ok(&["status"]);
        assert!(s.stderr.is_empty(), "{}", s.stderr);
    }
    assert_eq!(calls(&log), 1, "the answer 'no ledger there' is remembered");
}
