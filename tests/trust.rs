//! Trust (SPEC 8): a check command that arrived with another clone's ledger
//! does not run here until this clone trusts it.

mod common;

use common::{Repo, bare_remote};
use std::path::{Path, PathBuf};

/// Two clones of one bare remote; `a` defined S04 with a harmless check
/// and pushed its branch and its ledger; `b` has fetched both.
struct Team {
    _remote: tempfile::TempDir,
    a: Repo,
    b: Repo,
    /// Where a check can leave a mark that proves it ran.
    marks: tempfile::TempDir,
}

fn team() -> Team {
    let (remote_dir, remote) = bare_remote();
    let a = Repo::new();
    a.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    a.ledger_ok(&["add", "S04", "Object storage", "--check", "echo storage ok"]);
    a.git(&["push", "-q", "origin", "main", "refs/notes/ledger"]);
    let b = Repo::clone_from(&remote);
    b.git(&[
        "fetch",
        "-q",
        "origin",
        "refs/notes/ledger:refs/notes/ledger",
    ]);
    Team {
        _remote: remote_dir,
        a,
        b,
        marks: tempfile::TempDir::new().unwrap(),
    }
}

impl Team {
    fn mark_path(&self, name: &str) -> PathBuf {
        self.marks.path().join(name)
    }

    /// `b` changes S04's check and pushes its ledger.
    fn b_sets_check(&self, cmd: &str) {
        self.b.ledger_ok(&["edit", "S04", "--check", cmd]);
        self.b.git(&["push", "-q", "origin", "refs/notes/ledger"]);
    }

    /// `a` takes `b`'s ledger with plain git: fetch, then a notes merge.
    fn a_merges(&self) {
        self.a.git(&[
            "fetch",
            "-q",
            "origin",
            "+refs/notes/ledger:refs/notes/theirs",
        ]);
        self.a.git(&[
            "notes",
            "--ref",
            "ledger",
            "merge",
            "-q",
            "-s",
            "cat_sort_uniq",
            "theirs",
        ]);
    }
}

fn exists(p: &Path) -> bool {
    p.exists()
}

