//! Where checks run. By default a temporary clean checkout of the commit:
//! a detached `git worktree` in a fresh temporary directory (outside the
//! repository, so tools that search parent directories do not find the work
//! tree's untracked files), made with hooks switched off, and removed again
//! when verification ends — also after a timeout or Ctrl-C. A real worktree
//! rather than a plain export, so checks that ask git questions
//! (`git rev-parse HEAD`, `git diff --check`) work as in any clone.
//! Submodules are not checked out, as after a plain `git worktree add`.

use crate::error::user_hint;
use anyhow::{Context, Result};
use git2::{Oid, Repository, StatusOptions};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use tempfile::TempDir;

pub struct Checkout {
    git_dir: PathBuf,
    path: PathBuf,
    /// Removed (with whatever is left in it) when the checkout is dropped.
    _root: TempDir,
}

/// The prefix of the temporary directories checkouts are made in; a
/// worktree below one is verify's own.
const ROOT_PREFIX: &str = "git-ledger-verify-";

/// The file in that directory naming the process that owns it.
const OWNER_FILE: &str = ".owner-pid";

/// An owner-less checkout directory older than this was left behind.
const ORPHANED_AFTER: Duration = Duration::from_secs(600);

/// Variables a hook's git sets that would point a git command elsewhere.
const GIT_LOCATION_VARS: [&str; 7] = [
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_PREFIX",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
];

/// `git` aimed at this repository, whatever GIT_* variables a hook set.
fn git(git_dir: &Path) -> Command {
    let mut c = Command::new("git");
    for var in GIT_LOCATION_VARS {
        c.env_remove(var);
    }
    c.arg("--git-dir").arg(git_dir).stdin(Stdio::null());
    c
}

/// A temporary checkout left behind by a verify that did not finish (a
/// kill -9, a crash, a power cut): its worktree entry keeps `git fsck`
/// failing while it is locked as "initializing".
#[derive(Debug, Clone)]
pub struct Leftover {
    pub path: PathBuf,
    /// "locked while initializing", "its directory is gone", "its verify is gone"
    pub why: &'static str,
}

/// The verify checkouts of this repository whose owner is gone.
pub fn leftovers(repo: &Repository) -> Vec<Leftover> {
    let Ok(out) = git(repo.path())
        .args(["worktree", "list", "--porcelain"])
        .stderr(Stdio::null())
        .output()
    else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let mut found = Vec::new();
    for entry in text.split("\n\n") {
        let mut path = None;
        let mut initializing = false;
        for line in entry.lines() {
            if let Some(p) = line.strip_prefix("worktree ") {
                path = Some(PathBuf::from(p));
            }
            initializing |= line == "locked initializing";
        }
        let Some(path) = path.filter(|p| is_verify_checkout(p)) else {
            continue;
        };
        let why = if !path.exists() {
            "its directory is gone"
        } else if owner_alive(&path) {
            continue;
        } else if initializing {
            "locked while initializing"
        } else {
            "its verify is gone"
        };
        found.push(Leftover { path, why });
    }
    found
}

fn is_verify_checkout(path: &Path) -> bool {
    path.parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with(ROOT_PREFIX))
}

/// Whether the process that made the checkout at `path` still runs (an
/// owner-less directory counts as alive while it is young).
fn owner_alive(path: &Path) -> bool {
    let Some(root) = path.parent() else {
        return false;
    };
    match std::fs::read_to_string(root.join(OWNER_FILE)) {
        Ok(text) => text.trim().parse::<i32>().is_ok_and(|pid| {
            // SAFETY: signal 0 only asks whether the process exists.
            let r = unsafe { libc::kill(pid, 0) };
            r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
        }),
        Err(_) => std::fs::metadata(root)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age < ORPHANED_AFTER),
    }
}

