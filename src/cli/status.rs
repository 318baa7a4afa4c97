//! `git ledger status`: the table in definition order, live drift, and a
//! progress footer per phase.

use super::{AtArg, Ctx, collision, view};
use crate::drift::{Live, assess};
use crate::error::Outcome;
use crate::ledger::{Status, StepState, time};
use crate::output::{self, Paint};
use anyhow::Result;
use clap::Args;
use serde_json::json;

#[derive(Args, Debug, PartialEq)]
pub struct StatusArgs {
    /// Only the steps of this phase
    #[arg(long, value_name = "phase")]
    pub phase: Option<String>,
    /// Only steps with these statuses, comma-separated or repeated
    /// (drift, pending, wip, todo, verified, or the full names)
    #[arg(long = "status", value_name = "status,…", value_delimiter = ',')]
    pub statuses: Vec<String>,
    /// Only the steps that own this path (relative to the current directory)
    #[arg(long, value_name = "path")]
    pub owner: Option<std::path::PathBuf>,
    /// Include retired steps
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub at: AtArg,
    /// Each step's status on each local branch, side by side
    #[arg(long, conflicts_with = "at")]
    pub branches: bool,
    /// With --branches: the remote-tracking branches too
    #[arg(long, requires = "branches")]
    pub remotes: bool,
}

/// A `--status` word: the five names and `mark`'s aliases, except that
/// `pending` means completed_pending_verification, as in `verify --pending`.
fn status_filter(word: &str) -> Result<Status> {
    let w = word.trim().to_ascii_lowercase();
    if w == "pending" {
        return Ok(Status::CompletedPendingVerification);
    }
    Status::parse(&w).ok_or_else(|| {
        crate::error::user_hint(
            format!("--status: '{word}' is not a status"),
            "give drift, pending, wip, todo, verified or full names, comma-separated: --status drift,pending",
        )
    })
}

pub fn run(ctx: &Ctx, a: StatusArgs) -> Result<Outcome> {
    if a.branches {
        return super::branches::run(ctx, a.remotes, a.all);
    }
    let repo = ctx.repo()?;
    let head = ctx.at_oid(&repo, &a.at)?;
    let loaded = ctx.load_from(&repo, Some(head))?;
    if loaded.tip.is_none() {
        crate::sync::discover::warn_if_unfetched(&repo);
    }
    let mut steps: Vec<&StepState> = if a.all {
        loaded.state.defined_steps()
    } else {
        loaded.state.active_steps()
    };
    if let Some(p) = &a.phase {
        steps.retain(|s| s.def.phase.as_deref() == Some(p.as_str()));
        if steps.is_empty() {
            let phases = phase_names(&loaded.state.active_steps());
            return Err(crate::error::user_hint(
                format!("no step in phase '{p}'"),
                if phases.is_empty() {
                    "no step has a phase yet (git ledger edit ID --phase P)".to_string()
                } else {
                    format!("phases: {}", phases.join(", "))
                },
            ));
        }
    }
    if let Some(path) = &a.owner {
        let base = ctx.dir.clone().map_or_else(std::env::current_dir, Ok)?;
        let rel = super::owners::repo_relative(&repo, &base, path)?;
        let is_dir = repo.workdir().is_some_and(|w| w.join(&rel).is_dir());
        steps.retain(|s| crate::drift::owns_of(s).matches(&rel, is_dir));
    }
    let mut lives = assess(&repo, &loaded.sight, &steps)?;
    if !a.statuses.is_empty() {
        let wanted: Vec<Status> = a
            .statuses
            .iter()
            .filter(|w| !w.trim().is_empty())
            .map(|w| status_filter(w))
            .collect::<Result<_>>()?;
        let keep: Vec<bool> = lives
            .iter()
            .map(|l| wanted.contains(&l.effective))
            .collect();
        let mut k = keep.iter();
        steps.retain(|_| *k.next().unwrap_or(&false));
        let mut k = keep.iter();
        lives.retain(|_| *k.next().unwrap_or(&false));
    }
    let filtered = a.owner.is_some() || !a.statuses.is_empty();
    let current = crate::hooks::flags::current(&repo);
    let phases = progress(&steps, &lives);
    if ctx.json {
        let rows: Vec<_> = steps
            .iter()
            .zip(&lives)
            .map(|(s, l)| {
                let mut v = view::step_json(s, l);
                v["current"] = (current.as_deref() == Some(s.id.as_str())).into();
                v
            })
            .collect();
        let verified = lives
            .iter()
            .filter(|l| l.effective == Status::Verified)
            .count();
        output::emit(&output::json(&json!({
            "head": head.to_string(),
            "collisions": loaded.state.collisions.iter().map(|c| collision::to_json(&repo, c)).collect::<Vec<_>>(),
            "steps": rows,
            "phases": phases.iter().map(|p| json!({"phase": p.name, "verified": p.verified, "total": p.total, "drift": p.drift})).collect::<Vec<_>>(),
            "total": {"verified": verified, "total": steps.len()},
            "current": current,
        })));
        return Ok(Outcome::Ok);
    }
    if steps.is_empty() && filtered {
        output::say("no step matches");
        return Ok(Outcome::Ok);
    }
    if steps.is_empty() {
        output::emit(
            "No steps yet. Define one:\n  git ledger add S01 \"Title\" --owns 'src/**' --check 'cargo test'\n",
        );
        return Ok(Outcome::Ok);
    }
    output::emit(&render(
        &ctx.paint(&repo),
        &steps,
        &lives,
        &phases,
        current.as_deref(),
    ));
    for c in &loaded.state.collisions {
        output::warn(&collision::describe(&repo, c));
        output::hint(&collision::hint(c));
    }
    // A large view, and the command ends here: freeing it piece by piece
    // is work the process exit does at once. The same for each step's
    // assessment and for the repository, whose object cache holds every
    // tree the fingerprints were read from (at 100,000 steps, freeing
    // these took a tenth of a cold status).
    std::mem::forget(lives);
    std::mem::forget(loaded);
    std::mem::forget(repo);
    Ok(Outcome::Ok)
}

