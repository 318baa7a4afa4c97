//! The git hooks (SPEC 5): installation, and what each hook does.
//!
//! A hook never loses or blocks a commit because of an internal error: any
//! error (a damaged ledger, an unreadable repository, a bug) becomes a
//! warning and exit 0. Only `commit-msg` says no, and only for invalid
//! ledger trailers or, with `ledger.strict`, an undeclared change.

mod commit_msg;
pub mod flags;
pub mod install;
pub mod managers;
mod post_commit;
mod post_merge;
mod post_rewrite;
mod prepare_commit_msg;
mod say;
pub mod shim;

use crate::error::{Outcome, UserError};
use crate::output;
use anyhow::Result;

/// A hook's answer to git.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// commit-msg only: the commit is refused (exit 1).
    Reject,
}

/// Runs hook `name`; never fails.
pub fn run(name: &str, args: &[String]) -> Outcome {
    if std::env::var("GIT_LEDGER_SKIP").is_ok_and(|v| v == "1") {
        return Outcome::Ok;
    }
    let outcome = std::panic::catch_unwind(|| dispatch(name, args));
    match outcome {
        Ok(Ok(Verdict::Pass)) => Outcome::Ok,
        Ok(Ok(Verdict::Reject)) => Outcome::Refused,
        Ok(Err(e)) => {
            let why = match e.downcast_ref::<UserError>() {
                Some(u) => u.message.clone(),
                None => format!("{e:#}"),
            };
            output::warn(&format!(
                "git-ledger's {name} hook did nothing: {why} (the commit is not affected; git ledger doctor may explain)"
            ));
            Outcome::Ok
        }
        Err(_) => {
            output::warn(&format!(
                "git-ledger's {name} hook failed unexpectedly and did nothing (the commit is not affected)"
            ));
            Outcome::Ok
        }
    }
}

fn dispatch(name: &str, args: &[String]) -> Result<Verdict> {
    match name {
        "commit-msg" => commit_msg::run(args),
        "prepare-commit-msg" => prepare_commit_msg::run(args),
        "post-commit" => post_commit::run(),
        "post-merge" => post_merge::run(args),
        "post-rewrite" => post_rewrite::run(args),
        other => {
            output::warn(&format!(
                "git-ledger has no '{other}' hook (it knows {}); nothing done",
                shim::HOOKS.join(", ")
            ));
            Ok(Verdict::Pass)
        }
    }
}
