//! Commits → events: what trailers declare, what undeclared changes to
//! owned files mean, and what HEAD's fingerprints say. Shared by the hooks,
//! `scan` and `check`.
//!
//! Every event made here has an id derived from its origin (the commit and
//! the trailer text, or the commit and the step for drift), appended with
//! `Draft::with_fixed_id`: ingesting twice, or in two clones, adds nothing.
//! Planning runs against a working copy of the state, so each decision sees
//! the events planned before it, and the same plan can be written or, for
//! `--no-record`, only applied in memory.

pub mod head;
pub mod lineage;
pub mod range;
pub mod touch;
pub mod trailer;

use crate::git::fingerprint::{fingerprint, owned_files};
use crate::git::owns::Owns;
use crate::git::repo::{NOTES_REF, short};
use crate::git::trailers::{self, LedgerTrailers};
use crate::git::treediff;
use crate::ledger::event::hash_id;
use crate::ledger::{Event, Kind, LedgerState, Located, Status, StepState, time};
use crate::store::{self, Draft, Loaded, Sight, notes};
use anyhow::Result;
use git2::{Commit, Oid, Repository, Tree};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// One commit, read once: its trailers and who/when for derived events.
pub struct CommitInfo<'r> {
    pub commit: Commit<'r>,
    pub id: Oid,
    pub trailers: LedgerTrailers,
    pub subject: String,
    pub author: String,
    pub at: String,
    /// For a commit made by a rewrite: the commit it replaces.
    pub original: Option<Oid>,
    changed: Option<Vec<String>>,
}

impl<'r> CommitInfo<'r> {
    pub fn read(commit: Commit<'r>) -> CommitInfo<'r> {
        let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
        let mut trailers = if mentions_ledger(message.as_bytes())
            && crate::hooks::beyond_limits(message.len(), 0).is_none()
        {
            trailers::parse(&message)
        } else {
            LedgerTrailers::default()
        };
        let why = crate::hooks::beyond_limits(message.len(), trailers.declarations.len());
        if let Some(why) = why.filter(|_| mentions_ledger(message.as_bytes())) {
            crate::output::warn(&format!(
                "the ledger trailers of {} are not read here: {why}; git ledger scan {} reads them",
                short(&commit.id().to_string()),
                short(&commit.id().to_string())
            ));
            trailers = LedgerTrailers::default();
        }
        let author = {
            let a = commit.author();
            format!(
                "{} <{}>",
                String::from_utf8_lossy(a.name_bytes()),
                String::from_utf8_lossy(a.email_bytes())
            )
        };
        CommitInfo {
            id: commit.id(),
            trailers,
            subject: message.lines().next().unwrap_or("").trim().to_string(),
            author,
            at: time::format_rfc3339(commit.time().seconds()),
            commit,
            original: None,
            changed: None,
        }
    }

    pub fn short(&self) -> String {
        short(&self.id.to_string()).to_string()
    }

    /// Paths this commit changed against its first parent (all its files
    /// for a root commit); computed once, in time proportional to the change.
    pub fn changed(&mut self, repo: &Repository) -> Result<&[String]> {
        if self.changed.is_none() {
            let tree = self.commit.tree()?;
            let parent_tree = match self.commit.parent(0) {
                Ok(p) => Some(p.tree()?),
                Err(_) => None,
            };
            self.changed = Some(treediff::changed_files(repo, parent_tree.as_ref(), &tree)?);
        }
        Ok(self.changed.as_deref().unwrap_or(&[]))
    }
}

/// Why a trailer did not become an event.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub commit: String,
    pub trailer: String,
    pub reason: String,
}

/// A step found drifted: by an undeclared change (hooks) or at HEAD (check).
#[derive(Debug, Clone, Serialize)]
pub struct Drift {
    pub step: String,
    pub title: String,
    /// The status the drift replaced.
    pub was: Status,
    pub commit: String,
    pub files: Vec<String>,
    /// `undeclared` (a commit changed the files without declaring it) or
    /// `fingerprint` (the files at HEAD differ from the verified ones).
    pub cause: &'static str,
    /// The drift event's id (also when it was recorded before).
    pub event: String,
    /// Whether this run planned it (false: already recorded).
    pub new: bool,
}

