//! The pure fold: events in, state out (SPEC 2.2–2.5). No I/O.
//!
//! The state is the ledger *as seen from a commit* (SPEC 2.5). The plan
//! (`define`, `retire`, ledger-wide notes) is shared by every commit.
//! Progress (`status`, `evidence`, `ack`, a step's notes) applies where the
//! commit holding it is in view: the commit seen from, or one of its
//! ancestors. A `verified` status (with its evidence) or an `ack` also
//! applies wherever its fingerprint equals the step's fingerprint there.
//! What is in view is an input, a [`Viewpoint`], that the store computes
//! from git; this module only applies the rule.

use super::event::Event;
use super::event_id::EventId;
use super::record::{AckBody, Body, Change, DefineBody, EvidenceBody, Record, StatusBody, Stored};
use super::status::Status;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashSet};

/// An event and the commit whose note holds it: the commit binding comes
/// from the note's key, never from a field.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    pub commit: String,
    pub event: Event,
}

/// What a fold sees from the commit it is made for.
pub trait Viewpoint {
    /// Whether the note of `commit` is in view: it is the commit seen from
    /// or one of its ancestors.
    fn sees(&self, commit: &str) -> bool;
    /// The step's fingerprint at the commit seen from; None when the step
    /// owns nothing there or the view does not know.
    fn fingerprint(&self, step: &str) -> Option<&str>;
}

/// Every note in view. This is the ledger of a linear history seen from
/// its tip, and what a fold of loose events (an export, a test) means.
pub struct Everywhere;

impl Viewpoint for Everywhere {
    fn sees(&self, _commit: &str) -> bool {
        true
    }
    fn fingerprint(&self, _step: &str) -> Option<&str> {
        None
    }
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
    /// Applies because its fingerprint matches, not because its commit is
    /// in view (a squash merge, a cherry-pick, a rebase without notes).
    #[serde(default)]
    pub by_content: bool,
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
    /// (passed, run) over its checks.
    pub checks: (u32, u32),
    pub run: Option<String>,
}

/// A `define` that created a step (it names no earlier event of the step
/// as `prev`): two of them with different titles or scopes are a collision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Creation {
    pub event: String,
    pub commit: String,
    pub at: String,
    pub by: String,
    pub title: String,
    pub owns: Vec<String>,
}

/// One step id created twice with different definitions (SPEC 2.5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Collision {
    pub step: String,
    pub definitions: Vec<Creation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepState {
    pub id: String,
    pub def: StepDef,
    /// Ordering key of the first `define`; None while only other kinds were seen.
    pub defined: Option<(u64, String, String)>,
    pub retired: bool,
    pub status: Status,
    // The parts a step may lack are boxed: inline they made a step's
    // state 952 bytes, and a fold makes one for every step (boxed, a cold
    // status at 100,000 steps peaks 17 MiB lower).
    pub mark: Option<Box<StatusMark>>,
    pub baseline: Option<Box<Baseline>>,
    pub evidence: Option<Box<EvidenceSummary>>,
    /// Id of the latest event of this step, written as `prev` by the next
    /// writer so that two otherwise identical events stay two events. Like
    /// the plan, it does not depend on the view.
    pub head: String,
    /// The first `define` that created the step. Not cached: it matters
    /// only when a define is folded, and a cached view folds a step's
    /// defines again from scratch.
    #[serde(skip)]
    pub created: Option<Box<Creation>>,
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
            created: None,
        }
    }
}

/// The state as written to and read from a cache: the lookup index is
/// rebuilt on reading.
#[derive(Deserialize)]
struct StoredState {
    steps: Vec<StepState>,
    max_seq: u64,
    last_key: Option<(u64, String, String)>,
    events: u64,
    #[serde(default)]
    collisions: Vec<Collision>,
    #[serde(default)]
    content_verified: BTreeSet<String>,
}

