//! Live drift (SPEC 2.4): a verified step has drifted at a commit when the
//! fingerprint of its owned files there differs from the one recorded at
//! the verification (or later ack) that applies there (SPEC 2.5).

use crate::git::fingerprint::{changed_paths, fingerprint, owned_files};
use crate::git::owns::Owns;
use crate::ledger::fold::Viewpoint;
use crate::ledger::{Status, StepState};
use crate::store::Sight;
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
    /// Live drift with no owned file changed: the step's `owns` changed
    /// since it was verified, so the verification covered other files.
    pub scope_changed: bool,
    /// No `owns`: no fingerprint, can never drift.
    pub unscoped: bool,
    /// The last evidence was taken on other content than the owned files
    /// have now (None: it cannot be told, or there is no evidence).
    pub evidence_stale: Option<bool>,
}

pub fn owns_of(step: &StepState) -> Owns {
    // Globs are validated when written; an unreadable one (hand-edited)
    // owns nothing rather than failing every command.
    Owns::new(&step.def.owns).unwrap_or_else(|_| Owns::new(&[]).expect("empty owns"))
}

/// Assesses each step at the commit `sight` is seen from, from the
/// fingerprints the view already holds; owned files are listed only for
/// the steps that drifted.
pub fn assess(repo: &Repository, sight: &Sight, steps: &[&StepState]) -> Result<Vec<Live>> {
    let mut tree = AtTree {
        repo,
        at: sight.at.as_deref().and_then(|a| Oid::from_str(a).ok()),
        tree: None,
    };
    steps
        .iter()
        .map(|s| assess_one(repo, sight, &mut tree, s))
        .collect()
}

/// The tree of the commit seen from, read when a step first needs it: a
/// cached view holds every fingerprint, and most steps have not drifted.
struct AtTree<'r> {
    repo: &'r Repository,
    at: Option<Oid>,
    tree: Option<Tree<'r>>,
}

impl<'r> AtTree<'r> {
    fn get(&mut self) -> Result<Option<&Tree<'r>>> {
        if let (None, Some(at)) = (&self.tree, self.at) {
            self.tree = Some(self.repo.find_commit(at)?.tree()?);
        }
        Ok(self.tree.as_ref())
    }
}

fn assess_one(
    repo: &Repository,
    sight: &Sight,
    tree: &mut AtTree<'_>,
    s: &StepState,
) -> Result<Live> {
    let now = match sight.fingerprint(&s.id) {
        Some(fp) => Some(fp.to_string()),
        None if !s.def.owns.is_empty() => match tree.get()? {
            Some(t) => Some(fingerprint(&owned_files(repo, t, &owns_of(s))?)),
            None => None,
        },
        None => None,
    };
    let mut live = Live {
        effective: s.status,
        live_drift: false,
        files: if s.status == Status::DriftDetected {
            s.mark.as_ref().map(|m| m.files.clone()).unwrap_or_default()
        } else {
            Vec::new()
        },
        scope_changed: false,
        unscoped: s.def.owns.is_empty(),
        evidence_stale: s
            .evidence
            .as_ref()
            .and_then(|e| e.fingerprint.as_deref())
            .zip(now.as_deref())
            .map(|(then, now)| then != now),
    };
    let Some(baseline) = s.baseline.as_ref().and_then(|b| b.fingerprint.as_deref()) else {
        return Ok(live);
    };
    let Some(now) = now else {
        return Ok(live);
    };
    if s.status != Status::Verified || s.def.owns.is_empty() || baseline == now {
        return Ok(live);
    }
    let Some(tree) = tree.get()? else {
        return Ok(live);
    };
    let owns = owns_of(s);
    let before = s
        .baseline
        .as_ref()
        .and_then(|b| b.tree.as_deref())
        .and_then(|t| Oid::from_str(t).ok())
        .and_then(|t| repo.find_tree(t).ok())
        .map(|t| owned_files(repo, &t, &owns))
        .transpose()?;
    let files = match before {
        Some(b) => changed_paths(&b, &owned_files(repo, tree, &owns)?),
        None => Vec::new(),
    };
    live.effective = Status::DriftDetected;
    live.live_drift = true;
    live.scope_changed = files.is_empty() && before_known(s);
    live.files = files;
    Ok(live)
}

/// Whether the tree the verification was made on is recorded, so that "no
/// file changed" can be told apart from "cannot tell".
fn before_known(s: &StepState) -> bool {
    s.baseline.as_ref().is_some_and(|b| b.tree.is_some())
}
