//! `git ledger start ID` / `stop`: this worktree's current step, kept in
//! a file in the worktree's own git dir (`git-ledger/current`), so that
//! two worktrees of one clone can work on two steps. While set,
//! `prepare-commit-msg` adds `Ledger-Step: ID` to each commit message.

use super::{Ctx, find_step};
use crate::error::Outcome;
use crate::hooks::flags;
use crate::output;
use anyhow::{Context, Result};
use clap::Args;
use git2::{ConfigLevel, ErrorCode, Repository};
use serde_json::json;

#[derive(Args)]
pub struct StartArgs {
    /// The step the next commits work on
    pub id: String,
}

/// Removes `ledger.current` from the clone's config, where versions before
/// per-worktree current steps kept it; true when there was one.
fn clear_shared(repo: &Repository) -> Result<bool> {
    let mut local = repo
        .config()?
        .open_level(ConfigLevel::Local)
        .context("cannot open the repository's config")?;
    match local.remove("ledger.current") {
        Ok(()) => Ok(true),
        Err(e) if e.code() == ErrorCode::NotFound => Ok(false),
        Err(e) => Err(e.into()),
    }
}

fn write_current(repo: &Repository, id: Option<&str>) -> Result<()> {
    let path = flags::current_file(repo);
    match id {
        Some(id) => {
            let dir = path.parent().context("no git dir")?;
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let tmp = dir.join(format!("current.{}.tmp", std::process::id()));
            std::fs::write(&tmp, format!("{id}\n"))
                .and_then(|_| std::fs::rename(&tmp, &path))
                .with_context(|| format!("cannot write {}", path.display()))
        }
        None => match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(e).with_context(|| format!("cannot remove {}", path.display()))
            }
            _ => Ok(()),
        },
    }
}

pub fn start(ctx: &Ctx, a: StartArgs) -> Result<Outcome> {
    let repo = ctx.repo()?;
    let loaded = ctx.load(&repo)?;
    let step = find_step(&loaded.state, &a.id)?;
    let before = flags::current(&repo);
    write_current(&repo, Some(&step.id))?;
    clear_shared(&repo)?;
    flags::refresh(&repo);
    if ctx.json {
        output::emit(&output::json(&json!({ "current": step.id, "was": before })));
    } else {
        output::say(&format!(
            "current step in this worktree: {} \"{}\"; commits get the trailer 'Ledger-Step: {}' (git ledger stop ends it)",
            step.id,
            crate::sanitize::one_line(&step.def.title),
            step.id
        ));
    }
    Ok(Outcome::Ok)
}

pub fn stop(ctx: &Ctx) -> Result<Outcome> {
    let repo = ctx.repo()?;
    let before = flags::current(&repo);
    write_current(&repo, None)?;
    clear_shared(&repo)?;
    flags::refresh(&repo);
    if ctx.json {
        output::emit(&output::json(&json!({ "current": null, "was": before })));
    } else {
        match before {
            Some(id) => output::say(&format!("no current step (was {id})")),
            None => output::say("no current step: nothing to stop"),
        }
    }
    Ok(Outcome::Ok)
}
