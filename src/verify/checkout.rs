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
use tempfile::TempDir;

pub struct Checkout {
    git_dir: PathBuf,
    path: PathBuf,
    /// Removed (with whatever is left in it) when the checkout is dropped.
    _root: TempDir,
}

/// `git` aimed at this repository, whatever GIT_* variables a hook set.
fn git(git_dir: &Path) -> Command {
    let mut c = Command::new("git");
    for var in ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX"] {
        c.env_remove(var);
    }
    c.arg("--git-dir").arg(git_dir).stdin(Stdio::null());
    c
}

impl Checkout {
    /// Checks `commit` out into a new temporary directory.
    pub fn create(repo: &Repository, commit: Oid) -> Result<Checkout> {
        let root = tempfile::Builder::new()
            .prefix("git-ledger-verify-")
            .tempdir()
            .context("cannot create a temporary directory for the checkout")?;
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
            for var in ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX"] {
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