/// Removes leftover checkouts: the worktree entry (unlocked first) and the
/// temporary directory. Best effort; returns what was removed.
pub fn clean_leftovers(repo: &Repository) -> Vec<Leftover> {
    let mut removed = Vec::new();
    for l in leftovers(repo) {
        let quiet = |mut c: Command| {
            c.stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        let mut unlock = git(repo.path());
        unlock.args(["worktree", "unlock"]).arg(&l.path);
        quiet(unlock);
        let mut remove = git(repo.path());
        remove
            .args(["worktree", "remove", "--force", "--force"])
            .arg(&l.path);
        if !quiet(remove) {
            let _ = std::fs::remove_dir_all(&l.path);
            let mut prune = git(repo.path());
            prune.args(["worktree", "prune"]);
            quiet(prune);
        }
        if let Some(root) = l.path.parent() {
            let _ = std::fs::remove_dir_all(root);
        }
        removed.push(l);
    }
    removed
}

impl Checkout {
    /// Checks `commit` out into a new temporary directory.
    pub fn create(repo: &Repository, commit: Oid) -> Result<Checkout> {
        for l in clean_leftovers(repo) {
            crate::output::warn(&format!(
                "removed a temporary checkout an interrupted verify left behind ({}): {}",
                l.why,
                l.path.display()
            ));
        }
        let root = tempfile::Builder::new()
            .prefix(ROOT_PREFIX)
            .tempdir()
            .context("cannot create a temporary directory for the checkout")?;
        // Who owns it, so that a later run can tell a leftover from a
        // checkout another verify is using right now.
        std::fs::write(root.path().join(OWNER_FILE), std::process::id().to_string())
            .context("cannot write in the temporary directory for the checkout")?;
        // The project's own directory name, for tools that derive names from it.
        let name = repo
            .workdir()
            .and_then(|w| w.file_name())
            .and_then(|n| n.to_str())
            .filter(|n| !n.is_empty())
            .unwrap_or("checkout")
            .to_string();
        let path = root.path().join(name);
        let git_dir = repo.path().to_path_buf();
        let out = git(&git_dir)
            .args(["-c", "core.hooksPath=/dev/null", "worktree", "add"])
            .args(["--detach", "--quiet"])
            .arg(&path)
            .arg(commit.to_string())
            .output()
            .context("cannot run git to make a temporary checkout")?;
        let checkout = Checkout {
            git_dir,
            path,
            _root: root,
        };
        if !out.status.success() {
            let why = String::from_utf8_lossy(&out.stderr);
            return Err(user_hint(
                format!(
                    "cannot make a temporary checkout of {}: {}",
                    crate::git::repo::short(&commit.to_string()),
                    why.trim()
                ),
                "git ledger verify --in-place runs the checks in the work tree instead",
            ));
        }
        Ok(checkout)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Puts back tracked files a previous step's checks changed, keeping
    /// ignored build output so that later steps do not rebuild everything.
    pub fn restore(&self) -> Result<()> {
        // Run inside the checkout, so git uses its own HEAD and index.
        let inside = |args: &[&str]| {
            let mut c = Command::new("git");
            for var in GIT_LOCATION_VARS {
                c.env_remove(var);
            }
            c.current_dir(&self.path)
                .args(["-c", "core.hooksPath=/dev/null"])
                .args(args)
                .stdin(Stdio::null())
                .output()
        };
        let out = inside(&["reset", "--hard", "--quiet"])
            .context("cannot run git to restore the temporary checkout")?;
        if !out.status.success() {
            anyhow::bail!(
                "cannot restore the temporary checkout: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let _ = inside(&["clean", "-fdq"]);
        Ok(())
    }
}

impl Drop for Checkout {
    fn drop(&mut self) {
        let removed = git(&self.git_dir)
            .args(["worktree", "remove", "--force", "--force"])
            .arg(&self.path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !removed {
            // The directory goes with the TempDir; prune forgets the entry.
            let _ = std::fs::remove_dir_all(&self.path);
            let _ = git(&self.git_dir)
                .args(["worktree", "prune"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// Uncommitted changes in the work tree: modified, staged or untracked
/// files (ignored ones do not count). Any of them can change what a check
/// sees, so evidence from such a tree is recorded as dirty.
pub fn work_tree_dirty(repo: &Repository) -> Result<Vec<String>> {
    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(false)
        .include_ignored(false)
        .exclude_submodules(true);
    let statuses = repo
        .statuses(Some(&mut opts))
        .context("cannot read the work tree's status")?;
    Ok(statuses
        .iter()
        .map(|s| String::from_utf8_lossy(s.path_bytes()).into_owned())
        .collect())
}
