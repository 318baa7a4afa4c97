//! What the exports show, gathered once: each step's state with its live
//! drift, latest evidence and history, and the timeline of events. Plain
//! data, so the renderers are pure functions.

use crate::ledger::{Located, Status, StepState};

pub struct Board<'a> {
    /// The repository's directory name.
    pub project: String,
    pub head: String,
    pub exported_at: String,
    pub steps: Vec<BoardStep<'a>>,
    /// Newest first.
    pub timeline: Vec<TimelineEntry>,
    /// Events in the ledger, all of them (the timeline may be cut short).
    pub events: usize,
}

pub struct BoardStep<'a> {
    pub state: &'a StepState,
    /// The recorded status, or `drift_detected` when drift is seen live.
    pub status: Status,
    pub live_drift: bool,
    pub drift_files: Vec<String>,
    pub unscoped: bool,
    pub last_evidence: Option<&'a Located>,
    /// The imported "Tests & commands run" record, if any.
    pub tests_note: Option<&'a Located>,
    /// `verified` and `drift_detected` status events, oldest first.
    pub history: Vec<&'a Located>,
}

pub struct TimelineEntry {
    pub at: String,
    pub commit: String,
    pub step: String,
    pub status: Option<Status>,
    /// "→ verified", "defined \"Title\"", "evidence pass (3 checks)"
    pub what: String,
    pub by: String,
    pub run: Option<String>,
    pub msg: Option<String>,
}

/// Progress of one phase: steps per status, in `Status::ALL` order.
pub struct PhaseRow {
    pub name: Option<String>,
    pub counts: [usize; 5],
    pub total: usize,
}

impl PhaseRow {
    pub fn count(&self, s: Status) -> usize {
        self.counts[status_index(s)]
    }
}

pub fn status_index(s: Status) -> usize {
    Status::ALL.iter().position(|x| *x == s).unwrap_or(0)
}

impl Board<'_> {
    /// Phases in order of first appearance.
    pub fn phases(&self) -> Vec<PhaseRow> {
        let mut rows: Vec<PhaseRow> = Vec::new();
        for s in &self.steps {
            let name = &s.state.def.phase;
            let i = match rows.iter().position(|r| &r.name == name) {
                Some(i) => i,
                None => {
                    rows.push(PhaseRow {
                        name: name.clone(),
                        counts: [0; 5],
                        total: 0,
                    });
                    rows.len() - 1
                }
            };
            rows[i].counts[status_index(s.status)] += 1;
            rows[i].total += 1;
        }
        rows
    }

    pub fn totals(&self) -> PhaseRow {
        let mut all = PhaseRow {
            name: None,
            counts: [0; 5],
            total: self.steps.len(),
        };
        for s in &self.steps {
            all.counts[status_index(s.status)] += 1;
        }
        all
    }
}

/// `2026-01-20 09:15 UTC` from an RFC 3339 timestamp.
pub fn human_time(at: &str) -> String {
    match (at.get(0..10), at.get(11..16)) {
        (Some(d), Some(t)) => format!("{d} {t} UTC"),
        _ => at.to_string(),
    }
}
