//! Views followed from a cached one (new commits, new notes) give exactly
//! what a cold fold gives: after commits, a fetch, an amend, a plain `git
//! notes merge`, a ref rolled back, a pull of new definitions.

mod common;

use common::{Repo, bare_remote, step};
use serde_json::Value;

/// What the views say, through the caches as they are, and how the first
/// read was answered (`GIT_LEDGER_TRACE`).
fn views(r: &Repo) -> (Vec<Value>, String) {
    let traced = r.ledger_env(&[("GIT_LEDGER_TRACE", "1")], &["--json", "status", "--all"]);
    let how = traced
        .stderr
        .lines()
        .filter(|l| l.starts_with("trace: view"))
        .collect::<Vec<_>>()
        .join("; ");
    let all = vec![
        traced.json(),
        r.ledger_json(&["log"]),
        r.ledger_json(&["next"]),
    ];
    (all, how)
}

/// The same views through warm caches, then cold (caches set aside), and
/// the warm caches put back so that the next step follows them again.
/// Returns how the warm read was answered.
fn assert_same_as_cold(r: &Repo, after: &str) -> String {
    let (warm, how) = views(r);
    let (cold, cold_how) = cold(r, || views(r));
    assert!(cold_how.contains("folded"), "{cold_how}");
    assert_eq!(
        warm, cold,
        "after {after} ({how}): followed views differ from a cold fold"
    );
    how
}

/// What `read` gives with the caches set aside (a cold start); the warm
/// caches are put back after, so that the next step follows them again.
fn cold<T>(r: &Repo, read: impl FnOnce() -> T) -> T {
    let dir = r.path().join(".git/git-ledger");
    let aside = r.path().join(".git/git-ledger.aside");
    std::fs::rename(&dir, &aside).unwrap();
    let out = read();
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::rename(&aside, &dir).unwrap();
    out
}

/// A second clone, `b`, sharing `a`'s ledger through a bare remote (kept
/// alive by the returned directory).
fn shared_with_a_clone(a: &Repo) -> (tempfile::TempDir, Repo) {
    let (d, url) = bare_remote();
    a.git(&["remote", "add", "origin", url.to_str().unwrap()]);
    a.git(&["push", "-q", "origin", "main"]);
    a.ledger_ok(&["init", "-q", "--remote", "origin"]);
    a.ledger_ok(&["sync"]);
    let b = Repo::clone_from(&url);
    b.ledger_ok(&["init", "-q", "--remote", "origin"]);
    b.ledger_ok(&["sync"]);
    (d, b)
}

/// Asserts that the view was followed from a cached one, not refolded.
fn followed(how: String, after: &str) {
    assert!(how.contains("followed"), "after {after}: {how}");
}

fn project() -> Repo {
    let r = Repo::new();
    r.write("src/api/routes.rs", "fn routes() {}\n");
    r.write("src/ui/app.rs", "fn app() {}\n");
    r.write("docs/guide.md", "guide\n");
    r.commit_all("Scaffold");
    r.ledger_ok(&["init", "-q"]);
    r.ledger_ok(&["add", "S01", "API", "--owns", "src/api/**"]);
    r.ledger_ok(&["add", "S02", "UI", "--owns", "src/ui/**"]);
    r.ledger_ok(&["add", "S03", "Docs"]);
    r.ledger_ok(&["mark", "S01", "verified"]);
    r.ledger_ok(&["mark", "S02", "done"]);
    r
}

#[test]
fn views_followed_over_new_commits_match_a_cold_fold() {
    let r = project();
    assert_same_as_cold(&r, "set-up");
    // Commits no hook sees: an unowned change, an undeclared owned change
    // (live drift), declared work, then back to the verified content.
    let no_hooks = ["-c", "core.hooksPath=/dev/null"];
    let commit = |msg: &str, extra: &[&str]| {
        let mut args = no_hooks.to_vec();
        args.extend(["commit", "-q", "-am", msg]);
        args.extend_from_slice(extra);
        r.git(&args);
    };
    r.append("docs/guide.md", "more\n");
    commit("Docs", &[]);
    followed(
        assert_same_as_cold(&r, "an unowned change"),
        "an unowned change",
    );
    r.append("src/api/routes.rs", "// change\n");
    commit("API change", &[]);
    followed(
        assert_same_as_cold(&r, "an undeclared owned change"),
        "an undeclared owned change",
    );
    r.append("src/ui/app.rs", "// ui\n");
    commit("UI work", &["--trailer", "Ledger-Step: S02"]);
    r.ledger_ok(&["scan"]);
    assert_same_as_cold(&r, "declared work, scanned");
    r.git(&["revert", "--no-edit", "HEAD~1"]);
    assert_same_as_cold(&r, "a revert to the verified content");
    // Several commits at once, one with a note already (a branch merged in).
    r.git(&["switch", "-q", "-c", "side", "HEAD~2"]);
    r.write("src/ui/side.rs", "// side\n");
    r.git(&["add", "src/ui/side.rs"]);
    commit("Side", &[]);
    r.ledger_ok(&["mark", "S02", "wip", "-m", "on the side branch"]);
    r.git(&["switch", "-q", "main"]);
    assert_same_as_cold(&r, "back on main");
    r.git(&["merge", "-q", "--no-edit", "side"]);
    assert_same_as_cold(&r, "a merge bringing an annotated commit");
}