/// The columns a narrow terminal cuts, in order.
const TITLE: usize = 2;
const EVIDENCE: usize = 4;

struct Phase {
    name: Option<String>,
    verified: usize,
    total: usize,
    drift: usize,
}

fn phase_names(steps: &[&StepState]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for s in steps {
        if let Some(p) = &s.def.phase
            && !names.contains(p)
        {
            names.push(p.clone());
        }
    }
    names
}

/// Phases in order of first appearance.
fn progress(steps: &[&StepState], lives: &[Live]) -> Vec<Phase> {
    let mut phases: Vec<Phase> = Vec::new();
    // Where each phase is in `phases`: a search of them per step is
    // quadratic in a ledger of thousands of phases.
    let mut place: std::collections::HashMap<Option<&str>, usize> =
        std::collections::HashMap::new();
    for (s, l) in steps.iter().zip(lives) {
        let i = *place.entry(s.def.phase.as_deref()).or_insert_with(|| {
            phases.push(Phase {
                name: s.def.phase.clone(),
                verified: 0,
                total: 0,
                drift: 0,
            });
            phases.len() - 1
        });
        let p = &mut phases[i];
        p.total += 1;
        p.verified += usize::from(l.effective == Status::Verified);
        p.drift += usize::from(l.effective == Status::DriftDetected);
    }
    phases
}

fn render(
    paint: &Paint,
    steps: &[&StepState],
    lives: &[Live],
    phases: &[Phase],
    current: Option<&str>,
) -> String {
    let now = time::now_unix();
    let mut rows = vec![
        ["ID", "STATUS", "TITLE", "SINCE", "EVIDENCE"]
            .map(|h| paint.bold(h))
            .to_vec(),
    ];
    for (s, l) in steps.iter().zip(lives) {
        let mut status = l.effective.as_str().to_string();
        if l.live_drift {
            status.push('*');
        }
        if s.retired {
            status = format!("{status} (retired)");
        }
        // The current step (`start`) is marked as git branch marks HEAD's.
        let id = match current {
            Some(c) if c == s.id => format!("{} {}", paint.bold("*"), s.id),
            Some(_) => format!("  {}", s.id),
            None => s.id.clone(),
        };
        rows.push(vec![
            id,
            paint.status(l.effective, &status),
            s.def.title.clone(),
            view::since_text(s.mark.as_deref(), now),
            view::evidence_text(s.evidence.as_deref(), l.evidence_stale, now),
        ]);
    }
    if current.is_some() {
        rows[0][0] = format!("  {}", rows[0][0]);
    }
    let mut out = output::table_fit(&rows, &[TITLE, EVIDENCE]);
    for (s, l) in steps.iter().zip(lives) {
        if l.live_drift {
            out.push_str(&paint.red(&format!("* {}", view::drift_text(s, l))));
            out.push('\n');
        }
    }
    out.push('\n');
    for p in phases {
        let name = p.name.as_deref().unwrap_or(if phases.len() > 1 {
            "(no phase)"
        } else {
            "Total"
        });
        let drift = if p.drift > 0 {
            format!(", {} drifted", p.drift)
        } else {
            String::new()
        };
        out.push_str(&format!(
            "{}: {}/{} verified{drift}\n",
            crate::sanitize::one_line(name),
            p.verified,
            p.total
        ));
    }
    if phases.len() > 1 {
        let v: usize = phases.iter().map(|p| p.verified).sum();
        out.push_str(&paint.bold(&format!("Total: {v}/{} verified", steps.len())));
        out.push('\n');
    }
    out
}
