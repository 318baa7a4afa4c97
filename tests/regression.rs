//! Regression tests, each named after the failure it pins: inputs and
//! environments that once made git-ledger panic (exit 101) where the
//! contract allows 0, 1, 2 or 3 at worst.

mod common;

use common::{BIN, Repo};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::process::Command;

fn ready() -> Repo {
    let r = Repo::new();
    r.ledger_ok(&["init"]);
    r.ledger_ok(&["add", "S01", "Cafe", "--owns", "caf*"]);
    r
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("run git-ledger");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn no_panic(stderr: &str) {
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE=full"),
        "{stderr}"
    );
}

#[test]
fn a_non_utf8_path_argument_panicked() {
    let r = ready();
    let name = OsStr::from_bytes(b"caf\xe9");
    std::fs::write(r.path().join(name), "x").unwrap();
    let (code, out, err) = run(r.cmd(BIN).arg("owners").arg(name));
    assert_eq!(code, 0, "{out}{err}");
    no_panic(&err);
    assert!(out.contains("S01"), "{out}");
    // A non-UTF-8 id is bad input, not a crash.
    let (code, _, err) = run(r.cmd(BIN).arg("show").arg(OsStr::from_bytes(b"S\xff1")));
    assert_eq!(code, 2, "{err}");
    no_panic(&err);
}

#[test]
fn a_non_utf8_environment_value_panicked_and_dropped_trailers() {
    let r = ready();
    let legacy = OsStr::from_bytes(b"caf\xe9");
    let (code, out, err) = run(r
        .cmd(BIN)
        .env("LEGACY", legacy)
        .env("OLD_API_TOKEN", legacy)
        .args(["mark", "S01", "wip"]));
    assert_eq!(code, 0, "{out}{err}");
    no_panic(&err);
    // The post-commit hook under the same environment still ingests.
    r.ledger_ok(&["mark", "S01", "todo"]);
    r.write("notes.txt", "x\n");
    r.git(&["add", "notes.txt"]);
    let commit = r
        .cmd("git")
        .env("LEGACY", legacy)
        .args([
            "commit",
            "-q",
            "-m",
            "Work",
            "--trailer",
            "Ledger-Step: S01",
        ])
        .output()
        .unwrap();
    assert!(commit.status.success());
    no_panic(&String::from_utf8_lossy(&commit.stderr));
    assert_eq!(r.status_of("S01"), "in_progress");
}

#[test]
fn a_closed_stderr_panicked_after_a_warning() {
    let r = ready();
    // A line this version cannot read: every read warns about it.
    r.git(&[
        "notes",
        "--ref",
        "ledger",
        "append",
        "-m",
        "not an event",
        "HEAD",
    ]);
    for args in [&["status"][..], &["log"], &["nope"]] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = r.cmd(BIN).args(args).stderr(writer).output().unwrap();
        let want = if args == ["nope"] { 2 } else { 0 };
        assert_eq!(out.status.code(), Some(want), "{args:?}");
    }
}

#[test]
fn log_since_a_huge_count_overflowed() {
    let r = ready();
    let (code, out, err) = run(r
        .cmd(BIN)
        .args(["log", "--since", "30000000000000000 weeks ago"]));
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.starts_with(
            "error: --since '30000000000000000 weeks ago' is further back than any date\nhint: "
        ),
        "{err}"
    );
}

#[test]
fn a_panic_exited_101_with_a_stack_trace() {
    let r = ready();
    let (code, out, err) = run(r
        .cmd(BIN)
        .env_remove("RUST_BACKTRACE")
        .env("GIT_LEDGER_FAULT", "panic")
        .arg("status"));
    assert_eq!(code, 3, "{out}{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: internal error (a bug in git-ledger): "),
        "{err}"
    );
    assert!(err.contains("please report it"), "{err}");
    assert!(
        !err.contains("panicked at") && !err.contains("backtrace:"),
        "{err}"
    );
    // Asked for, the stack trace is there.
    let (code, _, err) = run(r
        .cmd(BIN)
        .env("RUST_BACKTRACE", "1")
        .env("GIT_LEDGER_FAULT", "panic")
        .arg("status"));
    assert_eq!(code, 3);
    assert!(err.lines().count() > 3, "{err}");
}

