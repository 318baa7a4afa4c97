//! The event store: `refs/notes/ledger` read through a cache, and appended
//! to with compare-and-swap so that concurrent writers never lose an event.

pub mod cache;
pub mod cache_file;
pub mod derive;
pub mod ids;
pub mod index;
pub mod notes;
#[cfg(test)]
mod reader_props;
pub mod view;

use crate::git::repo::{NOTES_REF, identity};
use crate::ledger::fold::{Applies, Scope, fold_in, fold_order, order_events_seen};
use crate::ledger::record::{Record, Stored};
use crate::ledger::{Event, Kind, LedgerState, Located};
use anyhow::{Context, Result};
use git2::{ErrorCode, Oid, Repository, Signature};
use index::Index;
use notes::SkippedLine;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};
pub use view::Sight;

/// The ledger as of one notes tip, seen from one commit (SPEC 2.5).
pub struct Loaded {
    pub tip: Option<Oid>,
    pub state: LedgerState,
    /// What the commit it is seen from sees.
    pub sight: Sight,
    pub skipped: usize,
    pub first_skipped: Option<String>,
}

pub fn tip(repo: &Repository) -> Result<Option<Oid>> {
    match repo.refname_to_id(NOTES_REF) {
        Ok(oid) => Ok(Some(oid)),
        Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e).context("cannot read refs/notes/ledger"),
    }
}

/// With `GIT_LEDGER_TRACE` set, says on stderr how a read was answered
/// (as `GIT_TRACE` does for git): what the caches saved, for benchmarks
/// and bug reports.
pub fn trace(what: &str) {
    if std::env::var_os("GIT_LEDGER_TRACE").is_some_and(|v| !v.is_empty() && v != "0") {
        eprintln!("trace: {what}");
    }
}

/// HEAD's commit, when there is one.
pub fn head_oid(repo: &Repository) -> Option<Oid> {
    repo.head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .map(|c| c.id())
}

/// The ledger seen from HEAD, from the cache when it is fresh.
pub fn load(repo: &Repository) -> Result<Loaded> {
    load_at(repo, head_oid(repo))
}

/// The ledger seen from `at` (None: a repository without commits).
pub fn load_at(repo: &Repository, at: Option<Oid>) -> Result<Loaded> {
    let Some(tip) = tip(repo)? else {
        return Ok(Loaded {
            tip: None,
            state: LedgerState::default(),
            sight: Sight {
                at: at.map(|a| a.to_string()),
                ..Sight::default()
            },
            skipped: 0,
            first_skipped: None,
        });
    };
    // One read of the cached view seen from `at`: the answer when it is
    // of this tip, else where to follow from.
    let seen_from_at = match at {
        Some(a) => cache::load_any(repo, a),
        None => cache::load(repo, tip, None),
    };
    let seen_from_at = match seen_from_at {
        Some(c) if c.tip == Some(tip) => {
            trace("view: cached");
            return Ok(c);
        }
        other => other,
    };
    if let Some(at) = at
        && let Some(followed) = derive::derive(repo, tip, at, seen_from_at)
    {
        return Ok(followed);
    }
    let started = std::time::Instant::now();
    let (index, changed) = Index::read_at(repo, tip).context("cannot read refs/notes/ledger")?;
    let read = started.elapsed();
    // A changed index is written by a second thread while this one finds
    // what `at` sees of it.
    let dir = cache_file::dir(repo);
    // Meanwhile too, the records are put in fold order as soon as the
    // commits in view are known (they are only read, not moved, until
    // the other threads are done with them).
    let (sight, (order, forged, first_forged)) = std::thread::scope(|s| {
        if changed {
            s.spawn(|| index.save_in(&dir));
        }
        Sight::compute_then(repo, at, index.records(), |view| {
            let (distinct, forged, first) = honesty(index.records());
            let order = fold_order(index.records(), view, |s| s.record.seq <= distinct);
            (order, forged, first)
        })
    })?;
    let (skipped, first_skipped) = index.skipped();
    let (skipped, first_skipped) = (skipped + forged, first_skipped.or(first_forged));
    let events = index.into_stored();
    let seen = started.elapsed();
    let mut state = fold_in(events, order, &sight);
    view::confirm_collisions(repo, &mut state);
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    trace(&format!(
        "view: folded from the index (records {:.0} ms, sight and order {:.0} ms, fold {:.0} ms)",
        ms(read),
        ms(seen - read),
        ms(started.elapsed() - seen)
    ));
    let loaded = Loaded {
        tip: Some(tip),
        state,
        sight,
        skipped,
        first_skipped,
    };
    cache::save(repo, &loaded);
    Ok(loaded)
}

