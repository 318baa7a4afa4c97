//! "Is this status later than that commit?" for a whole range of commits at
//! once. Asking libgit2 per trailer walks the history each time (minutes
//! over 50,000 commits); here the range's parent links are read once, and
//! the ancestors of each commit a status is bound to are marked once.

use anyhow::Result;
use git2::{Oid, Repository};
use std::collections::HashMap;

pub struct Lineage {
    head: Oid,
    index: HashMap<Oid, usize>,
    parents: Vec<Vec<usize>>,
    /// Ancestors-or-self within the range, per commit asked about.
    ancestors: HashMap<usize, Vec<bool>>,
    /// Where a commit outside the range meets the range (its merge base with HEAD).
    meets: HashMap<Oid, Option<usize>>,
}

impl Lineage {
    /// `commits`: the range being ingested; `head`: the tip it belongs to.
    pub fn new(repo: &Repository, commits: &[Oid], head: Oid) -> Result<Lineage> {
        let index: HashMap<Oid, usize> = commits.iter().enumerate().map(|(i, c)| (*c, i)).collect();
        let mut parents = Vec::with_capacity(commits.len());
        for c in commits {
            let commit = repo.find_commit(*c)?;
            parents.push(
                commit
                    .parent_ids()
                    .filter_map(|p| index.get(&p).copied())
                    .collect(),
            );
        }
        Ok(Lineage {
            head,
            index,
            parents,
            ancestors: HashMap::new(),
            meets: HashMap::new(),
        })
    }

    /// Whether `later` is `commit` or descends from it. None when the range
    /// cannot tell (`commit` outside it, `later` unknown to this clone).
    pub fn is_later(&mut self, repo: &Repository, later: Oid, commit: Oid) -> Option<bool> {
        let c = *self.index.get(&commit)?;
        let from = match self.index.get(&later) {
            Some(i) => *i,
            None => {
                repo.find_commit(later).ok()?;
                // A commit outside the range descends from `commit` only
                // through its merge base with HEAD.
                let head = self.head;
                let meet = *self.meets.entry(later).or_insert_with(|| {
                    repo.merge_base(later, head)
                        .ok()
                        .and_then(|b| self.index.get(&b).copied())
                });
                match meet {
                    Some(m) => m,
                    None => return Some(false),
                }
            }
        };
        let parents = &self.parents;
        let marks = self.ancestors.entry(from).or_insert_with(|| {
            let mut seen = vec![false; parents.len()];
            let mut stack = vec![from];
            while let Some(i) = stack.pop() {
                if !seen[i] {
                    seen[i] = true;
                    stack.extend(parents[i].iter().copied().filter(|p| !seen[*p]));
                }
            }
            seen
        });
        Some(marks[c])
    }
}
