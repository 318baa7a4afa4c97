//! `git ledger init`: the configuration that makes plain git show, carry
//! and merge the ledger's notes, the hooks, and in a clone the fetch of
//! the remote's ledger. Idempotent; says what it changed. `--undo` takes
//! back what it set.

use super::Ctx;
use crate::error::Outcome;
use crate::git::repo::{NOTES_REF, config_values};
use crate::log_view::VIEW_REF;
use crate::output;
use anyhow::{Context, Result};
use clap::Args;
use git2::{ConfigLevel, Repository};

#[derive(Args)]
pub struct InitArgs {
    /// The remote whose ledger plain `git fetch` brings too (default: the
    /// current branch's upstream remote, or origin, when there is one)
    #[arg(long, value_name = "remote")]
    pub remote: Option<String>,
    /// Do not install the git hooks
    #[arg(long)]
    pub no_hooks: bool,
    /// Do not fetch the remote's ledger now
    #[arg(long)]
    pub no_fetch: bool,
    /// Remove what init set in this clone: notes configuration, fetch
    /// refspecs, the hooks and the log view (the ledger itself stays)
    #[arg(long, visible_alias = "deinit", conflicts_with_all = ["remote", "no_hooks", "no_fetch"])]
    pub undo: bool,
}

pub fn run(ctx: &Ctx, args: InitArgs) -> Result<Outcome> {
    let repo = ctx.repo()?;
    if args.undo {
        return undo(ctx, &repo);
    }
    crate::git::repo::head_commit(&repo)?;
    let remote = match &args.remote {
        Some(r) => Some(crate::sync::remote_named(&repo, r)?),
        None => crate::sync::resolve_remote(&repo, None).ok(),
    };
    let mut changed = configure(&repo)?;
    let mut fetched = None;
    if let Some(r) = &remote {
        changed.extend(crate::sync::track_remote_ledger(&repo, r)?);
        if !args.no_fetch {
            match crate::sync::fetch_and_merge(&repo, r) {
                Ok(n) => fetched = Some(n),
                Err(e) => output::warn(&format!(
                    "could not fetch the ledger from {r} ({e:#}); git ledger sync {r} tries again"
                )),
            }
        }
    }
    crate::log_view::refresh(&repo);
    let hooks = match args.no_hooks {
        true => Vec::new(),
        false => {
            let (dir, hooks) = crate::hooks::install::install(&repo)?;
            super::hooks::warn_shared(&dir);
            hooks
        }
    };
    if ctx.json {
        output::emit(&output::json(&serde_json::json!({
            "changed": changed, "hooks": hooks, "remote": remote, "fetched": fetched,
        })));
        return Ok(Outcome::Ok);
    }
    if changed.is_empty() && hooks.is_empty() {
        output::say("git-ledger is already set up in this clone: nothing changed");
    }
    for c in &changed {
        output::say(&format!("set {c}"));
    }
    for h in &hooks {
        output::say(h);
    }
    if let (Some(r), Some(n)) = (&remote, fetched)
        && n > 0
    {
        output::say(&format!("fetched the ledger from {r}: {n} event(s)"));
    }
    Ok(Outcome::Ok)
}

fn local_config(repo: &Repository) -> Result<git2::Config> {
    repo.config()?
        .open_level(ConfigLevel::Local)
        .context("cannot open the repository's config")
}

/// `key` = `value` at the local level only (what init may have written).
fn local_has(cfg: &git2::Config, key: &str, value: &str) -> bool {
    let mut found = false;
    if let Ok(entries) = cfg.multivar(key, None) {
        let _ = entries.for_each(|e| found |= e.value() == Ok(value));
    }
    found
}

fn exact(value: &str) -> String {
    format!("^{}$", regex::escape(value))
}