#[test]
fn views_followed_over_new_notes_match_a_cold_fold() {
    let a = project();
    let (_d, b) = shared_with_a_clone(&a);
    assert_same_as_cold(&a, "set-up");

    // A fetch bringing statuses, then one bringing a new definition.
    b.ledger_ok(&["mark", "S03", "wip"]);
    b.ledger_ok(&["mark", "S02", "verified"]);
    b.ledger_ok(&["sync"]);
    a.git(&["fetch", "-q", "origin"]);
    followed(assert_same_as_cold(&a, "a fetch of statuses"), "a fetch");
    b.ledger_ok(&["add", "S04", "Search", "--owns", "src/api/search.rs"]);
    b.ledger_ok(&["edit", "S01", "--owns", "src/api/routes.rs"]);
    b.ledger_ok(&["sync"]);
    a.ledger_ok(&["sync"]);
    assert_same_as_cold(&a, "a sync bringing definitions");

    // Both sides wrote: plain git merges the notes by hand.
    a.ledger_ok(&["mark", "S03", "done"]);
    b.ledger_ok(&["mark", "S04", "wip"]);
    b.ledger_ok(&["sync"]);
    a.git(&["fetch", "-q", "origin"]);
    a.git(&[
        "notes",
        "--ref",
        "ledger",
        "merge",
        "-q",
        "-s",
        "cat_sort_uniq",
        "refs/notes/remotes/origin/ledger",
    ]);
    assert_same_as_cold(&a, "git notes merge -s cat_sort_uniq");

    // An amend: git copies the commit's note to the new commit.
    a.ledger_ok(&["mark", "S02", "wip", "-m", "before the amend"]);
    a.git(&["commit", "-q", "--amend", "-m", "Scaffold, amended"]);
    assert_same_as_cold(&a, "an amend");

    // The ref rolled back to an older tip: lines went away.
    let old = a.git(&["rev-parse", "refs/notes/ledger~2"]);
    a.git(&["update-ref", "refs/notes/ledger", old.trim()]);
    assert_same_as_cold(&a, "refs/notes/ledger rolled back");
}

#[test]
fn a_run_of_small_fetches_followed_through_the_ids_added_beside_the_file_match_a_cold_fold() {
    let a = project();
    for n in 0..30 {
        let status = if n % 2 == 0 { "wip" } else { "done" };
        a.ledger_ok(&["mark", "S03", status, "-m", &format!("round {n}")]);
    }
    let (_d, b) = shared_with_a_clone(&a);
    assert_same_as_cold(&a, "set-up");
    let added = a.path().join(".git/git-ledger/ids.add");
    // Each fetch brings one event to some forty: its id is written
    // beside the file of all ids, and the next fetch reads both. Only
    // `status` reads in between (`log` reads the whole index, which
    // writes every id again).
    for (n, status) in ["verified", "wip", "done"].iter().enumerate() {
        b.ledger_ok(&["mark", "S02", status]);
        b.ledger_ok(&["sync"]);
        a.git(&["fetch", "-q", "origin"]);
        let after = format!("fetch {}", n + 1);
        let warm = a.ledger_env(&[("GIT_LEDGER_TRACE", "1")], &["--json", "status", "--all"]);
        followed(warm.stderr.clone(), &after);
        assert!(added.exists(), "after {after}: no ids.add beside the ids");
        let cold = cold(&a, || a.ledger_json(&["status", "--all"]));
        assert_eq!(
            warm.json(),
            cold,
            "after {after}: followed status differs from a cold fold"
        );
    }
    assert_same_as_cold(&a, "three fetches");
}

/// A cold view takes HEAD's files from the git index where its cache of
/// trees holds HEAD's very trees. A change staged and written as a tree
/// (`git write-tree`) is in the index but not in HEAD: a cold status must
/// still see HEAD's files, not call the verified step drifted.
#[test]
fn a_staged_change_written_as_a_tree_does_not_drift_a_cold_status() {
    let r = project();
    let verified = r.status_of("S01");
    assert_eq!(verified, "verified");
    r.append("src/api/routes.rs", "// staged, not committed\n");
    r.git(&["add", "src/api/routes.rs"]);
    r.git(&["write-tree"]);
    let (cold_status, how) = cold(&r, || {
        let run = r.ledger_env(&[("GIT_LEDGER_TRACE", "1")], &["--json", "status", "--all"]);
        (run.json(), run.stderr)
    });
    assert!(how.contains("folded"), "{how}");
    let s01 = step(&cold_status, "S01");
    assert_eq!(s01["status"], "verified", "{s01}");
    // Committed, it is drift, seen cold as it is warm.
    r.git(&[
        "-c",
        "core.hooksPath=/dev/null",
        "commit",
        "-qm",
        "API change",
    ]);
    assert_same_as_cold(&r, "the staged change committed");
    assert_eq!(r.status_of("S01"), "drift_detected");
}
