//! The ledger as seen from a commit (SPEC 2.5): which annotated commits
//! are in view from it, and each step's fingerprint there. These are the
//! inputs of the pure fold, computed from git here.

use super::cache_file;
use crate::git::fingerprint::{fingerprint, owned_files_many_with};
use crate::git::history::History;
use crate::git::owns::Owns;
use crate::ledger::fold::{Viewpoint, plan_owns};
use crate::ledger::record::Stored;
use anyhow::Result;
use git2::{Oid, Repository};
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;

/// A set of commit ids, kept as sorted raw ids: one allocation. Read from
/// a view file, the ids stay in the file's mapping until the set changes,
/// so a read that only asks whether a commit is in view copies nothing.
#[derive(Clone, Default)]
pub struct Commits {
    owned: Vec<[u8; 20]>,
    /// When set, the ids are these bytes of a mapped cache file instead.
    mapped: Option<(Arc<cache_file::Mapped>, Range<usize>)>,
}

impl Commits {
    /// The set stored as `range` of a mapped cache file's body: raw ids,
    /// 20 bytes each, strictly increasing; None for anything else.
    pub fn from_mapped(map: Arc<cache_file::Mapped>, range: Range<usize>) -> Option<Commits> {
        let bytes = map.body().get(range.clone())?;
        let (ids, rest) = bytes.as_chunks::<20>();
        (rest.is_empty() && ids.windows(2).all(|w| w[0] < w[1])).then_some(Commits {
            owned: Vec::new(),
            mapped: Some((map, range)),
        })
    }

    fn ids(&self) -> &[[u8; 20]] {
        match &self.mapped {
            Some((map, range)) => map.body()[range.clone()].as_chunks::<20>().0,
            None => &self.owned,
        }
    }

    /// The set to change: a mapped one is copied out first.
    fn owned(&mut self) -> &mut Vec<[u8; 20]> {
        if let Some((map, range)) = self.mapped.take() {
            self.owned = map.body()[range].as_chunks::<20>().0.to_vec();
        }
        &mut self.owned
    }

    /// The raw ids, as a view file stores them.
    pub fn as_bytes(&self) -> &[u8] {
        self.ids().as_flattened()
    }

    pub fn len(&self) -> usize {
        self.ids().len()
    }
}

impl PartialEq for Commits {
    fn eq(&self, other: &Commits) -> bool {
        self.ids() == other.ids()
    }
}

impl std::fmt::Debug for Commits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Commits({} ids)", self.len())
    }
}

impl Commits {
    /// The raw id of a 40-digit hex commit id (asked once per event by the
    /// fold, so decoded here rather than through libgit2).
    fn key(hex: &str) -> Option<[u8; 20]> {
        crate::hex::decode(hex)
    }

    pub fn contains(&self, hex: &str) -> bool {
        Commits::key(hex).is_some_and(|k| self.ids().binary_search(&k).is_ok())
    }

    pub fn insert(&mut self, hex: &str) {
        if let Some(k) = Commits::key(hex)
            && let Err(i) = self.ids().binary_search(&k)
        {
            self.owned().insert(i, k);
        }
    }
}

/// Many at once: one sort, not a shift of the whole set per commit (a
/// fetch brings hundreds into a view of 100,000).
impl Extend<Oid> for Commits {
    fn extend<I: IntoIterator<Item = Oid>>(&mut self, iter: I) {
        let mut new: Vec<[u8; 20]> = iter
            .into_iter()
            .filter_map(|o| <[u8; 20]>::try_from(o.as_bytes()).ok())
            .collect();
        if new.is_empty() {
            return;
        }
        new.sort_unstable();
        new.dedup();
        // The set, mapped or not, is copied in the runs between where the
        // new ids go, each found by halves: a fetch puts 500 ids into
        // 100,000 with some 9,000 comparisons, not 200,000.
        let old = self.ids();
        let mut merged = Vec::with_capacity(old.len() + new.len());
        let mut rest = old;
        for id in new {
            let at = rest.partition_point(|c| *c < id);
            merged.extend_from_slice(&rest[..at]);
            rest = &rest[at..];
            if rest.first() != Some(&id) {
                merged.push(id);
            }
        }
        merged.extend_from_slice(rest);
        self.owned = merged;
        self.mapped = None;
    }
}