/// Every readable record at `tip`, with the count of lines that are not
/// events and the first of them. In an honest ledger no `seq` exceeds the
/// number of distinct events (SPEC 2.2): a line that claims more is
/// forged or damaged, and is skipped like any unreadable line, so that it
/// cannot outrank every later write.
fn records_at(repo: &Repository, tip: Oid) -> Result<(Vec<Stored>, usize, Option<String>)> {
    let index = Index::at(repo, tip).context("cannot read refs/notes/ledger")?;
    Ok(kept_records(index))
}

/// The records of `index` a reader keeps (see [`honest`]), with the count
/// of lines that are not events and the first of them.
fn kept_records(index: Index) -> (Vec<Stored>, usize, Option<String>) {
    let (skipped, first) = index.skipped();
    let (events, forged, first_forged) = honest(index.into_stored());
    (events, skipped + forged, first.or(first_forged))
}

/// Two sorted runs as one sorted run, each distinct item once: how a few
/// new ids join a large set in one pass (the commits a view sees, the ids
/// of the ledger).
fn merge_sorted<T: Ord + Copy>(
    a: impl IntoIterator<Item = T>,
    b: impl IntoIterator<Item = T>,
) -> impl Iterator<Item = T> {
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    let mut last: Option<T> = None;
    std::iter::from_fn(move || {
        loop {
            let next = match (a.peek().copied(), b.peek().copied()) {
                (Some(x), Some(y)) if x <= y => a.next(),
                (_, Some(_)) => b.next(),
                (Some(_), None) => a.next(),
                (None, None) => return None,
            }?;
            if last != Some(next) {
                last = Some(next);
                return Some(next);
            }
        }
    })
}

/// The records a reader keeps: none whose `seq` is beyond the ledger's
/// count of distinct events. Returns them, how many were dropped, and
/// a description of the first.
pub(crate) fn honest(mut events: Vec<Stored>) -> (Vec<Stored>, usize, Option<String>) {
    let (distinct, dropped, first) = honesty(&events);
    events.retain(|s| s.record.seq <= distinct);
    (events, dropped, first)
}

/// Of `events`, the count of distinct events (no honest `seq` exceeds
/// it), how many records claim more, and a description of the first.
fn honesty(events: &[Stored]) -> (u64, usize, Option<String>) {
    let distinct = events
        .iter()
        .map(|s| s.record.id.key())
        .collect::<foldhash::HashSet<u128>>()
        .len() as u64;
    let mut forged = events.iter().filter(|s| s.record.seq > distinct);
    let first = forged.next().map(|s| {
        format!(
            "note on {}: seq {} is larger than the ledger's {distinct} events",
            crate::git::repo::short(&s.commit),
            s.record.seq
        )
    });
    let dropped = first.as_ref().map_or(0, |_| 1 + forged.count());
    (distinct, dropped, first)
}

/// The events that apply in `loaded`'s view, in fold order, each bound to
/// the copy of it in view. Plan events are in every view.
pub fn events_in_view(repo: &Repository, loaded: &Loaded) -> Result<Vec<Located>> {
    events_in_view_where(repo, loaded, |_| true, None)
}

/// [`events_in_view`] of the records `keep` accepts; with `newest`, only
/// that many of the latest. Only the notes holding them are read whole.
pub fn events_in_view_where(
    repo: &Repository,
    loaded: &Loaded,
    keep: impl Fn(&Record) -> bool,
    newest: Option<usize>,
) -> Result<Vec<Located>> {
    let mut chosen: Vec<Stored> = records_in_view(repo, loaded)?
        .into_iter()
        .filter(|l| keep(&l.record))
        .collect();
    if let Some(n) = newest {
        let drop = chosen.len().saturating_sub(n);
        chosen.drain(..drop);
    }
    whole_events(repo, loaded, &chosen)
}

/// The records that apply in `loaded`'s view, in fold order: what a view
/// that lists events chooses from before reading any whole.
pub fn records_in_view(repo: &Repository, loaded: &Loaded) -> Result<Vec<Stored>> {
    let Some(tip) = loaded.tip else {
        return Ok(Vec::new());
    };
    let (events, _, _) = records_at(repo, tip)?;
    let (ordered, seen) = order_events_seen(events, &loaded.sight);
    let scope = Scope::new(&ordered, &loaded.sight);
    Ok(ordered
        .into_iter()
        .zip(seen)
        .filter(|(l, seen)| scope.applies_seen(l, *seen) != Applies::No)
        .map(|(l, _)| l)
        .collect())
}

