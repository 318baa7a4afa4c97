//! What a CI run shows of the ledger: `check`'s job summary and GitHub
//! annotations, `verify --junit`'s test report validated against the JUnit
//! schema, and the docs/ci.md jobs run as written in a fresh clone.

mod common;

use common::{Repo, Run, bare_remote};
use std::path::{Path, PathBuf};
use std::process::Command;

/// docs/ci.md, GitHub Actions: the "Fetch the ledger" and "Check the
/// ledger" steps.
const GITHUB_CHECK: &str = r#"
set -e
if git ls-remote --exit-code origin refs/notes/ledger >/dev/null; then
  git fetch --no-tags origin refs/notes/ledger:refs/notes/ledger
fi
git ledger check --no-record
"#;

/// docs/ci.md, GitHub Actions: the "Verify the pending steps" step.
const GITHUB_VERIFY: &str = r#"
set -e
git config user.name "ledger-ci" && git config user.email "ci@example.invalid"
git ledger verify --pending --trust --junit ledger-junit.xml
"#;

/// docs/ci.md, GitLab CI: the script after the install.
const GITLAB_SCRIPT: &str = r#"
set -e
if git ls-remote --exit-code origin refs/notes/ledger >/dev/null; then
  git fetch --no-tags origin refs/notes/ledger:refs/notes/ledger
fi
git ledger check --no-record --format markdown > ledger-summary.md || status=$?
cat ledger-summary.md
git config user.name "ledger-ci" && git config user.email "ci@example.invalid"
git ledger verify --pending --trust --junit ledger-junit.xml || status=$?
exit "${status:-0}"
"#;

fn schema() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/junit/junit-10.xsd")
}

/// Validates `file` against the JUnit schema with xmllint, or says why it
/// cannot (`.ci/run` installs libxml2-utils).
fn validate_junit(file: &Path) {
    let out = match Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(schema())
        .arg(file)
        .output()
    {
        Ok(out) => out,
        Err(_) => {
            eprintln!(
                "SKIPPED schema validation of {}: xmllint is not installed (apt-get install libxml2-utils)",
                file.display()
            );
            return;
        }
    };
    assert!(
        out.status.success(),
        "{} does not validate against junit-10.xsd:\n{}\n{}",
        file.display(),
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(file).unwrap_or_default()
    );
}

/// A developer's repository pushed to a bare remote: S04 verified whose
/// owned file then changed without hooks; S07 pending with a failing check
/// that prints a secret; S08 pending without checks; S09 pending with a
/// check that outlives the CI clone's time limit.
fn pushed_project() -> (tempfile::TempDir, PathBuf) {
    let (dir, remote) = bare_remote();
    let dev = Repo::new();
    dev.write("src/storage/spaces.rs", "pub fn spaces() {}\n");
    dev.commit_all("Add storage");
    dev.ledger_ok(&["init", "--no-hooks"]);
    dev.ledger_ok(&[
        "add",
        "S04",
        "Object storage",
        "--owns",
        "src/storage/**",
        "--check",
        "test -f src/storage/spaces.rs",
    ]);
    dev.ledger_ok(&["verify", "S04"]);
    dev.ledger_ok(&[
        "add",
        "S07",
        "Listing <b>bold</b> | [link](http://example.invalid)",
        "--check",
        "echo listing ok",
        "--check",
        "echo \"token=$API_TOKEN\"; echo broken >&2; exit 3",
    ]);
    dev.ledger_ok(&["add", "S08", "Quotas"]);
    dev.ledger_ok(&["add", "S09", "Slow", "--check", "sleep 30"]);
    for id in ["S07", "S08", "S09"] {
        dev.ledger_ok(&["mark", id, "done"]);
    }
    dev.append("src/storage/spaces.rs", "// pushed without hooks\n");
    dev.commit_all("Unchecked storage change");
    dev.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    dev.git(&["push", "-q", "origin", "main", "refs/notes/ledger"]);
    (dir, remote)
}