impl FromIterator<Oid> for Commits {
    fn from_iter<I: IntoIterator<Item = Oid>>(iter: I) -> Commits {
        let mut v: Vec<[u8; 20]> = iter
            .into_iter()
            .filter_map(|o| o.as_bytes().try_into().ok())
            .collect();
        v.sort_unstable();
        v.dedup();
        Commits {
            owned: v,
            mapped: None,
        }
    }
}

/// From this many events on, a view's two walks run side by side.
const ALONGSIDE: usize = 5_000;

/// What the commit a view is made for sees.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sight {
    /// The commit seen from; None in a repository without commits.
    pub at: Option<String>,
    /// The annotated commits in view: `at` and those of its ancestors
    /// that hold a note.
    pub seen: Commits,
    /// Each active step's fingerprint at `at`, for steps that own files.
    pub fingerprints: HashMap<String, String>,
}

impl Viewpoint for Sight {
    fn sees(&self, commit: &str) -> bool {
        self.at.as_deref() == Some(commit) || self.seen.contains(commit)
    }
    fn fingerprint(&self, step: &str) -> Option<&str> {
        self.fingerprints.get(step).map(String::as_str)
    }
}

impl Sight {
    /// What `at` sees of `events`, and what `then` makes of the commits
    /// in view. Past 5,000 events `then` runs while a second thread walks
    /// `at`'s tree for the fingerprints: it is shown the view without
    /// them, and is to ask it only what it sees.
    pub fn compute_then<T>(
        repo: &Repository,
        at: Option<Oid>,
        events: &[Stored],
        then: impl FnOnce(&Sight) -> T,
    ) -> Result<(Sight, T)> {
        let Some(at) = at else {
            let sight = Sight::default();
            let made = then(&sight);
            return Ok((sight, made));
        };
        let in_view = || -> Result<Sight> {
            let annotated: HashSet<Oid> = events
                .iter()
                .filter_map(|l| Oid::from_str(&l.commit).ok())
                .collect();
            Ok(Sight {
                at: Some(at.to_string()),
                seen: ancestors_among(repo, at, &annotated)?,
                fingerprints: HashMap::new(),
            })
        };
        if events.len() < ALONGSIDE {
            let mut sight = in_view()?;
            sight.fingerprints = plan_fingerprints(repo, at, events)?;
            let made = then(&sight);
            return Ok((sight, made));
        }
        // Two walks that need nothing of each other: `at`'s tree for the
        // fingerprints, on a second thread with a handle of its own, and
        // its history for the commits in view, then `then`, here.
        let path = repo.path();
        let (seen, fingerprints) = std::thread::scope(|s| {
            let walk = s.spawn(move || plan_fingerprints(&Repository::open(path)?, at, events));
            let seen = in_view().map(|sight| {
                let made = then(&sight);
                (sight, made)
            });
            let fingerprints = walk
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("the thread walking the tree failed")));
            (seen, fingerprints)
        });
        let (mut sight, made) = seen?;
        sight.fingerprints = fingerprints?;
        Ok((sight, made))
    }
}

/// The commits of `among` that are `at` or one of its ancestors, in one
/// walk that stops once all of them are found.
pub fn ancestors_among(repo: &Repository, at: Oid, among: &HashSet<Oid>) -> Result<Commits> {
    Ok(History::open(repo)
        .reachable_among(at, among)
        .into_iter()
        .collect())
}

/// The fingerprint at `at` of every active step that owns files, under the
/// shared plan (the plan does not depend on the view).
pub fn plan_fingerprints(
    repo: &Repository,
    at: Oid,
    events: &[Stored],
) -> Result<HashMap<String, String>> {
    let steps: Vec<(&str, Owns)> = plan_owns(events)
        .into_iter()
        .filter(|(_, owns)| !owns.is_empty())
        .filter_map(|(id, owns)| Some((id, Owns::new(&owns).ok()?)))
        .collect();
    let tree = repo.find_commit(at)?.tree()?;
    let matchers: Vec<&Owns> = steps.iter().map(|(_, o)| o).collect();
    // The walk of every step's files is the large one: the index, read
    // whole, answers for each directory it holds as the same tree.
    let index = crate::git::work_index::WorkIndex::of(repo);
    let files = owned_files_many_with(repo, &tree, &matchers, index.as_ref())?;
    Ok(steps
        .iter()
        .zip(files)
        .map(|((id, _), f)| (id.to_string(), fingerprint(&f)))
        .collect())
}

