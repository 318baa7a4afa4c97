//! Live drift (SPEC 2.4): a verified step has drifted when the fingerprint
//! of its owned files at HEAD differs from the one recorded at verification.

use crate::git::fingerprint::{changed_paths, fingerprint, owned_files, owned_files_many};
use crate::git::owns::Owns;
use crate::ledger::{Status, StepState};
use anyhow::Result;
use git2::{Oid, Repository, Tree};

#[derive(Debug, Clone)]
pub struct Live {
    /// The recorded status, or `drift_detected` when drift is seen live.
    pub effective: Status,
    /// Drift seen now that no event records yet.
    pub live_drift: bool,
    /// Owned paths changed since the verification (live drift), or as
    /// recorded by the drift event.
    pub files: Vec<String>,
    /// No `owns`: no fingerprint, can never drift.
    pub unscoped: bool,
}

pub fn owns_of(step: &StepState) -> Owns {
    // Globs are validated when written; an unreadable one (hand-edited)
    // owns nothing rather than failing every command.
    Owns::new(&step.def.owns).unwrap_or_else(|_| Owns::new(&[]).expect("empty owns"))
}

/// Assesses each step against `tree` (normally HEAD's) in one walk.
pub fn assess(repo: &Repository, tree: &Tree<'_>, steps: &[&StepState]) -> Result<Vec<Live>> {
    let watched: Vec<usize> = (0..steps.len())
        .filter(|&i| {
            let s = steps[i];
            s.status == Status::Verified
                && !s.def.owns.is_empty()
                && s.baseline.as_ref().is_some_and(|b| b.fingerprint.is_some())
        })
        .collect();
    let matchers: Vec<Owns> = watched.iter().map(|&i| owns_of(steps[i])).collect();
    let refs: Vec<&Owns> = matchers.iter().collect();
    let now = owned_files_many(repo, tree, &refs)?;
    let mut out: Vec<Live> = steps
        .iter()
        .map(|s| Live {
            effective: s.status,
            live_drift: false,
            files: if s.status == Status::DriftDetected {
                s.mark.as_ref().map(|m| m.files.clone()).unwrap_or_default()
            } else {
                Vec::new()
            },
            unscoped: s.def.owns.is_empty(),
        })
        .collect();
    for (k, &i) in watched.iter().enumerate() {
        let baseline = steps[i].baseline.as_ref().expect("filtered on baseline");
        if baseline.fingerprint.as_deref() == Some(fingerprint(&now[k]).as_str()) {
            continue;
        }
        let before = baseline
            .tree
            .as_deref()
            .and_then(|t| Oid::from_str(t).ok())
            .and_then(|t| repo.find_tree(t).ok())
            .map(|t| owned_files(repo, &t, &matchers[k]))
            .transpose()?;
        out[i] = Live {
            effective: Status::DriftDetected,
            live_drift: true,
            files: before
                .map(|b| changed_paths(&b, &now[k]))
                .unwrap_or_default(),
            unscoped: false,
        };
    }
    Ok(out)
}
