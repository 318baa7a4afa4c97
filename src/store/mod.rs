//! The event store: `refs/notes/ledger` read through a cache, and appended
//! to with compare-and-swap so that concurrent writers never lose an event.

pub mod cache;
pub mod events_cache;
pub mod notes;
#[cfg(test)]
mod reader_props;

use crate::git::repo::{NOTES_REF, identity};
use crate::ledger::{Event, LedgerState, Located, fold_events};
use anyhow::{Context, Result};
use git2::{ErrorCode, Oid, Repository, Signature};
use notes::SkippedLine;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// The ledger as of one notes tip.
pub struct Loaded {
    pub tip: Option<Oid>,
    pub state: LedgerState,
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

/// The folded state at the current tip, from the cache when it is fresh.
pub fn load(repo: &Repository) -> Result<Loaded> {
    load_at(repo, tip(repo)?)
}

pub fn load_at(repo: &Repository, tip: Option<Oid>) -> Result<Loaded> {
    let Some(tip) = tip else {
        return Ok(Loaded {
            tip: None,
            state: LedgerState::default(),
            skipped: 0,
            first_skipped: None,
        });
    };
    if let Some(c) = cache::load(repo, tip) {
        return Ok(Loaded {
            tip: Some(tip),
            state: c.state,
            skipped: c.skipped,
            first_skipped: c.first_skipped,
        });
    }
    let (events, skipped) = read_all_at(repo, tip)?;
    let cached = cache::Cached {
        state: fold_events(events),
        skipped: skipped.len(),
        first_skipped: skipped.first().map(describe_skip),
    };
    cache::save(repo, tip, &cached);
    Ok(Loaded {
        tip: Some(tip),
        state: cached.state,
        skipped: cached.skipped,
        first_skipped: cached.first_skipped,
    })
}

pub fn describe_skip(s: &SkippedLine) -> String {
    format!(
        "note on {} line {}: {}",
        crate::git::repo::short(&s.commit),
        s.line,
        s.reason
    )
}

/// Every event, each bound to one commit. When an event sits on several
/// commits (a rewrite copied its note), the one reachable from HEAD wins.
pub fn read_all(repo: &Repository) -> Result<(Vec<Located>, Vec<SkippedLine>)> {
    match tip(repo)? {
        Some(t) => read_all_at(repo, t),
        None => Ok((Vec::new(), Vec::new())),
    }
}

fn read_all_at(repo: &Repository, tip: Oid) -> Result<(Vec<Located>, Vec<SkippedLine>)> {
    let texts = events_cache::note_texts(repo, tip).context("cannot read refs/notes/ledger")?;
    let (mut events, skipped) = notes::parse_notes(&texts.notes);
    let mut by_id: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, l) in events.iter().enumerate() {
        by_id.entry(l.event.id.as_str()).or_default().push(i);
    }
    let duplicated: Vec<Vec<usize>> = by_id.into_values().filter(|v| v.len() > 1).collect();
    if !duplicated.is_empty() {
        let head = repo.head().ok().and_then(|h| h.target());
        let mut drop = vec![false; events.len()];
        for group in duplicated {
            let reachable = |i: &usize| {
                let Ok(c) = Oid::from_str(&events[*i].commit) else {
                    return false;
                };
                head.is_some_and(|h| h == c || repo.graph_descendant_of(h, c).unwrap_or(false))
            };
            let keep = group.iter().copied().find(reachable).unwrap_or(group[0]);
            for i in group {
                drop[i] = i != keep;
            }
        }
        let mut i = 0;
        events.retain(|_| {
            i += 1;
            !drop[i - 1]
        });
    }
    Ok((events, skipped))
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

/// Appends the events `build` derives from the current state, retrying on a
/// lost race: `build` runs again against the state that won, so checks such
/// as "this id is new" hold for what is actually written. Returns the
/// events written, with their `id` and `seq`.
pub fn append<F>(repo: &Repository, message: &str, mut build: F) -> Result<Vec<Located>>
where
    F: FnMut(&LedgerState) -> Result<Vec<Draft>>,
{
    let started = Instant::now();
    let mut attempt: u32 = 0;
    loop {
        let loaded = load(repo)?;
        let mut drafts = build(&loaded.state)?;
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
                let mut state = loaded.state;
                if fresh.iter().all(|l| state.follows(&l.event)) {
                    for l in &fresh {
                        state.apply(l);
                    }
                    let c = cache::Cached {
                        state,
                        skipped: loaded.skipped,
                        first_skipped: loaded.first_skipped,
                    };
                    cache::save(repo, new_tip, &c);
                }
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
        Ok(_) => Ok(true),
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
            if !d.fixed_id {
                let head = heads.get(&d.event.step).cloned().unwrap_or_default();
                if !head.is_empty() {
                    d.event.set("prev", head);
                }
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
    let mut existing: HashMap<String, String> = HashMap::new();
    for d in drafts {
        let commit = d.commit.to_string();
        if d.fixed_id {
            if !existing.contains_key(&commit) {
                existing.insert(commit.clone(), notes::note_text(repo, tip, &commit)?);
            }
            let needle = format!("\"id\":\"{}\"", d.event.id);
            let pending = additions.get(&commit).is_some_and(|t| t.contains(&needle));
            if existing[&commit].contains(&needle) || pending {
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
