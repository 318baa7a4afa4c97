//! `git-ledger __complete WORD…` (hidden): what a shell may offer for the
//! last word of a command line, read from the repository: step ids where a
//! command takes one, status names after `mark ID` and `--status`, phase
//! names after `--phase`. The completion scripts call it and fall back to
//! the options clap generated when it prints nothing.

use super::Ctx;
use crate::error::Outcome;
use crate::output;
use anyhow::Result;
use clap::Args;

#[derive(Args)]
pub struct CompleteArgs {
    /// The words after `git-ledger`, the one being completed last
    #[arg(allow_hyphen_values = true, trailing_var_arg = true)]
    pub words: Vec<String>,
}

/// Global options that take a value, so their value is not a positional.
const VALUED: [&str; 2] = ["-C", "--color"];
/// Subcommand options that take a value.
const SUB_VALUED: [&str; 16] = [
    "--owns",
    "--check",
    "--ref",
    "--phase",
    "--summary",
    "--edge-case",
    "--concern",
    "--todo",
    "--title",
    "-m",
    "--message",
    "--run",
    "--commit",
    "--since",
    "--until",
    "--format",
];

const STATUS_WORDS: [&str; 9] = [
    "drift",
    "pending",
    "wip",
    "todo",
    "verified",
    "not_started",
    "in_progress",
    "completed_pending_verification",
    "drift_detected",
];

pub fn run(ctx: &Ctx, a: CompleteArgs) -> Result<Outcome> {
    let Some((current, before)) = a.words.split_last() else {
        return Ok(Outcome::Ok);
    };
    let prev = before.last().map(String::as_str).unwrap_or("");
    let mut sub: Option<&str> = None;
    let mut positionals = 0usize;
    let mut dir = ctx.dir.clone();
    let mut i = 0;
    while i < before.len() {
        let w = before[i].as_str();
        if VALUED.contains(&w) || (sub.is_some() && SUB_VALUED.contains(&w)) {
            if w == "-C" {
                dir = before.get(i + 1).map(Into::into);
            }
            i += 2;
            continue;
        }
        if !w.starts_with('-') {
            match sub {
                None => sub = Some(w),
                Some(_) => positionals += 1,
            }
        }
        i += 1;
    }
    if current.starts_with('-') {
        return Ok(Outcome::Ok);
    }
    let wants = match (sub, prev) {
        (Some("status"), "--status") | (Some("import"), "--checked-as") => Want::Statuses,
        (Some(_), "--phase") => Want::Phases,
        (Some(_), p) if VALUED.contains(&p) || SUB_VALUED.contains(&p) => Want::Nothing,
        (Some("mark"), _) if positionals == 1 => Want::Statuses,
        (Some("mark" | "show" | "edit" | "retire" | "start" | "log"), _) if positionals == 0 => {
            Want::Steps
        }
        (Some("verify" | "trust"), _) => Want::Steps,
        _ => Want::Nothing,
    };
    let words: Vec<String> = match wants {
        Want::Nothing => Vec::new(),
        Want::Statuses => STATUS_WORDS.iter().map(|s| s.to_string()).collect(),
        Want::Steps | Want::Phases => {
            let Ok(repo) = crate::git::repo::open(dir.as_deref()) else {
                return Ok(Outcome::Ok);
            };
            let Ok(loaded) = crate::store::load(&repo) else {
                return Ok(Outcome::Ok);
            };
            let steps = loaded.state.active_steps();
            match wants {
                Want::Steps => steps.iter().map(|s| s.id.clone()).collect(),
                _ => {
                    let mut phases: Vec<String> =
                        steps.iter().filter_map(|s| s.def.phase.clone()).collect();
                    phases.dedup();
                    phases
                }
            }
        }
    };
    let out: String = words
        .into_iter()
        .filter(|w| w.starts_with(current.as_str()))
        .map(|w| format!("{w}\n"))
        .collect();
    output::emit(&out);
    Ok(Outcome::Ok)
}

#[derive(Clone, Copy)]
enum Want {
    Nothing,
    Steps,
    Statuses,
    Phases,
}