fn sh(repo: &Repo, script: &str, env: &[(&str, &str)]) -> Run {
    let out = repo
        .cmd("sh")
        .args(["-c", script])
        .envs(env.iter().copied())
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn the_github_job_writes_a_summary_annotations_and_a_valid_junit_report() {
    let (_dir, remote) = pushed_project();
    let ci = Repo::clone_from(&remote);
    ci.git(&["config", "ledger.checkTimeout", "1"]);
    let summary = ci.home.path().join("step_summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let summary_env = summary.to_str().unwrap();
    let env = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_STEP_SUMMARY", summary_env),
        ("API_TOKEN", "tok-5ecr3t-value"),
    ];

    let check = sh(&ci, GITHUB_CHECK, &env);
    assert_eq!(check.code, 1, "{}{}", check.stdout, check.stderr);
    assert!(
        check.stdout.starts_with(
            "::error file=src/storage/spaces.rs,title=S04 drifted::S04 \"Object storage\" has drifted: its owned files changed since it was verified"
        ),
        "{}",
        check.stdout
    );
    assert!(
        check
            .stdout
            .contains("\ndrift_detected        S04  Object storage  "),
        "the log keeps the table: {}",
        check.stdout
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.starts_with("earlier step\n### ❌ Ledger: drift in S04\n"),
        "appended:\n{md}"
    );
    for row in [
        "| 🔴 drifted (found now) | `S04` | Object storage | `src/storage/spaces.rs` | fix the code, then `git ledger verify S04` |",
        "| 🟡 pending verification | `S07` | Listing &lt;b&gt;bold&lt;\\/b&gt; \\| \\[link\\]\\(http\\:\\/\\/example\\.invalid\\) | | `git ledger verify S07` |",
        "| 🟡 pending verification | `S08` | Quotas | | `git ledger verify S08` |",
    ] {
        assert!(md.contains(row), "missing {row}\nin:\n{md}");
    }
    assert!(
        md.contains("**0/4 verified** · 1 drifted · 3 pending verification"),
        "{md}"
    );

    let verify = sh(&ci, GITHUB_VERIFY, &env);
    assert_eq!(
        verify.code, 1,
        "S07 fails: {}{}",
        verify.stdout, verify.stderr
    );
    let report = ci.path().join("ledger-junit.xml");
    validate_junit(&report);
    let xml = std::fs::read_to_string(&report).unwrap();
    assert!(
        xml.contains(
            "<testsuites name=\"git ledger verify\" tests=\"4\" failures=\"2\" errors=\"0\""
        ),
        "{xml}"
    );
    assert!(xml.contains("<testsuite name=\"S07 Listing &lt;b&gt;bold&lt;/b&gt; | [link](http://example.invalid)\""), "{xml}");
    assert!(xml.contains("<testcase name=\"echo listing ok\" classname=\"S07\""));
    assert!(
        xml.contains(
            "<failure message=\"exit 3\" type=\"exit\">token=[REDACTED]&#10;broken&#10;</failure>"
        ),
        "the failure holds the redacted tail: {xml}"
    );
    assert!(!xml.contains("tok-5ecr3t-value"));
    assert!(xml.contains("<testsuite name=\"S08 Quotas\""));
    assert!(xml.contains("<testcase name=\"(no checks)\" classname=\"S08\" time=\"0.000\">\n      <skipped message=\"S08 is completed_pending_verification but has no checks"));
    assert!(
        xml.contains("<failure message=\"timed out after 1."),
        "{xml}"
    );
    assert!(xml.contains("<property name=\"status\" value=\"drift_detected\"/>"));
}

#[test]
fn the_gitlab_job_prints_the_markdown_summary_and_keeps_the_failing_status() {
    let (_dir, remote) = pushed_project();
    let ci = Repo::clone_from(&remote);
    ci.git(&["config", "ledger.checkTimeout", "1"]);
    let run = sh(&ci, GITLAB_SCRIPT, &[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(!run.stdout.contains("::error"), "no annotations off GitHub");
    let md = std::fs::read_to_string(ci.path().join("ledger-summary.md")).unwrap();
    assert!(md.starts_with("### ❌ Ledger: drift in S04\n"), "{md}");
    assert!(run.stdout.starts_with(&md), "the log shows it too");
    validate_junit(&ci.path().join("ledger-junit.xml"));
}

#[test]
fn an_untrusted_run_is_refused_and_its_report_says_every_check_was_skipped() {
    let (_dir, remote) = pushed_project();
    let ci = Repo::clone_from(&remote);
    ci.git(&[
        "fetch",
        "-q",
        "origin",
        "refs/notes/ledger:refs/notes/ledger",
    ]);
    let r = ci.ledger(&["verify", "--pending", "--junit", "report.xml"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("refusing to run 3 untrusted check command(s)"),
        "{}",
        r.stderr
    );
    let report = ci.path().join("report.xml");
    validate_junit(&report);
    let xml = std::fs::read_to_string(&report).unwrap();
    assert_eq!(
        xml.matches("<skipped message=\"not trusted in this clone: git ledger trust S07")
            .count(),
        2,
        "{xml}"
    );
    assert!(!xml.contains("<failure"));
    assert!(xml.contains("tests=\"4\" failures=\"0\""), "{xml}");
}

#[test]
fn nothing_to_verify_still_leaves_a_valid_report() {
    let r = Repo::new();
    let out = r.ledger_ok(&["verify", "--pending", "--junit", "empty.xml"]);
    assert!(out.stdout.contains("nothing to verify"));
    validate_junit(&r.path().join("empty.xml"));
    let bad = r.ledger(&["verify", "--pending", "--junit", "no/such/dir/x.xml"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("no directory 'no/such/dir'"),
        "{}",
        bad.stderr
    );
}

#[test]
fn a_file_name_with_a_newline_cannot_start_another_workflow_command() {
    let r = Repo::new();
    r.write("src/a.rs", "a\n");
    r.commit_all("a");
    r.ledger_ok(&["init", "--no-hooks"]);
    r.ledger_ok(&["add", "S01", "Core", "--owns", "src/**"]);
    r.ledger_ok(&["mark", "S01", "verified"]);
    r.write("src/x\n::warning::pwned.rs", "x\n");
    r.commit_all("odd name");
    let out = r.ledger_env(&[("GITHUB_ACTIONS", "true")], &["check", "--no-record"]);
    assert_eq!(out.code, 1);
    let annotations: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(
        annotations,
        [
            "::error file=src/x %3A%3Awarning%3A%3Apwned.rs,title=S01 drifted::S01 \"Core\" has drifted: its owned files changed since it was verified; fix the code, then run: git ledger verify S01"
        ],
        "{}",
        out.stdout
    );
    // Nor can the table below them: the name stays on one line.
    assert!(
        out.stdout
            .contains("S01  Core  src/x ::warning::pwned.rs changed"),
        "{}",
        out.stdout
    );
    // Off GitHub Actions, no workflow commands at all.
    let plain = r.ledger(&["check", "--no-record"]);
    assert!(!plain.stdout.contains("::error"), "{}", plain.stdout);
    // --json and --format are one choice.
    let clash = r.ledger(&["--json", "check", "--format", "markdown"]);
    assert_eq!(clash.code, 2);
    assert!(
        clash.stderr.starts_with("error: --json and --format"),
        "{}",
        clash.stderr
    );
}

#[test]
fn docs_ci_md_gives_the_jobs_these_tests_run() {
    let docs =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/ci.md"))
            .unwrap();
    for script in [GITHUB_CHECK, GITHUB_VERIFY, GITLAB_SCRIPT] {
        for line in script.lines().map(str::trim) {
            if line.is_empty() || line == "set -e" {
                continue;
            }
            assert!(docs.contains(line), "docs/ci.md lacks `{line}`");
        }
    }
}