impl From<StoredState> for LedgerState {
    fn from(s: StoredState) -> LedgerState {
        let index = s
            .steps
            .iter()
            .enumerate()
            .map(|(i, st)| (st.id.clone(), i))
            .collect();
        LedgerState {
            steps: s.steps,
            index,
            max_seq: s.max_seq,
            last_key: s.last_key,
            events: s.events,
            collisions: s.collisions,
            content_verified: s.content_verified,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "StoredState")]
pub struct LedgerState {
    /// Every step any event named, defined or not; see `defined_steps`.
    pub steps: Vec<StepState>,
    /// Step id to place in `steps`. Hashed with foldhash, not SipHash: a
    /// fold looks a step up for every event (SipHash alone was some 2% of
    /// a cold read at 100,000 steps).
    #[serde(skip)]
    index: foldhash::HashMap<String, usize>,
    /// Highest `seq` of the whole ledger, whatever the view.
    pub max_seq: u64,
    /// Ordering key of the last event folded.
    pub last_key: Option<(u64, String, String)>,
    /// Distinct events in the ledger, whatever the view.
    pub events: u64,
    /// Step ids created twice with different definitions, not yet settled.
    /// The fold lists candidates; the store keeps those whose creations sit
    /// on commits of different branches.
    pub collisions: Vec<Collision>,
    /// Steps whose owned files, seen from here, are exactly what some
    /// `verified` status recorded (see [`Scope`]).
    pub content_verified: BTreeSet<String>,
}

impl LedgerState {
    pub fn step(&self, id: &str) -> Option<&StepState> {
        self.index.get(id).map(|&i| &self.steps[i])
    }

    fn index_of(&mut self, id: &str) -> usize {
        match self.index.get(id) {
            Some(&i) => i,
            None => {
                self.steps.push(StepState::new(id));
                self.index.insert(id.to_string(), self.steps.len() - 1);
                self.steps.len() - 1
            }
        }
    }

    /// The plan part of a `define` or `retire`: the same in every view.
    fn apply_seen_plan(&mut self, located: &Stored) {
        let e = &located.record;
        let idx = self.index_of(&e.step);
        let step = &mut self.steps[idx];
        match &e.body {
            Body::Define(d) => {
                if let Some((first, other)) = apply_define(step, &located.commit, e, d) {
                    self.note_collision(&e.step, first, other);
                }
                if !d.resolves.is_empty() {
                    self.collisions.retain(|c| {
                        c.step != *e.step
                            || !c
                                .definitions
                                .iter()
                                .all(|def| d.resolves.iter().any(|r| **r == *def.event))
                    });
                }
            }
            Body::Retire => step.retired = true,
            _ => {}
        }
    }

