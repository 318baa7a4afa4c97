//! Undeclared changes (SPEC 5, post-commit): a commit that changes files
//! owned by a verified or pending step without `Ledger-Step`, `Ledger-Ack`
//! or `Ledger-Status` for it makes that step `drift_detected`.
//!
//! Only the commit's own diff against its first parent is looked at, and a
//! step's globs are built only when one of the changed paths falls under
//! their literal prefix, so the cost follows the size of the change.

use super::{Batch, CommitInfo, Drift, derived};
use crate::git::owns::may_own;
use crate::git::trailers::LedgerTrailers;
use crate::ledger::event::hash_id;
use crate::ledger::{Event, Kind, Status, StepState};
use anyhow::Result;
use git2::{Commit, Tree};
use std::path::Path;

/// The id of the drift event for `step` bound to `commit`: the same for a
/// hook, a rerun and `check` on that commit, so none of them duplicates it.
pub fn drift_origin(commit: &str, step: &str) -> String {
    format!("git-ledger drift\n{commit}\n{step}")
}

/// Steps a change to them is drift for: verified or pending, with owns.
pub fn watched(step: &StepState) -> bool {
    !step.retired
        && !step.def.owns.is_empty()
        && matches!(
            step.status,
            Status::Verified | Status::CompletedPendingVerification
        )
}

/// Owned files of each watched step that `paths` touch (steps in definition order).
pub fn touched(batch: &mut Batch<'_>, paths: &[String]) -> Vec<(StepState, Vec<String>)> {
    let candidates: Vec<StepState> = batch
        .state
        .active_steps()
        .into_iter()
        .filter(|s| watched(s))
        .filter(|s| paths.iter().any(|p| may_own(&s.def.owns, p)))
        .cloned()
        .collect();
    let mut out = Vec::new();
    for step in candidates {
        let owns = batch.owns_of(&step);
        let files: Vec<String> = paths
            .iter()
            .filter(|p| owns.matches(p, false))
            .cloned()
            .collect();
        if !files.is_empty() {
            out.push((step, files));
        }
    }
    out
}

/// Watched steps whose owned files `paths` (the change that makes `tree`)
/// touch without `declared` naming them, and that are not back to their
/// verified content: what would become drift.
pub fn undeclared(
    batch: &mut Batch<'_>,
    tree: &Tree<'_>,
    paths: &[String],
    declared: &LedgerTrailers,
) -> Result<Vec<(StepState, Vec<String>)>> {
    let mut out = Vec::new();
    for (step, files) in touched(batch, paths) {
        if declared.declares(&step.id) {
            continue;
        }
        if step.status == Status::Verified
            && let (Some(b), Some((fp, _))) = (&step.baseline, batch.fingerprint_in(&step, tree)?)
            && b.fingerprint.as_deref() == Some(fp.as_str())
        {
            continue; // back to the verified content (a revert): not drift
        }
        out.push((step, files));
    }
    Ok(out)
}

/// Plans drift for the undeclared touches of `info`.
pub fn record(batch: &mut Batch<'_>, info: &mut CommitInfo<'_>) -> Result<()> {
    let mut paths = info.changed(batch.repo)?.to_vec();
    if let Some(original) = info.original {
        // A rewrite is judged only on what it changed: the original commit's
        // own changes were judged when it was made.
        let old = batch.repo.find_commit(original)?;
        paths = changed_by_rewrite(&old, &info.commit, paths)?;
    }
    if paths.is_empty() {
        return Ok(());
    }
    let tree = info.commit.tree()?;
    for (step, files) in undeclared(batch, &tree, &paths, &info.trailers)? {
        let origin = drift_origin(&info.id.to_string(), &step.id);
        let id = hash_id(origin.as_bytes());
        let recorded = batch.note_events(info.id)?.iter().any(|e| {
            e.id == id || (e.step == step.id && e.str_field("status") == Some("drift_detected"))
        });
        batch.report.drift.push(Drift {
            step: step.id.clone(),
            title: step.def.title.clone(),
            was: step.status,
            commit: info.id.to_string(),
            files: files.clone(),
            cause: "undeclared",
            event: id,
            new: !recorded,
        });
        if recorded {
            batch.report.already += 1;
            continue;
        }
        let msg = format!(
            "{} \"{}\" changed {}'s files without Ledger-Step or Ledger-Ack",
            info.short(),
            info.subject,
            step.id
        );
        let event = derived(info, &step.id, Kind::Status, "hook")
            .with("status", Status::DriftDetected.as_str())
            .with("files", files)
            .with("was", step.status.as_str())
            .with("msg", msg);
        batch.push(info.id, event, &origin);
    }
    Ok(())
}

