//! The pure fold: events in, current state out (SPEC 2.2–2.3). No I/O.

use super::event::{Event, Kind};
use super::status::Status;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashSet;

/// An event and the commit whose note holds it: the commit binding comes
/// from the note's key, never from a field.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    pub commit: String,
    pub event: Event,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StepDef {
    pub title: String,
    pub owns: Vec<String>,
    pub checks: Vec<String>,
    pub refs: Vec<String>,
    pub phase: Option<String>,
    pub summary: Option<String>,
    pub edge_cases: Vec<String>,
    pub concerns: Vec<String>,
    pub todo: Vec<String>,
}

/// The latest status event of a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusMark {
    pub status: Status,
    pub commit: String,
    pub at: String,
    pub by: String,
    pub event: String,
    pub source: String,
    pub msg: Option<String>,
    pub run: Option<String>,
    /// For drift: the owned paths that changed.
    pub files: Vec<String>,
}

/// What drift is measured against: the last `verified`, moved by later `ack`s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    pub commit: String,
    pub at: String,
    pub event: String,
    pub fingerprint: Option<String>,
    pub tree: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceSummary {
    pub commit: String,
    pub at: String,
    pub event: String,
    pub result: String,
    pub dirty: bool,
    pub fingerprint: Option<String>,
    pub checks: Value,
    pub run: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepState {
    pub id: String,
    pub def: StepDef,
    /// Ordering key of the first `define`; None while only other kinds were seen.
    pub defined: Option<(u64, String, String)>,
    pub retired: bool,
    pub status: Status,
    pub mark: Option<StatusMark>,
    pub baseline: Option<Baseline>,
    pub evidence: Option<EvidenceSummary>,
    /// Id of the latest event of this step, written as `prev` by the next
    /// writer so that two otherwise identical events stay two events.
    pub head: String,
}

impl StepState {
    fn new(id: &str) -> StepState {
        StepState {
            id: id.to_string(),
            def: StepDef::default(),
            defined: None,
            retired: false,
            status: Status::NotStarted,
            mark: None,
            baseline: None,
            evidence: None,
            head: String::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LedgerState {
    /// Every step any event named, defined or not; see `defined_steps`.
    pub steps: Vec<StepState>,
    pub max_seq: u64,
    /// Ordering key of the last event applied.
    pub last_key: Option<(u64, String, String)>,
    pub events: u64,
}

impl LedgerState {
    pub fn step(&self, id: &str) -> Option<&StepState> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// Defined steps in definition order, retired ones included.
    pub fn defined_steps(&self) -> Vec<&StepState> {
        let mut v: Vec<&StepState> = self.steps.iter().filter(|s| s.defined.is_some()).collect();
        v.sort_by(|a, b| a.defined.cmp(&b.defined));
        v
    }

    /// Defined, not retired, in definition order.
    pub fn active_steps(&self) -> Vec<&StepState> {
        self.defined_steps()
            .into_iter()
            .filter(|s| !s.retired)
            .collect()
    }

    /// Whether `event` sorts after everything folded so far, so that
    /// applying it alone gives the same state as a full re-fold.
    pub fn follows(&self, event: &Event) -> bool {
        match &self.last_key {
            None => true,
            Some((seq, at, id)) => event.order_key() > (*seq, at.as_str(), id.as_str()),
        }
    }

    /// Applies one event, which must sort after all events applied so far.
    pub fn apply(&mut self, located: &Located) {
        let e = &located.event;
        self.max_seq = self.max_seq.max(e.seq);
        self.last_key = Some((e.seq, e.at.clone(), e.id.clone()));
        self.events += 1;
        if e.step.is_empty() {
            return;
        }
        let idx = match self.steps.iter().position(|s| s.id == e.step) {
            Some(i) => i,
            None => {
                self.steps.push(StepState::new(&e.step));
                self.steps.len() - 1
            }
        };
        let step = &mut self.steps[idx];
        step.head = e.id.clone();
        match e.kind {
            Kind::Define => apply_define(step, e),
            Kind::Retire => step.retired = true,
            Kind::Status => apply_status(step, &located.commit, e),
            Kind::Evidence => {
                step.evidence = Some(EvidenceSummary {
                    commit: located.commit.clone(),
                    at: e.at.clone(),
                    event: e.id.clone(),
                    result: e.str_field("result").unwrap_or("fail").to_string(),
                    dirty: e.bool_field("dirty").unwrap_or(false),
                    fingerprint: e.str_field("fingerprint").map(str::to_string),
                    checks: e.fields.get("checks").cloned().unwrap_or(Value::Null),
                    run: e.run.clone(),
                })
            }
            Kind::Ack => {
                if let Some(b) = &mut step.baseline {
                    b.fingerprint = e.str_field("fingerprint").map(str::to_string);
                    if let Some(tree) = e.str_field("tree") {
                        b.tree = Some(tree.to_string());
                    }
                    b.commit = located.commit.clone();
                    b.at = e.at.clone();
                    b.event = e.id.clone();
                }
            }
            Kind::Note => {}
        }
    }
}

fn apply_define(step: &mut StepState, e: &Event) {
    if step.defined.is_none() {
        step.defined = Some((e.seq, e.at.clone(), e.id.clone()));
    }
    step.retired = false;
    let d = &mut step.def;
    if let Some(t) = e.str_field("title") {
        d.title = t.to_string();
    }
    let lists: [(&str, &mut Vec<String>); 6] = [
        ("owns", &mut d.owns),
        ("checks", &mut d.checks),
        ("refs", &mut d.refs),
        ("edge_cases", &mut d.edge_cases),
        ("concerns", &mut d.concerns),
        ("todo", &mut d.todo),
    ];
    for (key, slot) in lists {
        if let Some(v) = e.list_field(key) {
            *slot = v;
        }
    }
    // `phase` and `summary`: present replaces, an explicit null clears.
    for (key, slot) in [("phase", &mut d.phase), ("summary", &mut d.summary)] {
        match e.fields.get(key) {
            Some(Value::Null) => *slot = None,
            Some(Value::String(s)) => *slot = Some(s.clone()),
            Some(Value::Array(parts)) => {
                let text: Vec<&str> = parts.iter().filter_map(Value::as_str).collect();
                *slot = Some(text.join("\n"));
            }
            _ => {}
        }
    }
}

fn apply_status(step: &mut StepState, commit: &str, e: &Event) {
    let Some(status) = e.str_field("status").and_then(Status::parse) else {
        return;
    };
    step.status = status;
    step.mark = Some(StatusMark {
        status,
        commit: commit.to_string(),
        at: e.at.clone(),
        by: e.by.clone(),
        event: e.id.clone(),
        source: e.source.clone(),
        msg: e.str_field("msg").map(str::to_string),
        run: e.run.clone(),
        files: e.list_field("files").unwrap_or_default(),
    });
    if status == Status::Verified {
        step.baseline = Some(Baseline {
            commit: commit.to_string(),
            at: e.at.clone(),
            event: e.id.clone(),
            fingerprint: e.str_field("fingerprint").map(str::to_string),
            tree: e.str_field("tree").map(str::to_string),
        });
    }
}

/// Sorts by (`seq`, `at`, `id`) and drops repeated ids (first wins).
pub fn order_events(mut events: Vec<Located>) -> Vec<Located> {
    events.sort_by(|a, b| a.event.order_key().cmp(&b.event.order_key()));
    let mut seen = HashSet::new();
    events.retain(|l| seen.insert(l.event.id.clone()));
    events
}

/// The whole fold: any set of events, in any order, gives one state.
pub fn fold_events(events: Vec<Located>) -> LedgerState {
    let mut state = LedgerState::default();
    for located in &order_events(events) {
        state.apply(located);
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(seq: u64, step: &str, kind: Kind) -> Event {
        let mut e = Event::draft(
            step,
            kind,
            format!("2026-01-01T00:00:{seq:02}Z"),
            "A <a@x>".into(),
            "cli",
        );
        e.seq = seq;
        e
    }

    fn at(commit: &str, mut e: Event) -> Located {
        e.id = e.content_id();
        Located {
            commit: commit.into(),
            event: e,
        }
    }

    fn define(seq: u64, step: &str, title: &str) -> Located {
        at("c1", ev(seq, step, Kind::Define).with("title", title))
    }

    fn status(seq: u64, step: &str, s: &str) -> Located {
        at("c2", ev(seq, step, Kind::Status).with("status", s))
    }

    #[test]
    fn order_of_input_does_not_matter() {
        let evs = vec![
            define(1, "S01", "One"),
            define(2, "S02", "Two"),
            status(3, "S01", "in_progress"),
            status(4, "S01", "verified"),
            status(5, "S02", "done"),
        ];
        let mut reversed = evs.clone();
        reversed.reverse();
        let a = fold_events(evs);
        assert_eq!(a, fold_events(reversed));
        assert_eq!(a.step("S01").unwrap().status, Status::Verified);
        assert_eq!(
            a.step("S02").unwrap().status,
            Status::CompletedPendingVerification
        );
        let order: Vec<&str> = a.active_steps().iter().map(|s| s.id.as_str()).collect();
        assert_eq!(order, ["S01", "S02"]);
        assert_eq!(a.max_seq, 5);
    }

    #[test]
    fn duplicate_ids_count_once() {
        let s = status(3, "S01", "verified");
        let mut copy = s.clone();
        copy.commit = "c9".into();
        let st = fold_events(vec![define(1, "S01", "One"), s, copy]);
        assert_eq!(st.events, 2);
        assert_eq!(st.step("S01").unwrap().mark.as_ref().unwrap().commit, "c2");
    }

    #[test]
    fn define_replaces_present_fields_and_keeps_absent_ones() {
        let first = at(
            "c1",
            ev(1, "S01", Kind::Define)
                .with("title", "One")
                .with("owns", vec!["src/**"])
                .with("phase", "P1"),
        );
        let edit = at(
            "c1",
            ev(2, "S01", Kind::Define).with("checks", vec!["make test"]),
        );
        let clear = at("c1", ev(3, "S01", Kind::Define).with("phase", Value::Null));
        let st = fold_events(vec![first.clone(), edit.clone()]);
        let d = &st.step("S01").unwrap().def;
        assert_eq!(
            (d.title.as_str(), d.owns.len(), d.checks.len()),
            ("One", 1, 1)
        );
        assert_eq!(d.phase.as_deref(), Some("P1"));
        let st = fold_events(vec![first, edit, clear]);
        assert_eq!(st.step("S01").unwrap().def.phase, None);
    }

    #[test]
    fn retire_hides_and_define_revives() {
        let retire = at("c1", ev(2, "S01", Kind::Retire));
        let st = fold_events(vec![define(1, "S01", "One"), retire.clone()]);
        assert!(st.active_steps().is_empty());
        assert_eq!(st.defined_steps().len(), 1);
        let st = fold_events(vec![
            define(1, "S01", "One"),
            retire,
            define(3, "S01", "Again"),
        ]);
        assert_eq!(st.active_steps()[0].def.title, "Again");
    }

    #[test]
    fn verified_sets_baseline_and_ack_moves_it() {
        let verified = at(
            "c2",
            ev(2, "S01", Kind::Status)
                .with("status", "verified")
                .with("fingerprint", "f1"),
        );
        let ack = at("c3", ev(3, "S01", Kind::Ack).with("fingerprint", "f2"));
        let st = fold_events(vec![define(1, "S01", "One"), verified, ack]);
        let s = st.step("S01").unwrap();
        assert_eq!(s.status, Status::Verified);
        let b = s.baseline.as_ref().unwrap();
        assert_eq!(
            (b.fingerprint.as_deref(), b.commit.as_str()),
            (Some("f2"), "c3")
        );
    }

    #[test]
    fn seq_then_at_then_id_decides_order() {
        // Same seq (two clones wrote concurrently): the later `at` wins.
        let mut a = ev(2, "S01", Kind::Status).with("status", "verified");
        a.at = "2026-01-01T00:00:10Z".into();
        let mut b = ev(2, "S01", Kind::Status).with("status", "drift_detected");
        b.at = "2026-01-01T00:00:20Z".into();
        let st = fold_events(vec![at("c", b), at("c", a), define(1, "S01", "One")]);
        assert_eq!(st.step("S01").unwrap().status, Status::DriftDetected);
    }

    #[test]
    fn incremental_apply_matches_full_fold() {
        let evs = vec![
            define(1, "S01", "One"),
            status(2, "S01", "wip"),
            status(3, "S01", "done"),
        ];
        let mut st = fold_events(evs[..2].to_vec());
        assert!(st.follows(&evs[2].event));
        assert!(!st.follows(&evs[0].event));
        st.apply(&evs[2]);
        assert_eq!(st, fold_events(evs));
    }
}
