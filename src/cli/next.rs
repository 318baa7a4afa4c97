//! `git ledger next`: the ledger rule as a queue — fix drift, re-verify
//! pending steps, continue work in progress, then start the next step.
//! Each item carries a command that runs as it is, a comment saying what
//! it is for, and the command to run once the step is fixed.

use super::{AtArg, Ctx, view};
use crate::drift::{Live, assess};
use crate::error::Outcome;
use crate::git::repo::short;
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
    /// A command line that runs as it is: no placeholder, no `# comment`.
    command: String,
    /// What the command is for, in words.
    comment: String,
    /// What to run once the step is fixed, when there is a next command.
    then: Option<String>,
}

pub fn run(ctx: &Ctx, a: NextArgs) -> Result<Outcome> {
    let repo = ctx.repo()?;
    let at = ctx.at_commit(&repo, &a.at)?;
    let loaded = ctx.load_from(&repo, Some(at.id()))?;
    if loaded.tip.is_none() {
        crate::sync::discover::warn_if_unfetched(&repo);
    }
    let steps = loaded.state.active_steps();
    let lives = assess(&repo, &loaded.sight, &steps)?;
    let current = crate::hooks::flags::current(&repo);
    let queue = build_queue(&steps, lives, current.as_deref());

    if ctx.json {
        let items: Vec<_> = queue
            .iter()
            .map(|i| {
                let mut v = view::step_json(i.step, &i.live);
                v["action"] = i.action.into();
                v["command"] = i.command.clone().into();
                v["comment"] = i.comment.clone().into();
                v["then"] = i.then.clone().into();
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
        "{} {}\n  {}   {}\n",
        p.bold("Next:"),
        sentence(first),
        first.command,
        p.dim(&format!("# {}", first.comment))
    );
    if let Some(then) = &first.then {
        out.push_str(&format!("  then: {then}\n"));
    }
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
        out.push_str(&output::table_fit(&rows, &[4]));
    }
    output::emit(&out);
    Ok(Outcome::Ok)
}

/// The command that shows what changed in a drifted step's files since
/// its verification; None when there is no verified commit to compare.
fn diff_command(s: &StepState, live: &Live) -> Option<String> {
    let base = s.baseline.as_ref()?;
    let mut cmd = format!("git diff {}", short(&base.commit));
    if !live.files.is_empty() {
        cmd.push_str(" --");
        for f in &live.files {
            cmd.push(' ');
            cmd.push_str(&shell_word(f));
        }
    }
    Some(cmd)
}

/// `word`, quoted for sh when it needs it.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./@%+=:,".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// The command that records the step as verified again.
fn reverify(s: &StepState) -> String {
    if s.def.checks.is_empty() {
        format!("git ledger mark {} verified", s.id)
    } else {
        format!("git ledger verify {}", s.id)
    }
}

fn fix_item(s: &StepState, l: &Live) -> (String, String, Option<String>) {
    let id = &s.id;
    if let Some(diff) = diff_command(s, l) {
        let at = s.baseline.as_ref().map(|b| short(&b.commit)).unwrap_or("");
        let how = if s.def.checks.is_empty() {
            "fix them, or check by hand that the step still holds"
        } else {
            "fix what broke"
        };
        return (
            diff,
            format!("what changed in {id}'s files since it was verified at {at}; {how}"),
            Some(reverify(s)),
        );
    }
    if !s.def.checks.is_empty() {
        // Never verified: its checks failed, nothing drifted.
        return (
            format!("git ledger show {id}"),
            format!("{id}'s checks fail (output under \"evidence\"); fix the code until they pass"),
            Some(reverify(s)),
        );
    }
    // Unscoped or never verified, without checks: drift that came with an
    // import or a hand-typed mark. Only a person's judgement clears it.
    (
        format!("git ledger show {id}"),
        format!(
            "{id} has no checks to run: check it by hand and record the verdict (or give it a check: git ledger edit {id} --check '<command>')"
        ),
        Some(format!("git ledger mark {id} verified")),
    )
}

fn build_queue<'s>(
    steps: &[&'s StepState],
    lives: Vec<Live>,
    current: Option<&str>,
) -> Vec<Item<'s>> {
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
            let id = &s.id;
            let (command, comment, then) = match status {
                Status::DriftDetected => fix_item(s, l),
                Status::CompletedPendingVerification if s.def.checks.is_empty() => (
                    format!("git ledger mark {id} verified"),
                    format!(
                        "after re-checking {id} by hand (git ledger edit {id} --check '<command>' lets verify do it)"
                    ),
                    None,
                ),
                Status::CompletedPendingVerification => (
                    format!("git ledger verify {id}"),
                    format!("runs {id}'s checks in a clean checkout and records the evidence"),
                    None,
                ),
                Status::InProgress if current == Some(id.as_str()) => (
                    format!("git ledger show {id}"),
                    format!("{id} is the current step: commits carry Ledger-Step: {id}"),
                    Some(format!(
                        "git ledger mark {id} completed_pending_verification"
                    )),
                ),
                Status::InProgress => (
                    format!("git ledger start {id}"),
                    format!("commits then carry Ledger-Step: {id} (or add that trailer yourself)"),
                    None,
                ),
                _ => (
                    format!("git ledger start {id}"),
                    format!("commits then carry Ledger-Step: {id}, which marks it in_progress"),
                    None,
                ),
            };
            queue.push(Item {
                step: s,
                live: l.clone(),
                action,
                command,
                comment,
                then,
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
        "fix" if s.baseline.is_none() && !s.def.checks.is_empty() => format!(
            "fix {} \"{}\": its checks fail (it was never verified), before any new work.",
            s.id, s.def.title
        ),
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
