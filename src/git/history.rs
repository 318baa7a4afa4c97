//! Ancestry: which commits a commit descends from. Answered from git's
//! commit-graph file (`objects/info/commit-graph`, which `git gc`, `git
//! maintenance` and `fetch.writeCommitGraph` keep) when the repository has
//! one, so that a walk over the whole history reads no commit object;
//! commits newer than the file, and repositories without one, are read
//! through libgit2.

use git2::{Oid, Repository};
use gix_commitgraph::{Graph, Position};
use std::collections::{HashMap, HashSet};

pub struct History<'r> {
    repo: &'r Repository,
    graph: Option<Graph>,
    /// Parents and generation of commits the graph does not hold.
    outside: HashMap<Oid, (Vec<Oid>, u32)>,
}

/// A commit during a walk: by its place in the graph when it is there.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Node {
    InGraph(u32),
    Outside(Oid),
}

impl<'r> History<'r> {
    pub fn open(repo: &'r Repository) -> History<'r> {
        History {
            repo,
            graph: commit_graph(repo),
            outside: HashMap::new(),
        }
    }

    fn node(&self, oid: Oid) -> Node {
        self.graph
            .as_ref()
            .and_then(|g| g.lookup(gix_hash::oid::from_bytes_unchecked(oid.as_bytes())))
            .map_or(Node::Outside(oid), |p| Node::InGraph(p.0))
    }

    fn oid(&self, n: Node) -> Oid {
        match (n, &self.graph) {
            (Node::InGraph(p), Some(g)) => {
                Oid::from_bytes(g.id_at(Position(p)).as_bytes()).unwrap_or(Oid::ZERO_SHA1)
            }
            (Node::Outside(o), _) => o,
            (Node::InGraph(_), None) => Oid::ZERO_SHA1,
        }
    }

    /// The parents of `n`; a commit that cannot be read has none.
    fn parents(&mut self, n: Node) -> Vec<Node> {
        match (n, &self.graph) {
            (Node::InGraph(p), Some(g)) => {
                let parents: Result<Vec<Position>, _> =
                    g.commit_at(Position(p)).iter_parents().collect();
                match parents {
                    Ok(ps) => ps.into_iter().map(|p| Node::InGraph(p.0)).collect(),
                    // A damaged graph: read the commit itself.
                    Err(_) => {
                        let oid = self.oid(n);
                        self.read_outside(oid)
                            .0
                            .into_iter()
                            .map(|o| self.node(o))
                            .collect()
                    }
                }
            }
            _ => {
                let oid = self.oid(n);
                self.read_outside(oid)
                    .0
                    .into_iter()
                    .map(|o| self.node(o))
                    .collect()
            }
        }
    }

    fn read_outside(&mut self, oid: Oid) -> (Vec<Oid>, u32) {
        if let Some(known) = self.outside.get(&oid) {
            return known.clone();
        }
        let parents: Vec<Oid> = self
            .repo
            .find_commit(oid)
            .map(|c| c.parent_ids().collect())
            .unwrap_or_default();
        let entry = (parents, 0);
        self.outside.insert(oid, entry.clone());
        entry
    }

    /// Of `among`, the commits that are `from` or one of its ancestors, in
    /// one walk that stops once all of them are found.
    pub fn reachable_among(&mut self, from: Oid, among: &HashSet<Oid>) -> HashSet<Oid> {
        let mut found = HashSet::new();
        if among.is_empty() {
            return found;
        }
        let targets: HashSet<Node> = among.iter().map(|o| self.node(*o)).collect();
        let mut seen_graph =
            vec![false; self.graph.as_ref().map_or(0, |g| g.num_commits() as usize)];
        let mut seen_outside: HashSet<Oid> = HashSet::new();
        let mut stack = vec![self.node(from)];
        while let Some(n) = stack.pop() {
            let fresh = match n {
                Node::InGraph(p) => !std::mem::replace(&mut seen_graph[p as usize], true),
                Node::Outside(o) => seen_outside.insert(o),
            };
            if !fresh {
                continue;
            }
            if targets.contains(&n) {
                found.insert(self.oid(n));
                if found.len() == targets.len() {
                    break;
                }
            }
            stack.extend(self.parents(n));
        }
        found
    }

    /// Whether `ancestor` is `commit` or one of its ancestors, when the
    /// commit-graph holds both with generation numbers (None otherwise).
    /// Generations bound the walk: nothing below the ancestor's generation
    /// can lead to it, so an old commit is told apart from a new one at once.
    pub fn is_ancestor(&mut self, ancestor: Oid, commit: Oid) -> Option<bool> {
        if ancestor == commit {
            return Some(true);
        }
        let (Node::InGraph(a), Node::InGraph(c), Some(g)) =
            (self.node(ancestor), self.node(commit), &self.graph)
        else {
            return None;
        };
        let floor = g.commit_at(Position(a)).generation();
        if floor == 0 {
            return None;
        }
        if g.commit_at(Position(c)).generation() <= floor {
            return Some(false);
        }
        let mut seen = HashSet::new();
        let mut stack = vec![c];
        while let Some(p) = stack.pop() {
            if p == a {
                return Some(true);
            }
            if !seen.insert(p) {
                continue;
            }
            let parents = g
                .commit_at(Position(p))
                .iter_parents()
                .collect::<Result<Vec<Position>, _>>()
                .ok()?;
            for q in parents {
                if g.commit_at(q).generation() >= floor {
                    stack.push(q.0);
                }
            }
        }
        Some(false)
    }
}

/// The repository's commit-graph, when git would use one: not in a
/// shallow clone or with replace refs or grafts, which it does not cover.
fn commit_graph(repo: &Repository) -> Option<Graph> {
    let common = repo.commondir();
    if common.join("shallow").exists() || common.join("info/grafts").exists() {
        return None;
    }
    if repo
        .references_glob("refs/replace/*")
        .ok()
        .is_some_and(|mut r| r.next().is_some())
    {
        return None;
    }
    if let Ok(cfg) = repo.config()
        && cfg.get_bool("core.commitGraph").ok() == Some(false)
    {
        return None;
    }
    gix_commitgraph::at(common.join("objects/info"), gix_hash::Kind::Sha1, None).ok()
}