/// Keeps, of the fold's collision candidates, those whose creations sit
/// on different lines of history: a redefinition further down the same
/// history (an old import read again) is an edit, not a collision.
pub fn confirm_collisions(repo: &Repository, state: &mut crate::ledger::LedgerState) {
    state.collisions.retain(|c| {
        let commits: Vec<Option<Oid>> = c
            .definitions
            .iter()
            .map(|d| Oid::from_str(&d.commit).ok())
            .collect();
        commits
            .iter()
            .enumerate()
            .any(|(i, a)| commits[i + 1..].iter().any(|b| !related(repo, *a, *b)))
    });
}

fn related(repo: &Repository, a: Option<Oid>, b: Option<Oid>) -> bool {
    let (Some(a), Some(b)) = (a, b) else {
        return false;
    };
    a == b
        || repo.graph_descendant_of(a, b).unwrap_or(false)
        || repo.graph_descendant_of(b, a).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::{Commits, cache_file};
    use std::sync::Arc;

    fn oid(hex: &str) -> git2::Oid {
        git2::Oid::from_str(hex).unwrap()
    }

    /// `bytes` written as a cache file's body and mapped back.
    fn mapped(dir: &std::path::Path, bytes: &[u8]) -> Arc<cache_file::Mapped> {
        let p = dir.join("seen");
        cache_file::write(&p, "test", 1, bytes);
        Arc::new(cache_file::map(&p, "test", 1).unwrap())
    }

    #[test]
    fn a_set_of_commits_is_stored_as_raw_ids_and_read_in_place() {
        let mut set = Commits::default();
        for hex in [
            "ffffffffffffffffffffffffffffffffffffffff",
            "0123456789abcdef0123456789abcdef01234567",
            "0123456789ABCDEF0123456789ABCDEF01234567",
        ] {
            set.insert(hex);
        }
        assert_eq!(set.len(), 2, "upper and lower case are one commit");
        assert_eq!(set.as_bytes().len(), 40, "the raw ids and nothing else");
        let dir = tempfile::tempdir().unwrap();
        let map = mapped(dir.path(), set.as_bytes());
        let len = map.body().len();
        let back = Commits::from_mapped(Arc::clone(&map), 0..len).unwrap();
        assert_eq!(back, set);
        assert!(back.contains("0123456789abcdef0123456789abcdef01234567"));
        assert!(!back.contains("0123456789abcdef0123456789abcdef01234568"));
        assert!(!back.contains("not a commit"));
        // Changing a mapped set copies it out; the mapping is untouched.
        let mut more = back.clone();
        more.extend([
            oid("0000000000000000000000000000000000000001"),
            oid("ffffffffffffffffffffffffffffffffffffffff"),
        ]);
        assert_eq!(more.len(), 3, "one new, one already there");
        assert!(more.contains("0000000000000000000000000000000000000001"));
        assert_eq!(back.len(), 2);
        more.insert("00000000000000000000000000000000000000ff");
        assert!(more.as_bytes().as_chunks::<20>().0.is_sorted());
        // Not whole ids, or not in order: refused, not searched wrongly.
        assert!(Commits::from_mapped(Arc::clone(&map), 0..len - 1).is_none());
        assert!(Commits::from_mapped(Arc::clone(&map), 0..len + 20).is_none());
        let mut reversed = set.as_bytes()[20..].to_vec();
        reversed.extend_from_slice(&set.as_bytes()[..20]);
        let map = mapped(dir.path(), &reversed);
        assert!(Commits::from_mapped(map, 0..40).is_none());
    }

    #[test]
    fn commits_added_to_a_set_are_merged_in_order_each_once() {
        // Seeded: ids drawn from a small range so that new ones fall
        // before, between, on and after those already there.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % 200
        };
        let id = |n: u64| oid(&format!("{n:040x}"));
        for _ in 0..300 {
            let (a, b) = (next() % 40, next() % 40);
            let old: Vec<u64> = (0..a).map(|_| next()).collect();
            let new: Vec<u64> = (0..b).map(|_| next()).collect();
            let mut set: Commits = old.iter().map(|n| id(*n)).collect();
            set.extend(new.iter().map(|n| id(*n)));
            let want: std::collections::BTreeSet<u64> = old.iter().chain(&new).copied().collect();
            let got: Vec<String> = set
                .as_bytes()
                .as_chunks::<20>()
                .0
                .iter()
                .map(|c| git2::Oid::from_bytes(c).unwrap().to_string())
                .collect();
            let want: Vec<String> = want.iter().map(|n| id(*n).to_string()).collect();
            assert_eq!(got, want, "{old:?} + {new:?}");
        }
    }
}
