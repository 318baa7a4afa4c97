//! A fresh clone fetches no notes, so it starts with no ledger while its
//! remote may hold one. Read commands that find no ledger at all ask the
//! remote (`git ls-remote`, bounded in time, never prompting) and say how
//! to get it. Only then: with any local ledger, nothing touches the
//! network. A "none there" answer is remembered for a while so that a
//! project without a ledger does not pay a round trip per command.

use anyhow::Result;
use git2::Repository;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(5);
/// How long "the remote has no ledger" is believed.
const REMEMBER_NONE_SECS: i64 = 600;

fn memo_path(repo: &Repository) -> PathBuf {
    crate::git::repo::common_dir(repo)
        .join("git-ledger")
        .join("remote-ledger-checked")
}

/// The remote that holds a ledger this clone has not fetched, if any.
pub fn unfetched_remote_ledger(repo: &Repository) -> Option<String> {
    if crate::store::tip(repo).ok().flatten().is_some() || fetched_any(repo) {
        return None;
    }
    let remote = super::resolve_remote(repo, None).ok()?;
    let now = crate::ledger::time::now_unix();
    let memo = memo_path(repo);
    if let Ok(text) = std::fs::read_to_string(&memo)
        && let Some((name, when)) = text.trim().split_once(' ')
        && name == remote
        && when
            .parse::<i64>()
            .is_ok_and(|t| now - t < REMEMBER_NONE_SECS)
    {
        return None;
    }
    match remote_has_ledger(repo, &remote) {
        Ok(true) => Some(remote),
        Ok(false) => {
            if let Some(dir) = memo.parent() {
                let _ = std::fs::create_dir_all(dir);
                let _ = std::fs::write(&memo, format!("{remote} {now}\n"));
            }
            None
        }
        Err(_) => None,
    }
}

fn fetched_any(repo: &Repository) -> bool {
    repo.references_glob("refs/notes/remotes/*")
        .map(|refs| {
            refs.flatten()
                .any(|r| r.name().is_ok_and(|n| n.ends_with("/ledger")))
        })
        .unwrap_or(false)
}

/// `git ls-remote REMOTE refs/notes/ledger`, given up after a few seconds
/// and never asking for a password.
fn remote_has_ledger(repo: &Repository, remote: &str) -> Result<bool> {
    let mut cmd = Command::new("git");
    cmd.current_dir(repo.workdir().unwrap_or(repo.path()))
        .arg("--git-dir")
        .arg(repo.path())
        .args(["ls-remote", "--quiet", remote, crate::git::repo::NOTES_REF])
        .env("GIT_TERMINAL_PROMPT", "0");
    // ssh must not ask for a passphrase either, unless the user chose
    // their own ssh command.
    if std::env::var_os("GIT_SSH_COMMAND").is_none()
        && crate::git::repo::config_str(repo, "core.sshCommand").is_none()
    {
        cmd.env("GIT_SSH_COMMAND", "ssh -o BatchMode=yes");
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            let mut out = String::new();
            if let Some(mut s) = child.stdout.take() {
                use std::io::Read;
                let _ = s.read_to_string(&mut out);
            }
            return Ok(status.success() && out.contains(crate::git::repo::NOTES_REF));
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!("no answer from {remote}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Warns, with the fix, when a remote has a ledger this clone lacks.
pub fn warn_if_unfetched(repo: &Repository) {
    if let Some(remote) = unfetched_remote_ledger(repo) {
        crate::output::warn(&format!(
            "'{remote}' has a ledger (refs/notes/ledger) that this clone has not fetched: git clone fetches no notes"
        ));
        crate::output::hint(&format!(
            "git ledger init sets up the fetch for {remote} and fetches it (or once: git ledger sync {remote})"
        ));
    }
}
