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
    /// How often each commit was asked about as the descendant, and, once
    /// it was asked about often, all its ancestors: a scan asks "is this
    /// old commit below HEAD" once per trailer.
    asked: HashMap<Oid, u32>,
    below: HashMap<Oid, (Vec<bool>, HashSet<Oid>)>,
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
            asked: HashMap::new(),
            below: HashMap::new(),
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
        let Node::InGraph(a) = self.node(ancestor) else {
            return None;
        };
        let floor = self.graph.as_ref()?.commit_at(Position(a)).generation();
        if floor == 0 {
            return None;
        }
        if let Node::InGraph(c) = self.node(commit)
            && self.graph.as_ref()?.commit_at(Position(c)).generation() <= floor
        {
            return Some(false);
        }
        let asked = self.asked.entry(commit).or_insert(0);
        *asked += 1;
        if *asked > 2 {
            if !self.below.contains_key(&commit) {
                let all = self.all_below(commit)?;
                self.below.insert(commit, all);
            }
            return self.below.get(&commit).map(|(bits, _)| bits[a as usize]);
        }
        // Commits newer than the graph file have no generation: they are
        // walked through (they are few), the graph's are cut at the floor.
        let mut seen: HashSet<Node> = HashSet::new();
        let mut stack = vec![self.node(commit)];
        while let Some(node) = stack.pop() {
            if node == Node::InGraph(a) {
                return Some(true);
            }
            if !seen.insert(node) {
                continue;
            }
            if let Node::InGraph(p) = node {
                let g = self.graph.as_ref()?;
                if g.commit_at(Position(p)).generation() <= floor {
                    continue;
                }
                let parents = g
                    .commit_at(Position(p))
                    .iter_parents()
                    .collect::<Result<Vec<Position>, _>>()
                    .ok()?;
                stack.extend(parents.into_iter().map(|q| Node::InGraph(q.0)));
            } else {
                stack.extend(self.parents(node));
            }
        }
        Some(false)
    }
}

impl History<'_> {
    /// Every ancestor of `commit` (itself included): graph positions as a
    /// bitmap, newer commits as a set.
    fn all_below(&mut self, commit: Oid) -> Option<(Vec<bool>, HashSet<Oid>)> {
        let n = self.graph.as_ref()?.num_commits() as usize;
        let mut bits = vec![false; n];
        let mut outside = HashSet::new();
        let mut stack = vec![self.node(commit)];
        while let Some(node) = stack.pop() {
            let fresh = match node {
                Node::InGraph(p) => !std::mem::replace(&mut bits[p as usize], true),
                Node::Outside(o) => outside.insert(o),
            };
            if fresh {
                stack.extend(self.parents(node));
            }
        }
        Some((bits, outside))
    }

    /// The commits reachable from `from` and from none of `hide`, oldest
    /// first (parents before children). Commits the commit-graph holds are
    /// read from it; newer ones (made since it was written) from libgit2.
    /// None without a commit-graph with generation numbers, so that the
    /// caller walks with libgit2 alone.
    pub fn range_oldest_first(&mut self, from: Oid, hide: &[Oid]) -> Option<Vec<Oid>> {
        let n = self.graph.as_ref()?.num_commits() as usize;
        let mut hidden_graph = vec![false; n];
        let mut hidden_outside: HashSet<Oid> = HashSet::new();
        let mut stack: Vec<Node> = hide.iter().map(|h| self.node(*h)).collect();
        while let Some(node) = stack.pop() {
            let fresh = match node {
                Node::InGraph(p) => !std::mem::replace(&mut hidden_graph[p as usize], true),
                Node::Outside(o) => hidden_outside.insert(o),
            };
            if fresh {
                stack.extend(self.parents(node));
            }
        }
        let hidden = |node: &Node| match node {
            Node::InGraph(p) => hidden_graph[*p as usize],
            Node::Outside(o) => hidden_outside.contains(o),
        };
        let mut seen_graph = vec![false; n];
        let mut seen_outside: HashSet<Oid> = HashSet::new();
        let mut in_graph: Vec<(u32, u32)> = Vec::new();
        let mut outside: Vec<Oid> = Vec::new();
        stack.push(self.node(from));
        while let Some(node) = stack.pop() {
            if hidden(&node) {
                continue;
            }
            match node {
                Node::InGraph(p) => {
                    if std::mem::replace(&mut seen_graph[p as usize], true) {
                        continue;
                    }
                    let generation = self.graph.as_ref()?.commit_at(Position(p)).generation();
                    if generation == 0 {
                        return None;
                    }
                    in_graph.push((generation, p));
                }
                Node::Outside(o) => {
                    if !seen_outside.insert(o) {
                        continue;
                    }
                    outside.push(o);
                }
            }
            stack.extend(self.parents(node));
        }
        // A parent's generation is below its children's: ascending
        // generations put every commit after its parents.
        in_graph.sort_unstable();
        let g = self.graph.as_ref()?;
        let mut out: Vec<Oid> = in_graph
            .into_iter()
            .filter_map(|(_, p)| Oid::from_bytes(g.id_at(Position(p)).as_bytes()).ok())
            .collect();
        // Commits newer than the graph file descend from what it holds:
        // they come last, each after its parents among them.
        let mut placed: HashSet<Oid> = HashSet::new();
        let mut pending = outside;
        while !pending.is_empty() {
            let before = pending.len();
            let mut rest = Vec::new();
            for o in pending {
                let parents = self.read_outside(o).0;
                let ready = parents.iter().all(|p| {
                    placed.contains(p)
                        || !matches!(self.node(*p), Node::Outside(_))
                        || !seen_outside.contains(p)
                });
                if ready {
                    placed.insert(o);
                    out.push(o);
                } else {
                    rest.push(o);
                }
            }
            if rest.len() == before {
                return None; // cannot happen in a DAG; be safe
            }
            pending = rest;
        }
        Some(out)
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