/// The paths whose change in `new` (against its first parent) is not the
/// change `old` made (against its own first parent).
fn changed_by_rewrite(
    old: &Commit<'_>,
    new: &Commit<'_>,
    paths: Vec<String>,
) -> Result<Vec<String>> {
    let (old_before, old_after) = trees(old)?;
    let (new_before, new_after) = trees(new)?;
    let at = |t: Option<&Tree<'_>>, p: &str| {
        t.and_then(|t| t.get_path(Path::new(p)).ok())
            .map(|e| (e.id(), e.filemode()))
    };
    Ok(paths
        .into_iter()
        .filter(|p| {
            (at(old_before.as_ref(), p), at(Some(&old_after), p))
                != (at(new_before.as_ref(), p), at(Some(&new_after), p))
        })
        .collect())
}

/// A commit's first parent's tree (None for a root commit) and its own.
fn trees<'r>(c: &Commit<'r>) -> Result<(Option<Tree<'r>>, Tree<'r>)> {
    let parent = c.parent(0).ok().map(|p| p.tree()).transpose()?;
    Ok((parent, c.tree()?))
}

/// After a rewrite (amend, rebase): drift a hook recorded on the commit is
/// withdrawn when the new commit declares the change with `Ledger-Ack`, or
/// no longer changes the step's files, and the files are back to what was
/// verified. The step returns to the status the drift replaced.
pub fn withdraw(batch: &mut Batch<'_>, info: &mut CommitInfo<'_>) -> Result<()> {
    let commit = info.id.to_string();
    let candidates: Vec<StepState> = batch
        .state
        .active_steps()
        .into_iter()
        .filter(|s| {
            s.mark.as_ref().is_some_and(|m| {
                m.status == Status::DriftDetected && m.source == "hook" && m.commit == commit
            })
        })
        .cloned()
        .collect();
    if candidates.is_empty() {
        return Ok(());
    }
    let paths = info.changed(batch.repo)?.to_vec();
    for step in candidates {
        if info.trailers.sets_status(&step.id)
            || info
                .trailers
                .declarations
                .iter()
                .any(|d| d.step == step.id && d.effect == crate::git::trailers::Effect::Work)
        {
            continue; // the declared work or status decides
        }
        let acked = info.trailers.declares(&step.id);
        let owns = batch.owns_of(&step).clone();
        let still_touched = paths.iter().any(|p| owns.matches(p, false));
        if still_touched && !acked {
            continue;
        }
        let Some(mark) = step.mark.clone() else {
            continue;
        };
        let was = batch
            .note_events(info.id)?
            .iter()
            .find(|e| e.id == mark.event)
            .and_then(|e| e.str_field("was"))
            .and_then(Status::parse);
        let Some(was) = was.filter(|w| *w != Status::DriftDetected) else {
            continue;
        };
        let mut event: Event = derived(info, &step.id, Kind::Status, "hook")
            .with("status", was.as_str())
            .with("withdraws", mark.event.clone());
        if was == Status::Verified {
            let fp = batch.fingerprint_at(&step, &info.commit)?;
            let base = step.baseline.as_ref().and_then(|b| b.fingerprint.clone());
            match fp {
                Some((fp, tree)) if Some(&fp) == base.as_ref() => {
                    event.set("fingerprint", fp);
                    event.set("tree", tree);
                }
                _ => continue, // the files differ from what was verified: the drift stands
            }
        }
        let why = if acked {
            format!("the rewritten commit declares Ledger-Ack: {}", step.id)
        } else {
            format!("the rewritten commit no longer changes {}'s files", step.id)
        };
        event.set("msg", format!("drift withdrawn: {why}"));
        let origin = format!("git-ledger withdraw\n{commit}\n{}\n{}", step.id, mark.event);
        batch.push(info.id, event, &origin);
        batch.report.withdrawn.push(step.id.clone());
    }
    Ok(())
}
