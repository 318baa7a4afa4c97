//! The hooks (SPEC 5) fired by real `git commit`, `git pull`, `git rebase`:
//! drift is caught at commit time, and a hook never costs a commit.

mod common;

use common::{Repo, Run, bare_remote, step};
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;

const HOOKS: [&str; 5] = [
    "prepare-commit-msg",
    "commit-msg",
    "post-commit",
    "post-merge",
    "post-rewrite",
];

fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("run");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// S04 "Object storage" owns src/storage/** and is verified; hooks installed by init.
fn storage_repo() -> Repo {
    let r = Repo::new();
    r.write("src/storage/spaces.rs", "pub fn spaces() {}\n");
    r.write("src/storage/blobs.rs", "pub fn blobs() {}\n");
    r.write("docs/guide.md", "A guide.\n");
    r.commit_all("Add storage");
    let init = r.ledger_ok(&["init"]);
    assert!(
        init.stdout.contains("installed the post-commit hook"),
        "{}",
        init.stdout
    );
    r.ledger_ok(&["add", "S04", "Object storage", "--owns", "src/storage/**"]);
    r.ledger_ok(&["mark", "S04", "verified"]);
    r
}

/// `git commit -q -a` with `args` (message, trailers), in `dir`.
fn commit_in(r: &Repo, dir: &Path, args: &[&str]) -> Run {
    let mut all = vec!["commit", "-q", "-a"];
    all.extend_from_slice(args);
    run(r.cmd("git").current_dir(dir).args(&all))
}

fn commit(r: &Repo, args: &[&str]) -> Run {
    commit_in(r, r.path(), args)
}

fn events_of(r: &Repo, step: &str) -> Vec<Value> {
    r.events()
        .into_iter()
        .filter(|e| e["step"] == step)
        .collect()
}

fn hooks_dir(r: &Repo) -> PathBuf {
    r.path().join(".git").join("hooks")
}

#[test]
fn an_undeclared_change_to_a_verified_step_warns_and_records_drift() {
    let r = storage_repo();
    r.append("src/storage/spaces.rs", "// tweak\n");
    let c = commit(&r, &["-m", "Tweak spaces"]);
    assert_eq!(c.code, 0, "the commit goes through: {}", c.stderr);
    assert!(
        c.stderr
            .contains("warning: S04 \"Object storage\" was verified"),
        "{}",
        c.stderr
    );
    assert!(c.stderr.contains("src/storage/spaces.rs"), "{}", c.stderr);
    assert!(
        c.stderr.contains("--trailer \"Ledger-Step: S04\""),
        "{}",
        c.stderr
    );
    assert!(
        c.stderr.contains("--trailer \"Ledger-Ack: S04\""),
        "{}",
        c.stderr
    );

    let head = r.head();
    let status = r.ledger_json(&["status"]);
    let s04 = step(&status, "S04");
    assert_eq!(s04["status"], "drift_detected");
    assert_eq!(s04["recorded_status"], "drift_detected");
    assert_eq!(s04["since"]["commit"], head.as_str());
    assert_eq!(
        s04["drift_files"],
        serde_json::json!(["src/storage/spaces.rs"])
    );

    // Plain git says why.
    let log = r.git(&["log", "--notes=ledger", "-1"]);
    assert!(log.contains("\"status\":\"drift_detected\""), "{log}");
    assert!(
        log.contains("\"files\":[\"src/storage/spaces.rs\"]"),
        "{log}"
    );
    assert!(log.contains("\"source\":\"hook\""), "{log}");
}

/// The hook reads the new commit's loose objects before the packs: with
/// the rest of the history packed by `git gc`, it still reads the parent
/// from its pack, and the note it writes is an ordinary object git reads.
#[test]
fn drift_is_recorded_when_the_history_before_the_commit_is_packed() {
    let r = storage_repo();
    r.git(&["gc", "-q"]);
    assert!(
        !r.git(&["count-objects", "-v"]).contains("\npacks: 0"),
        "gc packed the history"
    );
    r.append("src/storage/blobs.rs", "// tweak\n");
    let c = commit(&r, &["-m", "Tweak blobs"]);
    assert_eq!(c.code, 0, "{}", c.stderr);
    assert!(c.stderr.contains("src/storage/blobs.rs"), "{}", c.stderr);
    assert_eq!(r.status_of("S04"), "drift_detected");
    let note = r.git(&["notes", "--ref", "ledger", "show", "HEAD"]);
    assert!(note.contains("\"status\":\"drift_detected\""), "{note}");
    let fsck = r.cmd("git").args(["fsck", "--strict"]).output().unwrap();
    assert!(
        fsck.status.success(),
        "{}",
        String::from_utf8_lossy(&fsck.stderr)
    );
    // An unowned change after it: nothing said, nothing written.
    let notes_before = r.git(&["rev-parse", "refs/notes/ledger"]);
    r.append("docs/guide.md", "More.\n");
    let c = commit(&r, &["-m", "Guide"]);
    assert_eq!((c.code, c.stderr.as_str()), (0, ""));
    assert_eq!(r.git(&["rev-parse", "refs/notes/ledger"]), notes_before);
}

