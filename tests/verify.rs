//! `git ledger verify`: checks run in a temporary clean checkout, evidence
//! and status land in the ledger, and `show`/`log` display them.

mod common;

use common::{BIN, Repo};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::process::Stdio;

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A repo with `src/lib.rs` committed and step S04 owning `src/**`.
fn with_step(checks: &[&str]) -> Repo {
    let repo = Repo::new();
    repo.write("src/lib.rs", "pub fn answer() -> u32 { 42 }\n");
    repo.commit_all("Add lib");
    let mut args = vec!["add", "S04", "Object storage", "--owns", "src/**"];
    for c in checks {
        args.extend(["--check", c]);
    }
    repo.ledger_ok(&args);
    repo
}

fn of_kind(repo: &Repo, kind: &str) -> Vec<Value> {
    repo.events()
        .into_iter()
        .filter(|e| e["kind"] == kind)
        .collect()
}

fn dir_is_empty(p: &Path) -> bool {
    std::fs::read_dir(p).unwrap().next().is_none()
}

#[test]
fn passing_checks_record_evidence_and_verify_the_step() {
    let repo = with_step(&["grep -q 42 src/lib.rs && echo storage ok"]);
    repo.ledger_ok(&["mark", "S04", "done"]);
    let out = repo.ledger_json(&["verify", "S04"]);
    assert_eq!(out["result"], "pass");
    assert_eq!(
        out["steps"][0]["status_before"],
        "completed_pending_verification"
    );
    assert_eq!(out["steps"][0]["status"], "verified");

    // What plain git sees: an evidence event with the SPEC 2.2 fields, on HEAD.
    let head = repo.head();
    let evidence = &of_kind(&repo, "evidence")[0];
    assert_eq!(evidence["source"], "verify");
    assert_eq!(evidence["result"], "pass");
    assert_eq!(evidence["dirty"], false);
    assert_eq!(
        evidence["tree"],
        repo.git(&["rev-parse", "HEAD^{tree}"]).trim()
    );
    let check = &evidence["checks"][0];
    assert_eq!(check["cmd"], "grep -q 42 src/lib.rs && echo storage ok");
    assert_eq!(check["exit"], 0);
    assert_eq!(check["timed_out"], false);
    assert!(check["ms"].is_u64());
    assert_eq!(check["out_tail"], "storage ok\n");
    assert_eq!(check["out_sha256"], sha256_hex(b"storage ok\n"));
    let note = repo.git(&["notes", "--ref", "ledger", "show", &head]);
    assert!(note.contains(evidence["id"].as_str().unwrap()));

    // The verified status names the evidence and carries its fingerprint.
    let verified = of_kind(&repo, "status")
        .into_iter()
        .find(|e| e["status"] == "verified")
        .unwrap();
    assert_eq!(verified["evidence"], evidence["id"]);
    assert_eq!(verified["fingerprint"], evidence["fingerprint"]);
    assert_eq!(verified["tree"], evidence["tree"]);
    assert_eq!(verified["source"], "verify");
    assert_eq!(repo.status_of("S04"), "verified");
}

