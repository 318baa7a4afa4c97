//! `git ledger start ID` / `stop`: the current step (`ledger.current` in
//! this clone's config). While set, `prepare-commit-msg` adds
//! `Ledger-Step: ID` to each commit message.

use super::{Ctx, find_step};
use crate::error::Outcome;
use crate::git::repo::config_str;
use crate::output;
use anyhow::{Context, Result};
use clap::Args;
use git2::{ConfigLevel, ErrorCode};
use serde_json::json;

#[derive(Args)]
pub struct StartArgs {
    /// The step the next commits work on
    pub id: String,
}

fn local_config(repo: &git2::Repository) -> Result<git2::Config> {
    repo.config()?
        .open_level(ConfigLevel::Local)
        .context("cannot open the repository's config")
}

pub fn start(ctx: &Ctx, a: StartArgs) -> Result<Outcome> {
    let repo = ctx.repo()?;
    let loaded = ctx.load(&repo)?;
    let step = find_step(&loaded.state, &a.id)?;
    let before = config_str(&repo, "ledger.current");
    local_config(&repo)?.set_str("ledger.current", &step.id)?;
    crate::hooks::flags::refresh(&repo);
    if ctx.json {
        output::emit(&output::json(&json!({ "current": step.id, "was": before })));
    } else {
        output::say(&format!(
            "current step: {} \"{}\"; commits get the trailer 'Ledger-Step: {}' (git ledger stop ends it)",
            step.id,
            crate::sanitize::one_line(&step.def.title),
            step.id
        ));
    }
    Ok(Outcome::Ok)
}

pub fn stop(ctx: &Ctx) -> Result<Outcome> {
    let repo = ctx.repo()?;
    let before = config_str(&repo, "ledger.current");
    match local_config(&repo)?.remove("ledger.current") {
        Ok(()) => {}
        Err(e) if e.code() == ErrorCode::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    crate::hooks::flags::refresh(&repo);
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