    fn step_mut(&mut self, id: &str) -> &mut StepState {
        let i = match self.index.get(id) {
            Some(&i) => i,
            None => {
                self.steps.push(StepState::new(id));
                self.index.insert(id.to_string(), self.steps.len() - 1);
                self.steps.len() - 1
            }
        };
        &mut self.steps[i]
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
    pub fn follows(&self, record: &Record) -> bool {
        match &self.last_key {
            None => true,
            Some((seq, at, id)) => (record.seq, &*record.at)
                .cmp(&(*seq, at.as_str()))
                .then_with(|| record.id.cmp_text(id))
                .is_gt(),
        }
    }

    /// Applies one event that sorts after all events folded so far, as
    /// the full fold would in `view`: what a writer does with what it just
    /// wrote. (Evidence held elsewhere is only borrowed by a full fold.)
    pub fn apply_from(&mut self, located: &Stored, view: &dyn Viewpoint) {
        let e = &located.record;
        if e.status() == Some(Status::Verified)
            && e.fingerprint().is_some()
            && e.fingerprint() == view.fingerprint(&e.step)
        {
            self.content_verified.insert(e.step.to_string());
        }
        let how = if superseded_by_content(e, &self.content_verified) {
            Applies::No
        } else if plan_event(e) || view.sees(&located.commit) {
            Applies::Yes
        } else if applies_by_content(e, view) {
            Applies::ByContent
        } else {
            Applies::No
        };
        self.apply_seen(located, how != Applies::No, how == Applies::ByContent);
    }

    /// [`apply_from`](Self::apply_from) with every note in view.
    #[cfg(test)]
    pub fn apply(&mut self, located: &Stored) {
        self.apply_from(located, &Everywhere);
    }

    /// Applies one event in fold order. `applies`: whether its progress
    /// part counts in this view; `by_content`: it counts through its
    /// fingerprint rather than its commit. The plan part always counts.
    fn apply_seen(&mut self, located: &Stored, applies: bool, by_content: bool) {
        let e = &located.record;
        self.max_seq = self.max_seq.max(e.seq);
        // Rewritten in place: a replay (an export's timeline and trend)
        // passes here for every event, and only the last key is kept.
        match &mut self.last_key {
            Some((seq, at, id)) => {
                *seq = e.seq;
                at.clear();
                at.push_str(&e.at);
                id.clear();
                use std::fmt::Write;
                let _ = write!(id, "{}", e.id);
            }
            None => self.last_key = Some((e.seq, e.at.to_string(), e.id.to_string())),
        }
        self.events += 1;
        if e.step.is_empty() {
            return;
        }
        if matches!(e.body, Body::Define(_) | Body::Retire) {
            self.apply_seen_plan(located);
        }
        let step = self.step_mut(&e.step);
        step.head = e.id.to_string();
        match &e.body {
            Body::Define(_) | Body::Retire => {}
            _ if !applies => {}
            Body::Status(s) => apply_status(step, &located.commit, e, s, by_content),
            Body::Evidence(ev) => {
                step.evidence = Some(Box::new(evidence_summary(&located.commit, e, ev)))
            }
            Body::Ack(a) => {
                if let Some(b) = &mut step.baseline {
                    acknowledge(b, &located.commit, e, a);
                    if let Some(tree) = &a.tree {
                        b.tree = Some(tree.to_string());
                    }
                }
            }
            Body::Note => {}
        }
    }

    /// Folds the steps in `steps` again from `events` (which hold every
    /// event of those steps, and maybe others), as seen from `view`, and
    /// puts the result in place of what the state had for them. The steps
    /// of a ledger fold independently, so a view can follow new commits or
    /// new notes by refolding only the steps they touch. `added`: events
    /// the ledger gained since the state was folded.
    pub fn refold_steps(
        &mut self,
        steps: &BTreeSet<String>,
        events: Vec<Stored>,
        view: &dyn Viewpoint,
        added: u64,
    ) {
        let mine: Vec<Stored> = events
            .into_iter()
            .filter(|l| steps.contains(&*l.record.step))
            .collect();
        let partial = fold_at(mine, view);
        for id in steps {
            match (partial.step(id), self.index.get(id.as_str()).copied()) {
                (Some(fresh), Some(i)) => self.steps[i] = fresh.clone(),
                (Some(fresh), None) => {
                    self.index.insert(id.clone(), self.steps.len());
                    self.steps.push(fresh.clone());
                }
                (None, _) => {}
            }
            self.content_verified.remove(id);
        }
        self.content_verified
            .extend(partial.content_verified.iter().cloned());
        self.collisions.retain(|c| !steps.contains(&c.step));
        self.collisions.extend(partial.collisions.iter().cloned());
        self.max_seq = self.max_seq.max(partial.max_seq);
        if partial.last_key > self.last_key {
            self.last_key = partial.last_key.clone();
        }
        self.events += added;
    }

    fn note_collision(&mut self, step: &str, first: Creation, other: Creation) {
        match self.collisions.iter_mut().find(|c| c.step == step) {
            Some(c) => c.definitions.push(other),
            None => self.collisions.push(Collision {
                step: step.to_string(),
                definitions: vec![first, other],
            }),
        }
    }
}

/// Applies a `define`; returns (first creation, this one) when it creates
/// the step a second time with another title or scope.
fn apply_define(
    step: &mut StepState,
    commit: &str,
    e: &Record,
    b: &DefineBody,
) -> Option<(Creation, Creation)> {
    if step.defined.is_none() {
        step.defined = Some((e.seq, e.at.to_string(), e.id.to_string()));
    }
    step.retired = false;
    let d = &mut step.def;
    if let Some(t) = &b.title {
        d.title = t.to_string();
    }
    type Slot<'s> = (&'s Option<Vec<Box<str>>>, &'s mut Vec<String>);
    let lists: [Slot<'_>; 6] = [
        (&b.owns, &mut d.owns),
        (&b.checks, &mut d.checks),
        (&b.refs, &mut d.refs),
        (&b.edge_cases, &mut d.edge_cases),
        (&b.concerns, &mut d.concerns),
        (&b.todo, &mut d.todo),
    ];
    for (value, slot) in lists {
        if let Some(v) = value {
            *slot = v.iter().map(|s| s.to_string()).collect();
        }
    }
    // `phase` and `summary`: present replaces, an explicit null clears.
    for (change, slot) in [(&b.phase, &mut d.phase), (&b.summary, &mut d.summary)] {
        match change {
            Change::Keep => {}
            Change::Clear => *slot = None,
            Change::Set(v) => *slot = Some(v.to_string()),
        }
    }
    if b.prev {
        return None;
    }
    let this = Creation {
        event: e.id.to_string(),
        commit: commit.to_string(),
        at: e.at.to_string(),
        by: e.by.to_string(),
        title: b.title.as_deref().unwrap_or_default().to_string(),
        owns: b
            .owns
            .as_ref()
            .map(|o| o.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default(),
    };
    match &step.created {
        None => {
            step.created = Some(Box::new(this));
            None
        }
        Some(first) if first.title != this.title || first.owns != this.owns => {
            Some((Creation::clone(first), this))
        }
        Some(_) => None,
    }
}

fn apply_status(step: &mut StepState, commit: &str, e: &Record, s: &StatusBody, by_content: bool) {
    let Some(status) = s.status else {
        return;
    };
    step.status = status;
    step.mark = Some(Box::new(StatusMark {
        status,
        commit: commit.to_string(),
        at: e.at.to_string(),
        by: e.by.to_string(),
        event: e.id.to_string(),
        source: e.source.to_string(),
        msg: s.msg.as_deref().map(str::to_string),
        run: e.run.as_deref().map(str::to_string),
        files: s.files.iter().map(|f| f.to_string()).collect(),
        by_content,
    }));
    if status == Status::Verified {
        step.baseline = Some(Box::new(baseline(commit, e, s)));
    }
}

/// What a `verified` status sets as the step's baseline.
fn baseline(commit: &str, e: &Record, s: &StatusBody) -> Baseline {
    Baseline {
        commit: commit.to_string(),
        at: e.at.to_string(),
        event: e.id.to_string(),
        fingerprint: s.fingerprint.as_deref().map(str::to_string),
        tree: s.tree.as_deref().map(str::to_string),
    }
}

/// An `ack` moves the baseline to its own fingerprint, commit and event
/// (its tree, when it names one, is set by the caller).
fn acknowledge(b: &mut Baseline, commit: &str, e: &Record, a: &AckBody) {
    b.fingerprint = a.fingerprint.as_deref().map(str::to_string);
    b.commit = commit.to_string();
    b.at = e.at.to_string();
    b.event = e.id.to_string();
}

/// The step's latest evidence, as an `evidence` event records it.
fn evidence_summary(commit: &str, e: &Record, ev: &EvidenceBody) -> EvidenceSummary {
    EvidenceSummary {
        commit: commit.to_string(),
        at: e.at.to_string(),
        event: e.id.to_string(),
        result: ev.result.as_deref().unwrap_or("fail").to_string(),
        dirty: ev.dirty.unwrap_or(false),
        fingerprint: ev.fingerprint.as_deref().map(str::to_string),
        checks: ev.checks,
        run: e.run.as_deref().map(str::to_string),
    }
}

/// Which events count in a view, and how (SPEC 2.5).
pub struct Scope<'v> {
    view: &'v dyn Viewpoint,
    /// Evidence that justified a `verified` applying by its fingerprint:
    /// the ids (as [`id_key`]s) that these verifications cite.
    borrowed: HashSet<u128>,
    /// Steps whose owned files, seen from here, are exactly what some
    /// `verified` status recorded.
    content_verified: BTreeSet<String>,
}

/// How an event counts in a view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applies {
    /// Plan events, and progress held by a commit in view.
    Yes,
    /// A verification of identical content held elsewhere.
    ByContent,
    No,
}

fn plan_event(e: &Record) -> bool {
    match e.body {
        Body::Define(_) | Body::Retire => true,
        Body::Note => e.step.is_empty(),
        _ => false,
    }
}

/// A `verified` status or an `ack` whose fingerprint is the step's, here.
fn applies_by_content(e: &Record, view: &dyn Viewpoint) -> bool {
    let fp = e.fingerprint();
    let matches = fp.is_some() && fp == view.fingerprint(&e.step);
    match &e.body {
        Body::Status(s) => s.status == Some(Status::Verified) && matches,
        Body::Ack(_) => matches,
        _ => false,
    }
}

/// A status that a commit's trailer or an undeclared change gave the step
/// says what that commit did to the step's files. Where those files are
/// exactly what was verified, the verification stands: otherwise a
/// cherry-pick, a rebase no hook saw (a forge's rebase-and-merge) or a
/// revert would undo it. Statuses someone chose (`mark`, `verify`, an
/// import) keep the latest-wins rule.
fn superseded_by_content(e: &Record, content_verified: &BTreeSet<String>) -> bool {
    matches!(&e.body, Body::Status(s) if s.status != Some(Status::Verified))
        && matches!(&*e.source, "trailer" | "hook" | "check")
        && content_verified.contains(&*e.step)
}

impl<'v> Scope<'v> {
    pub fn new(events: &[Stored], view: &'v dyn Viewpoint) -> Scope<'v> {
        let matching: Vec<&Stored> = events
            .iter()
            .filter(|l| {
                let e = &l.record;
                e.status() == Some(Status::Verified)
                    && e.fingerprint().is_some()
                    && e.fingerprint() == view.fingerprint(&e.step)
            })
            .collect();
        Scope {
            view,
            content_verified: matching.iter().map(|l| l.record.step.to_string()).collect(),
            borrowed: matching
                .iter()
                .filter(|l| !view.sees(&l.commit))
                .filter_map(|l| match &l.record.body {
                    Body::Status(s) => s.evidence.as_deref().map(id_key),
                    _ => None,
                })
                .collect(),
        }
    }

    #[cfg(test)]
    pub fn applies(&self, l: &Stored) -> Applies {
        self.applies_seen(l, self.view.sees(&l.commit))
    }

    /// How `l` applies in this view, told whether the view sees its note.
    pub fn applies_seen(&self, l: &Stored, seen: bool) -> Applies {
        let e = &l.record;
        if superseded_by_content(e, &self.content_verified) {
            return Applies::No;
        }
        if plan_event(e) || seen {
            return Applies::Yes;
        }
        let content = match &e.body {
            Body::Evidence(_) => self.borrowed.contains(&e.id.key()),
            _ => applies_by_content(e, self.view),
        };
        if content {
            Applies::ByContent
        } else {
            Applies::No
        }
    }
}

/// The events in fold order, without whether each is seen.
#[cfg(test)]
pub fn order_events_in(events: Vec<Stored>, view: &dyn Viewpoint) -> Vec<Stored> {
    order_events_seen(events, view).0
}

/// Sorts by (`seq`, `at`, `id`) and drops repeated ids: of the copies of
/// one event (a rewrite or a merge put it on several commits), the one in
/// view is kept, else the first. Beside each kept event, whether `view`
/// sees its note: asked once per note (seeing is a search among every
/// annotated commit in view), for the fold to use again.
pub fn order_events_seen(events: Vec<Stored>, view: &dyn Viewpoint) -> (Vec<Stored>, Vec<bool>) {
    let order = fold_order(&events, view, |_| true);
    in_order(events, order)
}

/// The fold order of a set of events, found without moving them (see
/// [`fold_order`]); [`in_order`] puts them in it.
pub struct Order {
    /// Places in the events: those folded in fold order, then the others.
    places: Vec<usize>,
    /// How many of `places` are folded.
    folded: usize,
    /// Beside each folded place, whether the view sees its note.
    sees: Vec<bool>,
}

/// The order in which `events` fold as seen from `view` (which is asked
/// only what it sees), of those for which `keep` holds. The events are
/// only read: a caller may find the order while another thread reads
/// them too.
pub fn fold_order(
    events: &[Stored],
    view: &dyn Viewpoint,
    keep: impl Fn(&Stored) -> bool,
) -> Order {
    // Asked once per note: a note's events lie side by side, and share
    // its name.
    let mut last: Option<(&std::sync::Arc<str>, bool)> = None;
    let unseen: Vec<bool> = events
        .iter()
        .map(|l| match last {
            Some((c, unseen)) if std::sync::Arc::ptr_eq(c, &l.commit) => unseen,
            _ => {
                let unseen = !view.sees(&l.commit);
                last = Some((&l.commit, unseen));
                unseen
            }
        })
        .collect();
    // A key is the `seq` and the place; events of one `seq` are told
    // apart by their other fields.
    let mut keys: Vec<(u64, usize)> = Vec::with_capacity(events.len());
    let mut others: Vec<usize> = Vec::new();
    for (i, l) in events.iter().enumerate() {
        match keep(l) {
            true => keys.push((l.record.seq, i)),
            false => others.push(i),
        }
    }
    let rest = |i: usize| tie_key(&events[i], unseen[i], i);
    keys.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| rest(a.1).cmp(&rest(b.1))));
    let folded = keys.len();
    let mut places: Vec<usize> = keys.into_iter().map(|k| k.1).collect();
    let sees = places.iter().map(|&i| !unseen[i]).collect();
    places.extend(others);
    Order {
        places,
        folded,
        sees,
    }
}