/// Each ordinary commit's hook leaves its view's watch for the next
/// commit's: a run of commits, longer than the cache keeps files, never
/// falls back to reading the ledger. (Handed on as hard links, which
/// share one file time, the watches were pruned in the order of their
/// names, the parent's among them.)
#[test]
fn a_run_of_unowned_commits_carries_the_watch_from_commit_to_commit() {
    let r = storage_repo();
    r.ledger_ok(&["status"]);
    let traced = |file: &str, message: &str| {
        r.append(file, "x\n");
        run(r
            .cmd("git")
            .env("GIT_LEDGER_TRACE", "1")
            .args(["commit", "-q", "-a", "-m", message]))
    };
    for i in 0..24 {
        let c = traced("docs/guide.md", &format!("Guide {i}"));
        assert_eq!(c.code, 0, "{}", c.stderr);
        assert!(
            !c.stderr.contains("not cached") && !c.stderr.contains("commit(s) back"),
            "commit {i}: {}",
            c.stderr
        );
    }
    let c = traced("src/storage/spaces.rs", "Spaces");
    assert!(!c.stderr.contains("not cached"), "{}", c.stderr);
    assert!(c.stderr.contains("src/storage/spaces.rs"), "{}", c.stderr);
    assert_eq!(r.status_of("S04"), "drift_detected");
}

/// Commits no hook saw (GIT_LEDGER_SKIP=1 here) leave no watch; the next
/// hook takes the watch of the commit before them when they changed
/// nothing a step may own, and reads the ledger when they did.
#[test]
fn a_hook_after_unhooked_commits_takes_the_watch_from_before_them_unless_they_touched_owned_files()
{
    let r = storage_repo();
    r.ledger_ok(&["status"]);
    let commit_with = |file: &str, message: &str, skip: bool| {
        r.append(file, "x\n");
        let mut cmd = r.cmd("git");
        cmd.env("GIT_LEDGER_TRACE", "1");
        if skip {
            cmd.env("GIT_LEDGER_SKIP", "1");
        }
        run(cmd.args(["commit", "-q", "-a", "-m", message]))
    };
    let c = commit_with("docs/guide.md", "Hooked", false);
    assert!(!c.stderr.contains("not cached"), "{}", c.stderr);
    for i in 0..3 {
        assert_eq!(
            commit_with("docs/guide.md", &format!("Unhooked {i}"), true).code,
            0
        );
    }
    let c = commit_with("docs/guide.md", "Hooked again", false);
    assert_eq!(c.code, 0, "{}", c.stderr);
    assert!(
        c.stderr
            .contains("the parent's view is the one 3 commit(s) back"),
        "{}",
        c.stderr
    );
    assert!(!c.stderr.contains("not cached"), "{}", c.stderr);
    // The watch was handed on: the next commit finds its parent's.
    let c = commit_with("docs/guide.md", "And again", false);
    assert!(
        !c.stderr.contains("commit(s) back") && !c.stderr.contains("not cached"),
        "{}",
        c.stderr
    );

    // An unhooked commit that changed S04's files: the next hook reads
    // the ledger, and S04 shows the drift the content has.
    assert_eq!(
        commit_with("src/storage/spaces.rs", "Unhooked owned", true).code,
        0
    );
    let c = commit_with("docs/guide.md", "Hooked after it", false);
    assert!(c.stderr.contains("not cached"), "{}", c.stderr);
    assert!(!c.stderr.contains("commit(s) back"), "{}", c.stderr);
    assert_eq!(r.status_of("S04"), "drift_detected");
}

#[test]
fn ledger_step_makes_the_step_in_progress() {
    let r = storage_repo();
    r.append("src/storage/spaces.rs", "// more\n");
    let c = commit(
        &r,
        &["-m", "Extend spaces", "--trailer", "Ledger-Step: S04"],
    );
    assert_eq!(c.code, 0, "{}", c.stderr);
    assert!(!c.stderr.contains("warning"), "{}", c.stderr);
    assert_eq!(r.status_of("S04"), "in_progress");
    let last = events_of(&r, "S04").pop().unwrap();
    assert_eq!(last["source"], "trailer");
    assert_eq!(last["trailer"], "Ledger-Step: S04");
    assert_eq!(last["by"], "Ada Lovelace <ada@example.com>");
}