#[test]
fn a_panic_in_a_hook_blocked_the_commit() {
    let r = ready();
    r.write("cafe", "x\n");
    r.git(&["add", "cafe"]);
    let out = r
        .cmd("git")
        .env_remove("RUST_BACKTRACE")
        .env("GIT_LEDGER_FAULT", "panic")
        .args([
            "commit",
            "-q",
            "-m",
            "Work",
            "--trailer",
            "Ledger-Step: S01",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("hook hit an internal error and did nothing (the commit is not affected)"),
        "{err}"
    );
    assert_eq!(r.git(&["log", "-1", "--format=%s"]).trim(), "Work");
}

/// Leaves `refs/notes/ledger.lock` behind, `age_secs` old, as a process
/// killed while updating the ledger does.
fn leave_lock(r: &Repo, age_secs: u64) -> std::path::PathBuf {
    let lock = r.path().join(".git/refs/notes/ledger.lock");
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    let f = std::fs::File::create(&lock).unwrap();
    let when = std::time::SystemTime::now() - std::time::Duration::from_secs(age_secs);
    f.set_modified(when).unwrap();
    lock
}

#[test]
fn a_stale_ledger_lock_held_every_commit_for_a_minute() {
    let r = ready();
    let lock = leave_lock(&r, 3600);
    // A command names the lock, its age and the fix, and writes nothing.
    let before = r.note_lines();
    let (code, _, err) = run(r.cmd(BIN).args(["mark", "S01", "wip"]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("{} exists, 60 min old", lock.display()))
            && err.contains("did not finish")
            && err.contains(&format!("rm '{}'", lock.display())),
        "{err}"
    );
    assert_eq!(r.note_lines(), before);
    // doctor reports it as a problem.
    let doctor = r.ledger(&["doctor"]);
    assert_eq!(doctor.code, 1);
    assert!(
        doctor.stdout.contains("lock: ") && doctor.stdout.contains("60 min old"),
        "{}",
        doctor.stdout
    );
    // A commit lands; its hook skips the ledger write and says why.
    r.write("cafe", "x\n");
    r.git(&["add", "cafe"]);
    let out = r.git_run(&[
        "commit",
        "-q",
        "-m",
        "Work",
        "--trailer",
        "Ledger-Step: S01",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("post-commit hook did nothing")
            && out.stderr.contains("60 min old")
            && out.stderr.contains("rm '"),
        "{}",
        out.stderr
    );
    // Once it is gone, check ingests what the hook skipped.
    std::fs::remove_file(&lock).unwrap();
    r.ledger_ok(&["check"]);
    assert_eq!(r.status_of("S01"), "in_progress");
}

#[test]
fn a_held_ledger_lock_made_a_hook_wait_a_minute() {
    let r = ready();
    // Fresh: a writer may still be at work, so commands wait; a hook
    // waits about a second in all, then lets the commit through.
    leave_lock(&r, 0);
    r.write("cafe", "x\n");
    r.git(&["add", "cafe"]);
    let out = r.git_run(&[
        "commit",
        "-q",
        "-m",
        "Work",
        "--trailer",
        "Ledger-Step: S01",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("another process is writing the ledger")
            && !out.stderr.contains("kept changing"),
        "{}",
        out.stderr
    );
    assert_eq!(r.git(&["log", "-1", "--format=%s"]).trim(), "Work");
}

#[test]
fn a_trailer_listing_many_ids_took_memory_quadratic_in_their_number() {
    let r = Repo::new();
    r.ledger_ok(&["init"]);
    // 300 steps, planted in one note as another clone would have written them.
    let c = r.head();
    let defines: Vec<String> = (0..300)
        .map(|i| {
            serde_json::json!({"v": 1, "id": format!("{i:032x}"), "seq": i + 1,
                "at": "2026-01-01T00:00:00Z", "by": "Ada <ada@example.com>",
                "step": format!("S{i:03}"), "kind": "define", "source": "cli", "title": "t"})
            .to_string()
        })
        .collect();
    r.git(&[
        "notes",
        "--ref",
        "ledger",
        "add",
        "-f",
        "-m",
        &defines.join("\n"),
        &c,
    ]);
    let ids: Vec<String> = (0..300).map(|i| format!("S{i:03}")).collect();
    let trailer = format!("Ledger-Step: {}", ids.join(", "));
    let out = r.git_run(&[
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "All",
        "--trailer",
        &trailer,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let head = r.head();
    let made: Vec<serde_json::Value> = r
        .events()
        .into_iter()
        .filter(|e| e["source"] == "trailer")
        .collect();
    assert_eq!(made.len(), 300);
    // Each event repeats a bounded part of the trailer, and keeps the id
    // derived from the whole of it (SPEC 3), so nothing changes for ledgers
    // written before.
    use sha2::{Digest, Sha256};
    for e in &made {
        let stored = e["trailer"].as_str().unwrap();
        assert!(stored.len() < 200, "{stored}");
        let origin = format!(
            "git-ledger trailer\n{head}\n{trailer}\n{}",
            e["step"].as_str().unwrap()
        );
        let id: String = Sha256::digest(origin.as_bytes())[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(e["id"], id);
    }
    // Past what a hook reads, the commit still lands, with a warning;
    // scan reads it all.
    let many: Vec<String> = (0..1200).map(|i| format!("X{i:05}")).collect();
    let out = r.git_run(&[
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "Too many",
        "--trailer",
        &format!("Ledger-Step: {}", many.join(", ")),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("name 1200 step ids and hooks take at most 1000")
            && out.stderr.lines().count() <= 3,
        "{}",
        out.stderr
    );
    let scan = r.ledger(&["--json", "scan", "HEAD~1..HEAD"]);
    let v = scan.json();
    assert_eq!(
        v["rejected"].as_array().map(Vec::len),
        Some(1200),
        "{}",
        scan.stderr
    );
}

/// A directory with a `git-ledger` that dies as `script` says, first on PATH.
fn crashing_binary(script: &str) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::TempDir::new().unwrap();
    let bin = dir.path().join("git-ledger");
    std::fs::write(&bin, format!("#!/bin/sh\n{script}\n")).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

#[test]
fn a_crashed_binary_refused_the_commit() {
    let r = ready();
    let path = std::env::var("PATH").unwrap_or_default();
    for (script, says) in [
        ("kill -SEGV $$", "was ended by signal 11"),
        ("kill -XFSZ $$", "was ended by signal 25"),
        ("kill -KILL $$", "was ended by signal 9"),
        ("exit 3", "exited with 3"),
    ] {
        let fake = crashing_binary(script);
        let bin_dir = std::path::Path::new(BIN).parent().unwrap();
        let path = format!("{}:{}:{path}", fake.path().display(), bin_dir.display());
        r.append("cafe", "x\n");
        r.git(&["add", "cafe"]);
        let out = r
            .cmd("git")
            .env("PATH", &path)
            .args([
                "commit",
                "-q",
                "-m",
                script,
                "--trailer",
                "Ledger-Step: S01",
            ])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{script}: {err}");
        assert!(
            err.contains(&format!("git-ledger {says} in the commit-msg hook"))
                && err.contains("the commit is not affected"),
            "{script}: {err}"
        );
        assert_eq!(r.git(&["log", "-1", "--format=%s"]).trim(), script);
    }
    // commit-msg's own verdict still refuses: an unknown step.
    r.append("cafe", "y\n");
    r.git(&["add", "cafe"]);
    let out = r.git_run(&["commit", "-q", "-m", "Typo", "--trailer", "Ledger-Step: S1"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
}

#[test]
fn a_planted_owns_everything_went_unnoticed() {
    let r = ready();
    for f in ["a.rs", "b.rs", "c.rs", "docs/x.md"] {
        r.write(f, "x\n");
    }
    r.commit_all("Files");
    r.ledger_ok(&["add", "S02", "Docs", "--owns", "docs/**"]);
    let line = serde_json::json!({
        "v": 1, "id": "f".repeat(32), "seq": 1, "at": "2026-01-01T00:00:00Z",
        "by": "Linus Torvalds <torvalds@example.com>", "step": "S09", "kind": "define",
        "source": "sync", "title": "Everything", "owns": ["**"],
    });
    r.git(&[
        "notes",
        "--ref",
        "ledger",
        "append",
        "-m",
        &line.to_string(),
        "HEAD",
    ]);
    let doctor = r.ledger(&["--json", "doctor"]).json();
    let owns: Vec<&serde_json::Value> = doctor["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "owns")
        .collect();
    assert_eq!(owns.len(), 1, "{doctor}");
    assert_eq!(owns[0]["level"], "warn");
    let detail = owns[0]["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("S09 owns 5 of the 5 files at HEAD (owns: **)"),
        "{detail}"
    );
}
