//! `git ledger check`, the CI gate: catches drift however it arrived, and
//! only drift (content-addressed: SPEC 2.4).

mod common;

use common::{Repo, Run, bare_remote};
use serde_json::Value;

/// S04 owns src/storage/** and is verified; no hooks, so nothing is caught
/// at commit time and only `check` can see drift.
fn storage_repo() -> Repo {
    let r = Repo::new();
    r.write("src/storage/spaces.rs", "pub fn spaces() {}\n");
    r.write("docs/guide.md", "A guide.\n");
    r.commit_all("Add storage");
    r.ledger_ok(&["init", "--no-hooks"]);
    r.ledger_ok(&["add", "S04", "Object storage", "--owns", "src/storage/**"]);
    r.ledger_ok(&["mark", "S04", "verified"]);
    r
}

fn check_json(r: &Repo, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["--json", "check"];
    all.extend_from_slice(args);
    let out = r.ledger(&all);
    assert!(
        out.code == 0 || out.code == 1,
        "check exited {}: {}",
        out.code,
        out.stderr
    );
    (out.code, out.json())
}

fn drift_ids(v: &Value) -> Vec<String> {
    v["drift"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect()
}

fn drift_events(r: &Repo) -> usize {
    let ids: std::collections::BTreeSet<String> = r
        .events()
        .iter()
        .filter(|e| e["status"] == "drift_detected")
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    ids.len()
}

#[test]
fn a_clean_repository_passes() {
    let r = storage_repo();
    r.append("docs/guide.md", "more\n");
    r.commit_all("Docs");
    let (code, v) = check_json(&r, &[]);
    assert_eq!(code, 0);
    assert_eq!(v["ok"], true);
    assert_eq!(v["head"], r.head().as_str());
    assert_eq!(drift_ids(&v), Vec::<String>::new());
    let text = r.ledger_ok(&["check"]).stdout;
    assert!(text.contains("OK: no drift"), "{text}");
}

#[test]
fn catches_a_commit_made_without_hooks_and_records_it_once() {
    let r = storage_repo();
    r.append("src/storage/spaces.rs", "// unnoticed\n");
    let head = r.commit_all("Unnoticed change");
    let (code, v) = check_json(&r, &[]);
    assert_eq!(code, 1);
    assert_eq!(v["ok"], false);
    assert_eq!(drift_ids(&v), ["S04"]);
    assert_eq!(
        v["drift"][0]["files"],
        serde_json::json!(["src/storage/spaces.rs"])
    );
    assert_eq!(v["drift"][0]["found_now"], true);
    // Recorded on HEAD, visible to plain git.
    let note = r.git(&["notes", "--ref", "ledger", "show", &head]);
    assert!(note.contains("\"source\":\"check\""), "{note}");
    assert!(note.contains("\"status\":\"drift_detected\""), "{note}");
    assert_eq!(r.status_of("S04"), "drift_detected");

    // A second run fails again and records nothing new.
    let lines = r.note_lines();
    let (code, v) = check_json(&r, &[]);
    assert_eq!(code, 1);
    assert_eq!(v["drift"][0]["found_now"], false);
    assert_eq!(r.note_lines(), lines);
    let text = r.ledger(&["check"]);
    assert_eq!(text.code, 1);
    assert!(text.stdout.contains("FAIL:"), "{}", text.stdout);
    assert!(
        text.stdout.contains("git ledger verify S04"),
        "{}",
        text.stdout
    );
}

#[test]
fn after_a_no_verify_commit_the_hook_already_recorded_it_and_check_agrees() {
    let r = storage_repo();
    r.ledger_ok(&["hooks", "install"]);
    r.append("src/storage/spaces.rs", "// no-verify\n");
    r.git(&["add", "-A"]);
    let c = r.git_run(&["commit", "-q", "--no-verify", "-m", "Bypass"]);
    assert_eq!(c.code, 0);
    assert!(
        c.stderr.contains("warning: S04"),
        "post-commit still runs: {}",
        c.stderr
    );
    assert_eq!(drift_events(&r), 1);
    let (code, v) = check_json(&r, &[]);
    assert_eq!(code, 1);
    assert_eq!(drift_ids(&v), ["S04"]);
    assert_eq!(
        drift_events(&r),
        1,
        "check does not duplicate the hook's drift"
    );
}

#[test]
fn catches_a_merge_of_another_clones_work() {
    let (_dir, remote) = bare_remote();
    let a = storage_repo();
    a.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    a.git(&["push", "-q", "origin", "main"]);
    let b = Repo::clone_from(&remote);
    b.append("src/storage/spaces.rs", "// b's work\n");
    b.commit_all("B changes storage");
    b.git(&["push", "-q", "origin", "main"]);
    a.append("docs/guide.md", "a's docs\n");
    a.commit_all("A docs");
    let merge = a.git_run(&["pull", "-q", "--no-rebase", "--no-edit", "origin", "main"]);
    assert_eq!(merge.code, 0, "{}", merge.stderr);
    assert_eq!(
        a.git(&["rev-list", "--parents", "-1", "HEAD"])
            .split_whitespace()
            .count(),
        3,
        "a merge commit"
    );
    let (code, v) = check_json(&a, &[]);
    assert_eq!(code, 1);
    assert_eq!(drift_ids(&v), ["S04"]);
}

#[test]
fn catches_a_rebase_that_changed_owned_content() {
    let r = storage_repo();
    r.git(&["checkout", "-q", "-b", "feature"]);
    r.append("docs/guide.md", "feature docs\n");
    r.commit_all("Feature docs");
    r.git(&["checkout", "-q", "main"]);
    r.append("src/storage/spaces.rs", "// main changed storage\n");
    r.commit_all("Main storage change");
    r.git(&["checkout", "-q", "feature"]);
    let (code, _) = check_json(&r, &["--no-record"]);
    assert_eq!(code, 0, "the feature branch still has the verified content");
    r.git(&["rebase", "-q", "main"]);
    let (code, v) = check_json(&r, &[]);
    assert_eq!(code, 1);
    assert_eq!(drift_ids(&v), ["S04"]);
}

#[test]
fn a_rebase_or_cherry_pick_keeping_owned_content_is_not_drift() {
    let r = storage_repo();
    // S04 was verified on a commit that the rebase below rewrites away.
    r.git(&["checkout", "-q", "-b", "feature"]);
    r.append("src/storage/spaces.rs", "// feature\n");
    r.commit_all("Storage feature");
    r.ledger_ok(&["mark", "S04", "verified"]);
    r.append("docs/guide.md", "feature docs\n");
    r.commit_all("Feature docs");
    r.git(&["checkout", "-q", "main"]);
    r.append("README.md", "unrelated\n");
    r.commit_all("Unrelated on main");
    r.git(&["checkout", "-q", "feature"]);
    // No hooks and no notes.rewriteRef: the verified event stays on the old commit.
    r.git(&["config", "--unset-all", "notes.rewriteRef"]);
    r.git(&["rebase", "-q", "main"]);
    let (code, v) = check_json(&r, &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(r.status_of("S04"), "verified");

    // Cherry-picking the storage commit onto main gives the same owned content.
    r.git(&["checkout", "-q", "main"]);
    let pick = r.git(&["rev-parse", "feature~1"]);
    r.git(&["cherry-pick", pick.trim()]);
    let (code, v) = check_json(&r, &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(drift_events(&r), 0);
}

#[test]
fn strict_also_fails_on_pending_verification() {
    let r = storage_repo();
    r.ledger_ok(&["add", "S05", "Listing"]);
    r.ledger_ok(&["mark", "S05", "done"]);
    let (code, v) = check_json(&r, &[]);
    assert_eq!(code, 0);
    assert_eq!(v["pending"][0]["id"], "S05");
    let (code, v) = check_json(&r, &["--strict"]);
    assert_eq!(code, 1);
    assert_eq!(v["ok"], false);
    assert_eq!(v["strict"], true);
    let text = r.ledger(&["check", "--strict"]);
    assert!(text.stdout.contains("verify --pending"), "{}", text.stdout);
}

#[test]
fn no_record_writes_nothing_but_still_fails() {
    let r = storage_repo();
    r.append("src/storage/spaces.rs", "// unnoticed\n");
    r.commit_all("Unnoticed");
    let tip = r.git(&["rev-parse", "refs/notes/ledger"]);
    let (code, v) = check_json(&r, &["--no-record"]);
    assert_eq!(code, 1);
    assert_eq!(v["recorded"], false);
    assert_eq!(drift_ids(&v), ["S04"]);
    assert_eq!(r.git(&["rev-parse", "refs/notes/ledger"]), tip);
}

#[test]
fn ingests_trailers_of_commits_it_has_not_seen() {
    let r = storage_repo();
    r.ledger_ok(&["add", "S05", "Listing", "--owns", "lib/**"]);
    r.write("lib/list.rs", "x\n");
    r.git(&["add", "-A"]);
    r.git(&[
        "commit",
        "-q",
        "-m",
        "Listing done",
        "--trailer",
        "Ledger-Status: S05 done",
    ]);
    let (code, v) = check_json(&r, &["--strict"]);
    assert_eq!(code, 1, "S05 is now pending: {v}");
    let events = v["ingested"]["events"].as_array().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["step"], "S05");
    assert_eq!(r.status_of("S05"), "completed_pending_verification");
    // Seen now: the next check reads no old commit again.
    let (_, v) = check_json(&r, &[]);
    assert_eq!(v["ingested"]["commits"], 0);
}

#[test]
fn without_a_git_identity_it_reports_and_records_nothing() {
    let r = storage_repo();
    r.append("src/storage/spaces.rs", "// ci\n");
    r.commit_all("CI sees this");
    let tip = r.git(&["rev-parse", "refs/notes/ledger"]);
    let out = r
        .cmd(common::BIN)
        .args(["check"])
        .env_remove("GIT_COMMITTER_NAME")
        .env_remove("GIT_COMMITTER_EMAIL")
        .env_remove("GIT_AUTHOR_NAME")
        .env_remove("GIT_AUTHOR_EMAIL")
        .env("EMAIL", "")
        .output()
        .unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("no git identity"), "{}", run.stderr);
    assert!(run.stdout.contains("S04"), "{}", run.stdout);
    assert_eq!(r.git(&["rev-parse", "refs/notes/ledger"]), tip);
}

#[test]
fn outside_a_repository_it_is_a_usage_error() {
    let dir = tempfile::TempDir::new().unwrap();
    let out = std::process::Command::new(common::BIN)
        .args(["-C", dir.path().to_str().unwrap(), "check"])
        .env("GIT_CEILING_DIRECTORIES", dir.path().parent().unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a git repository"));
}

/// The commands docs/ci.md gives a CI job, run in a fresh clone.
const CI_RECIPE: &str = r#"
set -e
if git ls-remote --exit-code origin refs/notes/ledger >/dev/null; then
    git fetch --no-tags origin refs/notes/ledger:refs/notes/ledger
fi
git ledger check --no-record
"#;

#[test]
fn the_ci_recipe_catches_drift_in_a_fresh_clone() {
    let (_dir, remote) = bare_remote();
    let dev = storage_repo();
    dev.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    dev.append("src/storage/spaces.rs", "// pushed without hooks\n");
    dev.commit_all("Unchecked storage change");
    dev.git(&["push", "-q", "origin", "main", "refs/notes/ledger"]);

    let ci = Repo::clone_from(&remote);
    let tip = dev.git(&["rev-parse", "refs/notes/ledger"]);
    let out = ci.cmd("sh").args(["-c", CI_RECIPE]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("drift_detected  S04"), "{stdout}");
    assert_eq!(
        ci.git(&["rev-parse", "refs/notes/ledger"]),
        tip,
        "--no-record wrote nothing"
    );
}

#[test]
fn the_ci_recipe_passes_while_the_remote_has_no_ledger() {
    let (_dir, remote) = bare_remote();
    let dev = Repo::new();
    dev.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    dev.git(&["push", "-q", "origin", "main"]);
    let ci = Repo::clone_from(&remote);
    let out = ci.cmd("sh").args(["-c", CI_RECIPE]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