#[test]
fn ledger_ack_keeps_the_verification_and_moves_the_fingerprint() {
    let r = storage_repo();
    let before = r.ledger_json(&["status"]);
    let fp_before = step(&before, "S04")["verified"]["fingerprint"].clone();
    r.append("src/storage/spaces.rs", "// comment only\n");
    let c = commit(&r, &["-m", "Comment", "--trailer", "Ledger-Ack: S04"]);
    assert_eq!(c.code, 0, "{}", c.stderr);
    let after = r.ledger_json(&["status"]);
    let s04 = step(&after, "S04");
    assert_eq!(s04["status"], "verified");
    assert_eq!(s04["live_drift"], false);
    assert_ne!(s04["verified"]["fingerprint"], fp_before);
    assert_eq!(s04["verified"]["commit"], r.head().as_str());
    let ack = events_of(&r, "S04").pop().unwrap();
    assert_eq!(ack["kind"], "ack");
    assert_eq!(ack["files"], serde_json::json!(["src/storage/spaces.rs"]));
}

#[test]
fn ledger_status_sets_that_status() {
    let r = storage_repo();
    r.append("src/storage/blobs.rs", "// v2\n");
    let c = commit(
        &r,
        &[
            "-m",
            "Blobs v2",
            "--trailer",
            "Ledger-Status: S04 completed_pending_verification",
        ],
    );
    assert_eq!(c.code, 0, "{}", c.stderr);
    assert_eq!(r.status_of("S04"), "completed_pending_verification");
    let note = r.git(&["notes", "--ref", "ledger", "show", "HEAD"]);
    assert!(
        note.contains("\"status\":\"completed_pending_verification\""),
        "{note}"
    );
    assert!(
        !note.contains("drift_detected"),
        "declared: not drift: {note}"
    );
}

#[test]
fn a_verified_trailer_needs_the_same_evidence_as_mark_when_required() {
    let r = storage_repo();
    r.git(&["config", "ledger.requireEvidence", "true"]);
    r.ledger_ok(&["mark", "S04", "done", "--evidence", "looked fine to me"]);
    r.append("src/storage/blobs.rs", "// v3\n");
    let c = commit(
        &r,
        &["-m", "Blobs v3", "--trailer", "Ledger-Status: S04 verified"],
    );
    assert_eq!(c.code, 0, "a hook never costs the commit: {}", c.stderr);
    assert!(c.stderr.contains("only manual evidence"), "{}", c.stderr);
    let note = r
        .git_run(&["notes", "--ref", "ledger", "show", "HEAD"])
        .stdout;
    assert!(!note.contains("\"status\":\"verified\""), "{note}");
    assert_ne!(r.status_of("S04"), "verified");
}

