//! `git ledger next`: the ledger rule as a queue — fix drift, re-verify
//! pending steps, continue work in progress, then start the next step.

use super::{AtArg, Ctx, view};
use crate::drift::{Live, assess};
use crate::error::Outcome;
use crate::ledger::{Status, StepState};
use crate::output;
use anyhow::Result;
use clap::Args;
use serde_json::json;

#[derive(Args)]
pub struct NextArgs {
    #[command(flatten)]
    pub at: AtArg,
}

struct Item<'s> {
    step: &'s StepState,
    live: Live,
    action: &'static str,
    command: String,
}

pub fn run(ctx: &Ctx, a: NextArgs) -> Result<Outcome> {
    let repo = ctx.repo()?;
    let at = ctx.at_commit(&repo, &a.at)?;
    let loaded = ctx.load_from(&repo, Some(at.id()))?;
    let steps = loaded.state.active_steps();
    let lives = assess(&repo, &loaded.sight, &steps)?;
    let queue = build_queue(&steps, lives);

    if ctx.json {
        let items: Vec<_> = queue
            .iter()
            .map(|i| {
                let mut v = view::step_json(i.step, &i.live);
                v["action"] = i.action.into();
                v["command"] = i.command.clone().into();
                v
            })
            .collect();
        output::emit(&output::json(
            &json!({ "recommended": items.first(), "queue": items }),
        ));
        return Ok(Outcome::Ok);
    }
    let p = ctx.paint(&repo);
    let Some(first) = queue.first() else {
        let msg = if steps.is_empty() {
            "Nothing queued: no steps yet. Define one with git ledger add S01 \"Title\"."
        } else {
            "Nothing to do: every step is verified."
        };
        output::say(msg);
        return Ok(Outcome::Ok);
    };
    let mut out = format!(
        "{} {}\n  {}\n",
        p.bold("Next:"),
        sentence(first),
        first.command
    );
    if queue.len() > 1 {
        out.push_str(&format!("\n{}\n", p.bold("Queue:")));
        let rows: Vec<Vec<String>> = queue
            .iter()
            .enumerate()
            .map(|(n, i)| {
                vec![
                    format!("  {}.", n + 1),
                    i.step.id.clone(),
                    p.status(i.live.effective, i.live.effective.as_str()),
                    i.action.to_string(),
                    i.step.def.title.clone(),
                ]
            })
            .collect();
        out.push_str(&output::table(&rows));
    }
    output::emit(&out);
    Ok(Outcome::Ok)
}

fn build_queue<'s>(steps: &[&'s StepState], lives: Vec<Live>) -> Vec<Item<'s>> {
    let mut queue: Vec<Item<'s>> = Vec::new();
    let ordered = [
        (Status::DriftDetected, "fix"),
        (Status::CompletedPendingVerification, "re-verify"),
        (Status::InProgress, "continue"),
        (Status::NotStarted, "start"),
    ];
    for (status, action) in ordered {
        for (s, l) in steps.iter().zip(&lives) {
            if l.effective != status {
                continue;
            }
            let command = match status {
                Status::DriftDetected if s.def.checks.is_empty() => format!(
                    "git ledger show {0}   # see what changed and fix it; then: git ledger mark {0} verified",
                    s.id
                ),
                Status::DriftDetected => format!(
                    "git ledger show {0}   # see what changed and fix it; then: git ledger verify {0}",
                    s.id
                ),
                Status::CompletedPendingVerification if s.def.checks.is_empty() => format!(
                    "git ledger mark {0} verified   # after re-checking it (git ledger edit {0} --check … lets verify do it)",
                    s.id
                ),
                Status::CompletedPendingVerification => format!("git ledger verify {}", s.id),
                Status::InProgress => format!(
                    "git ledger start {}   # or commit with the trailer Ledger-Step: {}",
                    s.id, s.id
                ),
                _ => format!("git ledger mark {} in_progress", s.id),
            };
            queue.push(Item {
                step: s,
                live: l.clone(),
                action,
                command,
            });
            if status == Status::NotStarted {
                return queue; // only the first step not started
            }
        }
    }
    queue
}

fn sentence(i: &Item<'_>) -> String {
    let s = i.step;
    match i.action {
        "fix" => {
            let files = if i.live.files.is_empty() {
                String::new()
            } else {
                format!(" ({} changed)", i.live.files.join(", "))
            };
            format!(
                "fix drift in {} \"{}\"{files} before any new work, then re-verify it.",
                s.id,
                crate::sanitize::one_line(&s.def.title)
            )
        }
        "re-verify" => format!(
            "re-verify {} \"{}\": it is complete but not yet verified.",
            s.id,
            crate::sanitize::one_line(&s.def.title)
        ),
        "continue" => format!(
            "continue {} \"{}\", in progress.",
            s.id,
            crate::sanitize::one_line(&s.def.title)
        ),
        _ => format!(
            "start {} \"{}\".",
            s.id,
            crate::sanitize::one_line(&s.def.title)
        ),
    }
}
