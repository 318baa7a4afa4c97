//! Installing, removing and inspecting the shims (SPEC 5).
//!
//! The shims go where git looks: `core.hooksPath` when set, else the
//! common git dir's `hooks/`, which every linked worktree shares. A hook
//! that is not ours is renamed to `<name>.ledger-chained` and run by our
//! shim first; uninstalling renames it back, so it returns byte for byte.

use super::managers::{self, Manager};
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
    /// The work tree's root, where hook managers keep their configuration.
    pub root: Option<PathBuf>,
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
            root: repo.workdir().map(Path::to_path_buf),
        });
    }
    Ok(HooksDir {
        path: crate::git::repo::common_dir(repo).join("hooks"),
        from_config: false,
        root: repo.workdir().map(Path::to_path_buf),
    })
}

/// One hook's state, for `hooks status` and the install report.
#[derive(Debug, Clone, Serialize)]
pub struct HookState {
    pub name: String,
    pub path: String,
    /// `installed`, `outdated` (ours, another version), `missing`, `foreign`
    /// (someone else's hook, ours not installed), `not_executable`,
    /// `managed` (a hook manager runs git-ledger for it), `not_in_manager`
    /// (a hook manager's hook whose configuration does not call git-ledger).
    pub state: &'static str,
    /// A previous hook our shim runs first.
    pub chained: Option<String>,
    /// `pre-commit`, `husky` or `lefthook` when one of them owns the hook.
    pub manager: Option<&'static str>,
    /// What to do when the hook does not run git-ledger.
    pub fix: Option<String>,
}

impl HookState {
    /// Whether git-ledger runs for this hook.
    pub fn runs_ledger(&self) -> bool {
        matches!(self.state, "installed" | "managed")
    }
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
    let husky = managers::husky_scripts(&dir.path);
    HOOKS
        .iter()
        .map(|name| {
            let path = dir.path.join(name);
            let chained = chained_path(&path);
            let mut manager = None;
            let mut fix = None;
            let state = match (&husky, fs::read(&path)) {
                (Some(scripts), _) => {
                    manager = Some(Manager::Husky);
                    if managers::has_husky_block(&scripts.join(name)) {
                        "managed"
                    } else {
                        fix = Some("git ledger hooks install".into());
                        "missing"
                    }
                }
                (None, Err(_)) if !exists(&path) => "missing",
                (None, Err(_)) => "foreign",
                (None, Ok(c)) if is_ours(&c) => match () {
                    _ if c != shim(name).as_bytes() => "outdated",
                    _ if !is_executable(&path) => "not_executable",
                    _ => "installed",
                },
                (None, Ok(c)) => match managers::generated_by(&c) {
                    Some(m) => {
                        manager = Some(m);
                        let root = dir.root.as_deref().unwrap_or(&dir.path);
                        if managers::config_calls_ledger(m, root, name) {
                            "managed"
                        } else {
                            let mut how = managers::how_to_add(m, name);
                            let old = path.with_extension("old");
                            if fs::read(&old).is_ok_and(|o| is_ours(&o)) {
                                how = format!(
                                    "{} moved git-ledger's hook aside to {}; {how}",
                                    m.name(),
                                    old.display()
                                );
                            }
                            fix = Some(how);
                            "not_in_manager"
                        }
                    }
                    None => "foreign",
                },
            };
            HookState {
                name: name.to_string(),
                path: match &husky {
                    Some(scripts) => scripts.join(name).display().to_string(),
                    None => path.display().to_string(),
                },
                state,
                chained: exists(&chained).then(|| chained.display().to_string()),
                manager: manager.map(Manager::name),
                fix,
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
    if let Some(scripts) = managers::husky_scripts(&dir.path) {
        for name in HOOKS {
            let script = scripts.join(name);
            if managers::add_husky_block(&script, name)
                .with_context(|| format!("cannot write {}", script.display()))?
            {
                changes.push(format!(
                    "added git-ledger's {name} hook to {} (husky runs it)",
                    script.display()
                ));
            }
        }
        super::flags::refresh(repo);
        return Ok((dir, changes));
    }
    let root = dir.root.clone().unwrap_or_else(|| dir.path.clone());
    for name in HOOKS {
        if let Some(c) = install_one(&dir.path, &root, name)? {
            changes.push(c);
        }
    }
    super::flags::refresh(repo);
    Ok((dir, changes))
}

fn install_one(dir: &Path, root: &Path, name: &str) -> Result<Option<String>> {
    let path = dir.join(name);
    let chained = chained_path(&path);
    let wanted = shim(name);
    let mut what = format!("installed the {name} hook");
    if exists(&path) {
        let current = fs::read(&path).unwrap_or_default();
        // A manager regenerates its hooks: a shim put there would be
        // renamed or overwritten. Its own configuration must call us.
        if let Some(m) = managers::generated_by(&current)
            .filter(|m| matches!(m, Manager::PreCommit | Manager::Lefthook))
        {
            if !managers::config_calls_ledger(m, root, name) {
                crate::output::warn(&format!(
                    "{name} is {}'s hook, which does not call git-ledger: {}",
                    m.name(),
                    managers::how_to_add(m, name)
                ));
            }
            return Ok(None);
        }
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
    if let Some(scripts) = managers::husky_scripts(&dir.path) {
        let mut changes = Vec::new();
        for name in HOOKS {
            let script = scripts.join(name);
            if managers::remove_husky_block(&script)
                .with_context(|| format!("cannot write {}", script.display()))?
            {
                changes.push(format!(
                    "removed git-ledger's {name} hook from {}",
                    script.display()
                ));
            }
        }
        return Ok((dir, changes));
    }
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