/// `events` (those `order` was found for) in that order, each id once,
/// with whether the view sees each one's note. Sorted where they lie, by
/// swaps along the permutation's cycles, so that a ledger of 200,000
/// events is not held twice.
pub fn in_order(mut events: Vec<Stored>, order: Order) -> (Vec<Stored>, Vec<bool>) {
    let Order {
        mut places,
        folded,
        mut sees,
    } = order;
    // Found for other events: a bug (reported as one), not a state.
    assert_eq!(
        places.len(),
        events.len(),
        "an order found for other events"
    );
    permute(&mut events, &mut places);
    events.truncate(folded);
    let mut ids = foldhash::HashSet::with_capacity_and_hasher(events.len(), Default::default());
    let keep: Vec<bool> = events
        .iter()
        .map(|l| ids.insert(l.record.id.key()))
        .collect();
    let mut k = keep.iter();
    events.retain(|_| *k.next().unwrap_or(&false));
    let mut k = keep.iter();
    sees.retain(|_| *k.next().unwrap_or(&false));
    (events, sees)
}

/// What orders the events of one `seq` in the fold: `unseen`, whether its
/// note is out of view (a copy in view comes first), and `i` its place.
fn tie_key(l: &Stored, unseen: bool, i: usize) -> (&str, &EventId, bool, &str, usize) {
    (&l.record.at, &l.record.id, unseen, &l.commit, i)
}

