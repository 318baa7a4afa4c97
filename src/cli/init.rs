//! `git ledger init`: the configuration that makes plain git show, carry
//! and merge the ledger's notes. Idempotent; says what it changed.

use super::Ctx;
use crate::error::Outcome;
use crate::git::repo::{NOTES_REF, config_values};
use crate::output;
use anyhow::{Context, Result};
use clap::Args;
use git2::{ConfigLevel, Repository};

#[derive(Args)]
pub struct InitArgs {
    /// Also make plain `git fetch <remote>` bring the remote's ledger
    #[arg(long, value_name = "remote")]
    pub remote: Option<String>,
    /// Do not install the git hooks
    #[arg(long)]
    pub no_hooks: bool,
}

pub fn run(ctx: &Ctx, args: InitArgs) -> Result<Outcome> {
    let repo = ctx.repo()?;
    crate::git::repo::head_commit(&repo)?;
    let remote = args
        .remote
        .map(|r| crate::sync::remote_named(&repo, &r))
        .transpose()?;
    let mut changed = configure(&repo)?;
    if let Some(r) = &remote {
        changed.extend(crate::sync::track_remote_ledger(&repo, r)?);
    }
    let hooks = match args.no_hooks {
        true => Vec::new(),
        false => {
            let (dir, hooks) = crate::hooks::install::install(&repo)?;
            super::hooks::warn_shared(&dir);
            hooks
        }
    };
    if ctx.json {
        output::emit(&output::json(
            &serde_json::json!({ "changed": changed, "hooks": hooks }),
        ));
    } else if changed.is_empty() && hooks.is_empty() {
        output::say("git-ledger is already set up in this clone: nothing changed");
    } else {
        for c in &changed {
            output::say(&format!("set {c}"));
        }
        for h in &hooks {
            output::say(h);
        }
    }
    Ok(Outcome::Ok)
}

/// Applies the notes configuration; returns a line per change.
pub fn configure(repo: &Repository) -> Result<Vec<String>> {
    // Read through every level (a global setting counts), write the local one.
    let all = repo.config()?;
    let mut cfg = all
        .open_level(ConfigLevel::Local)
        .context("cannot open the repository's config")?;
    let mut changed = Vec::new();
    for (key, why) in [
        ("notes.displayRef", "git log shows ledger notes"),
        (
            "notes.rewriteRef",
            "amend and rebase carry ledger notes to the new commits",
        ),
    ] {
        if !config_values(repo, key)?.iter().any(|v| v == NOTES_REF) {
            // A regex that matches no existing value appends a new one.
            cfg.set_multivar(key, "^$", NOTES_REF)?;
            changed.push(format!("{key} += {NOTES_REF}  ({why})"));
        }
    }
    let strategy = "notes.ledger.mergeStrategy";
    if all.get_string(strategy).ok().as_deref() != Some("cat_sort_uniq") {
        cfg.set_str(strategy, "cat_sort_uniq")?;
        changed.push(format!(
            "{strategy} = cat_sort_uniq  (git notes merge keeps every line of both sides)"
        ));
    }
    Ok(changed)
}