/// The whole events of `chosen`, read from their notes, in the same order.
pub fn whole_events(repo: &Repository, loaded: &Loaded, chosen: &[Stored]) -> Result<Vec<Located>> {
    Ok(whole_events_of(repo, loaded, chosen)?
        .into_iter()
        .flatten()
        .collect())
}

/// [`events_in_view`] with each event's record beside it, both in fold
/// order: what a view that replays the fold needs (the board's timeline
/// and burn-up), without making a record of every event again.
pub fn events_in_view_paired(
    repo: &Repository,
    loaded: &Loaded,
) -> Result<(Vec<Stored>, Vec<Located>)> {
    let chosen = records_in_view(repo, loaded)?;
    let whole = whole_events_of(repo, loaded, &chosen)?;
    Ok(chosen
        .into_iter()
        .zip(whole)
        .filter_map(|(s, w)| Some((s, w?)))
        .unzip())
}

/// The whole event of each of `chosen`, where its note still holds it.
fn whole_events_of(
    repo: &Repository,
    loaded: &Loaded,
    chosen: &[Stored],
) -> Result<Vec<Option<Located>>> {
    let Some(tip) = loaded.tip else {
        return Ok(Vec::new());
    };
    // Hashed with foldhash: at 100,000 steps these maps hold 200,000
    // events, and hashing them with SipHash was some 2% of an export.
    let mut seen: foldhash::HashSet<&str> = Default::default();
    let commits: Vec<&str> = chosen
        .iter()
        .map(|s| &*s.commit)
        .filter(|c| seen.insert(c))
        .collect();
    // Parsing is most of what reading whole events costs: a large view
    // reads and parses its notes on a few threads.
    let parsed = crate::git::repo::read_in_threads(repo, &commits, 2000, |repo, part| {
        let tree = repo.find_commit(tip)?.tree()?;
        part.iter()
            .map(|c| -> Result<foldhash::HashMap<u128, Event>> {
                Ok(notes::note_text_in(repo, &tree, c)?
                    .lines()
                    .filter_map(|l| Event::parse_line(l).ok())
                    .map(|e| (crate::ledger::fold::id_key(&e.id), e))
                    .collect())
            })
            .collect()
    })?;
    let mut by_commit: foldhash::HashMap<&str, foldhash::HashMap<u128, Event>> =
        commits.into_iter().zip(parsed).collect();
    // Each event is moved out at its last use and cloned only before it
    // (an event chosen twice): a copy of every event doubled what an
    // export of 200,000 events held.
    let mut last_use: foldhash::HashMap<(&str, u128), usize> =
        foldhash::HashMap::with_capacity_and_hasher(chosen.len(), Default::default());
    for (i, s) in chosen.iter().enumerate() {
        last_use.insert((&*s.commit, s.record.id.key()), i);
    }
    Ok(chosen
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let events = by_commit.get_mut(&*s.commit)?;
            let key = (&*s.commit, s.record.id.key());
            let event = if last_use.get(&key) == Some(&i) {
                events.remove(&key.1)?
            } else {
                events.get(&key.1)?.clone()
            };
            Some(Located {
                commit: s.commit.to_string(),
                event,
            })
        })
        .collect())
}

/// Every event of the ledger, whatever commit it is seen from, with every
/// copy of an event that sits on several commits.
pub fn read_all(repo: &Repository) -> Result<(Vec<Located>, Vec<SkippedLine>)> {
    let Some(tip) = tip(repo)? else {
        return Ok((Vec::new(), Vec::new()));
    };
    let tree = repo.find_commit(tip)?.tree()?;
    let mut texts: BTreeMap<String, String> = BTreeMap::new();
    for (commit, _) in notes::list_notes(repo, &tree)? {
        let key = commit.to_ascii_lowercase();
        if let std::collections::btree_map::Entry::Vacant(slot) = texts.entry(key) {
            let text = notes::note_text_in(repo, &tree, slot.key())?;
            slot.insert(text);
        }
    }
    Ok(notes::parse_notes(&texts))
}

/// An event to append, bound to `commit`.
pub struct Draft {
    pub commit: Oid,
    pub event: Event,
    /// The id was derived from the event's origin (a commit's trailer, an
    /// imported line): if the target note already holds it, nothing is added.
    pub fixed_id: bool,
}

impl Draft {
    pub fn new(commit: Oid, event: Event) -> Draft {
        Draft {
            commit,
            event,
            fixed_id: false,
        }
    }