/// Puts at each place `k` of `items` the item that was at `order[k]`,
/// by swaps along each cycle of the permutation. Consumes `order`.
fn permute<T>(items: &mut [T], order: &mut [usize]) {
    const DONE: usize = usize::MAX;
    for start in 0..items.len() {
        let mut k = start;
        // Place `k` holds the item first at `start` until its own comes.
        while order[k] != DONE {
            let from = std::mem::replace(&mut order[k], DONE);
            if from == start {
                break;
            }
            items.swap(k, from);
            k = from;
        }
    }
}

/// An event id as a number: ids are 32 hex characters; any other text
/// (a hand-written line) is hashed.
pub fn id_key(id: &str) -> u128 {
    if let Some(bytes) = crate::hex::decode::<16>(id) {
        return u128::from_be_bytes(bytes);
    }
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    id.hash(&mut h);
    u128::from(h.finish())
}

/// The ledger as seen from `view`: any set of events, in any order, gives
/// one state.
pub fn fold_at(events: Vec<Stored>, view: &dyn Viewpoint) -> LedgerState {
    fold_ordered(order_events_seen(events, view), view)
}

/// [`fold_at`] of `events`, their fold order found already (by
/// [`fold_order`] with the same view's answers on what it sees).
pub fn fold_in(events: Vec<Stored>, order: Order, view: &dyn Viewpoint) -> LedgerState {
    fold_ordered(in_order(events, order), view)
}