/// A ledger trailer as read from a commit.
#[derive(Debug, Clone, Serialize)]
pub struct ReadTrailer {
    pub commit: String,
    pub key: &'static str,
    pub value: String,
}

/// What planning found, besides the events.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Commits with ledger trailers.
    pub commits: usize,
    /// Their ledger trailers, in order.
    pub trailers: Vec<ReadTrailer>,
    /// Events already in the ledger (an earlier ingest, another clone, a rewrite's copy).
    pub already: usize,
    /// Trailers whose step has a later status (or verification) than the commit.
    pub superseded: Vec<Skipped>,
    /// Trailers naming unknown or retired steps, or that cannot be read.
    pub rejected: Vec<Skipped>,
    pub drift: Vec<Drift>,
    /// Hook drift withdrawn because a rewritten commit now declares its change.
    pub withdrawn: Vec<String>,
}

/// The ids, and the (step, trailer text) pairs of trailer events, of one
/// commit's note.
#[derive(Default)]
struct NoteIndex {
    ids: HashSet<String>,
    trailers: HashSet<(String, String)>,
}

impl NoteIndex {
    fn add(&mut self, e: &Event) {
        self.ids.insert(e.id.clone());
        if e.source == "trailer"
            && let Some(t) = e.str_field("trailer")
        {
            self.trailers.insert((e.step.clone(), t.to_string()));
        }
    }
}

/// Planned events against a working copy of the ledger state.
pub struct Batch<'r> {
    pub repo: &'r Repository,
    pub state: LedgerState,
    /// What the commit the batch is judged at sees (SPEC 2.5).
    pub sight: Sight,
    pub drafts: Vec<Draft>,
    /// Per commit, where its drafts sit in `drafts`: a scan that plans
    /// one event on each of 20,000 commits looked through every draft
    /// for each commit it read (a fifth of that scan's time).
    drafted: HashMap<Oid, Vec<usize>>,
    pub report: Report,
    /// Trailer statuses of old commits give way to later ones (scan, check);
    /// a commit just made has nothing later (hooks).
    pub history: bool,
    notes_tip: Option<Oid>,
    /// The notes tree at `notes_tip`, read once.
    notes_tree: Option<Option<Tree<'r>>>,
    notes_on: HashMap<Oid, Vec<Event>>,
    note_index: HashMap<Oid, NoteIndex>,
    owns: HashMap<String, Owns>,
    /// The range being ingested and its tip, for `is_later`.
    range: Option<(Vec<Oid>, Oid)>,
    lineage: Option<lineage::Lineage>,
    ancestry: Option<crate::git::history::History<'r>>,
}

