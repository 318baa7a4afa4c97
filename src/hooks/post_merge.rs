//! `post-merge` (also after `git pull`): ingests the trailers of the
//! commits the merge brought in, then re-checks fingerprints at the new
//! HEAD, so a pull that fast-forwards over changes to a verified step's
//! files marks it `drift_detected`.

use super::{Verdict, say};
use crate::git::repo::{self, short};
use crate::ingest::head::recorder;
use crate::ingest::{self, CommitInfo, head, range, trailer};
use anyhow::Result;
use git2::Repository;
use std::ffi::OsString;

pub fn run(args: &[OsString]) -> Result<Verdict> {
    // `git merge --squash` commits nothing; the later commit's post-commit judges it.
    if args.first().is_some_and(|a| a == "1") {
        return Ok(Verdict::Pass);
    }
    let repo = repo::open(None)?;
    if !ingest::has_ledger(&repo) {
        return Ok(Verdict::Pass);
    }
    let head = repo::head_commit(&repo)?;
    let brought = match orig_head(&repo) {
        Some(orig) => range::between(&repo, Some(orig), head.id())?,
        None => Vec::new(),
    };
    let by = recorder(&repo, &head);
    let message = format!("git-ledger: post-merge {}", short(&head.id().to_string()));
    let (written, report, _) = ingest::write(&repo, &message, true, |batch| {
        batch.set_range(brought.clone(), head.id());
        for id in &brought {
            let mut info = CommitInfo::read(repo.find_commit(*id)?);
            if !info.trailers.is_empty() {
                trailer::ingest(batch, &mut info)?;
            }
        }
        head::record(batch, &head, &by, "hook")
    })?;
    say::outcome(&written, &report);
    Ok(Verdict::Pass)
}

/// HEAD before the merge or rebase (git sets ORIG_HEAD for both).
pub fn orig_head(repo: &Repository) -> Option<git2::Oid> {
    repo.revparse_single("ORIG_HEAD")
        .and_then(|o| o.peel_to_commit())
        .map(|c| c.id())
        .ok()
}
