//! The hook flags file: the current step and `ledger.strict` as plain
//! `key=value` lines in `<git dir>/git-ledger/hook-flags`, so that the
//! shims of `prepare-commit-msg` and `commit-msg` can leave early with
//! shell built-ins instead of starting a process on every commit.
//!
//! It is derived state: a shim trusts it only while it is newer than every
//! config file git reads (and no `git -c` setting is in the environment),
//! and falls back to `git config` otherwise. Where config includes other
//! files it cannot watch, the file is not written at all.

use crate::git::repo::{config_bool, config_str};
use git2::Repository;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

fn path(repo: &Repository) -> PathBuf {
    repo.path().join("git-ledger").join("hook-flags")
}

/// This worktree's current step (`start`/`stop`): a file in the
/// worktree's own git dir, so that two worktrees work on two steps.
pub fn current_file(repo: &Repository) -> PathBuf {
    repo.path().join("git-ledger").join("current")
}

/// The config files git reads for this repository (the shim checks the same list).
fn config_files(repo: &Repository) -> Vec<PathBuf> {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    let home = env("HOME").map(PathBuf::from).unwrap_or_default();
    vec![
        current_file(repo),
        crate::git::repo::common_dir(repo).join("config"),
        repo.path().join("config.worktree"),
        env("GIT_CONFIG_GLOBAL")
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".gitconfig")),
        env("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".config"))
            .join("git")
            .join("config"),
        env("GIT_CONFIG_SYSTEM")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/etc/gitconfig")),
    ]
}

/// Whole seconds, as the most coarse shell `test -nt` compares them.
fn mtime_secs(p: &Path) -> Option<u64> {
    let m = std::fs::metadata(p).ok()?.modified().ok()?;
    m.duration_since(SystemTime::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs())
}

fn uses_includes(repo: &Repository) -> bool {
    let Ok(cfg) = repo.config() else { return true };
    let Ok(entries) = cfg.entries(Some("include")) else {
        return true;
    };
    let mut found = false;
    let _ = entries.for_each(|e| {
        let name = e.name().unwrap_or("").to_ascii_lowercase();
        found |= name.starts_with("include.") || name.starts_with("includeif.");
    });
    found
}

/// Rewrites the flags file when it is missing, stale or wrong. Best
/// effort: without it the shims ask `git config`, which is only slower.
pub fn refresh(repo: &Repository) {
    let target = path(repo);
    if crate::git::config_params::present() {
        return; // values seen now include one-off `git -c` settings
    }
    let watched = config_files(repo);
    let stamps = |files: &[PathBuf]| -> Vec<Option<SystemTime>> {
        files
            .iter()
            .map(|f| std::fs::metadata(f).and_then(|m| m.modified()).ok())
            .collect()
    };
    let before = stamps(&watched);
    if uses_includes(repo) {
        let _ = std::fs::remove_file(&target);
        return;
    }
    let content = format!(
        "current={}\nstrict={}\n",
        stored_current(repo).unwrap_or_default(),
        config_bool(repo, "ledger.strict").unwrap_or(true)
    );
    let fresh = mtime_secs(&target).is_some_and(|written| {
        watched
            .iter()
            .all(|f| mtime_secs(f).is_none_or(|m| written > m))
    });
    if fresh && std::fs::read_to_string(&target).is_ok_and(|c| c == content) {
        return;
    }
    let Some(dir) = target.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let tmp = dir.join(format!("hook-flags.{}.tmp", std::process::id()));
    if std::fs::write(&tmp, content).is_ok() && std::fs::rename(&tmp, &target).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    // A config change while this ran may not be in what was written.
    if stamps(&watched) != before {
        let _ = std::fs::remove_file(&target);
    }
}

/// `ledger.strict` (`git -c` included: `repo::open` applied it).
pub fn strict(repo: &Repository) -> Result<bool, ()> {
    config_bool(repo, "ledger.strict").map_err(|_| ())
}

/// The current step: `git -c ledger.current=ID` for one command, else
/// this worktree's file, else `ledger.current` in config (where older
/// versions kept it, shared by every worktree).
pub fn current(repo: &Repository) -> Option<String> {
    crate::git::config_params::value(repo, "ledger.current")
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .or_else(|| stored_current(repo))
}

fn stored_current(repo: &Repository) -> Option<String> {
    std::fs::read_to_string(current_file(repo))
        .ok()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .or_else(|| config_str(repo, "ledger.current"))
        .filter(|c| !c.trim().is_empty())
}