/// The fold of events in fold order, each beside whether `view` sees it.
fn fold_ordered((ordered, seen): (Vec<Stored>, Vec<bool>), view: &dyn Viewpoint) -> LedgerState {
    let scope = Scope::new(&ordered, view);
    let mut state = LedgerState {
        content_verified: scope.content_verified.clone(),
        ..LedgerState::default()
    };
    // The plan is applied as it comes; for progress only the winners'
    // places are kept, and made into the state once at the end: the same
    // result as applying every event in order, without building a status
    // mark for each of thousands of events.
    let mut won: Vec<Won> = Vec::new();
    // Room for every step up front: a step is all but always defined, and
    // growing the list step by step copied every state made so far at
    // each doubling. Room not used is never touched, so it costs no
    // memory.
    let defines = ordered
        .iter()
        .filter(|l| matches!(l.record.body, Body::Define(_)))
        .count();
    state.steps.reserve(defines);
    state.index.reserve(defines);
    won.reserve(defines);
    for (i, located) in ordered.iter().enumerate() {
        let e = &located.record;
        state.max_seq = state.max_seq.max(e.seq);
        state.events += 1;
        if e.step.is_empty() {
            continue;
        }
        let how = scope.applies_seen(located, seen[i]);
        let idx = state.index_of(&e.step);
        if won.len() <= idx {
            won.resize_with(idx + 1, Won::default);
        }
        let w = &mut won[idx];
        w.head = Some(i);
        match &e.body {
            Body::Define(_) | Body::Retire => {
                state.apply_seen_plan(located);
            }
            _ if how == Applies::No => {}
            Body::Status(s) => {
                if let Some(status) = s.status {
                    w.mark = Some((i, how == Applies::ByContent));
                    if status == Status::Verified {
                        w.verified = Some(i);
                        w.ack = None;
                        w.tree_from = Some(i);
                    }
                }
            }
            Body::Evidence(_) => w.evidence = Some(i),
            Body::Ack(a) => {
                if w.verified.is_some() {
                    w.ack = Some(i);
                    if a.tree.is_some() {
                        w.tree_from = Some(i);
                    }
                }
            }
            Body::Note => {}
        }
    }
    if let Some(last) = ordered.last() {
        let e = &last.record;
        state.last_key = Some((e.seq, e.at.to_string(), e.id.to_string()));
    }
    for (idx, w) in won.iter().enumerate() {
        let step = &mut state.steps[idx];
        if let Some(h) = w.head {
            step.head = ordered[h].record.id.to_string();
        }
        if let Some((m, by_content)) = w.mark {
            let l = &ordered[m];
            if let Body::Status(s) = &l.record.body {
                apply_status(step, &l.commit, &l.record, s, by_content);
            }
        }
        if let Some(v) = w.verified {
            let l = &ordered[v];
            if let Body::Status(s) = &l.record.body {
                step.baseline = Some(Box::new(baseline(&l.commit, &l.record, s)));
            }
            if let (Some(a), Some(b)) = (w.ack, step.baseline.as_mut()) {
                let l = &ordered[a];
                if let Body::Ack(ack) = &l.record.body {
                    acknowledge(b, &l.commit, &l.record, ack);
                }
            }
            if let (Some(t), Some(b)) = (w.tree_from, step.baseline.as_mut()) {
                b.tree = match &ordered[t].record.body {
                    Body::Status(s) => s.tree.as_deref().map(str::to_string),
                    Body::Ack(a) => a.tree.as_deref().map(str::to_string),
                    _ => b.tree.take(),
                };
            }
        }
        if let Some(ev) = w.evidence {
            let l = &ordered[ev];
            if let Body::Evidence(body) = &l.record.body {
                step.evidence = Some(Box::new(evidence_summary(&l.commit, &l.record, body)));
            }
        }
    }
    state
}

