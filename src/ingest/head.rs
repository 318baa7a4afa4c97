//! Drift at HEAD (SPEC 2.4): verified steps whose fingerprint at HEAD
//! differs from the one recorded at verification (or a later ack), however
//! the change arrived. Used by `check` and after merges and rewrites.

use super::touch::drift_origin;
use super::{Batch, Drift};
use crate::drift::assess;
use crate::git::repo::short;
use crate::ledger::event::hash_id;
use crate::ledger::{Event, Kind, Status, StepState, time};
use anyhow::Result;
use git2::Commit;

/// Who records drift found at HEAD: this clone's identity, else HEAD's committer.
pub fn recorder(repo: &git2::Repository, head: &Commit<'_>) -> String {
    crate::git::repo::identity(repo).unwrap_or_else(|_| {
        let c = head.committer();
        format!(
            "{} <{}>",
            String::from_utf8_lossy(c.name_bytes()),
            String::from_utf8_lossy(c.email_bytes())
        )
    })
}

/// Plans a drift event on `head` for each verified step that drifted.
/// `by` is who records it; `source` is `check` or `hook`.
pub fn record(batch: &mut Batch<'_>, head: &Commit<'_>, by: &str, source: &str) -> Result<()> {
    let steps: Vec<StepState> = batch.state.active_steps().into_iter().cloned().collect();
    let refs: Vec<&StepState> = steps.iter().collect();
    let lives = assess(batch.repo, &batch.sight, &refs)?;
    let head_id = head.id();
    let run = crate::cli::run_id(None);
    for (step, live) in steps.iter().zip(lives) {
        if !live.live_drift {
            continue;
        }
        let origin = drift_origin(&head_id.to_string(), &step.id);
        let id = hash_id(origin.as_bytes());
        let recorded = batch.note_events(head_id)?.iter().any(|e| e.id == id);
        batch.report.drift.push(Drift {
            step: step.id.clone(),
            title: step.def.title.clone(),
            was: Status::Verified,
            commit: head_id.to_string(),
            files: live.files.clone(),
            cause: "fingerprint",
            event: id,
            new: !recorded,
        });
        if recorded {
            batch.report.already += 1;
            continue;
        }
        let since = step
            .baseline
            .as_ref()
            .map(|b| short(&b.commit).to_string())
            .unwrap_or_default();
        let mut event = Event::draft(
            &step.id,
            Kind::Status,
            time::now_rfc3339(),
            by.to_string(),
            source,
        )
        .with("status", Status::DriftDetected.as_str())
        .with("files", live.files.clone())
        .with("was", Status::Verified.as_str())
        .with(
            "msg",
            format!(
                "owned files differ at {} from the state verified at {since}",
                short(&head_id.to_string())
            ),
        );
        event.run = run.clone();
        batch.push(head_id, event, &origin);
    }
    Ok(())
}
