//! Installing, removing and inspecting the shims (SPEC 5).
//!
//! The shims go where git looks: `core.hooksPath` when set, else the
//! common git dir's `hooks/`, which every linked worktree shares. A hook
//! that is not ours is renamed to `<name>.ledger-chained` and run by our
//! shim first; uninstalling renames it back, so it returns byte for byte.

use super::shim::{CHAINED_SUFFIX, HOOKS, is_ours, shim};
use crate::error::user_hint;
use anyhow::{Context, Result};
use git2::Repository;
use serde::Serialize;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The directory git runs hooks from, and whether `core.hooksPath` chose it.
pub struct HooksDir {
    pub path: PathBuf,
    pub from_config: bool,
}

pub fn hooks_dir(repo: &Repository) -> Result<HooksDir> {
    if let Some(configured) = crate::git::repo::config_str(repo, "core.hooksPath") {
        let expanded = match configured.strip_prefix("~/") {
            Some(rest) => std::env::var_os("HOME")
                .map(|h| PathBuf::from(h).join(rest))
                .unwrap_or_else(|| PathBuf::from(&configured)),
            None => PathBuf::from(&configured),
        };
        // Relative to where hooks run: the work tree's root (the git dir when bare).
        let path = if expanded.is_absolute() {
            expanded
        } else {
            repo.workdir().unwrap_or_else(|| repo.path()).join(expanded)
        };
        return Ok(HooksDir {
            path,
            from_config: true,
        });
    }
    Ok(HooksDir {
        path: crate::git::repo::common_dir(repo).join("hooks"),
        from_config: false,
    })
}

/// One hook's state, for `hooks status` and the install report.
#[derive(Debug, Clone, Serialize)]
pub struct HookState {
    pub name: String,
    pub path: String,
    /// `installed`, `outdated` (ours, another version), `missing`, `foreign`
    /// (someone else's hook, ours not installed), `not_executable`.
    pub state: &'static str,
    /// A previous hook our shim runs first.
    pub chained: Option<String>,
}

fn chained_path(hook: &Path) -> PathBuf {
    let mut p = hook.as_os_str().to_owned();
    p.push(CHAINED_SUFFIX);
    PathBuf::from(p)
}

fn exists(p: &Path) -> bool {
    p.symlink_metadata().is_ok()
}

fn is_executable(p: &Path) -> bool {
    fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

pub fn status(dir: &HooksDir) -> Vec<HookState> {
    HOOKS
        .iter()
        .map(|name| {
            let path = dir.path.join(name);
            let chained = chained_path(&path);
            let state = match fs::read(&path) {
                Err(_) if !exists(&path) => "missing",
                Err(_) => "foreign",
                Ok(c) if !is_ours(&c) => "foreign",
                Ok(c) if c != shim(name).as_bytes() => "outdated",
                Ok(_) if !is_executable(&path) => "not_executable",
                Ok(_) => "installed",
            };
            HookState {
                name: name.to_string(),
                path: path.display().to_string(),
                state,
                chained: exists(&chained).then(|| chained.display().to_string()),
            }
        })
        .collect()
}

/// Installs every shim; returns one line per change (none: already installed).
pub fn install(repo: &Repository) -> Result<(HooksDir, Vec<String>)> {
    let dir = hooks_dir(repo)?;
    fs::create_dir_all(&dir.path).map_err(|e| {
        user_hint(
            format!(
                "cannot create the hooks directory {}: {e}",
                dir.path.display()
            ),
            "check its permissions, or point core.hooksPath elsewhere",
        )
    })?;
    let mut changes = Vec::new();
    for name in HOOKS {
        if let Some(c) = install_one(&dir.path, name)? {
            changes.push(c);
        }
    }
    super::flags::refresh(repo);
    Ok((dir, changes))
}

fn install_one(dir: &Path, name: &str) -> Result<Option<String>> {
    let path = dir.join(name);
    let chained = chained_path(&path);
    let wanted = shim(name);
    let mut what = format!("installed the {name} hook");
    if exists(&path) {
        let current = fs::read(&path).unwrap_or_default();
        if is_ours(&current) {
            if current == wanted.as_bytes() && is_executable(&path) {
                return Ok(None);
            }
            what = format!("updated the {name} hook");
        } else if exists(&chained) {
            crate::output::warn(&format!(
                "{name}: {} is not git-ledger's and {} already exists; left both alone (move one away, then run git ledger hooks install again)",
                path.display(),
                chained.display()
            ));
            return Ok(None);
        } else {
            fs::rename(&path, &chained)
                .with_context(|| format!("cannot move {} aside", path.display()))?;
            what = format!(
                "installed the {name} hook; the previous one still runs first (kept as {})",
                chained.display()
            );
        }
    }
    write_executable(&path, &wanted)?;
    Ok(Some(what))
}

/// Writes aside and renames, so git never runs half a script.
fn write_executable(path: &Path, content: &str) -> Result<()> {
    let tmp = path.with_extension(format!("git-ledger-{}.tmp", std::process::id()));
    fs::write(&tmp, content).with_context(|| format!("cannot write {}", tmp.display()))?;
    fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755))?;
    fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Removes our shims and puts chained hooks back; one line per change.
pub fn uninstall(repo: &Repository) -> Result<(HooksDir, Vec<String>)> {
    let dir = hooks_dir(repo)?;
    // Shims inside the work tree (core.hooksPath=hooks, say) are project files.
    if let Some(root) = repo.workdir()
        && dir.from_config
        && dir.path.starts_with(root)
    {
        return Err(user_hint(
            format!(
                "core.hooksPath points into the work tree ({}): its hooks are project files, not removed",
                dir.path.display()
            ),
            "to stop using them in this clone: git config --unset core.hooksPath",
        ));
    }
    let mut changes = Vec::new();
    for name in HOOKS {
        let path = dir.path.join(name);
        let chained = chained_path(&path);
        let ours = fs::read(&path).is_ok_and(|c| is_ours(&c));
        if ours {
            fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        }
        if exists(&chained) {
            if exists(&path) {
                crate::output::warn(&format!(
                    "{name}: {} was replaced by another tool; the hook git-ledger chained is left at {}",
                    path.display(),
                    chained.display()
                ));
            } else {
                fs::rename(&chained, &path)
                    .with_context(|| format!("cannot restore {}", path.display()))?;
                changes.push(format!(
                    "removed the {name} hook; restored the previous one"
                ));
                continue;
            }
        }
        if ours {
            changes.push(format!("removed the {name} hook"));
        }
    }
    Ok((dir, changes))
}
