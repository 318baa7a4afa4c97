//! git-ledger under the hook managers teams use, each the real tool from
//! its registry (`.ci/run` installs them): the pre-commit framework (PyPI),
//! husky and lefthook (npm). A test whose tool cannot be found says so and
//! skips.

mod common;

use common::{Repo, Run};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("run");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Whether `tool` is on PATH; prints why the test skips when not. Only
/// looked up, never run here: husky and lefthook act on the repository of
/// the directory they start in.
fn have(tool: &str, registry: &str) -> bool {
    let found = std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(dir.join(tool))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    });
    if !found {
        println!("skipped: {tool} is not installed (from {registry}; .ci/run installs it)");
    }
    found
}

/// S04 owns src/storage/** and is verified; no hooks of ours yet.
fn storage_repo() -> Repo {
    let r = Repo::new();
    r.write("src/storage/spaces.rs", "pub fn spaces() {}\n");
    r.commit_all("Add storage");
    r.ledger_ok(&["init", "--no-hooks"]);
    r.ledger_ok(&["add", "S04", "Object storage", "--owns", "src/storage/**"]);
    r.ledger_ok(&["mark", "S04", "verified"]);
    r
}

fn tool(r: &Repo, program: &str, args: &[&str]) -> Run {
    let out = run(r.cmd(program).args(args));
    assert_eq!(
        out.code, 0,
        "{program} {args:?}:\n{}{}",
        out.stdout, out.stderr
    );
    out
}

fn hook_states(r: &Repo) -> Vec<(String, String, Value)> {
    let v = r.ledger_json(&["hooks", "status"]);
    v["hooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["name"].as_str().unwrap().to_string(),
                h["state"].as_str().unwrap().to_string(),
                h["manager"].clone(),
            )
        })
        .collect()
}

fn doctor_hooks(r: &Repo) -> Value {
    let v = r.ledger(&["--json", "doctor"]).json();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "hooks")
        .unwrap()
        .clone()
}

fn drift_commit(r: &Repo, line: &str) -> Run {
    r.append("src/storage/spaces.rs", line);
    run(r.cmd("git").args(["commit", "-qam", "Tweak storage"]))
}

/// A repository holding this project's `.pre-commit-hooks.yaml` and
/// `hooks/`, as a team would point pre-commit at git-ledger's repository.
fn hooks_repository(r: &Repo) -> (std::path::PathBuf, String) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = r.home.path().join("git-ledger-hooks");
    std::fs::create_dir_all(dir.join("hooks")).unwrap();
    std::fs::copy(
        src.join(".pre-commit-hooks.yaml"),
        dir.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    for h in [
        "prepare-commit-msg",
        "commit-msg",
        "post-commit",
        "post-merge",
        "post-rewrite",
    ] {
        std::fs::copy(src.join("hooks").join(h), dir.join("hooks").join(h)).unwrap();
    }
    let git = |args: &[&str]| tool(r, "git", &[&["-C", dir.to_str().unwrap()], args].concat());
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "git-ledger hooks"]);
    let rev = git(&["rev-parse", "HEAD"]).stdout.trim().to_string();
    (dir, rev)
}

const ALL_TYPES: [&str; 10] = [
    "--hook-type",
    "prepare-commit-msg",
    "--hook-type",
    "commit-msg",
    "--hook-type",
    "post-commit",
    "--hook-type",
    "post-merge",
    "--hook-type",
    "post-rewrite",
];

