//! `git ledger owners PATH…`: which steps own these paths.

use super::{AtArg, Ctx};
use crate::drift::{assess, owns_of};
use crate::error::{Outcome, user_hint};
use crate::output;
use anyhow::Result;
use clap::Args;
use git2::Repository;
use serde_json::json;
use std::path::{Component, Path, PathBuf};

#[derive(Args)]
pub struct OwnersArgs {
    /// Paths, relative to the current directory
    #[arg(required = true, value_name = "path")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub at: AtArg,
}

pub fn run(ctx: &Ctx, a: OwnersArgs) -> Result<Outcome> {
    let repo = ctx.repo()?;
    let at = ctx.at_commit(&repo, &a.at)?;
    let loaded = ctx.load_from(&repo, Some(at.id()))?;
    let steps = loaded.state.active_steps();
    let lives = assess(&repo, &loaded.sight, &steps)?;
    let matchers: Vec<_> = steps.iter().map(|s| owns_of(s)).collect();
    let base = ctx.dir.clone().map_or_else(std::env::current_dir, Ok)?;
    let mut results = Vec::new();
    for p in &a.paths {
        let rel = repo_relative(&repo, &base, p)?;
        let is_dir = repo.workdir().is_some_and(|w| w.join(&rel).is_dir());
        let owners: Vec<usize> = (0..steps.len())
            .filter(|&i| matchers[i].matches(&rel, is_dir))
            .collect();
        results.push((rel, owners));
    }
    if ctx.json {
        let list: Vec<_> = results
            .iter()
            .map(|(path, owners)| {
                json!({
                    "path": path,
                    "steps": owners.iter().map(|&i| json!({
                        "id": steps[i].id, "title": steps[i].def.title, "status": lives[i].effective.as_str(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        output::emit(&output::json(&list));
        return Ok(Outcome::Ok);
    }
    let p = ctx.paint(&repo);
    let mut out = String::new();
    for (path, owners) in &results {
        if owners.is_empty() {
            out.push_str(&format!("{path}: no step owns it\n"));
            continue;
        }
        out.push_str(&format!("{path}:\n"));
        let rows: Vec<Vec<String>> = owners
            .iter()
            .map(|&i| {
                vec![
                    format!("  {}", steps[i].id),
                    p.status(lives[i].effective, lives[i].effective.as_str()),
                    steps[i].def.title.clone(),
                ]
            })
            .collect();
        out.push_str(&output::table(&rows));
    }
    output::emit(&out);
    Ok(Outcome::Ok)
}

/// `path` as written by the user (relative to `base`), relative to the
/// repository root, with `.` and `..` resolved.
pub(super) fn repo_relative(repo: &Repository, base: &Path, path: &Path) -> Result<String> {
    let Some(workdir) = repo.workdir() else {
        return Ok(path.to_string_lossy().trim_start_matches("./").to_string());
    };
    let workdir = workdir
        .canonicalize()
        .unwrap_or_else(|_| workdir.to_path_buf());
    let base = base.canonicalize().unwrap_or_else(|_| base.to_path_buf());
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    };
    let mut norm = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                norm.pop();
            }
            Component::CurDir => {}
            other => norm.push(other),
        }
    }
    let rel = norm.strip_prefix(&workdir).map_err(|_| {
        user_hint(
            format!("'{}' is outside the repository", path.display()),
            format!("give paths inside {}", workdir.display()),
        )
    })?;
    Ok(rel.to_string_lossy().replace('\\', "/"))
}
