//! A ref's lock file (`refs/notes/ledger.lock`), and when to stop waiting
//! for it.
//!
//! git and libgit2 update a ref by creating `<ref>.lock`; a process killed
//! in between leaves it behind, and every later update fails until it is
//! removed. A live writer holds it for milliseconds. So a lock older than
//! `STALE` is named at once, with its age and the fix, instead of being
//! retried for a minute; and the hooks, which must never hold a commit
//! for long, give up on any lock after `HOOK_BUDGET`.

use crate::error::user_hint;
use git2::Repository;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// A lock this old was left by a process that did not finish.
pub const STALE: Duration = Duration::from_secs(10);

/// How long a hook waits, in all, for a ref another process has locked.
pub const HOOK_BUDGET: Duration = Duration::from_secs(1);

/// The lock file of `refname`, in the common dir where refs live.
pub fn path(repo: &Repository, refname: &str) -> PathBuf {
    repo.commondir().join(format!("{refname}.lock"))
}

/// The lock file of `refname` and how old it is, when there is one.
pub fn held(repo: &Repository, refname: &str) -> Option<(PathBuf, Duration)> {
    let p = path(repo, refname);
    let modified = std::fs::metadata(&p).ok()?.modified().ok()?;
    let age = SystemTime::now()
        .duration_since(modified)
        .unwrap_or(Duration::ZERO);
    Some((p, age))
}

/// Why to stop retrying an update of `refname` after `waited`: a lock
/// left behind, or (in a hook) a lock held past the hook's budget.
pub fn give_up(repo: &Repository, refname: &str, waited: Duration) -> Option<anyhow::Error> {
    let (p, age) = held(repo, refname)?;
    let in_hook = crate::hooks::in_hook();
    if age < STALE && !(in_hook && waited >= HOOK_BUDGET) {
        return None;
    }
    let why = if age >= STALE {
        "left by a git or git-ledger process that did not finish"
    } else {
        "another process is writing the ledger"
    };
    Some(user_hint(
        format!(
            "{refname} is locked: {} exists, {} old ({why}); nothing was written",
            p.display(),
            describe(age)
        ),
        format!(
            "if no git command is running, remove it: rm '{}' (git ledger doctor reports it)",
            p.display()
        ),
    ))
}

/// "12 s", "3 min", "2 h", "4 days".
pub fn describe(age: Duration) -> String {
    let s = age.as_secs();
    match s {
        0..=119 => format!("{s} s"),
        120..=7199 => format!("{} min", s / 60),
        7200..=172_799 => format!("{} h", s / 3600),
        _ => format!("{} days", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_like_a_person_would_say_them() {
        assert_eq!(describe(Duration::from_secs(12)), "12 s");
        assert_eq!(describe(Duration::from_secs(3 * 60)), "3 min");
        assert_eq!(describe(Duration::from_secs(5 * 3600)), "5 h");
        assert_eq!(describe(Duration::from_secs(9 * 86_400)), "9 days");
    }
}