#[test]
fn a_fetched_check_is_refused_until_this_clone_trusts_it() {
    let t = team();
    let proof = t.mark_path("ran");
    let cmd = format!("touch '{}' && echo from b", proof.display());
    t.b_sets_check(&cmd);
    t.a_merges();
    assert_eq!(
        t.a.ledger_json(&["show", "S04"])["definition"]["checks"][0],
        cmd.as_str()
    );

    let before = t.a.note_lines().len();
    let r = t.a.ledger(&["verify", "S04"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(&cmd),
        "the command is shown: {}",
        r.stderr
    );
    assert!(r.stderr.contains("git ledger trust S04"), "{}", r.stderr);
    assert!(!exists(&proof), "an untrusted command ran");
    assert_eq!(t.a.note_lines().len(), before, "nothing is recorded");
    // show says so too.
    let show = t.a.ledger_ok(&["show", "S04"]);
    assert!(
        show.stdout.contains("(not trusted here)"),
        "{}",
        show.stdout
    );
    assert_eq!(
        t.a.ledger_json(&["show", "S04"])["untrusted_checks"][0],
        cmd.as_str()
    );

    let r = t.a.ledger_ok(&["trust", "S04"]);
    assert!(r.stdout.contains("trusted now"), "{}", r.stdout);
    assert!(r.stdout.contains(&cmd), "{}", r.stdout);
    t.a.ledger_ok(&["verify", "S04"]);
    assert!(exists(&proof));
    assert_eq!(t.a.status_of("S04"), "verified");

    // Trusting again changes nothing.
    let again = t.a.ledger_json(&["trust", "S04"]);
    assert_eq!(again["steps"][0]["checks"][0]["newly_trusted"], false);
}

#[test]
fn the_clone_that_wrote_a_command_trusts_it() {
    let t = team();
    // a typed "echo storage ok": it runs in a without asking…
    t.a.ledger_ok(&["verify", "S04"]);
    // …but b only fetched it.
    assert_eq!(t.b.ledger(&["verify", "S04"]).code, 2);
    // b's own edit runs in b without asking.
    let proof = t.mark_path("ran-in-b");
    t.b_sets_check(&format!("touch '{}'", proof.display()));
    t.b.ledger_ok(&["verify", "S04"]);
    assert!(exists(&proof));
}

#[test]
fn changing_a_trusted_command_makes_it_untrusted_again() {
    let t = team();
    t.b_sets_check("echo version one");
    t.a_merges();
    t.a.ledger_ok(&["trust", "S04"]);
    t.a.ledger_ok(&["verify", "S04"]);

    let proof = t.mark_path("v2");
    let v2 = format!("echo version two; touch '{}'", proof.display());
    t.b_sets_check(&v2);
    t.a_merges();
    let r = t.a.ledger(&["verify", "S04"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains(&v2), "{}", r.stderr);
    assert!(!exists(&proof));
}

#[test]
fn verify_trust_runs_untrusted_commands_once_without_trusting_them() {
    let t = team();
    let proof = t.mark_path("ci");
    t.b_sets_check(&format!("touch '{}'", proof.display()));
    t.a_merges();
    let out = t.a.ledger_json(&["verify", "S04", "--trust"]);
    assert_eq!(out["result"], "pass");
    assert!(exists(&proof));
    // Not remembered: the next plain verify still asks.
    assert_eq!(t.a.ledger(&["verify", "S04"]).code, 2);
}

#[test]
fn trust_lives_in_the_common_git_dir_never_in_the_ledger() {
    let t = team();
    let cmd = "echo reviewed";
    t.b_sets_check(cmd);
    t.a_merges();
    t.a.ledger_ok(&["trust", "S04"]);
    let hash = t.a.ledger_json(&["trust", "S04"])["steps"][0]["checks"][0]["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let common = t.a.git(&["rev-parse", "--git-common-dir"]);
    let file =
        t.a.path()
            .join(common.trim())
            .join("git-ledger/trusted-checks");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains(&hash), "{text}");
    // No notes blob mentions it, and the remote's ledger knows nothing of it.
    let objects = t.a.git(&["rev-list", "--objects", "refs/notes/ledger"]);
    for oid in objects.lines().filter_map(|l| l.split_whitespace().next()) {
        if t.a.git(&["cat-file", "-t", oid]).trim() == "blob" {
            assert!(!t.a.git(&["cat-file", "blob", oid]).contains(&hash));
        }
    }
    // A linked worktree of the same clone shares the trust.
    let wt = tempfile::TempDir::new().unwrap();
    let wt_path = wt.path().join("wt");
    t.a.git(&[
        "worktree",
        "add",
        "-q",
        "--detach",
        wt_path.to_str().unwrap(),
    ]);
    let r =
        t.a.cmd(common::BIN)
            .current_dir(&wt_path)
            .args(["verify", "S04"])
            .output()
            .unwrap();
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
}

#[test]
fn trust_refuses_unknown_steps_and_trusts_nothing() {
    let t = team();
    t.b_sets_check("echo other");
    t.a_merges();
    let r = t.a.ledger(&["trust", "S04", "S99"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("unknown step 'S99'"), "{}", r.stderr);
    assert_eq!(t.a.ledger(&["verify", "S04"]).code, 2);
}

#[test]
fn a_hand_written_command_cannot_hide_behind_control_characters() {
    let t = team();
    let proof = t.mark_path("hidden");
    // Anyone who can push notes can write any line: here a command whose
    // carriage return and escape sequence would paint "make test" over it.
    let cmd = format!("touch '{}' #\u{1b}[2K\rmake test", proof.display());
    // An honest seq: one more than the events there are (SPEC 2.2).
    let seq = t.b.events().len() + 1;
    let line = serde_json::json!({
        "v": 1, "id": "0123456789abcdef0123456789abcdef", "seq": seq,
        "at": "2026-01-02T00:00:00Z", "by": "Mallory <m@example.com>",
        "step": "S04", "kind": "define", "source": "cli", "checks": [cmd],
    })
    .to_string();
    let head = t.b.head();
    t.b.git(&["notes", "--ref", "ledger", "append", "-m", &line, &head]);
    t.b.git(&["push", "-q", "origin", "refs/notes/ledger"]);
    t.a_merges();

    let r = t.a.ledger(&["verify", "S04"]);
    assert_eq!(r.code, 2);
    assert!(
        !r.stderr.contains('\r') && !r.stderr.contains('\u{1b}'),
        "{:?}",
        r.stderr
    );
    assert!(r.stderr.contains("#\\u{1b}[2K\\rmake test"), "{}", r.stderr);
    let r = t.a.ledger_ok(&["--color", "never", "trust", "S04"]);
    assert!(
        !r.stdout.contains('\r') && r.stdout.contains("\\rmake test"),
        "{:?}",
        r.stdout
    );
    assert!(!exists(&proof));
}

#[test]
fn trust_recorded_commands_before_showing_them() {
    let t = team();
    t.b_sets_check("echo fetched");
    t.a_merges();
    let trusted =
        t.a.path()
            .join(".git")
            .join("git-ledger")
            .join("trusted-checks");
    let before = std::fs::read_to_string(&trusted).unwrap_or_default();
    // Nobody read the list (stdout is a closed pipe): nothing is trusted.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out =
        t.a.cmd(common::BIN)
            .args(["trust", "S04"])
            .stdout(writer)
            .output()
            .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(&trusted).unwrap_or_default(),
        before
    );
    assert_eq!(t.a.ledger(&["verify", "S04"]).code, 2);
    // Shown, then trusted.
    let r = t.a.ledger_ok(&["--color", "never", "trust", "S04"]);
    assert!(
        r.stdout.contains("trusted now  echo fetched"),
        "{}",
        r.stdout
    );
    assert_eq!(t.a.ledger(&["verify", "S04"]).code, 0);
}

#[test]
fn a_right_to_left_override_disguised_a_command_in_the_prompt() {
    let t = team();
    // U+202E shows "touch /tmp/x.txt" for a command that ends in "txt.sh".
    t.b_sets_check("sh ./evil\u{202e}txt.sh");
    t.a_merges();
    let r = t.a.ledger(&["verify", "S04"]);
    assert_eq!(r.code, 2);
    assert!(!r.stderr.contains('\u{202e}'), "{}", r.stderr);
    assert!(
        r.stderr.contains("sh ./evil\\u{202e}txt.sh"),
        "{}",
        r.stderr
    );
    let r = t.a.ledger_ok(&["--color", "never", "trust", "S04"]);
    assert!(!r.stdout.contains('\u{202e}'), "{}", r.stdout);
}