    pub fn with_fixed_id(commit: Oid, mut event: Event, id: String) -> Draft {
        event.id = id;
        Draft {
            commit,
            event,
            fixed_id: true,
        }
    }
}

const MAX_WAIT: Duration = Duration::from_secs(60);

/// Appends the events `build` derives from the ledger seen from HEAD; see
/// [`append_view`].
pub fn append<F>(repo: &Repository, message: &str, mut build: F) -> Result<Vec<Located>>
where
    F: FnMut(&LedgerState) -> Result<Vec<Draft>>,
{
    append_view(repo, head_oid(repo), message, |loaded| build(&loaded.state))
}

/// Appends the events `build` derives from the ledger seen from `at`,
/// retrying on a lost race: `build` runs again against the ledger that
/// won, so checks such as "this id is new" hold for what is actually
/// written. Returns the events written, with their `id` and `seq`.
pub fn append_view<F>(
    repo: &Repository,
    at: Option<Oid>,
    message: &str,
    mut build: F,
) -> Result<Vec<Located>>
where
    F: FnMut(&Loaded) -> Result<Vec<Draft>>,
{
    let started = Instant::now();
    let mut attempt: u32 = 0;
    loop {
        let loaded = load_at(repo, at)?;
        let mut drafts = build(&loaded)?;
        if drafts.is_empty() {
            return Ok(Vec::new());
        }
        // Nothing secret is written (SPEC 8), whoever built the event.
        let red = crate::redact::Redactor::for_repo(repo)?;
        for d in &mut drafts {
            red.scrub(&mut d.event)?;
        }
        let written = stamp(&loaded.state, drafts);
        let (fresh, additions) = new_lines(repo, loaded.tip, written)?;
        if fresh.is_empty() {
            return Ok(Vec::new());
        }
        let new_tip = write_commit(repo, loaded.tip, &additions, message)?;
        match compare_and_swap(repo, loaded.tip, new_tip, message) {
            Ok(true) => {
                remember(repo, loaded, new_tip, &fresh);
                return Ok(fresh);
            }
            Ok(false) if started.elapsed() < MAX_WAIT => {
                // A lock left by a killed process is named, not retried.
                if let Some(stuck) =
                    crate::git::ref_lock::give_up(repo, NOTES_REF, started.elapsed())
                {
                    return Err(stuck);
                }
                attempt += 1;
                std::thread::sleep(backoff(attempt));
            }
            Ok(false) => {
                return Err(anyhow::anyhow!(
                    "refs/notes/ledger kept changing for {}s; nothing was written",
                    MAX_WAIT.as_secs()
                ));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Caches the view just written to, when the new events can be applied
/// to it alone: they sort after everything, sit on the commit seen from
/// (or one already in view), and leave the plan, and so the
/// fingerprints, as they were. Otherwise the next read folds again.
fn remember(repo: &Repository, mut loaded: Loaded, new_tip: Oid, fresh: &[Located]) {
    use crate::ledger::fold::Viewpoint;
    let Ok(stored) = fresh
        .iter()
        .map(|l| {
            Record::from_event(&l.event).map(|record| Stored {
                commit: l.commit.as_str().into(),
                record,
            })
        })
        .collect::<Result<Vec<Stored>, _>>()
    else {
        return;
    };
    let simple = stored.iter().all(|l| {
        loaded.state.follows(&l.record)
            && loaded.sight.sees(&l.commit)
            && !matches!(l.record.kind(), Kind::Define | Kind::Retire)
    });
    if !simple {
        return;
    }
    for l in &stored {
        loaded.state.apply_from(l, &loaded.sight);
        loaded.sight.seen.insert(&l.commit);
    }
    loaded.tip = Some(new_tip);
    cache::save(repo, &loaded);
}

/// Moves `refs/notes/ledger` from `old` (None: it must not exist yet) to
/// `new`. False when another writer moved it first: the caller re-reads
/// and tries again against what won. Never forced.
pub fn compare_and_swap(
    repo: &Repository,
    old: Option<Oid>,
    new: Oid,
    message: &str,
) -> Result<bool> {
    let updated = match old {
        Some(o) => repo.reference_matching(NOTES_REF, new, true, o, message),
        None => repo.reference(NOTES_REF, new, false, message),
    };
    match updated {
        Ok(_) => {
            crate::log_view::refresh(repo); // the view plain `git log` shows
            Ok(true)
        }
        Err(e) if is_race(&e) => Ok(false),
        Err(e) => Err(anyhow::anyhow!(
            "could not update refs/notes/ledger: {}",
            e.message()
        )),
    }
}

fn is_race(e: &git2::Error) -> bool {
    matches!(
        e.code(),
        ErrorCode::Modified | ErrorCode::Locked | ErrorCode::Exists
    ) || e.message().contains("lock")
}

/// Grows to ~50 ms, with jitter so that racing writers spread out.
fn backoff(attempt: u32) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let jitter = (nanos ^ std::process::id().wrapping_mul(2_654_435_761)) % 1000;
    let base = 1u64 << attempt.min(5);
    Duration::from_micros(base * 1500 + u64::from(jitter) * 20)
}

/// Gives each draft its `seq` (Lamport: 1 + the highest seen), its `prev`
/// (the step's latest event) and, unless fixed, its content id.
fn stamp(state: &LedgerState, drafts: Vec<Draft>) -> Vec<Draft> {
    let mut heads: HashMap<String, String> = state
        .steps
        .iter()
        .map(|s| (s.id.clone(), s.head.clone()))
        .collect();
    let mut seq = state.max_seq;
    drafts
        .into_iter()
        .map(|mut d| {
            // Never an overflow, whatever seq a forged line claims.
            seq = seq.saturating_add(1);
            d.event.seq = seq;
            let head = heads.get(&d.event.step).cloned().unwrap_or_default();
            // A define of a step that exists names it, so that it reads as
            // an edit and never as a second creation (SPEC 2.5 collisions).
            let names_prev = !d.fixed_id || d.event.kind == Kind::Define;
            if names_prev && !head.is_empty() && d.event.str_field("prev").is_none() {
                d.event.set("prev", head);
            }
            if !d.fixed_id {
                d.event.id = d.event.content_id();
            }
            heads.insert(d.event.step.clone(), d.event.id.clone());
            d
        })
        .collect()
}

/// Drops drafts whose id the target note already holds; returns the rest
/// and the lines to append per commit.
fn new_lines(
    repo: &Repository,
    tip: Option<Oid>,
    drafts: Vec<Draft>,
) -> Result<(Vec<Located>, BTreeMap<String, String>)> {
    let mut additions: BTreeMap<String, String> = BTreeMap::new();
    let mut fresh = Vec::new();
    // Ids already on each commit's note, and those added by this write.
    let mut present: HashMap<String, HashSet<String>> = HashMap::new();
    let tree = notes::notes_tree(repo, tip)?;
    for d in drafts {
        let commit = d.commit.to_string();
        if d.fixed_id {
            if !present.contains_key(&commit) {
                let text = match &tree {
                    Some(t) => notes::note_text_in(repo, t, &commit)?,
                    None => String::new(),
                };
                let ids = text
                    .lines()
                    .filter_map(|l| Record::parse_line(l).ok())
                    .map(|r| r.id.to_string())
                    .collect();
                present.insert(commit.clone(), ids);
            }
            if let Some(ids) = present.get_mut(&commit)
                && !ids.insert(d.event.id.clone())
            {
                continue;
            }
        }
        let entry = additions.entry(commit.clone()).or_default();
        entry.push_str(&d.event.to_line());
        entry.push('\n');
        fresh.push(Located {
            commit,
            event: d.event,
        });
    }
    Ok((fresh, additions))
}

fn write_commit(
    repo: &Repository,
    tip: Option<Oid>,
    additions: &BTreeMap<String, String>,
    message: &str,
) -> Result<Oid> {
    let parent = tip.map(|t| repo.find_commit(t)).transpose()?;
    let base = parent.as_ref().map(|p| p.tree()).transpose()?;
    let tree_id = notes::write_tree(repo, base.as_ref(), additions)?;
    let tree = repo.find_tree(tree_id)?;
    let sig = notes_signature(repo)?;
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    Ok(repo.commit(None, &sig, &sig, message, &tree, &parents)?)
}

/// Who writes a notes commit: git's committer identity, or a clear error
/// naming how to set one.
pub fn notes_signature(repo: &Repository) -> Result<Signature<'static>> {
    if let Ok(sig) = repo.committer_from_env() {
        return Ok(sig);
    }
    identity(repo)?;
    Ok(repo.signature()?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn two_sorted_runs_merge_into_one_with_each_item_once() {
        let merged: Vec<u32> = super::merge_sorted([1, 3, 3, 5, 9], [0, 3, 4, 9, 10]).collect();
        assert_eq!(merged, [0, 1, 3, 4, 5, 9, 10]);
        assert_eq!(
            super::merge_sorted([2, 4], []).collect::<Vec<u32>>(),
            [2, 4]
        );
        assert_eq!(super::merge_sorted([], [7]).collect::<Vec<u32>>(), [7]);
    }
}
