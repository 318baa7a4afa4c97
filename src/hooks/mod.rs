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

use crate::error::Outcome;
use crate::output;
use anyhow::Result;
use std::ffi::OsString;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};

static IN_HOOK: AtomicBool = AtomicBool::new(false);

/// Whether this process runs a hook: it then waits at most about a second
/// for a locked ref, and reads bounded commit messages.
pub fn in_hook() -> bool {
    IN_HOOK.load(Ordering::Relaxed)
}

/// The most of one commit message a hook reads trailers from, and the
/// most step ids it takes from one commit: far beyond any real trailer
/// block, and small enough that no message can hold a commit or a pull.
/// `git ledger scan` and `check` read everything.
pub const MESSAGE_LIMIT: usize = 1 << 20;
pub const ID_LIMIT: usize = 1000;

/// Why a hook leaves a commit's trailers to `scan`, if it does.
pub fn beyond_limits(message_len: usize, ids: usize) -> Option<String> {
    if !in_hook() {
        return None;
    }
    if message_len > MESSAGE_LIMIT {
        return Some(format!(
            "its message is {message_len} bytes and hooks read ledger trailers from at most {MESSAGE_LIMIT}"
        ));
    }
    (ids > ID_LIMIT).then(|| {
        format!(
            "its trailers name {ids} step ids and hooks take at most {ID_LIMIT} from one commit"
        )
    })
}

/// A hook's answer to git.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// commit-msg only: the commit is refused (exit 1).
    Reject,
}

/// Runs hook `name`; never fails. A panic is caught here too: a bug in
/// git-ledger must not cost anyone a commit.
pub fn run(name: &str, args: &[OsString]) -> Outcome {
    if std::env::var_os("GIT_LEDGER_SKIP").is_some_and(|v| v == "1") {
        return Outcome::Ok;
    }
    IN_HOOK.store(true, Ordering::Relaxed);
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        crate::error::injected_fault();
        dispatch(name, args)
    }));
    match outcome {
        Ok(Ok(Verdict::Pass)) => Outcome::Ok,
        Ok(Ok(Verdict::Reject)) => Outcome::Refused,
        Ok(Err(e)) => {
            let why = crate::error::one_paragraph(&e);
            output::warn(&format!(
                "git-ledger's {name} hook did nothing: {why} (the commit is not affected; git ledger doctor may explain)"
            ));
            Outcome::Ok
        }
        Err(payload) => {
            output::warn(&format!(
                "git-ledger's {name} hook hit an internal error and did nothing (the commit is not affected): {}; please report it",
                crate::error::last_panic(payload.as_ref())
            ));
            Outcome::Ok
        }
    }
}

fn dispatch(name: &str, args: &[OsString]) -> Result<Verdict> {
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