impl<'r> Batch<'r> {
    pub fn new(repo: &'r Repository, loaded: &Loaded, history: bool) -> Result<Batch<'r>> {
        Ok(Batch {
            repo,
            state: loaded.state.clone(),
            sight: loaded.sight.clone(),
            drafts: Vec::new(),
            drafted: HashMap::new(),
            report: Report::default(),
            history,
            notes_tip: store::tip(repo)?,
            notes_tree: None,
            notes_on: HashMap::new(),
            note_index: HashMap::new(),
            owns: HashMap::new(),
            range: None,
            lineage: None,
            ancestry: None,
        })
    }

    /// Plans `event` on `commit` with an id derived from its origin, and
    /// applies it to the working state.
    pub fn push(&mut self, commit: Oid, event: Event, origin: &str) {
        self.push_with_id(commit, event, hash_id(origin.as_bytes()));
    }

    /// `push` with the origin's id already computed.
    pub fn push_with_id(&mut self, commit: Oid, mut event: Event, id: String) {
        event.id = id;
        event.seq = self.state.max_seq.saturating_add(1);
        if let Ok(record) = crate::ledger::record::Record::from_event(&event) {
            let stored = crate::ledger::record::Stored {
                commit: commit.to_string().into(),
                record,
            };
            self.state.apply_from(&stored, &self.sight);
        }
        if let Some(index) = self.note_index.get_mut(&commit) {
            index.add(&event);
        }
        if let Some(known) = self.notes_on.get_mut(&commit) {
            known.push(event.clone());
        }
        let id = event.id.clone();
        self.drafted
            .entry(commit)
            .or_default()
            .push(self.drafts.len());
        self.drafts.push(Draft::with_fixed_id(commit, event, id));
    }

    /// The events already in the note of `commit`.
    pub fn note_events(&mut self, commit: Oid) -> Result<&[Event]> {
        if !self.notes_on.contains_key(&commit) {
            if self.notes_tree.is_none() {
                self.notes_tree = Some(notes::notes_tree(self.repo, self.notes_tip)?);
            }
            let text = match self.notes_tree.as_ref().and_then(Option::as_ref) {
                Some(tree) => notes::note_text_in(self.repo, tree, &commit.to_string())?,
                None => String::new(),
            };
            let mut events: Vec<Event> = text
                .lines()
                .filter_map(|l| Event::parse_line(l).ok())
                .collect();
            // Planned in this batch, not yet written.
            let drafted = self.drafted.get(&commit).map(Vec::as_slice).unwrap_or(&[]);
            events.extend(drafted.iter().map(|&i| self.drafts[i].event.clone()));
            self.notes_on.insert(commit, events);
        }
        Ok(self.notes_on.get(&commit).map(Vec::as_slice).unwrap_or(&[]))
    }

    /// Whether the note of `commit` (or this batch) already holds the event
    /// `id`, or a trailer event for `step` from the same trailer text.
    /// Answered from an index, so a commit naming thousands of steps costs
    /// time in proportion to them, not to their square.
    pub fn note_holds(&mut self, commit: Oid, id: &str, step: &str, trailer: &str) -> Result<bool> {
        if !self.note_index.contains_key(&commit) {
            let mut index = NoteIndex::default();
            for e in self.note_events(commit)? {
                index.add(e);
            }
            self.note_index.insert(commit, index);
        }
        Ok(self.note_index.get(&commit).is_some_and(|i| {
            i.ids.contains(id)
                || i.trailers
                    .contains(&(step.to_string(), trailer.to_string()))
        }))
    }

    pub fn owns_of(&mut self, step: &StepState) -> &Owns {
        self.owns
            .entry(step.id.clone())
            .or_insert_with(|| crate::drift::owns_of(step))
    }

    /// (fingerprint, tree id) of `step`'s owned files at `commit`; None for
    /// a step without owns.
    pub fn fingerprint_at(
        &mut self,
        step: &StepState,
        commit: &Commit<'_>,
    ) -> Result<Option<(String, String)>> {
        self.fingerprint_in(step, &commit.tree()?)
    }

    pub fn fingerprint_in(
        &mut self,
        step: &StepState,
        tree: &Tree<'_>,
    ) -> Result<Option<(String, String)>> {
        if step.def.owns.is_empty() {
            return Ok(None);
        }
        let files = owned_files(self.repo, tree, self.owns_of(step))?;
        Ok(Some((fingerprint(&files), tree.id().to_string())))
    }

    /// Declares the commits being ingested (oldest first) and their tip, so
    /// that `is_later` answers from one pass over the range.
    pub fn set_range(&mut self, commits: Vec<Oid>, head: Oid) {
        self.range = Some((commits, head));
        self.lineage = None;
    }

    /// Whether `later` (a commit id as stored) is `commit` or descends from
    /// it; a commit this clone does not have counts as later when its event
    /// is newer than `commit`.
    pub fn is_later(&mut self, later: &str, later_at: &str, commit: &CommitInfo<'_>) -> bool {
        let Ok(l) = Oid::from_str(later) else {
            return later_at > commit.at.as_str();
        };
        if l == commit.id {
            return true;
        }
        let repo = self.repo;
        if let Some(answer) = self
            .ancestry
            .get_or_insert_with(|| crate::git::history::History::open(repo))
            .is_ancestor(commit.id, l)
        {
            return answer;
        }
        if self.lineage.is_none()
            && let Some((commits, head)) = &self.range
        {
            self.lineage = lineage::Lineage::new(self.repo, commits, *head).ok();
        }
        if let Some(lin) = &mut self.lineage
            && let Some(answer) = lin.is_later(self.repo, l, commit.id)
        {
            return answer;
        }
        if self.repo.find_commit(l).is_ok() {
            self.repo.graph_descendant_of(l, commit.id).unwrap_or(false)
        } else {
            later_at > commit.at.as_str()
        }
    }
}

/// Plans with `plan`, judging at HEAD, and writes the events with
/// compare-and-swap; on a lost race the plan runs again against the
/// ledger that won.
pub fn write<'r, F>(
    repo: &'r Repository,
    message: &str,
    history: bool,
    plan: F,
) -> Result<(Vec<Located>, Report, LedgerState)>
where
    F: FnMut(&mut Batch<'r>) -> Result<()>,
{
    write_at(repo, store::head_oid(repo), message, history, plan)
}

/// [`write`], judging in the view of `at`.
pub fn write_at<'r, F>(
    repo: &'r Repository,
    at: Option<Oid>,
    message: &str,
    history: bool,
    mut plan: F,
) -> Result<(Vec<Located>, Report, LedgerState)>
where
    F: FnMut(&mut Batch<'r>) -> Result<()>,
{
    let mut last: Option<(Report, LedgerState)> = None;
    let written = store::append_view(repo, at, message, |loaded| {
        let mut batch = Batch::new(repo, loaded, history)?;
        plan(&mut batch)?;
        last = Some((batch.report, batch.state));
        Ok(batch.drafts)
    })?;
    let (report, state) = last.unwrap_or_default();
    Ok((written, report, state))
}

/// Plans against `loaded` without writing anything (`--no-record`).
pub fn dry<'r, F>(
    repo: &'r Repository,
    loaded: &Loaded,
    history: bool,
    plan: F,
) -> Result<(Vec<Located>, Report, LedgerState)>
where
    F: FnOnce(&mut Batch<'r>) -> Result<()>,
{
    let mut batch = Batch::new(repo, loaded, history)?;
    plan(&mut batch)?;
    let planned = batch
        .drafts
        .iter()
        .map(|d| Located {
            commit: d.commit.to_string(),
            event: d.event.clone(),
        })
        .collect();
    Ok((planned, batch.report, batch.state))
}

/// A cheap test before parsing: whether a message could hold a ledger trailer.
pub fn mentions_ledger(message: &[u8]) -> bool {
    // From each dash, which is rarer than any letter of the word: a scan
    // reads this for every commit of the history.
    memchr::memchr_iter(b'-', message)
        .any(|i| i >= 6 && message[i - 6..i].eq_ignore_ascii_case(b"ledger"))
}

/// Whether a commit of the notes ref exists at all (nothing to do without steps).
pub fn has_ledger(repo: &Repository) -> bool {
    repo.refname_to_id(NOTES_REF).is_ok()
}

/// The draft of an event derived from `info`: by its author, at its time,
/// with its `Ledger-Run`.
pub fn derived(info: &CommitInfo<'_>, step: &str, kind: Kind, source: &str) -> Event {
    let mut e = Event::draft(step, kind, info.at.clone(), info.author.clone(), source);
    e.run = info.trailers.run.clone();
    e
}

#[cfg(test)]
mod tests {
    use super::mentions_ledger;
    use proptest::prelude::*;

    #[test]
    fn a_trailer_key_in_any_case_is_a_mention_and_a_bare_word_is_not() {
        assert!(mentions_ledger(b"Fix\n\nLedger-Step: S01\n"));
        assert!(mentions_ledger(b"LEDGER-STEP: S01"));
        assert!(mentions_ledger(b"-ledger-"));
        assert!(!mentions_ledger(b"the ledger - as kept"));
        assert!(!mentions_ledger(b"edger-"));
        assert!(!mentions_ledger(b""));
    }

    proptest! {
        #![proptest_config(crate::proptest_config::seeded(3000))]

        /// The dash-first search says what a plain search of every
        /// position says, on messages made of the word's pieces.
        #[test]
        fn the_dash_first_search_agrees_with_a_plain_one(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just(b"ledger".to_vec()),
                    Just(b"LeDgEr".to_vec()),
                    Just(b"-".to_vec()),
                    Just(b"edger-".to_vec()),
                    proptest::collection::vec(any::<u8>(), 0..8),
                ],
                0..12,
            )
        ) {
            let message: Vec<u8> = parts.concat();
            let plain = message
                .windows(7)
                .any(|w| w.eq_ignore_ascii_case(b"ledger-"));
            prop_assert_eq!(mentions_ledger(&message), plain);
        }
    }
}
