//! git's conventions hold for git-ledger as for any git command: `git -c`
//! settings (GIT_CONFIG_PARAMETERS) win over every config file, and
//! GIT_DIR, GIT_WORK_TREE and GIT_COMMON_DIR say where the repository is.

mod common;

use common::{BIN, Repo, bare_remote};

fn ready() -> Repo {
    let r = Repo::new();
    r.ledger_ok(&["init"]);
    r.write("src/lib.rs", "fn a() {}\n");
    r.commit_all("Code");
    r.ledger_ok(&["add", "S01", "Library", "--owns", "src/**"]);
    r
}

#[test]
fn git_dash_c_was_ignored_by_every_command_but_the_hooks() {
    let r = ready();
    // requireEvidence: `mark verified` needs evidence.
    let out = r.git_run(&[
        "-c",
        "ledger.requireEvidence=true",
        "ledger",
        "mark",
        "S01",
        "verified",
    ]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("ledger.requireEvidence is on"),
        "{}",
        out.stderr
    );
    // The same through GIT_CONFIG_COUNT, and in git's older quoting.
    for env in [
        vec![
            ("GIT_CONFIG_COUNT", "1"),
            ("GIT_CONFIG_KEY_0", "ledger.requireevidence"),
            ("GIT_CONFIG_VALUE_0", "yes"),
        ],
        vec![("GIT_CONFIG_PARAMETERS", "'ledger.requireEvidence=true'")],
    ] {
        let out = r.ledger_env(&env, &["mark", "S01", "verified"]);
        assert_eq!(out.code, 2, "{env:?}: {}", out.stderr);
    }
    // A one-off setting is never written, and never outlives its command.
    assert_eq!(r.git_run(&["config", "ledger.requireEvidence"]).code, 1);
    r.ledger_ok(&["mark", "S01", "verified"]);

    // redact: a pattern given once still protects what this command writes.
    r.git(&[
        "-c",
        "ledger.redact=corp-[0-9]+",
        "ledger",
        "mark",
        "S01",
        "wip",
        "-m",
        "session corp-4242",
    ]);
    let lines = r.note_lines();
    assert!(lines.iter().all(|l| !l.contains("corp-4242")), "{lines:?}");

    // strict: the hooks and every command read the same setting.
    r.ledger_ok(&["mark", "S01", "verified"]);
    r.append("src/lib.rs", "fn b() {}\n");
    r.git(&["add", "-A"]);
    let out = r.git_run(&[
        "-c",
        "ledger.strict=true",
        "commit",
        "-q",
        "-m",
        "Undeclared",
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("ledger.strict"), "{}", out.stderr);
    let out = r.git_run(&[
        "-c",
        "ledger.strict=true",
        "ledger",
        "check",
        "--strict",
        "--no-record",
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
}

#[test]
fn git_dash_c_ledger_remote_was_ignored_by_sync() {
    let r = ready();
    let (_keep, url) = bare_remote();
    r.git(&["remote", "add", "backup", url.to_str().unwrap()]);
    let out = r.git_run(&["-c", "ledger.remote=backup", "ledger", "sync"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let theirs = r.git(&["ls-remote", "backup", "refs/notes/ledger"]);
    assert!(theirs.contains("refs/notes/ledger"), "{theirs}");
    // A remote given once that does not exist is named, not guessed.
    let out = r.git_run(&["-c", "ledger.remote=nowhere", "ledger", "sync"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("ledger.remote names 'nowhere'"),
        "{}",
        out.stderr
    );
}

/// A bare repository whose work tree is elsewhere: the "dotfiles" layout,
/// driven as `git --git-dir=… --work-tree=…`.
#[test]
fn git_dir_and_git_work_tree_were_refused() {
    let (_keep, bare) = bare_remote();
    let home = Repo::new(); // only for its isolated environment
    let work = tempfile::TempDir::new().unwrap();
    let git_dir = format!("--git-dir={}", bare.display());
    let work_tree = format!("--work-tree={}", work.path().display());
    let git = |args: &[&str]| {
        let mut all = vec![git_dir.as_str(), work_tree.as_str()];
        all.extend_from_slice(args);
        home.git_run(&all)
    };
    std::fs::create_dir_all(work.path().join("cfg")).unwrap();
    std::fs::write(work.path().join("cfg/vimrc"), "set nu\n").unwrap();
    assert_eq!(git(&["add", "cfg/vimrc"]).code, 0);
    assert_eq!(git(&["commit", "-q", "-m", "Vim"]).code, 0);
    let out = git(&["ledger", "init"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        git(&["ledger", "add", "D1", "Vim", "--owns", "cfg/**"]).code,
        0
    );
    let out = git(&[
        "ledger",
        "owners",
        &work.path().join("cfg/vimrc").display().to_string(),
    ]);
    assert!(out.stdout.contains("D1"), "{}{}", out.stdout, out.stderr);
    assert_eq!(git(&["ledger", "mark", "D1", "verified"]).code, 0);
    // The hooks of that commit find the repository and its work tree too.
    std::fs::write(work.path().join("cfg/vimrc"), "set nonu\n").unwrap();
    assert_eq!(git(&["add", "cfg/vimrc"]).code, 0);
    let out = git(&["commit", "-q", "-m", "Tweak"]);
    assert_eq!(out.code, 0);
    assert!(
        out.stderr.contains("D1 is now drift_detected"),
        "{}",
        out.stderr
    );
    let status = git(&["ledger", "--json", "status"]);
    let v: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(v["steps"][0]["status"], "drift_detected");
    assert_eq!(
        v["head"].as_str().unwrap(),
        git(&["rev-parse", "HEAD"]).stdout.trim()
    );
}

#[test]
fn git_dir_alone_makes_the_current_directory_the_work_tree() {
    let r = ready();
    let elsewhere = tempfile::TempDir::new().unwrap();
    let git_dir = r.path().join(".git");
    // From another directory, GIT_DIR alone: that directory is the top of
    // the work tree, as git says (`git status` there sees src/ deleted).
    let out = r
        .cmd(BIN)
        .current_dir(elsewhere.path())
        .env("GIT_DIR", &git_dir)
        .args(["--json", "status"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["steps"][0]["id"], "S01");
    // GIT_COMMON_DIR: the repository's own is fine; another is named.
    let ok = r
        .cmd(BIN)
        .env("GIT_DIR", &git_dir)
        .env("GIT_COMMON_DIR", &git_dir)
        .args(["status"])
        .output()
        .unwrap();
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let other = r
        .cmd(BIN)
        .env("GIT_DIR", &git_dir)
        .env("GIT_COMMON_DIR", elsewhere.path())
        .args(["status"])
        .output()
        .unwrap();
    assert_eq!(other.status.code(), Some(2));
    let err = String::from_utf8_lossy(&other.stderr);
    assert!(err.starts_with("error: GIT_COMMON_DIR is "), "{err}");
}
