//! A commit's `Ledger-*` trailers → events (SPEC 3).
//!
//! Ids come from the commit id and the trailer text, and a trailer whose
//! event already sits in the commit's note (an earlier ingest, or the copy
//! git or `post-rewrite` made of a rewritten commit's note) adds nothing.

use super::{Batch, CommitInfo, Skipped, derived};
use crate::git::repo::config_bool;
use crate::git::trailers::{Declaration, Effect, Trailer};
use crate::ledger::{Event, Kind, Status, StepState, step_id};
use anyhow::Result;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;

/// Plans the events `info`'s trailers ask for: acks first (they move the
/// baseline), then statuses, then work on steps whose status the commit
/// does not set.
pub fn ingest(batch: &mut Batch<'_>, info: &mut CommitInfo<'_>) -> Result<()> {
    for p in &info.trailers.problems {
        batch.report.rejected.push(Skipped {
            commit: info.id.to_string(),
            trailer: p.trailer.clone(),
            reason: p.message.clone(),
        });
    }
    let mut ordered: Vec<Declaration> = info.trailers.declarations.clone();
    ordered.sort_by_key(|d| match d.effect {
        Effect::Ack => 0,
        Effect::Status(_) => 1,
        Effect::Work => 2,
    });
    // Per trailer: the start of its events' origin, hashed once, and the
    // text its events repeat. A trailer naming many ids is read once.
    let mut prefixes: HashMap<*const Trailer, (Sha256, String)> = HashMap::new();
    for d in &ordered {
        if d.effect == Effect::Work && info.trailers.sets_status(&d.step) {
            continue;
        }
        let Some(step) = known_step(batch, info, d) else {
            continue;
        };
        let (prefix, shown) = prefixes
            .entry(Arc::as_ptr(&d.trailer))
            .or_insert_with(|| {
                let origin = format!("git-ledger trailer\n{}\n{}\n", info.id, d.trailer.text());
                (
                    Sha256::new().chain_update(origin.as_bytes()),
                    d.trailer.shown(),
                )
            })
            .clone();
        let id = origin_id(prefix, &d.step);
        if batch.note_holds(info.id, &id, &d.step, &shown)? {
            batch.report.already += 1;
            continue;
        }
        if let Some(reason) = superseded(batch, info, d, &step) {
            batch.report.superseded.push(Skipped {
                commit: info.id.to_string(),
                trailer: shown,
                reason,
            });
            continue;
        }
        if let Some(event) = event_for(batch, info, d, &step)? {
            batch.push_with_id(info.id, event, id);
        }
    }
    Ok(())
}

/// The id of the event a trailer derives for `step`: the first 16 bytes of
/// SHA-256 of "git-ledger trailer\n<commit>\n<trailer text>\n<step>".
fn origin_id(prefix: Sha256, step: &str) -> String {
    crate::hex::encode(&prefix.chain_update(step.as_bytes()).finalize()[..16])
}

/// The defined, active step `d` names, or a rejection in the report.
fn known_step(batch: &mut Batch<'_>, info: &CommitInfo<'_>, d: &Declaration) -> Option<StepState> {
    let reason = match batch.state.step(&d.step) {
        Some(s) if s.defined.is_some() && !s.retired => return Some(s.clone()),
        Some(s) if s.defined.is_some() => format!("step '{}' is retired", d.step),
        _ => unknown_step_message(&batch.state, &d.step),
    };
    batch.report.rejected.push(Skipped {
        commit: info.id.to_string(),
        trailer: d.trailer.shown(),
        reason,
    });
    None
}

/// "unknown step 'S4' — did you mean S04?"
pub fn unknown_step_message(state: &crate::ledger::LedgerState, id: &str) -> String {
    let known: Vec<&str> = state.active_steps().iter().map(|s| s.id.as_str()).collect();
    format!(
        "unknown step '{id}'{}",
        step_id::did_you_mean(&step_id::closest(id, known))
    )
}