#[test]
fn strict_mode_rejects_an_undeclared_change_and_commits_nothing() {
    let r = storage_repo();
    r.git(&["config", "ledger.strict", "true"]);
    let head = r.head();
    let notes = r.note_lines();
    r.append("src/storage/spaces.rs", "// sneaky\n");
    let c = commit(&r, &["-m", "Sneaky change"]);
    assert_eq!(c.code, 1, "{}", c.stderr);
    assert!(c.stderr.contains("ledger.strict"), "{}", c.stderr);
    assert!(c.stderr.contains("S04"), "{}", c.stderr);
    assert!(c.stderr.contains("src/storage/spaces.rs"), "{}", c.stderr);
    assert!(
        c.stderr.contains("--trailer \"Ledger-Step: S04\""),
        "{}",
        c.stderr
    );
    assert_eq!(r.head(), head, "nothing committed");
    assert_eq!(r.note_lines(), notes, "nothing recorded");

    // A partial commit (git uses a temporary index) is judged the same way.
    let partial = run(r.cmd("git").args([
        "commit",
        "-q",
        "-m",
        "Partial",
        "--",
        "src/storage/spaces.rs",
    ]));
    assert_eq!(partial.code, 1, "{}", partial.stderr);

    // Declared, it goes through.
    let ok = commit(&r, &["-m", "Declared", "--trailer", "Ledger-Step: S04"]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert_eq!(r.status_of("S04"), "in_progress");
}

#[test]
fn a_typo_in_a_step_id_is_rejected_with_the_closest_id() {
    let r = storage_repo();
    let head = r.head();
    r.append("src/storage/spaces.rs", "// x\n");
    let c = commit(&r, &["-m", "Typo", "--trailer", "Ledger-Step: S4"]);
    assert_eq!(c.code, 1, "{}", c.stderr);
    assert!(
        c.stderr
            .contains("error: unknown step 'S4' — did you mean S04?"),
        "{}",
        c.stderr
    );
    assert!(c.stderr.contains("hint:"), "{}", c.stderr);
    assert_eq!(r.head(), head);
}

#[test]
fn a_bad_status_word_is_rejected_with_the_valid_ones() {
    let r = storage_repo();
    let head = r.head();
    r.append("docs/guide.md", "more\n");
    let c = commit(
        &r,
        &[
            "-m",
            "Bad status",
            "--trailer",
            "Ledger-Status: S04 finished",
        ],
    );
    assert_eq!(c.code, 1, "{}", c.stderr);
    assert!(
        c.stderr.contains("'finished' is not a status"),
        "{}",
        c.stderr
    );
    assert!(
        c.stderr.contains(
            "not_started, in_progress, completed_pending_verification, verified, drift_detected"
        ),
        "{}",
        c.stderr
    );
    assert_eq!(r.head(), head);
}

#[test]
fn a_commit_touching_only_unowned_files_changes_nothing_and_prints_nothing() {
    let r = storage_repo();
    let notes_tip = r.git(&["rev-parse", "refs/notes/ledger"]);
    r.append("docs/guide.md", "More words.\n");
    let c = commit(&r, &["-m", "Docs"]);
    assert_eq!(c.code, 0);
    assert_eq!(c.stdout, "");
    assert_eq!(c.stderr, "");
    assert_eq!(r.git(&["rev-parse", "refs/notes/ledger"]), notes_tip);
    assert_eq!(r.status_of("S04"), "verified");
}

#[test]
fn a_foreign_hook_keeps_running_and_uninstall_restores_it_exactly() {
    let r = Repo::new();
    r.write("src/storage/spaces.rs", "x\n");
    r.commit_all("Storage");
    let hook = hooks_dir(&r).join("post-commit");
    let foreign = "#!/bin/sh\n# someone else's hook\necho \"foreign ran with [$*]\" >> \"$(git rev-parse --git-common-dir)/foreign.log\"\n";
    std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
    std::fs::write(&hook, foreign).unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o750)).unwrap();

    let init = r.ledger_ok(&["init"]);
    assert!(
        init.stdout.contains("the previous one still runs first"),
        "{}",
        init.stdout
    );
    r.ledger_ok(&["add", "S04", "Object storage", "--owns", "src/storage/**"]);
    r.ledger_ok(&["mark", "S04", "verified"]);
    let status = r.ledger_json(&["hooks", "status"]);
    let pc = status["hooks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == "post-commit")
        .unwrap()
        .clone();
    assert_eq!(pc["state"], "installed");
    assert!(
        pc["chained"]
            .as_str()
            .unwrap()
            .ends_with("post-commit.ledger-chained")
    );

    r.append("src/storage/spaces.rs", "y\n");
    let c = commit(&r, &["-m", "Change"]);
    assert_eq!(c.code, 0, "{}", c.stderr);
    let log = std::fs::read_to_string(r.path().join(".git/foreign.log")).unwrap();
    assert_eq!(log, "foreign ran with []\n");
    assert_eq!(r.status_of("S04"), "drift_detected", "ours ran too");

    let un = r.ledger_ok(&["hooks", "uninstall"]);
    assert!(
        un.stdout.contains("restored the previous one"),
        "{}",
        un.stdout
    );
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), foreign);
    let mode = std::fs::metadata(&hook).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o750);
    for name in HOOKS {
        assert!(
            !hooks_dir(&r)
                .join(format!("{name}.ledger-chained"))
                .exists()
        );
        if name != "post-commit" {
            assert!(!hooks_dir(&r).join(name).exists(), "{name} removed");
        }
    }
}

#[test]
fn a_chained_post_rewrite_hook_and_ours_both_get_the_rewritten_commits() {
    let r = Repo::new();
    let hook = hooks_dir(&r).join("post-rewrite");
    std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
    std::fs::write(&hook, "#!/bin/sh\ncat > \"$(git rev-parse --git-common-dir)/rewritten.txt\"\necho \"$1\" >> \"$(git rev-parse --git-common-dir)/rewritten.txt\"\n").unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    r.ledger_ok(&["init"]);
    // Only our hook carries notes: git does not.
    r.git(&["config", "--unset-all", "notes.rewriteRef"]);
    r.ledger_ok(&["add", "S01", "Setup"]);
    let old = r.head();
    let amend = run(r
        .cmd("git")
        .args(["commit", "-q", "--amend", "-m", "Reworded"]));
    assert_eq!(amend.code, 0, "{}", amend.stderr);
    let new = r.head();
    let seen = std::fs::read_to_string(r.path().join(".git/rewritten.txt")).unwrap();
    assert_eq!(seen, format!("{old} {new}\namend\n"));
    let note = r.git(&["notes", "--ref", "ledger", "show", &new]);
    assert!(
        note.contains("\"kind\":\"define\""),
        "our hook carried the note: {note}"
    );
}

#[test]
fn a_failing_foreign_commit_msg_hook_still_blocks_the_commit() {
    let r = Repo::new();
    let hook = hooks_dir(&r).join("commit-msg");
    std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
    std::fs::write(&hook, "#!/bin/sh\necho 'policy: no' >&2\nexit 3\n").unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    r.ledger_ok(&["init"]);
    let head = r.head();
    r.append("README.md", "x\n");
    let c = commit(&r, &["-m", "Blocked"]);
    assert_ne!(c.code, 0);
    assert!(c.stderr.contains("policy: no"), "{}", c.stderr);
    assert_eq!(r.head(), head);
}

