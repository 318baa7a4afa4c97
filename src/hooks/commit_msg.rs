//! `commit-msg`: refuses invalid ledger trailers (unknown step, bad status
//! word) and, with `ledger.strict=true`, staged changes to files of
//! verified or pending steps that the message does not declare.
//!
//! Without strict mode the undeclared-change warning comes from
//! `post-commit`, which records the drift in the same breath; this keeps
//! the common commit (no trailers, not strict) from reading the index.

use super::Verdict;
use crate::git::repo::{self, config_str};
use crate::git::trailers::{self, LedgerTrailers};
use crate::git::treediff::changed_files;
use crate::ingest::trailer::unknown_step_message;
use crate::ingest::{Batch, touch};
use crate::ledger::{LedgerState, Status};
use crate::{output, store};
use anyhow::Result;
use git2::Repository;
use std::ffi::OsString;

/// Problems printed before the rest are counted: a trailer naming
/// thousands of unknown ids must not print thousands of lines.
const SHOWN: usize = 8;

pub fn run(args: &[OsString]) -> Result<Verdict> {
    let Some(file) = args.first() else {
        output::warn("commit-msg hook called without the message file; nothing checked");
        return Ok(Verdict::Pass);
    };
    let raw = std::fs::read(file)?;
    if let Some(why) = super::beyond_limits(raw.len(), 0) {
        output::warn(&format!(
            "the ledger trailers of this commit are not checked: {why}; after the commit, git ledger scan reads them"
        ));
        return Ok(Verdict::Pass);
    }
    let repo = repo::open(None)?;
    let message = trailers::cleaned(&String::from_utf8_lossy(&raw), comment_char(&repo));
    let found = trailers::parse(&message);
    if let Some(why) = super::beyond_limits(raw.len(), found.declarations.len()) {
        output::warn(&format!(
            "the ledger trailers of this commit are not checked: {why}; after the commit, git ledger scan reads them"
        ));
        return Ok(Verdict::Pass);
    }
    let strict = super::flags::strict(&repo).unwrap_or_else(|_| {
        output::warn("ledger.strict is not a boolean; treating it as false");
        false
    });
    if found.is_empty() && !strict {
        return Ok(Verdict::Pass);
    }
    let loaded = store::load(&repo)?;
    let mut errors = invalid_trailers(&found, &loaded.state);
    if strict && errors.is_empty() && !merging(&repo) {
        errors.extend(undeclared(&repo, &loaded, &found)?);
    }
    if errors.is_empty() {
        return Ok(Verdict::Pass);
    }
    for (message, hint) in errors.iter().take(SHOWN) {
        output::error_line(&format!("error: {message}"));
        output::error_line(&format!("hint: {hint}"));
    }
    if errors.len() > SHOWN {
        output::error_line(&format!(
            "error: … and {} more problems with the ledger trailers",
            errors.len() - SHOWN
        ));
    }
    output::error_line(&format!(
        "hint: nothing was committed; your message is kept in {}",
        std::path::Path::new(file).display()
    ));
    Ok(Verdict::Reject)
}

/// The comment character git strips lines with (`core.commentChar`).
pub fn comment_char(repo: &Repository) -> u8 {
    config_str(repo, "core.commentChar")
        .or_else(|| config_str(repo, "core.commentString"))
        .filter(|c| c.len() == 1 && c.is_ascii() && c != "auto")
        .map(|c| c.as_bytes()[0])
        .unwrap_or(b'#')
}

fn invalid_trailers(found: &LedgerTrailers, state: &LedgerState) -> Vec<(String, String)> {
    let mut errors: Vec<(String, String)> = found
        .problems
        .iter()
        .map(|p| {
            (
                format!("{} (in '{}')", p.message, p.trailer),
                p.hint.clone(),
            )
        })
        .collect();
    for d in &found.declarations {
        let message = match state.step(&d.step) {
            Some(s) if s.defined.is_some() && !s.retired => continue,
            Some(s) if s.defined.is_some() => format!("step '{}' is retired", d.step),
            _ => unknown_step_message(state, &d.step),
        };
        errors.push((
            format!("{message} (in '{}')", d.trailer.shown()),
            "fix the trailer; git ledger status lists the steps".into(),
        ));
    }
    errors
}

/// A merge commit brings others' declared work; strict mode judges commits, not merges.
fn merging(repo: &Repository) -> bool {
    repo.path().join("MERGE_HEAD").exists()
}

/// Strict mode: staged changes to watched steps' files the message does not declare.
fn undeclared(
    repo: &Repository,
    loaded: &store::Loaded,
    found: &LedgerTrailers,
) -> Result<Vec<(String, String)>> {
    // The tree git is about to commit (git writes the same objects next).
    let staged = repo.find_tree(repo.index()?.write_tree()?)?;
    let head_tree = match repo.head().ok().and_then(|h| h.peel_to_commit().ok()) {
        Some(c) => Some(c.tree()?),
        None => None,
    };
    let paths = changed_files(repo, head_tree.as_ref(), &staged)?;
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let mut batch = Batch::new(repo, loaded, false)?;
    let found_steps = touch::undeclared(&mut batch, &staged, &paths, found)?;
    Ok(found_steps
        .into_iter()
        .map(|(step, files)| {
            let status = match step.status {
                Status::Verified => "verified",
                _ => "pending verification",
            };
            (
                format!(
                    "ledger.strict: this commit changes files of {} \"{}\" ({status}) without declaring it: {}",
                    step.id,
                    crate::sanitize::one_line(&step.def.title),
                    files.join(", ")
                ),
                format!(
                    "declare it with a trailer: git commit --trailer \"Ledger-Step: {id}\" (work on {id}) or --trailer \"Ledger-Ack: {id}\" (a reviewed change that leaves {id} as it was)",
                    id = step.id
                ),
            )
        })
        .collect())
}