/// Why an old commit's trailer no longer applies, if it does not. Drift
/// recorded on the very commit for want of a declaration does not count:
/// the trailer (added by an amend) is that declaration.
fn superseded(
    batch: &mut Batch<'_>,
    info: &CommitInfo<'_>,
    d: &Declaration,
    step: &StepState,
) -> Option<String> {
    if !batch.history {
        return None;
    }
    let short = crate::git::repo::short;
    match d.effect {
        Effect::Ack => {
            let b = step.baseline.as_ref()?;
            batch.is_later(&b.commit, &b.at, info).then(|| {
                format!(
                    "{} was verified again later (at {})",
                    d.step,
                    short(&b.commit)
                )
            })
        }
        _ => {
            let m = step.mark.as_ref()?;
            let own_drift = m.status == Status::DriftDetected
                && m.commit == info.id.to_string()
                && matches!(m.source.as_str(), "hook" | "check");
            (!own_drift && batch.is_later(&m.commit, &m.at, info)).then(|| {
                format!(
                    "{} has a later status: {} (at {})",
                    d.step,
                    m.status,
                    short(&m.commit)
                )
            })
        }
    }
}

fn event_for(
    batch: &mut Batch<'_>,
    info: &mut CommitInfo<'_>,
    d: &Declaration,
    step: &StepState,
) -> Result<Option<Event>> {
    if d.effect == Effect::Work && step.status == Status::InProgress {
        return Ok(None); // already in progress: the trailer changes nothing
    }
    let subject = info.subject.clone();
    let template = derived(info, &d.step, Kind::Note, "trailer")
        .with("trailer", d.trailer.shown())
        .with("msg", subject);
    let base = |kind| {
        let mut e = template.clone();
        e.kind = kind;
        e
    };
    let event = match &d.effect {
        Effect::Work => base(Kind::Status).with("status", Status::InProgress.as_str()),
        Effect::Status(status) => {
            let mut e = base(Kind::Status).with("status", status.as_str());
            if *status == Status::Verified
                && let Some((fp, tree)) = batch.fingerprint_at(step, &info.commit)?
            {
                if let Some(reason) = missing_evidence(batch, step, &fp)? {
                    batch.report.rejected.push(Skipped {
                        commit: info.id.to_string(),
                        trailer: d.trailer.shown(),
                        reason,
                    });
                    return Ok(None);
                }
                e.set("fingerprint", fp);
                e.set("tree", tree);
            }
            e
        }
        Effect::Ack => {
            let Some((fp, tree)) = batch.fingerprint_at(step, &info.commit)? else {
                batch.report.rejected.push(Skipped {
                    commit: info.id.to_string(),
                    trailer: d.trailer.shown(),
                    reason: format!(
                        "{} owns no files, so there is nothing to acknowledge",
                        d.step
                    ),
                });
                return Ok(None);
            };
            let owns = batch.owns_of(step).clone();
            let files: Vec<String> = info
                .changed(batch.repo)?
                .iter()
                .filter(|p| owns.matches(p, false))
                .cloned()
                .collect();
            base(Kind::Ack)
                .with("fingerprint", fp)
                .with("tree", tree)
                .with("files", files)
        }
    };
    Ok(Some(event))
}

/// With `ledger.requireEvidence`, a trailer may say `verified` only on the
/// evidence `mark ID verified` would need (one rule: `verify::evidence_gap`).
fn missing_evidence(batch: &Batch<'_>, step: &StepState, fp: &str) -> Result<Option<String>> {
    if !config_bool(batch.repo, "ledger.requireEvidence").unwrap_or(false) {
        return Ok(None);
    }
    Ok(crate::verify::evidence_gap(step, Some(fp)).map(|why| {
        format!(
            "ledger.requireEvidence is on and {} cannot be verified by a trailer: {why}; run git ledger verify {}",
            step.id, step.id
        )
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_ids_hash_the_whole_origin_as_before() {
        let prefix = Sha256::new().chain_update(b"git-ledger trailer\nabc\nLedger-Step: S1, S2\n");
        assert_eq!(
            origin_id(prefix, "S2"),
            crate::ledger::event::hash_id(b"git-ledger trailer\nabc\nLedger-Step: S1, S2\nS2")
        );
    }
}