/// Where a step's progress winners sit in the ordered events.
#[derive(Default)]
struct Won {
    head: Option<usize>,
    mark: Option<(usize, bool)>,
    verified: Option<usize>,
    ack: Option<usize>,
    /// The latest of the verification and its acks that names a tree.
    tree_from: Option<usize>,
    evidence: Option<usize>,
}

/// Each active step's owned globs, in definition order: what
/// [`fold_events`] of the ledger's defines and retires makes of them
/// (the plan is the same in every view), without folding whole steps.
/// Borrowed from `events`, which need not be in order.
pub fn plan_owns(events: &[Stored]) -> Vec<(&str, Vec<String>)> {
    let mut plan: Vec<usize> = (0..events.len())
        .filter(|&i| {
            let r = &events[i].record;
            !r.step.is_empty() && matches!(r.body, Body::Define(_) | Body::Retire)
        })
        .collect();
    // The fold's order with every note in view, and its first copy of
    // each event.
    let key = |i: usize| (events[i].record.seq, tie_key(&events[i], false, i));
    plan.sort_unstable_by(|&a, &b| key(a).cmp(&key(b)));
    let mut seen = foldhash::HashSet::with_capacity_and_hasher(plan.len(), Default::default());
    plan.retain(|&i| seen.insert(events[i].record.id.key()));
    struct Plan<'a> {
        defined: Option<(u64, &'a str, &'a EventId)>,
        retired: bool,
        owns: &'a [Box<str>],
    }
    let mut steps: foldhash::HashMap<&str, Plan<'_>> = Default::default();
    for i in plan {
        let r = &events[i].record;
        let step = steps.entry(&r.step).or_insert(Plan {
            defined: None,
            retired: false,
            owns: &[],
        });
        match &r.body {
            Body::Define(d) => {
                step.defined.get_or_insert((r.seq, &r.at, &r.id));
                step.retired = false;
                if let Some(owns) = &d.owns {
                    step.owns = owns;
                }
            }
            _ => step.retired = true,
        }
    }
    let mut active: Vec<(&str, Plan<'_>)> = steps
        .into_iter()
        .filter(|(_, p)| p.defined.is_some() && !p.retired)
        .collect();
    active.sort_unstable_by(|a, b| a.1.defined.cmp(&b.1.defined));
    active
        .into_iter()
        .map(|(id, p)| (id, p.owns.iter().map(|o| o.to_string()).collect()))
        .collect()
}

/// The fold with every note in view.
#[cfg(test)]
pub fn fold_events(events: Vec<Stored>) -> LedgerState {
    fold_at(events, &Everywhere)
}

#[cfg(test)]
mod tests;