#[test]
fn checks_run_in_a_clean_checkout_of_head_not_the_work_tree() {
    let repo = with_step(&[
        "grep -q 42 src/lib.rs",
        "test ! -e scratch.txt",
        "test \"$(git rev-parse HEAD)\" = \"$GIT_LEDGER_COMMIT\"",
        "git status --porcelain > ../status.txt; test ! -s ../status.txt",
    ]);
    let tmp = tempfile::TempDir::new().unwrap();
    // Uncommitted edits and an untracked file that would break the checks.
    repo.write("src/lib.rs", "pub fn answer() -> u32 { 41 }\n");
    repo.write("scratch.txt", "not committed\n");
    let r = repo.ledger_env(
        &[("TMPDIR", tmp.path().to_str().unwrap())],
        &["--json", "verify", "S04"],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(repo.status_of("S04"), "verified");
    // The work tree is untouched, the temporary checkout is gone.
    assert_eq!(
        std::fs::read_to_string(repo.path().join("src/lib.rs")).unwrap(),
        "pub fn answer() -> u32 { 41 }\n"
    );
    assert!(dir_is_empty(tmp.path()), "temporary checkout left behind");
    assert_eq!(repo.git(&["worktree", "list"]).lines().count(), 1);
}

#[test]
fn a_failing_check_after_a_commit_records_drift_with_the_changed_files() {
    let repo = with_step(&["grep -q 42 src/lib.rs"]);
    repo.ledger_ok(&["verify", "S04"]);
    assert_eq!(repo.status_of("S04"), "verified");
    repo.write("src/lib.rs", "pub fn answer() -> u32 { 41 }\n");
    let broken = repo.commit_all("Break the answer");

    let r = repo.ledger(&["verify", "S04"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("FAIL  grep -q 42 src/lib.rs"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("verified → drift_detected"),
        "{}",
        r.stdout
    );
    let drift = of_kind(&repo, "status")
        .into_iter()
        .find(|e| e["status"] == "drift_detected")
        .unwrap();
    assert_eq!(drift["files"], serde_json::json!(["src/lib.rs"]));
    assert_eq!(drift["source"], "verify");
    let note = repo.git(&["notes", "--ref", "ledger", "show", &broken]);
    assert!(note.contains(drift["id"].as_str().unwrap()));
    assert_eq!(repo.status_of("S04"), "drift_detected");

    // Fixed: verify again → verified.
    repo.write("src/lib.rs", "pub fn answer() -> u32 { 42 }\n");
    repo.commit_all("Fix the answer");
    repo.ledger_ok(&["verify", "S04"]);
    assert_eq!(repo.status_of("S04"), "verified");
}

#[test]
fn a_failure_changes_only_steps_called_done() {
    let repo = with_step(&["false"]);
    // in_progress: evidence only.
    repo.ledger_ok(&["mark", "S04", "wip"]);
    let out = repo.ledger(&["--json", "verify", "S04"]);
    assert_eq!(out.code, 1);
    assert_eq!(out.json()["steps"][0]["status"], "in_progress");
    assert!(out.json()["steps"][0]["status_event"].is_null());
    assert_eq!(of_kind(&repo, "evidence").len(), 1);
    assert_eq!(repo.status_of("S04"), "in_progress");
    // pending: drift.
    repo.ledger_ok(&["mark", "S04", "done"]);
    assert_eq!(repo.ledger(&["verify", "S04"]).code, 1);
    assert_eq!(repo.status_of("S04"), "drift_detected");
    // drifted, failing again: a new drift status naming the new evidence.
    assert_eq!(repo.ledger(&["verify", "S04"]).code, 1);
    let drifts: Vec<Value> = of_kind(&repo, "status")
        .into_iter()
        .filter(|e| e["status"] == "drift_detected")
        .collect();
    assert_eq!(drifts.len(), 2);
    assert_ne!(drifts[0]["evidence"], drifts[1]["evidence"]);
}

#[test]
fn stdout_and_stderr_are_captured_together_and_the_tail_is_the_last_4_kib() {
    let script = "for i in $(seq 1 3000); do echo \"out $i\"; echo \"err $i\" >&2; done";
    let repo = with_step(&["echo first; echo second >&2; echo third", script]);
    repo.ledger_ok(&["verify", "S04"]);
    let ev = &of_kind(&repo, "evidence")[0];
    assert_eq!(ev["checks"][0]["out_tail"], "first\nsecond\nthird\n");

    let mut full = String::new();
    for i in 1..=3000 {
        full.push_str(&format!("out {i}\nerr {i}\n"));
    }
    let big = &ev["checks"][1];
    assert_eq!(big["out_sha256"], sha256_hex(full.as_bytes()));
    let tail = big["out_tail"].as_str().unwrap();
    assert!(tail.len() <= 4096 && tail.len() > 4000, "{}", tail.len());
    assert!(full.ends_with(tail));
    assert!(tail.ends_with("out 3000\nerr 3000\n"));
}

#[test]
fn a_check_that_runs_too_long_is_stopped_and_fails() {
    let repo = with_step(&["sleep 30 & sleep 30; echo never"]);
    repo.ledger_ok(&["mark", "S04", "done"]);
    let r = repo.ledger(&["--json", "verify", "S04", "--timeout", "1"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let check = &r.json()["steps"][0]["evidence"]["checks"][0];
    assert_eq!(check["timed_out"], true);
    assert_eq!(check["exit"], 124);
    assert_eq!(repo.status_of("S04"), "drift_detected");
    let show = repo.ledger_ok(&["show", "S04"]);
    assert!(show.stdout.contains("(timed out)"), "{}", show.stdout);

    // The limit also comes from git config; a bad value is refused.
    repo.git(&["config", "ledger.checkTimeout", "1"]);
    let r = repo.ledger(&["--json", "verify", "S04"]);
    assert_eq!(
        r.json()["steps"][0]["evidence"]["checks"][0]["timed_out"],
        true
    );
    repo.git(&["config", "ledger.checkTimeout", "soon"]);
    let before = repo.note_lines().len();
    let r = repo.ledger(&["verify", "S04"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("ledger.checkTimeout 'soon'"),
        "{}",
        r.stderr
    );
    assert_eq!(repo.note_lines().len(), before);
}

#[test]
fn pending_all_and_several_ids_select_steps() {
    let repo = Repo::new();
    repo.ledger_ok(&["add", "S01", "One", "--check", "true"]);
    repo.ledger_ok(&["add", "S02", "Two", "--check", "true"]);
    repo.ledger_ok(&["add", "S03", "Three"]);
    repo.ledger_ok(&["add", "S04", "Four", "--check", "true"]);
    repo.ledger_ok(&["add", "S05", "Five", "--check", "true"]);
    repo.ledger_ok(&["mark", "S01", "done"]);
    repo.ledger_ok(&["mark", "S03", "done"]);
    repo.ledger_ok(&["mark", "S04", "wip"]);

    let r = repo.ledger(&["--json", "verify", "--pending"]);
    assert_eq!(r.code, 0);
    let ids: Vec<Value> = r.json()["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].clone())
        .collect();
    assert_eq!(ids, ["S01"]);
    assert_eq!(r.json()["skipped"], serde_json::json!(["S03"]));
    assert!(
        r.stderr.contains("git ledger edit S03 --check"),
        "{}",
        r.stderr
    );

    let out = repo.ledger_json(&["verify", "S05", "S02", "S05"]);
    let ids: Vec<&str> = out["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["S05", "S02"]);

    let out = repo.ledger_json(&["verify", "--all"]);
    let ids: Vec<&str> = out["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["S01", "S02", "S04", "S05"]);
    assert_eq!(repo.status_of("S04"), "verified");
    assert_eq!(repo.status_of("S03"), "completed_pending_verification");

    // Nothing pending with checks: nothing to do, success.
    let r = repo.ledger_ok(&["verify", "--pending"]);
    assert!(r.stdout.contains("nothing to verify"), "{}", r.stdout);
}

#[test]
fn bad_requests_are_refused_without_writing() {
    let repo = with_step(&[]);
    let before = repo.note_lines().len();
    let r = repo.ledger(&["verify", "S04"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("S04 has no checks"), "{}", r.stderr);
    assert!(
        r.stderr.contains("git ledger edit S04 --check"),
        "{}",
        r.stderr
    );
    let r = repo.ledger(&["verify", "S4"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("did you mean S04"), "{}", r.stderr);
    let r = repo.ledger(&["verify"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--pending"), "{}", r.stderr);
    let r = repo.ledger(&["verify", "S04", "--timeout", "forever"]);
    assert_eq!(r.code, 2);
    assert_eq!(repo.note_lines().len(), before);
}

#[test]
fn in_place_on_a_dirty_tree_records_dirty_evidence_that_never_verifies() {
    let repo = with_step(&["cat src/lib.rs"]);
    repo.ledger_ok(&["mark", "S04", "done"]);
    repo.write("src/lib.rs", "pub fn answer() -> u32 { 43 }\n");
    let r = repo.ledger(&["--json", "verify", "S04", "--in-place"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("uncommitted changes (src/lib.rs)"),
        "{}",
        r.stderr
    );
    let ev = &r.json()["steps"][0]["evidence"];
    assert_eq!(ev["dirty"], true);
    assert_eq!(ev["in_place"], true);
    // It ran on the work tree as it is.
    assert!(ev["checks"][0]["out_tail"].as_str().unwrap().contains("43"));
    assert_eq!(repo.status_of("S04"), "completed_pending_verification");

    // Clean again: in-place evidence verifies.
    repo.git(&["checkout", "--", "src/lib.rs"]);
    let out = repo.ledger_json(&["verify", "S04", "--in-place"]);
    assert_eq!(out["steps"][0]["evidence"]["dirty"], false);
    assert_eq!(repo.status_of("S04"), "verified");
}

#[test]
fn verify_at_another_commit_binds_the_evidence_there() {
    let repo = with_step(&["grep -q 42 src/lib.rs"]);
    let good = repo.head();
    repo.write("src/lib.rs", "pub fn answer() -> u32 { 41 }\n");
    repo.commit_all("Break");
    let out = repo.ledger_json(&["verify", "S04", "--commit", "HEAD~1"]);
    assert_eq!(out["commit"], good);
    assert_eq!(out["result"], "pass");
    let note = repo.git(&["notes", "--ref", "ledger", "show", &good]);
    assert!(note.contains("\"kind\":\"evidence\""));
    // Verified at the older commit, the newer one is seen as drift.
    assert_eq!(repo.status_of("S04"), "drift_detected");
}

#[test]
fn show_and_log_display_evidence_and_history() {
    let repo = with_step(&["echo all good", "grep -q 42 src/lib.rs && echo answer ok"]);
    repo.ledger_ok(&["verify", "S04", "--run", "run-007"]);
    repo.write("src/lib.rs", "pub fn answer() -> u32 { 41 }\n");
    repo.commit_all("Break");
    repo.ledger(&["verify", "S04"]);

    let show = repo.ledger_ok(&["show", "S04"]).stdout;
    assert!(show.contains("fail 1/2 at"), "{show}");
    assert!(show.contains("PASS  echo all good"), "{show}");
    assert!(
        show.contains("FAIL  grep -q 42 src/lib.rs && echo answer ok"),
        "{show}"
    );
    assert!(show.contains("(exit 1)"), "{show}");
    assert!(show.contains("all good"), "{show}");
    assert!(show.contains("Verification history"), "{show}");
    assert!(show.contains("Evidence history"), "{show}");
    assert!(show.contains("pass 2/2"), "{show}");
    assert!(show.contains("run-007"), "{show}");

    let card = repo.ledger_json(&["show", "S04"]);
    let history = card["evidence_history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["result"], "fail");
    assert_eq!(history[1]["result"], "pass");
    assert_eq!(card["last_evidence"]["result"], "fail");
    assert_eq!(card["verifications"].as_array().unwrap().len(), 1);

    let log = repo.ledger_ok(&["log", "S04"]).stdout;
    assert!(log.contains("evidence fail 1/2"), "{log}");
    assert!(log.contains("evidence pass 2/2"), "{log}");
    assert!(
        log.contains("→ drift_detected (src/lib.rs) [verify]"),
        "{log}"
    );
}

#[test]
fn require_evidence_refuses_mark_verified_without_passing_clean_evidence() {
    let repo = with_step(&["grep -q 42 src/lib.rs"]);
    repo.git(&["config", "ledger.requireEvidence", "true"]);
    let before = repo.note_lines().len();
    for extra in [&[][..], &["--evidence", "looked at it"][..]] {
        let mut args = vec!["mark", "S04", "verified"];
        args.extend_from_slice(extra);
        let r = repo.ledger(&args);
        assert_eq!(r.code, 2, "{args:?}");
        assert!(
            r.stderr
                .contains("hint: run its checks with: git ledger verify S04"),
            "{}",
            r.stderr
        );
    }
    assert_eq!(repo.note_lines().len(), before);

    // Dirty in-place evidence does not count.
    repo.write("scratch.txt", "x\n");
    repo.ledger_ok(&["verify", "S04", "--in-place"]);
    let r = repo.ledger(&["mark", "S04", "verified"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("dirty"), "{}", r.stderr);
    std::fs::remove_file(repo.path().join("scratch.txt")).unwrap();

    // Passing evidence for this content: allowed.
    repo.ledger_ok(&["verify", "S04"]);
    repo.ledger_ok(&["mark", "S04", "verified", "-m", "again"]);

    // The owned files changed since: refused until verified again.
    repo.write("src/lib.rs", "pub fn answer() -> u32 { 42 } // same\n");
    repo.commit_all("Comment");
    let r = repo.ledger(&["mark", "S04", "verified"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("owned files changed"), "{}", r.stderr);
    repo.ledger_ok(&["verify", "S04"]);
    repo.ledger_ok(&["mark", "S04", "verified"]);

    // Without the setting, mark stays free.
    repo.git(&["config", "ledger.requireEvidence", "false"]);
    repo.write("src/lib.rs", "pub fn answer() -> u32 { 41 }\n");
    repo.commit_all("Break");
    repo.ledger_ok(&["mark", "S04", "verified"]);
}

#[test]
fn progress_shows_on_a_terminal_only() {
    let repo = with_step(&["sleep 1; echo slow ok"]);
    // Not a terminal: nothing on stderr.
    let r = repo.ledger_ok(&["verify", "S04"]);
    assert!(!r.stderr.contains("verifying"), "{}", r.stderr);
    // On a terminal (script(1) gives one): the running check and its time.
    let cmd = format!("{BIN} --color never verify S04");
    let out = repo
        .cmd("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{screen}");
    assert!(
        screen.contains("verifying S04 [1/1] sleep 1; echo slow ok  0s"),
        "{screen}"
    );
    assert!(screen.contains("PASS  sleep 1; echo slow ok"), "{screen}");
}

#[test]
fn ctrl_c_stops_the_check_removes_the_checkout_and_records_nothing() {
    let repo = with_step(&["sleep 30"]);
    let tmp = tempfile::TempDir::new().unwrap();
    let before = repo.note_lines().len();
    let child = repo
        .cmd(BIN)
        .env("TMPDIR", tmp.path())
        .args(["verify", "S04"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the check runs in its checkout (bounded).
    let mut ready = false;
    for _ in 0..200 {
        let made = std::fs::read_dir(tmp.path()).unwrap().next().is_some();
        let running = repo.git(&["worktree", "list"]).lines().count() == 2;
        if made && running {
            ready = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(ready, "the checkout never appeared");
    std::thread::sleep(std::time::Duration::from_millis(200));
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted: nothing recorded for S04"));
    assert!(dir_is_empty(tmp.path()), "temporary checkout left behind");
    assert_eq!(repo.git(&["worktree", "list"]).lines().count(), 1);
    assert_eq!(repo.note_lines().len(), before);
}

#[test]
fn a_killed_verify_left_a_worktree_that_broke_git_fsck() {
    let repo = with_step(&["kill -9 $PPID"]);
    repo.ledger_ok(&["add", "S05", "Other", "--check", "true"]);
    let tmp = tempfile::TempDir::new().unwrap();
    let verify = |id: &str| {
        repo.cmd(BIN)
            .env("TMPDIR", tmp.path())
            .args(["verify", id])
            .output()
            .unwrap()
    };
    // 1. verify itself killed (the check kills its parent) mid-run.
    let killed = verify("S04");
    assert_eq!(killed.status.code(), None, "killed by a signal");
    // 2. a verify killed inside `git worktree add`: git leaves the entry
    // locked "initializing" with a HEAD that points at nothing.
    let root = tmp.path().join("git-ledger-verify-killed");
    std::fs::create_dir_all(&root).unwrap();
    let gone = std::process::Command::new("true").spawn().unwrap();
    let dead_pid = gone.id();
    let mut gone = gone;
    gone.wait().unwrap();
    std::fs::write(root.join(".owner-pid"), dead_pid.to_string()).unwrap();
    let half = root.join("proj");
    repo.git(&[
        "worktree",
        "add",
        "-q",
        "--detach",
        half.to_str().unwrap(),
        "HEAD",
    ]);
    repo.git(&[
        "worktree",
        "lock",
        "--reason",
        "initializing",
        half.to_str().unwrap(),
    ]);
    let id = half.file_name().unwrap().to_str().unwrap();
    std::fs::write(
        repo.path().join(".git/worktrees").join(id).join("HEAD"),
        "0000000000000000000000000000000000000000\n",
    )
    .unwrap();
    assert_ne!(repo.git_run(&["fsck", "--no-progress"]).code, 0);
    let worktrees = || repo.git(&["worktree", "list"]).lines().count();
    assert_eq!(worktrees(), 3);

    let doctor = repo.ledger(&["doctor"]);
    assert!(
        doctor
            .stdout
            .contains("2 temporary checkout(s) left by an interrupted verify")
            && doctor.stdout.contains("locked while initializing"),
        "{}",
        doctor.stdout
    );
    // The next verify removes both, and git is whole again.
    let next = verify("S05");
    let err = String::from_utf8_lossy(&next.stderr);
    assert_eq!(next.status.code(), Some(0), "{err}");
    assert_eq!(
        err.matches("removed a temporary checkout an interrupted verify left behind")
            .count(),
        2,
        "{err}"
    );
    assert_eq!(worktrees(), 1);
    repo.git(&["fsck", "--no-progress"]);
    assert!(dir_is_empty(tmp.path()), "temporary directories left");
    assert!(
        !repo
            .ledger(&["doctor"])
            .stdout
            .contains("temporary checkout")
    );
}

#[test]
fn cleaning_leftovers_never_touches_a_verify_that_is_running() {
    let repo = with_step(&["sleep 2"]);
    repo.ledger_ok(&["add", "S05", "Other", "--check", "true"]);
    let tmp = tempfile::TempDir::new().unwrap();
    let mut slow = repo
        .cmd(BIN)
        .env("TMPDIR", tmp.path())
        .args(["verify", "S04"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until its checkout is registered.
    let mut registered = false;
    for _ in 0..200 {
        if repo.git(&["worktree", "list"]).lines().count() == 2 {
            registered = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(registered);
    let other = repo
        .cmd(BIN)
        .env("TMPDIR", tmp.path())
        .args(["verify", "S05"])
        .output()
        .unwrap();
    assert_eq!(other.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&other.stderr).contains("removed a temporary checkout"));
    assert!(
        slow.wait().unwrap().success(),
        "the running verify was disturbed"
    );
    assert_eq!(repo.git(&["worktree", "list"]).lines().count(), 1);
}