/// Applies the notes configuration; returns a line per change.
pub fn configure(repo: &Repository) -> Result<Vec<String>> {
    // Read through every level (a global setting counts), write the local one.
    let all = repo.config()?;
    let mut cfg = local_config(repo)?;
    let mut changed = Vec::new();
    let wanted = [
        (
            "notes.displayRef",
            VIEW_REF,
            "git log shows a short line per ledger event",
        ),
        (
            "notes.rewriteRef",
            NOTES_REF,
            "amend and rebase carry ledger notes to the new commits",
        ),
        (
            "notes.rewriteRef",
            VIEW_REF,
            "and the lines git log shows for them",
        ),
    ];
    for (key, value, why) in wanted {
        if !config_values(repo, key)?.iter().any(|v| v == value) {
            // A regex that matches no existing value appends a new one.
            cfg.set_multivar(key, "^$", value)?;
            changed.push(format!("{key} += {value}  ({why})"));
        }
    }
    // Earlier versions showed the raw JSON events in every git log.
    if local_has(&cfg, "notes.displayRef", NOTES_REF) {
        cfg.remove_multivar("notes.displayRef", &exact(NOTES_REF))?;
        changed.push(format!(
            "notes.displayRef -= {NOTES_REF}  (raw JSON in git log; git log --notes=ledger shows it)"
        ));
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

/// `init --undo`: removes, from this clone's own config, every value init
/// writes; uninstalls the hooks; deletes the derived log view. The ledger
/// (`refs/notes/ledger`) and the trust file stay.
fn undo(ctx: &Ctx, repo: &Repository) -> Result<Outcome> {
    let mut cfg = local_config(repo)?;
    let mut changed = Vec::new();
    for (key, value) in [
        ("notes.displayRef", VIEW_REF),
        ("notes.displayRef", NOTES_REF),
        ("notes.rewriteRef", NOTES_REF),
        ("notes.rewriteRef", VIEW_REF),
    ] {
        if local_has(&cfg, key, value) {
            cfg.remove_multivar(key, &exact(value))?;
            changed.push(format!("unset {key} {value}"));
        }
    }
    if cfg.get_string("notes.ledger.mergeStrategy").ok().as_deref() == Some("cat_sort_uniq") {
        cfg.remove("notes.ledger.mergeStrategy")?;
        changed.push("unset notes.ledger.mergeStrategy".into());
    }
    let remotes: Vec<String> = repo
        .remotes()
        .map(|a| a.iter().flatten().flatten().map(str::to_string).collect())
        .unwrap_or_default();
    for r in remotes {
        let key = format!("remote.{r}.fetch");
        let refspec = format!("+refs/notes/ledger*:refs/notes/remotes/{r}/ledger*");
        if local_has(&cfg, &key, &refspec) {
            cfg.remove_multivar(&key, &exact(&refspec))?;
            changed.push(format!("unset {key} {refspec}"));
        }
    }
    if cfg.get_string("ledger.remote").is_ok() {
        cfg.remove("ledger.remote")?;
        changed.push("unset ledger.remote".into());
    }
    if let Ok(mut r) = repo.find_reference(VIEW_REF) {
        r.delete()?;
        changed.push(format!(
            "deleted {VIEW_REF} (the log view; derived, rebuilt by init)"
        ));
    }
    let hooks = match crate::hooks::install::uninstall(repo) {
        Ok((_, hooks)) => hooks,
        Err(e) => {
            output::warn(&format!("hooks left in place: {e:#}"));
            Vec::new()
        }
    };
    if ctx.json {
        output::emit(&output::json(
            &serde_json::json!({ "changed": changed, "hooks": hooks }),
        ));
    } else if changed.is_empty() && hooks.is_empty() {
        output::say("nothing to undo: init has not set anything in this clone");
    } else {
        for c in changed.iter().chain(&hooks) {
            output::say(c);
        }
        output::say(
            "the ledger itself (refs/notes/ledger) is kept: git notes --ref ledger list shows it",
        );
    }
    Ok(Outcome::Ok)
}
