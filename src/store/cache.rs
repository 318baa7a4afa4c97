//! A disposable cache of folded views, keyed by everything a view depends
//! on: the notes tip and the commit it is seen from (SPEC 2.5, 9). One
//! file per commit seen from, the most recent few kept. Deleting them is
//! always safe: the next command folds the notes again.

use super::view::Commits;
use super::{Loaded, Sight, cache_file};
use crate::git::owns::may_own;
use crate::ledger::LedgerState;
use git2::{Oid, Repository};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Bumped whenever the fold or the state's shape changes.
const FORMAT: u32 = 6;
const KIND: &str = "view";
/// Views kept: enough for a few worktrees and branches switched between.
const KEEP: usize = 16;

/// A view file's body: this, then the commits in view as raw ids to the
/// end of the file (read in place, not decoded).
#[derive(Deserialize)]
struct CacheFile {
    tip: String,
    at: Option<String>,
    fingerprints: HashMap<String, String>,
    state: LedgerState,
    skipped: usize,
    first_skipped: Option<String>,
}

/// What is written: the same fields, borrowed.
#[derive(Serialize)]
struct CacheRef<'a> {
    tip: String,
    at: &'a Option<String>,
    fingerprints: &'a HashMap<String, String>,
    state: &'a LedgerState,
    skipped: usize,
    first_skipped: &'a Option<String>,
}

fn dir(repo: &Repository) -> PathBuf {
    cache_file::dir(repo).join("views")
}

fn path(repo: &Repository, at: Option<&str>) -> PathBuf {
    dir(repo).join(format!("{}.view", at.unwrap_or("no-commit")))
}

/// The commits a view is cached for, by the names of the view files
/// (none when the folder is absent: a cold start).
pub fn viewed_commits(repo: &Repository) -> std::collections::HashSet<String> {
    let Ok(entries) = std::fs::read_dir(dir(repo)) else {
        return Default::default();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| Some(e.file_name().to_str()?.strip_suffix(".view")?.to_string()))
        .collect()
}

/// The view file seen from `at`, with the notes tip it was folded at.
fn read(repo: &Repository, at: Option<&str>) -> Option<(Oid, Loaded)> {
    let map = Arc::new(cache_file::map(&path(repo, at), KIND, FORMAT)?);
    let body = map.body();
    let (file, rest) = postcard::take_from_bytes::<CacheFile>(body).ok()?;
    let seen = Commits::from_mapped(Arc::clone(&map), body.len() - rest.len()..body.len())?;
    if file.at.as_deref() != at {
        return None;
    }
    let tip = Oid::from_str(&file.tip).ok()?;
    Some((
        tip,
        Loaded {
            tip: Some(tip),
            state: file.state,
            sight: Sight {
                at: file.at,
                seen,
                fingerprints: file.fingerprints,
            },
            skipped: file.skipped,
            first_skipped: file.first_skipped,
        },
    ))
}

/// The cached view of `tip` seen from `at`, if there is one.
pub fn load(repo: &Repository, tip: Oid, at: Option<Oid>) -> Option<Loaded> {
    let at = at.map(|a| a.to_string());
    read(repo, at.as_deref()).and_then(|(t, loaded)| (t == tip).then_some(loaded))
}

/// The cached view seen from `at`, whatever notes tip it was folded at.
pub fn load_any(repo: &Repository, at: Oid) -> Option<Loaded> {
    read(repo, Some(&at.to_string())).map(|(_, loaded)| loaded)
}

/// Best effort: a cache that cannot be written only costs speed.
pub fn save(repo: &Repository, loaded: &Loaded) {
    let Some(tip) = loaded.tip else { return };
    let file = CacheRef {
        tip: tip.to_string(),
        at: &loaded.sight.at,
        fingerprints: &loaded.sight.fingerprints,
        state: &loaded.state,
        skipped: loaded.skipped,
        first_skipped: &loaded.first_skipped,
    };
    let Ok(mut body) = postcard::to_allocvec(&file) else {
        return;
    };
    body.extend_from_slice(loaded.sight.seen.as_bytes());
    cache_file::write(&path(repo, loaded.sight.at.as_deref()), KIND, FORMAT, &body);
    cache_file::prune(&dir(repo), ".view", KEEP);
    save_watch(repo, loaded);
}

/// Beside each view, what the post-commit hook needs of it: every active
/// step's owned globs, marked `W` when a change to them is drift (the
/// step is verified or pending) and `U` otherwise. A commit that touches
/// no watched glob ends the hook without reading the view.
fn save_watch(repo: &Repository, loaded: &Loaded) {
    let (Some(tip), Some(at)) = (loaded.tip, loaded.sight.at.as_deref()) else {
        return;
    };
    let mut body = format!("{tip}\n");
    for s in loaded.state.active_steps() {
        if s.def.owns.is_empty() {
            continue;
        }
        body.push(if crate::ingest::touch::watched(s) {
            'W'
        } else {
            'U'
        });
        body.push_str(&s.def.owns.join("\u{1f}"));
        body.push('\n');
    }
    write_watch(repo, at, &body);
}

fn write_watch(repo: &Repository, at: &str, body: &str) {
    let path = dir(repo).join(format!("{at}.watch"));
    cache_file::write(&path, WATCH, FORMAT, body.as_bytes());
    cache_file::prune(&dir(repo), ".watch", KEEP);
}

const WATCH: &str = "watch";

/// What the view of `tip` seen from `at` watches, when it is cached.
pub struct Watch {
    /// After the tip's line, a line per step: `W` (a change to its globs
    /// is drift) or `U`, then its owned globs.
    body: String,
}

impl Watch {
    /// The same for `commit`, a child of the commit this was read for that
    /// touched no owned file: its view is the same. Written as a file of
    /// its own, not linked to this one: pruning keeps the newest files by
    /// their time, which links share.
    pub fn carry_to(&self, repo: &Repository, commit: Oid) {
        write_watch(repo, &commit.to_string(), &self.body);
    }

    /// Whether the globs of a step (only of a watched one, with
    /// `watched_only`) may own one of `paths`. Read from the file's lines
    /// as they are: a hook asks this once.
    pub fn may_own_any(&self, paths: &[String], watched_only: bool) -> bool {
        self.body.lines().skip(1).any(|l| {
            let watched = match l.as_bytes().first() {
                Some(b'W') => true,
                Some(b'U') => false,
                _ => return false,
            };
            (watched || !watched_only) && paths.iter().any(|p| may_own(l[1..].split('\u{1f}'), p))
        })
    }
}

pub fn watch(repo: &Repository, tip: Oid, at: Oid) -> Option<Watch> {
    let file = dir(repo).join(format!("{at}.watch"));
    let body = String::from_utf8(cache_file::read(&file, WATCH, FORMAT)?).ok()?;
    if body.lines().next()? != tip.to_string() {
        return None;
    }
    Some(Watch { body })
}
