//! Talking to a remote, only through the `git` binary, so that the user's
//! credential helpers, ssh configuration and `insteadOf` rules all apply.

use crate::error::user_hint;
use anyhow::Result;
use git2::{Oid, Repository};
use std::process::{Command, Output, Stdio};

/// The remote-tracking ref that holds what `remote` last had.
pub fn tracking_ref(remote: &str) -> String {
    format!("refs/notes/remotes/{remote}/ledger")
}

/// The fetch refspec for `remote`. A pattern, because git refuses a fetch
/// whose exact source ref is missing, and a remote may have no ledger yet.
/// The `+` only ever forces the remote-tracking ref, never the local ledger.
pub fn fetch_refspec(remote: &str) -> String {
    format!("+refs/notes/ledger*:refs/notes/remotes/{remote}/ledger*")
}

fn git(repo: &Repository) -> Command {
    let mut cmd = Command::new("git");
    // Where git itself would run, so that a relative remote URL resolves
    // as it does for `git fetch` (with -C, the cwd is somewhere else).
    cmd.current_dir(repo.workdir().unwrap_or(repo.path()))
        .arg("--git-dir")
        .arg(repo.path())
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn run(mut cmd: Command, what: &str) -> Result<Output> {
    cmd.output().map_err(|e| {
        user_hint(
            format!("cannot run git to {what}: {e}"),
            "git-ledger talks to remotes through the git binary: install git and put it on PATH",
        )
    })
}

/// The line of git's stderr that says what went wrong.
fn reason(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines
        .iter()
        .find(|l| l.starts_with("fatal:") || l.starts_with("error:"))
        .or(lines.last())
        .map(|l| {
            l.trim_start_matches("fatal:")
                .trim_start_matches("error:")
                .trim()
                .to_string()
        })
        .unwrap_or_else(|| "git gave no reason".into())
}

/// Fetches the remote's ledger into its remote-tracking ref; when the
/// remote has none, the tracking ref is pruned and this is still success.
pub fn fetch(repo: &Repository, remote: &str) -> Result<()> {
    let mut cmd = git(repo);
    cmd.args([
        "fetch",
        "--quiet",
        "--prune",
        "--no-prune-tags",
        "--no-tags",
        "--no-write-fetch-head",
        "--recurse-submodules=no",
        remote,
        &fetch_refspec(remote),
    ]);
    let out = run(cmd, "fetch")?;
    if out.status.success() {
        return Ok(());
    }
    Err(user_hint(
        format!(
            "could not fetch the ledger from '{remote}': {}",
            reason(&out.stderr)
        ),
        format!(
            "check the remote's address and your access (git remote get-url {remote}; git fetch {remote}); nothing was changed"
        ),
    ))
}

pub enum Pushed {
    /// The remote moved from `old` (git's abbreviated id; None: it had no
    /// ledger) to ours.
    Updated {
        old: Option<String>,
    },
    UpToDate,
    /// The remote moved meanwhile, or was busy: fetch, merge, push again.
    Retry(String),
}

/// Pushes `tip` to the remote's `refs/notes/ledger`, never forced: the
/// remote accepts it only when it contains what the remote has.
pub fn push(repo: &Repository, remote: &str, tip: Oid) -> Result<Pushed> {
    let mut cmd = git(repo);
    // Pre-push hooks are written for branches; this push carries only notes.
    cmd.args([
        "push",
        "--porcelain",
        "--no-verify",
        "--recurse-submodules=no",
        remote,
        &format!("{tip}:{}", crate::git::repo::NOTES_REF),
    ]);
    let out = run(cmd, "push")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().find(|l| {
        l.split('\t')
            .nth(1)
            .is_some_and(|r| r.ends_with(":refs/notes/ledger"))
    });
    let Some(line) = line else {
        return Err(user_hint(
            format!(
                "could not push the ledger to '{remote}': {}",
                reason(&out.stderr)
            ),
            format!(
                "check the remote's address and your push access (git remote get-url {remote}); the local ledger keeps every event, run git ledger sync again"
            ),
        ));
    };
    let mut fields = line.split('\t');
    let flag = fields.next().unwrap_or_default();
    let summary = fields.nth(1).unwrap_or_default();
    match flag {
        "=" => Ok(Pushed::UpToDate),
        "*" => Ok(Pushed::Updated { old: None }),
        " " | "+" => Ok(Pushed::Updated {
            old: summary.split("..").next().map(str::to_string),
        }),
        _ if retryable(summary) => Ok(Pushed::Retry(summary.to_string())),
        _ => Err(user_hint(
            format!("'{remote}' refused the ledger: {summary}"),
            "the remote's rules reject this push (a protected ref or a server hook); the local ledger keeps every event",
        )),
    }
}

/// Rejections that mean "someone else pushed first" rather than "never".
fn retryable(summary: &str) -> bool {
    let s = summary.to_ascii_lowercase();
    s.starts_with("[rejected]")
        || (s.starts_with("[remote rejected]")
            && [
                "lock",
                "failed to update",
                "expected",
                "incorrect old value",
            ]
            .iter()
            .any(|w| s.contains(w)))
}
