//! Bad input: one or two lines naming the problem and the fix, exit 2,
//! and nothing written.

mod common;
use common::Repo;

fn ready() -> Repo {
    let r = Repo::new();
    r.ledger_ok(&["init"]);
    r.ledger_ok(&["add", "S04", "Object storage", "--owns", "src/storage/**"]);
    r.ledger_ok(&["add", "S05", "Search"]);
    r
}

/// Runs a failing command and checks the contract: exit 2, a short error
/// on stderr, no stdout noise, and the ledger unchanged.
fn refused(r: &Repo, args: &[&str], expect: &str) -> String {
    let before = r.note_lines();
    let out = r.ledger(args);
    assert_eq!(out.code, 2, "{args:?}: {}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.starts_with("error: "),
        "{args:?}: {}",
        out.stderr
    );
    assert!(out.stderr.lines().count() <= 2, "{args:?}: {}", out.stderr);
    assert!(
        out.stderr.contains(expect),
        "{args:?}: wanted {expect:?} in {}",
        out.stderr
    );
    assert!(!out.stderr.contains("panicked") && !out.stderr.contains("RUST_BACKTRACE"));
    assert_eq!(r.note_lines(), before, "{args:?} wrote something");
    out.stderr
}

#[test]
fn outside_a_repository() {
    let dir = tempfile::TempDir::new().unwrap();
    let home = tempfile::TempDir::new().unwrap();
    let mut c = std::process::Command::new(common::BIN);
    c.args(["status"])
        .current_dir(dir.path())
        .env("GIT_CEILING_DIRECTORIES", dir.path().parent().unwrap());
    common::isolate(&mut c, home.path());
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not a git repository") && err.contains("hint:"),
        "{err}"
    );
}

#[test]
fn a_repository_without_commits() {
    let r = Repo::empty();
    for args in [&["status"][..], &["init"], &["add", "S01", "x"]] {
        let out = r.ledger(args);
        assert_eq!(out.code, 2, "{args:?}");
        assert!(out.stderr.contains("no commit yet"), "{}", out.stderr);
    }
    assert!(
        r.git_run(&["rev-parse", "--verify", "refs/notes/ledger"])
            .code
            != 0
    );
}

#[test]
fn unknown_step_suggests_the_closest_ids() {
    let r = ready();
    let err = refused(&r, &["mark", "S4", "wip"], "unknown step 'S4'");
    assert!(err.contains("did you mean S04?"), "{err}");
    refused(&r, &["show", "S99"], "unknown step");
    refused(&r, &["edit", "S4", "--title", "x"], "did you mean S04?");
    refused(&r, &["retire", "nope"], "unknown step");
    refused(&r, &["log", "S4"], "did you mean S04?");
}

#[test]
fn invalid_status_lists_the_valid_ones() {
    let r = ready();
    let err = refused(
        &r,
        &["mark", "S04", "finished"],
        "'finished' is not a status",
    );
    assert!(
        err.contains("completed_pending_verification") && err.contains("wip"),
        "{err}"
    );
}

#[test]
fn add_refuses_an_existing_or_invalid_id_and_bad_globs() {
    let r = ready();
    refused(&r, &["add", "S04", "Again"], "already exists");
    refused(&r, &["add", "--", "-bad", "x"], "invalid step id");
    refused(&r, &["add", "S 1", "x"], "invalid step id");
    refused(&r, &["add", "S/1", "x"], "invalid step id");
    refused(
        &r,
        &["add", "S08", "x", "--owns", "src/[abc"],
        "invalid glob",
    );
    refused(
        &r,
        &["add", "S08", "x", "--owns", "../outside/**"],
        "invalid glob",
    );
    refused(&r, &["add", "S08", ""], "title is empty");
    refused(&r, &["add", "S08", "two\nlines"], "one line");
    refused(&r, &["edit", "S04"], "nothing to change");
    refused(&r, &["status", "--phase", "Nope"], "no step in phase");
    refused(&r, &["log", "--since", "whenever"], "not a date");
}

#[test]
fn commit_naming_nothing() {
    let r = ready();
    refused(
        &r,
        &["mark", "S04", "wip", "--commit", "deadbeef"],
        "names no commit",
    );
    refused(
        &r,
        &["mark", "S04", "wip", "--commit", "no-such-branch"],
        "names no commit",
    );
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let r = ready();
    assert_eq!(r.ledger(&["mark", "S04"]).code, 2);
    assert_eq!(r.ledger(&["frobnicate"]).code, 2);
    assert_eq!(r.ledger(&["--color", "purple", "status"]).code, 2);
    let help = r.ledger(&["--help"]);
    assert_eq!(help.code, 0);
    assert!(help.stdout.contains("mark"));
    let dir = r.ledger(&["-C", "/no/such/dir", "status"]);
    assert_eq!(dir.code, 2);
    assert!(dir.stderr.contains("no such directory"), "{}", dir.stderr);
}

#[test]
fn repositories_libgit2_cannot_open_are_named_clearly() {
    let dir = tempfile::TempDir::new().unwrap();
    let home = tempfile::TempDir::new().unwrap();
    let run = |args: &[&str]| {
        let mut c = std::process::Command::new("git");
        c.args(args).current_dir(dir.path());
        common::isolate(&mut c, home.path());
        c.output().unwrap()
    };
    if !run(&["init", "-q", "--ref-format=reftable", "rt"])
        .status
        .success()
    {
        return; // this git predates reftable: nothing to check
    }
    let mut c = std::process::Command::new(common::BIN);
    c.arg("status").current_dir(dir.path().join("rt"));
    common::isolate(&mut c, home.path());
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot read this repository") && err.contains("--ref-format=files"),
        "{err}"
    );
}
