//! `git ledger trust ID…`: shows the steps' check commands and allows this
//! clone to run them (SPEC 8). Trust is kept in the common git dir, keyed
//! by each command's SHA-256, and never travels with the ledger.

use super::{Ctx, find_step};
use crate::error::Outcome;
use crate::output;
use crate::trust::{self, Trust, command_hash};
use anyhow::Result;
use clap::Args;
use serde_json::json;

#[derive(Args)]
pub struct TrustArgs {
    /// Steps whose check commands to allow
    #[arg(required = true)]
    pub ids: Vec<String>,
}

pub fn run(ctx: &Ctx, a: TrustArgs) -> Result<Outcome> {
    let repo = ctx.repo()?;
    let loaded = ctx.load(&repo)?;
    // Every id is checked before anything is trusted.
    let steps = a
        .ids
        .iter()
        .map(|id| find_step(&loaded.state, id))
        .collect::<Result<Vec<_>>>()?;
    let before = Trust::load(&repo)?;
    let all: Vec<String> = steps
        .iter()
        .flat_map(|s| s.def.checks.iter().cloned())
        .collect();
    // The commands are shown first and recorded after: what is trusted is
    // what was on the screen.
    show(ctx, &repo, &steps, &before);
    trust::allow(&repo, &all)?;
    Ok(Outcome::Ok)
}

fn show(ctx: &Ctx, repo: &git2::Repository, steps: &[&crate::ledger::StepState], before: &Trust) {
    if ctx.json {
        let list: Vec<_> = steps
            .iter()
            .map(|s| {
                let checks: Vec<_> = s
                    .def
                    .checks
                    .iter()
                    .map(|c| {
                        json!({
                            "cmd": c, "sha256": command_hash(c), "newly_trusted": !before.trusts(c),
                        })
                    })
                    .collect();
                json!({ "id": s.id, "checks": checks })
            })
            .collect();
        output::emit(&output::json(&json!({ "steps": list })));
        return;
    }
    let p = ctx.paint(repo);
    let mut out = String::new();
    for s in steps {
        out.push_str(&format!(
            "{}  {}\n",
            p.bold(&trust::shown(&s.id)),
            trust::shown(&s.def.title)
        ));
        if s.def.checks.is_empty() {
            out.push_str(&format!(
                "  (no checks; add one with: git ledger edit {} --check '<command>')\n",
                s.id
            ));
        }
        let rows: Vec<Vec<String>> = s
            .def
            .checks
            .iter()
            .map(|c| {
                let state = if before.trusts(c) {
                    p.dim("already trusted")
                } else {
                    "trusted now".to_string()
                };
                vec![format!("  {state}"), trust::shown(c)]
            })
            .collect();
        out.push_str(&output::table(&rows));
    }
    output::emit(&out);
}