#[test]
fn pre_commit_shows_the_drift_warning_records_an_amended_ack_and_is_not_foreign() {
    if !have("pre-commit", "PyPI") {
        return;
    }
    let r = storage_repo();
    let (hooks, rev) = hooks_repository(&r);
    let ids = [
        "prepare-commit-msg",
        "commit-msg",
        "post-commit",
        "post-merge",
        "post-rewrite",
    ]
    .map(|h| format!("      - id: git-ledger-{h}\n"))
    .concat();
    r.write(
        ".pre-commit-config.yaml",
        &format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n{ids}",
            hooks.display()
        ),
    );
    r.commit_all("Use pre-commit");
    tool(&r, "pre-commit", &[&["install"][..], &ALL_TYPES].concat());

    for (name, state, manager) in hook_states(&r) {
        assert_eq!(
            (state.as_str(), manager.as_str()),
            ("managed", Some("pre-commit")),
            "{name}"
        );
    }
    let doctor = doctor_hooks(&r);
    assert_eq!(doctor["level"], "ok", "{doctor}");
    assert!(
        doctor["detail"]
            .as_str()
            .unwrap()
            .contains("run by pre-commit"),
        "{doctor}"
    );
    assert!(
        r.ledger_ok(&["hooks", "install"]).stderr.is_empty(),
        "install leaves pre-commit's hooks alone"
    );

    let c = drift_commit(&r, "// tweak\n");
    assert_eq!(c.code, 0, "{}{}", c.stdout, c.stderr);
    let said = format!("{}{}", c.stdout, c.stderr);
    assert!(
        said.contains("S04 is now drift_detected"),
        "verbose: the warning is not hidden:\n{said}"
    );
    assert!(said.contains("--trailer \"Ledger-Ack: S04\""), "{said}");
    assert_eq!(r.status_of("S04"), "drift_detected");

    // The hint's amend is recorded without a manual scan, although
    // pre-commit gives post-rewrite no list of rewritten commits.
    let amend = run(r.cmd("git").args([
        "commit",
        "-q",
        "--amend",
        "--no-edit",
        "--trailer",
        "Ledger-Ack: S04",
    ]));
    assert_eq!(amend.code, 0, "{}{}", amend.stdout, amend.stderr);
    assert_eq!(r.status_of("S04"), "verified");

    // A config without git-ledger's ids: pre-commit's hooks, not ours, and not foreign.
    r.write(".pre-commit-config.yaml", "repos: []\n");
    let states = hook_states(&r);
    assert!(
        states.iter().all(|(_, s, _)| s == "not_in_manager"),
        "{states:?}"
    );
    let text = r.ledger_ok(&["hooks", "status"]).stdout;
    assert!(text.contains("pre-commit's, without git-ledger"), "{text}");
    assert!(
        text.contains("add `- id: git-ledger-post-commit`"),
        "{text}"
    );
    assert!(!text.contains("foreign"), "{text}");
}

#[test]
fn husky_gets_git_ledger_in_its_own_scripts_and_survives_npm_install() {
    if !have("husky", "npm") {
        return;
    }
    let r = storage_repo();
    r.write(".husky/post-commit", "echo user-post-commit\n");
    let before = std::fs::read(r.path().join(".husky/post-commit")).unwrap();
    tool(&r, "husky", &[]);
    assert_eq!(r.git(&["config", "core.hooksPath"]).trim(), ".husky/_");

    let install = r.ledger_ok(&["hooks", "install"]);
    assert!(
        install
            .stdout
            .contains(".husky/post-commit (husky runs it)"),
        "{}",
        install.stdout
    );
    assert!(install.stderr.is_empty(), "{}", install.stderr);
    assert!(
        r.ledger_ok(&["hooks", "install"])
            .stdout
            .contains("nothing changed"),
        "idempotent"
    );
    for (name, state, manager) in hook_states(&r) {
        assert_eq!(
            (state.as_str(), manager.as_str()),
            ("managed", Some("husky")),
            "{name}"
        );
    }

    let c = drift_commit(&r, "// one\n");
    assert!(
        c.stderr.contains("user-post-commit"),
        "the user's script still runs: {}",
        c.stderr
    );
    assert!(
        c.stderr.contains("S04 is now drift_detected"),
        "{}",
        c.stderr
    );
    assert_eq!(r.status_of("S04"), "drift_detected");

    // `npm install` runs husky again (the "prepare" script): it rewrites
    // .husky/_, never the user's scripts, so nothing is lost.
    std::fs::remove_dir_all(r.path().join(".husky/_")).unwrap();
    tool(&r, "husky", &[]);
    r.ledger_ok(&["mark", "S04", "verified"]);
    let again = drift_commit(&r, "// two\n");
    assert!(
        again.stderr.contains("S04 is now drift_detected"),
        "{}",
        again.stderr
    );
    let bad = run(r.cmd("git").args([
        "commit",
        "--allow-empty",
        "-qm",
        "x",
        "--trailer",
        "Ledger-Step: S4",
    ]));
    assert_eq!(
        bad.code, 1,
        "commit-msg still refuses bad trailers: {}",
        bad.stderr
    );

    let uninstall = r.ledger_ok(&["hooks", "uninstall"]);
    assert!(
        uninstall
            .stdout
            .contains("removed git-ledger's post-commit hook"),
        "{}",
        uninstall.stdout
    );
    assert_eq!(
        std::fs::read(r.path().join(".husky/post-commit")).unwrap(),
        before,
        "byte for byte"
    );
    assert!(
        !r.path().join(".husky/commit-msg").exists(),
        "scripts made for git-ledger go"
    );
    let states = hook_states(&r);
    assert!(states.iter().all(|(_, s, _)| s == "missing"), "{states:?}");
}

