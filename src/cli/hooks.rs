//! `git ledger hooks install|uninstall|status`.

use super::Ctx;
use crate::error::Outcome;
use crate::hooks::install::{self, HooksDir};
use crate::output;
use anyhow::Result;
use clap::{Args, Subcommand};
use serde_json::json;

#[derive(Args)]
pub struct HooksArgs {
    #[command(subcommand)]
    pub action: HooksAction,
}

#[derive(Subcommand)]
pub enum HooksAction {
    /// Install the shims (existing hooks keep running first); idempotent
    Install,
    /// Remove the shims and put back the hooks they chained
    Uninstall,
    /// Which hooks are installed, and where
    Status,
}

pub fn run(ctx: &Ctx, a: HooksArgs) -> Result<Outcome> {
    let repo = ctx.repo()?;
    match a.action {
        HooksAction::Install => {
            let (dir, changed) = install::install(&repo)?;
            warn_shared(&dir);
            report(
                ctx,
                &dir,
                &changed,
                "git-ledger's hooks are already installed",
            );
        }
        HooksAction::Uninstall => {
            let (dir, changed) = install::uninstall(&repo)?;
            report(ctx, &dir, &changed, "no git-ledger hook is installed");
        }
        HooksAction::Status => {
            let dir = install::hooks_dir(&repo)?;
            let hooks = install::status(&dir);
            if ctx.json {
                output::emit(&output::json(&json!({
                    "dir": dir.path.display().to_string(),
                    "core_hooks_path": dir.from_config,
                    "installed": hooks.iter().all(|h| h.runs_ledger()),
                    "hooks": hooks,
                })));
                return Ok(Outcome::Ok);
            }
            let mut rows = vec![vec!["HOOK".to_string(), "STATE".into(), "CHAINED".into()]];
            for h in &hooks {
                let state = match h.manager {
                    Some(m) if h.state == "managed" => format!("run by {m}"),
                    Some(m) if h.state == "not_in_manager" => format!("{m}'s, without git-ledger"),
                    _ => h.state.replace('_', " "),
                };
                rows.push(vec![
                    h.name.clone(),
                    state,
                    h.chained.clone().unwrap_or_else(|| "-".into()),
                ]);
            }
            let via = if dir.from_config {
                " (core.hooksPath)"
            } else {
                ""
            };
            output::emit(&format!("hooks directory: {}{via}\n", dir.path.display()));
            output::emit(&output::table(&rows));
            for h in hooks.iter().filter(|h| h.state == "not_in_manager") {
                if let Some(fix) = &h.fix {
                    output::say(&format!("{}: {fix}", h.name));
                }
            }
            if hooks
                .iter()
                .any(|h| !h.runs_ledger() && h.state != "not_in_manager")
            {
                output::say("install or update them with: git ledger hooks install");
            }
        }
    }
    Ok(Outcome::Ok)
}

/// `core.hooksPath` may be shared by many repositories (a team-wide hooks dir).
pub fn warn_shared(dir: &HooksDir) {
    // husky's .husky/_ is this project's own: git-ledger writes into the
    // project's .husky scripts, which nobody else runs.
    let husky = crate::hooks::managers::husky_scripts(&dir.path).is_some();
    if dir.from_config && !husky {
        output::warn(&format!(
            "core.hooksPath is set, so the hooks are in {}; other repositories using that directory run them too",
            dir.path.display()
        ));
    }
}

fn report(ctx: &Ctx, dir: &HooksDir, changed: &[String], nothing: &str) {
    if ctx.json {
        output::emit(&output::json(&json!({
            "dir": dir.path.display().to_string(),
            "core_hooks_path": dir.from_config,
            "changed": changed,
        })));
    } else if changed.is_empty() {
        output::say(&format!(
            "{nothing} in {}: nothing changed",
            dir.path.display()
        ));
    } else {
        output::say(&format!("hooks directory: {}", dir.path.display()));
        for c in changed {
            output::say(c);
        }
    }
}
