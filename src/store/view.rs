//! The ledger as seen from a commit (SPEC 2.5): which annotated commits
//! are in view from it, and each step's fingerprint there. These are the
//! inputs of the pure fold, computed from git here.

use crate::git::fingerprint::{fingerprint, owned_files_many};
use crate::git::history::History;
use crate::git::owns::Owns;
use crate::ledger::fold::Viewpoint;
use crate::ledger::fold_events;
use crate::ledger::record::{Body, Stored};
use anyhow::Result;
use git2::{Oid, Repository};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// A set of commit ids, kept as sorted raw bytes: one allocation, read
/// from a cache file without building a hash table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Commits(Vec<[u8; 20]>);

/// Stored as one run of bytes: as twenty numbers each, a view of 100,000
/// commits took longer to write than to fold.
impl Serialize for Commits {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0.as_flattened())
    }
}

impl<'de> Deserialize<'de> for Commits {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Commits, D::Error> {
        struct Raw;
        impl serde::de::Visitor<'_> for Raw {
            type Value = Commits;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("commit ids, 20 bytes each")
            }
            fn visit_bytes<E: serde::de::Error>(self, b: &[u8]) -> Result<Commits, E> {
                if !b.len().is_multiple_of(20) {
                    return Err(E::invalid_length(b.len(), &self));
                }
                let mut ids: Vec<[u8; 20]> = b
                    .chunks_exact(20)
                    .map(|c| <[u8; 20]>::try_from(c).unwrap_or_default())
                    .collect();
                // Kept sorted whatever the file says: `contains` searches.
                ids.sort_unstable();
                ids.dedup();
                Ok(Commits(ids))
            }
        }
        d.deserialize_bytes(Raw)
    }
}

impl Commits {
    /// The raw id of a 40-digit hex commit id (asked once per event by the
    /// fold, so decoded here rather than through libgit2).
    fn key(hex: &str) -> Option<[u8; 20]> {
        let digits = hex.as_bytes();
        if digits.len() != 40 {
            return None;
        }
        let nibble = |b: u8| match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        };
        let mut out = [0u8; 20];
        for (i, pair) in digits.chunks_exact(2).enumerate() {
            out[i] = nibble(pair[0])? << 4 | nibble(pair[1])?;
        }
        Some(out)
    }

    pub fn contains(&self, hex: &str) -> bool {
        Commits::key(hex).is_some_and(|k| self.0.binary_search(&k).is_ok())
    }

    pub fn insert(&mut self, hex: &str) {
        if let Some(k) = Commits::key(hex)
            && let Err(i) = self.0.binary_search(&k)
        {
            self.0.insert(i, k);
        }
    }
}

/// Many at once: one sort, not a shift of the whole set per commit (a
/// fetch brings hundreds into a view of 100,000).
impl Extend<Oid> for Commits {
    fn extend<I: IntoIterator<Item = Oid>>(&mut self, iter: I) {
        let before = self.0.len();
        self.0.extend(
            iter.into_iter()
                .filter_map(|o| <[u8; 20]>::try_from(o.as_bytes()).ok()),
        );
        if self.0.len() > before {
            // The stable sort finds the sorted run already there and
            // merges the new ones into it: linear, where a quicksort
            // would sort everything again.
            self.0.sort();
            self.0.dedup();
        }
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
        Commits(v)
    }
}

/// What the commit a view is made for sees.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
    /// What `at` sees of `events`.
    pub fn compute(repo: &Repository, at: Option<Oid>, events: &[Stored]) -> Result<Sight> {
        let Some(at) = at else {
            return Ok(Sight::default());
        };
        let annotated: HashSet<Oid> = events
            .iter()
            .filter_map(|l| Oid::from_str(&l.commit).ok())
            .collect();
        Ok(Sight {
            at: Some(at.to_string()),
            seen: ancestors_among(repo, at, &annotated)?,
            fingerprints: plan_fingerprints(repo, at, events)?,
        })
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
    let plan = fold_events(
        events
            .iter()
            .filter(|l| matches!(l.record.body, Body::Define(_) | Body::Retire))
            .cloned()
            .collect(),
    );
    let steps: Vec<(&str, Owns)> = plan
        .active_steps()
        .into_iter()
        .filter(|s| !s.def.owns.is_empty())
        .filter_map(|s| Some((s.id.as_str(), Owns::new(&s.def.owns).ok()?)))
        .collect();
    let tree = repo.find_commit(at)?.tree()?;
    let matchers: Vec<&Owns> = steps.iter().map(|(_, o)| o).collect();
    let files = owned_files_many(repo, &tree, &matchers)?;
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
    use super::Commits;

    #[test]
    fn a_set_of_commits_is_stored_as_one_run_of_bytes_and_read_back() {
        let mut set = Commits::default();
        for hex in [
            "ffffffffffffffffffffffffffffffffffffffff",
            "0123456789abcdef0123456789abcdef01234567",
            "0123456789ABCDEF0123456789ABCDEF01234567",
        ] {
            set.insert(hex);
        }
        assert_eq!(set.0.len(), 2, "upper and lower case are one commit");
        let bytes = postcard::to_allocvec(&set).unwrap();
        assert_eq!(bytes.len(), 1 + 40, "a length and the raw ids");
        let back: Commits = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, set);
        assert!(back.contains("0123456789abcdef0123456789abcdef01234567"));
        assert!(!back.contains("0123456789abcdef0123456789abcdef01234568"));
        assert!(!back.contains("not a commit"));
        let mut more = back.clone();
        more.extend([
            git2::Oid::from_str("0000000000000000000000000000000000000001").unwrap(),
            git2::Oid::from_str("ffffffffffffffffffffffffffffffffffffffff").unwrap(),
        ]);
        assert_eq!(more.0.len(), 3, "one new, one already there");
        assert!(more.0.is_sorted());
        assert!(more.contains("0000000000000000000000000000000000000001"));
        // A damaged run (not a multiple of 20 bytes) is refused, not read.
        let mut damaged = bytes.clone();
        damaged[0] = 39;
        damaged.pop();
        assert!(postcard::from_bytes::<Commits>(&damaged).is_err());
    }
}