#[test]
fn lefthook_is_detected_and_the_documented_snippet_records_drift() {
    if !have("lefthook", "npm") {
        return;
    }
    let r = storage_repo();
    r.ledger_ok(&["hooks", "install"]);
    // A team adds a post-commit section and re-runs lefthook install: our
    // shim is renamed to post-commit.old and would go silent.
    r.write(
        "lefthook.yml",
        "post-commit:\n  commands:\n    hello:\n      run: echo hello\n",
    );
    tool(&r, "lefthook", &["install"]);
    assert!(r.path().join(".git/hooks/post-commit.old").exists());
    let v = r.ledger_json(&["hooks", "status"]);
    let pc = v["hooks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == "post-commit")
        .unwrap()
        .clone();
    assert_eq!(pc["state"], "not_in_manager", "{pc}");
    assert_eq!(pc["manager"], "lefthook", "{pc}");
    let fix = pc["fix"].as_str().unwrap();
    assert!(
        fix.contains("post-commit.old") && fix.contains("run: git ledger hook post-commit"),
        "{fix}"
    );
    assert_eq!(v["installed"], false);
    let doctor = doctor_hooks(&r);
    assert_eq!(doctor["level"], "warn", "{doctor}");
    assert!(
        doctor["detail"]
            .as_str()
            .unwrap()
            .contains("post-commit is lefthook's"),
        "{doctor}"
    );

    // The snippet docs/hooks.md documents, as written there.
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/hooks.md"))
        .unwrap();
    let after = &doc[doc
        .find("Add git-ledger's commands to `lefthook.yml`")
        .unwrap()..];
    let start = after.find("```yaml\n").unwrap() + "```yaml\n".len();
    let snippet = &after[start..start + after[start..].find("```").unwrap()];
    r.write("lefthook.yml", snippet);
    tool(&r, "lefthook", &["install"]);
    let states = hook_states(&r);
    for (name, state, manager) in &states {
        assert_eq!(
            (state.as_str(), manager.as_str()),
            ("managed", Some("lefthook")),
            "{name}: {states:?}"
        );
    }
    let bad = run(r.cmd("git").args([
        "commit",
        "--allow-empty",
        "-qm",
        "x",
        "--trailer",
        "Ledger-Step: S4",
    ]));
    assert_eq!(
        bad.code, 1,
        "commit-msg through lefthook refuses a bad trailer: {}{}",
        bad.stdout, bad.stderr
    );
    let c = drift_commit(&r, "// tweak\n");
    assert_eq!(c.code, 0, "{}", c.stderr);
    assert_eq!(
        r.status_of("S04"),
        "drift_detected",
        "{}{}",
        c.stdout,
        c.stderr
    );
}