#[test]
fn installing_twice_changes_nothing() {
    let r = Repo::new();
    let first = r.ledger_ok(&["hooks", "install"]);
    assert!(
        first.stdout.contains("installed the commit-msg hook"),
        "{}",
        first.stdout
    );
    let snapshot: Vec<(Vec<u8>, std::time::SystemTime)> = HOOKS
        .iter()
        .map(|h| {
            let p = hooks_dir(&r).join(h);
            (
                std::fs::read(&p).unwrap(),
                std::fs::metadata(&p).unwrap().modified().unwrap(),
            )
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let second = r.ledger_ok(&["hooks", "install"]);
    assert!(
        second.stdout.contains("nothing changed"),
        "{}",
        second.stdout
    );
    let json = r.ledger_json(&["hooks", "install"]);
    assert_eq!(json["changed"], serde_json::json!([]));
    for (h, (bytes, mtime)) in HOOKS.iter().zip(snapshot) {
        let p = hooks_dir(&r).join(h);
        assert_eq!(std::fs::read(&p).unwrap(), bytes);
        assert_eq!(std::fs::metadata(&p).unwrap().modified().unwrap(), mtime);
        assert!(
            !hooks_dir(&r).join(format!("{h}.ledger-chained")).exists(),
            "our own shim is never chained"
        );
    }
    let init = r.ledger_ok(&["init"]);
    assert!(
        !init.stdout.contains("hook"),
        "init after install adds no hook: {}",
        init.stdout
    );
}

#[test]
fn the_repository_hooks_directory_holds_the_installed_shims() {
    let r = Repo::new();
    r.ledger_ok(&["hooks", "install"]);
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("hooks");
    for h in HOOKS {
        let installed = std::fs::read(hooks_dir(&r).join(h)).unwrap();
        let in_repo = std::fs::read(shipped.join(h)).unwrap();
        assert_eq!(
            installed, in_repo,
            "hooks/{h} differs from what install writes"
        );
        let mode = std::fs::metadata(shipped.join(h))
            .unwrap()
            .permissions()
            .mode();
        assert!(mode & 0o111 != 0, "hooks/{h} is executable");
    }
    let yaml = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    for h in HOOKS {
        assert!(
            yaml.contains(&format!("entry: hooks/{h}")),
            "{h} exposed to pre-commit"
        );
    }
}

#[test]
fn the_shipped_hooks_work_through_core_hooks_path() {
    let r = storage_repo();
    r.ledger_ok(&["hooks", "uninstall"]);
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("hooks");
    r.git(&["config", "core.hooksPath", shipped.to_str().unwrap()]);
    let status = r.ledger_json(&["hooks", "status"]);
    assert_eq!(status["installed"], true, "{status}");
    assert_eq!(status["core_hooks_path"], true);
    r.append("src/storage/spaces.rs", "// via hooksPath\n");
    let c = commit(&r, &["-m", "Through hooksPath"]);
    assert_eq!(c.code, 0, "{}", c.stderr);
    assert_eq!(r.status_of("S04"), "drift_detected");
}

#[test]
fn core_hooks_path_receives_the_shims_with_a_warning() {
    let r = Repo::new();
    r.git(&["config", "core.hooksPath", "githooks"]);
    let out = r.ledger_ok(&["hooks", "install"]);
    assert!(
        out.stderr.contains("core.hooksPath is set"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("other repositories"), "{}", out.stderr);
    for h in HOOKS {
        assert!(r.path().join("githooks").join(h).exists(), "{h}");
        assert!(!hooks_dir(&r).join(h).exists(), "{h} not in .git/hooks");
    }
}

#[test]
fn git_ledger_skip_skips_every_hook() {
    let r = storage_repo();
    r.git(&["config", "ledger.strict", "true"]);
    let notes_tip = r.git(&["rev-parse", "refs/notes/ledger"]);
    r.append("src/storage/spaces.rs", "// skipped\n");
    let c = run(r.cmd("git").env("GIT_LEDGER_SKIP", "1").args([
        "commit",
        "-q",
        "-a",
        "-m",
        "Skip",
        "--trailer",
        "Ledger-Step: S4",
    ]));
    assert_eq!(c.code, 0, "{}", c.stderr);
    assert_eq!(c.stderr, "");
    assert_eq!(
        r.git(&["rev-parse", "refs/notes/ledger"]),
        notes_tip,
        "nothing recorded"
    );
}

#[test]
fn a_missing_git_ledger_never_blocks_a_commit() {
    let r = storage_repo();
    let git_dir = String::from_utf8(
        Command::new("sh")
            .args(["-c", "dirname \"$(command -v git)\""])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let path = format!("{}:/bin", git_dir.trim());
    r.append("src/storage/spaces.rs", "// no tool\n");
    let head = r.head();
    let c =
        run(r
            .cmd("git")
            .env("PATH", path)
            .args(["commit", "-q", "-a", "-m", "Without the tool"]));
    assert_eq!(c.code, 0, "{}", c.stderr);
    assert_ne!(r.head(), head, "committed");
    assert!(
        c.stderr.contains("warning: git-ledger is not on PATH"),
        "{}",
        c.stderr
    );
}

#[test]
fn a_corrupt_ledger_never_blocks_a_commit() {
    let r = storage_repo();
    let garbage = r.path().join("garbage.txt");
    std::fs::write(&garbage, "not a notes commit\n").unwrap();
    let blob = r
        .git(&["hash-object", "-w", garbage.to_str().unwrap()])
        .trim()
        .to_string();
    std::fs::remove_file(&garbage).unwrap();
    r.git(&["update-ref", "refs/notes/ledger", &blob]);
    r.append("src/storage/spaces.rs", "// damaged ledger\n");
    let head = r.head();
    let c = commit(
        &r,
        &["-m", "Still commits", "--trailer", "Ledger-Step: S04"],
    );
    assert_eq!(c.code, 0, "{}", c.stderr);
    assert_ne!(r.head(), head);
    assert!(c.stderr.contains("hook did nothing"), "{}", c.stderr);
    assert!(
        c.stderr.contains("the commit is not affected"),
        "{}",
        c.stderr
    );
}

#[test]
fn the_scenario_works_from_a_linked_worktree() {
    let r = storage_repo();
    let wt_parent = TempDir::new().unwrap();
    let wt = wt_parent.path().join("feature");
    r.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "feature",
        wt.to_str().unwrap(),
    ]);
    // Installing from the worktree targets the common dir: nothing to change.
    let again = run(r
        .cmd(common::BIN)
        .current_dir(&wt)
        .args(["hooks", "install"]));
    assert!(
        again.stdout.contains("nothing changed"),
        "{}{}",
        again.stdout,
        again.stderr
    );
    assert!(
        again.stdout.contains(hooks_dir(&r).to_str().unwrap()),
        "{}",
        again.stdout
    );

    let write = |rel: &str, text: &str| {
        let p = wt.join(rel);
        let mut old = std::fs::read_to_string(&p).unwrap_or_default();
        old.push_str(text);
        std::fs::write(p, old).unwrap();
    };
    write("src/storage/spaces.rs", "// from the worktree\n");
    let typo = commit_in(&r, &wt, &["-m", "Typo", "--trailer", "Ledger-Step: S4"]);
    assert_eq!(typo.code, 1, "{}", typo.stderr);
    assert!(typo.stderr.contains("did you mean S04?"), "{}", typo.stderr);

    let c = commit_in(&r, &wt, &["-m", "Undeclared in worktree"]);
    assert_eq!(c.code, 0, "{}", c.stderr);
    assert!(c.stderr.contains("warning: S04"), "{}", c.stderr);
    let status = run(r
        .cmd(common::BIN)
        .current_dir(&wt)
        .args(["--json", "status"]))
    .json();
    assert_eq!(step(&status, "S04")["status"], "drift_detected");

    write("src/storage/blobs.rs", "// declared\n");
    let declared = commit_in(
        &r,
        &wt,
        &["-m", "Declared", "--trailer", "Ledger-Step: S04"],
    );
    assert_eq!(declared.code, 0, "{}", declared.stderr);
    let in_worktree = run(r
        .cmd(common::BIN)
        .current_dir(&wt)
        .args(["--json", "status"]))
    .json();
    assert_eq!(step(&in_worktree, "S04")["status"], "in_progress");
    assert_eq!(
        r.status_of("S04"),
        "verified",
        "main's worktree sees main: the feature branch's progress is not its own"
    );
}

#[test]
fn start_adds_the_trailer_and_stop_ends_it() {
    let r = storage_repo();
    let bad = r.ledger(&["start", "S4"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("did you mean S04?"), "{}", bad.stderr);

    let started = r.ledger_ok(&["start", "S04"]);
    assert!(
        started.stdout.contains("Ledger-Step: S04"),
        "{}",
        started.stdout
    );
    let current = r.path().join(".git/git-ledger/current");
    assert_eq!(std::fs::read_to_string(&current).unwrap().trim(), "S04");
    assert_eq!(r.ledger_json(&["status"])["current"], "S04");
    r.append("src/storage/spaces.rs", "// work\n");
    let c = commit(&r, &["-m", "Work on storage"]);
    assert_eq!(c.code, 0, "{}", c.stderr);
    let trailer = r.git(&[
        "log",
        "-1",
        "--format=%(trailers:key=Ledger-Step,valueonly)",
    ]);
    assert_eq!(trailer.trim(), "S04");
    assert_eq!(r.status_of("S04"), "in_progress");
    // An explicit trailer for the step is not doubled.
    r.append("src/storage/spaces.rs", "// again\n");
    commit(&r, &["-m", "Again", "--trailer", "Ledger-Step: S04"]);
    let body = r.git(&["log", "-1", "--format=%B"]);
    assert_eq!(body.matches("Ledger-Step").count(), 1, "{body}");

    let stopped = r.ledger_ok(&["stop"]);
    assert!(stopped.stdout.contains("was S04"), "{}", stopped.stdout);
    assert!(!current.exists());
    assert_eq!(r.ledger_json(&["status"])["current"], Value::Null);
    r.append("docs/guide.md", "x\n");
    commit(&r, &["-m", "Docs after stop"]);
    assert_eq!(r.git(&["log", "-1", "--format=%(trailers)"]).trim(), "");
}

#[test]
fn amending_keeps_statuses_and_adds_no_duplicate() {
    let r = storage_repo();
    r.append("src/storage/spaces.rs", "// feature\n");
    commit(&r, &["-m", "Feature", "--trailer", "Ledger-Step: S04"]);
    r.ledger_ok(&["mark", "S04", "done"]);
    let amend = run(r.cmd("git").args([
        "commit",
        "-q",
        "--amend",
        "-m",
        "Feature, reworded\n\nLedger-Step: S04",
    ]));
    assert_eq!(amend.code, 0, "{}", amend.stderr);
    assert_eq!(r.status_of("S04"), "completed_pending_verification");
    let in_progress: std::collections::BTreeSet<String> = events_of(&r, "S04")
        .iter()
        .filter(|e| e["status"] == "in_progress")
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(in_progress.len(), 1, "the trailer was not ingested twice");
    let note = r.git(&["notes", "--ref", "ledger", "show", "HEAD"]);
    assert!(
        note.contains("completed_pending_verification"),
        "the status moved to the new commit: {note}"
    );
}

#[test]
fn amending_with_the_suggested_ack_withdraws_the_drift() {
    let r = storage_repo();
    r.append("src/storage/spaces.rs", "// comment\n");
    let c = commit(&r, &["-m", "Comment"]);
    assert!(c.stderr.contains("Ledger-Ack: S04"), "{}", c.stderr);
    assert_eq!(r.status_of("S04"), "drift_detected");
    let fix = run(r.cmd("git").args([
        "commit",
        "-q",
        "--amend",
        "--no-edit",
        "--trailer",
        "Ledger-Ack: S04",
    ]));
    assert_eq!(fix.code, 0, "{}", fix.stderr);
    assert!(fix.stderr.contains("withdrawn"), "{}", fix.stderr);
    let status = r.ledger_json(&["status"]);
    let s04 = step(&status, "S04");
    assert_eq!(s04["status"], "verified");
    assert_eq!(s04["live_drift"], false);
}

#[test]
fn rebasing_keeps_statuses() {
    let r = storage_repo();
    r.ledger_ok(&["add", "S05", "Listing", "--owns", "lib/**"]);
    r.git(&["checkout", "-q", "-b", "feature"]);
    r.write("lib/list.rs", "pub fn list() {}\n");
    r.git(&["add", "-A"]);
    commit(&r, &["-m", "Listing", "--trailer", "Ledger-Step: S05"]);
    r.ledger_ok(&["mark", "S05", "verified"]);
    r.append("docs/guide.md", "Listing docs.\n");
    commit(&r, &["-m", "Listing docs"]);
    r.git(&["checkout", "-q", "main"]);
    r.append("README.md", "news\n");
    commit(&r, &["-m", "Main moves on"]);
    r.git(&["checkout", "-q", "feature"]);
    let ids_before: std::collections::BTreeSet<String> = r
        .events()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();

    let rebase = r.git_run(&["rebase", "-q", "main"]);
    assert_eq!(rebase.code, 0, "{}", rebase.stderr);
    assert_eq!(r.status_of("S05"), "verified");
    assert_eq!(r.status_of("S04"), "verified");
    let ids_after: std::collections::BTreeSet<String> = r
        .events()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        ids_after, ids_before,
        "no event added: nothing was re-applied"
    );
    let status = r.ledger_json(&["status"]);
    let since = step(&status, "S05")["since"]["commit"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        since,
        r.git(&["rev-parse", "HEAD~1"]).trim(),
        "bound to the rebased commit"
    );
}

#[test]
fn a_pull_that_fast_forwards_over_owned_changes_marks_drift() {
    let (_dir, remote) = bare_remote();
    let a = storage_repo();
    a.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    a.git(&["push", "-q", "origin", "main"]);
    let b = Repo::clone_from(&remote);
    b.append("src/storage/spaces.rs", "// from clone b\n");
    b.commit_all("Clone b changes storage");
    b.git(&["push", "-q", "origin", "main"]);

    let pull = a.git_run(&["pull", "-q", "--ff-only", "origin", "main"]);
    assert_eq!(pull.code, 0, "{}", pull.stderr);
    assert!(pull.stderr.contains("S04"), "{}", pull.stderr);
    let status = a.ledger_json(&["status"]);
    let s04 = step(&status, "S04");
    assert_eq!(
        s04["recorded_status"], "drift_detected",
        "recorded, not only seen live"
    );
    assert_eq!(s04["since"]["commit"], a.head().as_str());
    assert_eq!(
        s04["drift_files"],
        serde_json::json!(["src/storage/spaces.rs"])
    );
}

#[test]
fn a_rebase_onto_changed_owned_content_marks_drift() {
    let (_dir, remote) = bare_remote();
    let a = storage_repo();
    a.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    a.git(&["push", "-q", "origin", "main"]);
    let b = Repo::clone_from(&remote);
    b.append("src/storage/blobs.rs", "// upstream change\n");
    b.commit_all("Upstream storage change");
    b.git(&["push", "-q", "origin", "main"]);

    a.append("docs/guide.md", "local\n");
    commit(&a, &["-m", "Local docs"]);
    a.git(&["fetch", "-q", "origin"]);
    let rebase = a.git_run(&["rebase", "-q", "origin/main"]);
    assert_eq!(rebase.code, 0, "{}", rebase.stderr);
    assert_eq!(a.status_of("S04"), "drift_detected");
    let status = a.ledger_json(&["status"]);
    assert_eq!(step(&status, "S04")["recorded_status"], "drift_detected");
}

#[test]
fn post_rewrite_carries_notes_where_git_did_not() {
    let r = storage_repo();
    r.git(&["config", "--unset-all", "notes.rewriteRef"]);
    r.append("src/storage/spaces.rs", "// wip\n");
    commit(&r, &["-m", "Wip", "--trailer", "Ledger-Step: S04"]);
    let old = r.head();
    let amend = run(r.cmd("git").args([
        "commit",
        "-q",
        "--amend",
        "-m",
        "Wip, reworded\n\nLedger-Step: S04",
    ]));
    assert_eq!(amend.code, 0, "{}", amend.stderr);
    assert!(
        amend
            .stderr
            .contains("carried the ledger notes of 1 rewritten commit"),
        "{}",
        amend.stderr
    );
    let old_note = r.git(&["notes", "--ref", "ledger", "show", &old]);
    let new_note = r.git(&["notes", "--ref", "ledger", "show", "HEAD"]);
    assert_eq!(new_note, old_note);
    assert_eq!(r.status_of("S04"), "in_progress");
}

#[test]
fn an_unknown_hook_name_passes() {
    let r = Repo::new();
    let out = r.ledger(&["hook", "pre-push", "origin", "url"]);
    assert_eq!(out.code, 0);
    assert!(out.stderr.contains("no 'pre-push' hook"), "{}", out.stderr);
}

#[test]
fn strict_given_on_the_command_line_is_honoured() {
    let r = storage_repo();
    // A commit refreshes the shims' cached view of the config (strict off).
    r.append("docs/guide.md", "x\n");
    commit(&r, &["-m", "Docs"]);
    let head = r.head();
    r.append("src/storage/spaces.rs", "// one-off strict\n");
    let c = run(r.cmd("git").args([
        "-c",
        "ledger.strict=true",
        "commit",
        "-q",
        "-a",
        "-m",
        "Sneaky",
    ]));
    assert_eq!(c.code, 1, "{}", c.stderr);
    assert!(c.stderr.contains("ledger.strict"), "{}", c.stderr);
    assert_eq!(r.head(), head);
}

#[test]
fn amending_with_the_suggested_ledger_step_makes_it_work_in_progress() {
    let r = storage_repo();
    r.append("src/storage/spaces.rs", "// real work\n");
    commit(&r, &["-m", "Real work"]);
    assert_eq!(r.status_of("S04"), "drift_detected");
    let fix = run(r.cmd("git").args([
        "commit",
        "-q",
        "--amend",
        "--no-edit",
        "--trailer",
        "Ledger-Step: S04",
    ]));
    assert_eq!(fix.code, 0, "{}", fix.stderr);
    assert!(fix.stderr.contains("S04 → in_progress"), "{}", fix.stderr);
    assert_eq!(r.status_of("S04"), "in_progress");
}

#[test]
fn uninstall_leaves_hooks_that_are_project_files_alone() {
    let r = Repo::new();
    r.git(&["config", "core.hooksPath", "hooks"]);
    r.ledger_ok(&["hooks", "install"]);
    r.commit_all("Ship the hooks with the project");
    let out = r.ledger(&["hooks", "uninstall"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("git config --unset core.hooksPath"),
        "{}",
        out.stderr
    );
    for h in HOOKS {
        assert!(r.path().join("hooks").join(h).exists(), "{h} kept");
    }
}
