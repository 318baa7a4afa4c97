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
    /// The first-parent tree of the graph, numbered by a depth-first walk,
    /// built on the first far question: "is A on C's first-parent line" is
    /// then two comparisons.
    first_parent: Option<FirstParentTree>,
    /// Visit marks of the bounded walks, by graph position, and the
    /// number of the walk that set them (no clearing between walks).
    visited: Vec<u32>,
    walks: u32,
}

/// Entry and exit times of a depth-first walk of the tree whose edges are
/// first-parent links: A is on C's first-parent line exactly when A's
/// interval holds C's.
struct FirstParentTree {
    enter: Vec<u32>,
    exit: Vec<u32>,
}

impl FirstParentTree {
    fn build(g: &Graph) -> Option<FirstParentTree> {
        let n = g.num_commits() as usize;
        let mut parent1: Vec<u32> = vec![u32::MAX; n];
        let mut children_count: Vec<u32> = vec![0; n + 1];
        for (p, slot) in parent1.iter_mut().enumerate() {
            if let Some(q) = g.commit_at(Position(p as u32)).parent1().ok()? {
                *slot = q.0;
                children_count[q.0 as usize] += 1;
            }
        }
        // Children lists as one array (counts, then offsets).
        let mut start: Vec<u32> = Vec::with_capacity(n + 1);
        let mut acc = 0u32;
        for c in &children_count[..n] {
            start.push(acc);
            acc += c;
        }
        start.push(acc);
        let mut fill = start.clone();
        let mut children: Vec<u32> = vec![0; acc as usize];
        for (p, &q) in parent1.iter().enumerate() {
            if q != u32::MAX {
                children[fill[q as usize] as usize] = p as u32;
                fill[q as usize] += 1;
            }
        }
        let mut enter = vec![0u32; n];
        let mut exit = vec![0u32; n];
        let mut clock = 0u32;
        let mut stack: Vec<(u32, bool)> = Vec::new();
        for root in (0..n as u32).filter(|p| parent1[*p as usize] == u32::MAX) {
            stack.push((root, false));
            while let Some((p, done)) = stack.pop() {
                if done {
                    exit[p as usize] = clock;
                    clock += 1;
                    continue;
                }
                enter[p as usize] = clock;
                clock += 1;
                stack.push((p, true));
                let (a, b) = (start[p as usize] as usize, start[p as usize + 1] as usize);
                stack.extend(children[a..b].iter().map(|c| (*c, false)));
            }
        }
        Some(FirstParentTree { enter, exit })
    }

    fn on_line(&self, ancestor: u32, commit: u32) -> bool {
        let (a, c) = (ancestor as usize, commit as usize);
        self.enter[a] <= self.enter[c] && self.exit[c] <= self.exit[a]
    }
}

/// Both parents of every commit of the graph, read once in the file's
/// order. The file lists commits by id, so a walk through it jumps all
/// over it (a cache miss per commit, half of a walk over 50,000 commits);
/// through this table, which a sequential read fills, it stays in cache.
struct ParentTable {
    /// Per position: the first and second parent, [`NONE`] for none, or
    /// [`MORE`] as the second when there are more than two (or the entry
    /// cannot be read): the walk then reads that commit from the file.
    parents: Vec<[u32; 2]>,
}

/// Graph commits a walk reads from the file before it reads the table:
/// this many, and a quarter of the graph (by the profiles, reading the
/// table costs some 31 ns a commit, a walk through the file 106: the
/// table pays once a walk would go on past about a quarter). In tests,
/// few: their histories are small, and both ways are tried.
const LONG_WALK: usize = if cfg!(test) { 16 } else { 4096 };

const NONE: u32 = u32::MAX;
const MORE: u32 = u32::MAX - 1;

impl ParentTable {
    fn read(g: &Graph) -> ParentTable {
        let parents = (0..g.num_commits())
            .map(|p| {
                let mut it = g.commit_at(Position(p)).iter_parents();
                let mut next = || match it.next() {
                    None => Some(NONE),
                    Some(Ok(q)) => Some(q.0),
                    Some(Err(_)) => None,
                };
                match (next(), next(), next()) {
                    (Some(a), Some(b), Some(NONE)) => [a, b],
                    _ => [NONE, MORE],
                }
            })
            .collect();
        ParentTable { parents }
    }

    /// The parents of `p`; None when they are to be read from the file.
    fn parents(&self, p: u32) -> Option<impl Iterator<Item = u32>> {
        let pair = *self.parents.get(p as usize)?;
        (pair[1] != MORE).then(|| pair.into_iter().filter(|q| *q != NONE))
    }
}

/// How many commits newer than the graph file one ancestry question may
/// walk before it is left to a walk of the whole range.
const OUTSIDE_WALK: usize = 2_000;

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
            first_parent: None,
            visited: Vec::new(),
            walks: 0,
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
        let n = self.graph.as_ref().map_or(0, |g| g.num_commits() as usize);
        let mut target_pos = vec![false; n];
        for t in &targets {
            if let Node::InGraph(p) = t {
                target_pos[*p as usize] = true;
            }
        }
        let mut seen_graph = vec![false; n];
        let mut seen_outside: HashSet<Oid> = HashSet::new();
        let mut stack = vec![self.node(from)];
        let mut graph_stack: Vec<u32> = Vec::new();
        // Read once the walk is long: a short one (the few commits a
        // fetch or a commit brings into view) costs less than the table.
        let mut table: Option<ParentTable> = None;
        let mut walked = 0usize;
        loop {
            // Graph commits first, from the parent table: no allocation
            // per commit on the long part of the walk.
            while let Some(p) = graph_stack.pop() {
                if std::mem::replace(&mut seen_graph[p as usize], true) {
                    continue;
                }
                if target_pos[p as usize] {
                    found.insert(self.oid(Node::InGraph(p)));
                    if found.len() == targets.len() {
                        return found;
                    }
                }
                let Some(g) = self.graph.as_ref() else { break };
                walked += 1;
                if walked == LONG_WALK.max(n / 4) {
                    table = Some(ParentTable::read(g));
                }
                if let Some(parents) = table.as_ref().and_then(|t| t.parents(p)) {
                    graph_stack.extend(parents.filter(|q| !seen_graph[*q as usize]));
                    continue;
                }
                for q in g.commit_at(Position(p)).iter_parents() {
                    match q {
                        Ok(q) if !seen_graph[q.0 as usize] => graph_stack.push(q.0),
                        Ok(_) => {}
                        Err(_) => {
                            // A damaged graph: read that commit itself.
                            let oid = self.oid(Node::InGraph(p));
                            stack.extend(self.read_outside(oid).0.into_iter().map(Node::Outside));
                            break;
                        }
                    }
                }
            }
            let Some(node) = stack.pop() else { break };
            match node {
                Node::InGraph(p) => graph_stack.push(p),
                Node::Outside(o) => {
                    if !seen_outside.insert(o) {
                        continue;
                    }
                    if targets.contains(&node) {
                        found.insert(o);
                        if found.len() == targets.len() {
                            return found;
                        }
                    }
                    for parent in self.read_outside(o).0 {
                        match self.node(parent) {
                            Node::InGraph(p) => graph_stack.push(p),
                            outside => stack.push(outside),
                        }
                    }
                }
            }
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
            return self.reaches_outside(commit, ancestor);
        };
        match self.node(commit) {
            Node::InGraph(c) => self.graph_ancestor(a, c),
            Node::Outside(_) => {
                // Commits newer than the graph file: down to the graph
                // commits they stand on (they are few), then as above.
                let mut entries: Vec<u32> = Vec::new();
                let mut seen: HashSet<Oid> = HashSet::new();
                let mut stack = vec![self.node(commit)];
                while let Some(node) = stack.pop() {
                    match node {
                        Node::InGraph(p) => entries.push(p),
                        Node::Outside(o) => {
                            if o == ancestor {
                                return Some(true);
                            }
                            if seen.insert(o) {
                                stack.extend(self.parents(node));
                            }
                        }
                    }
                }
                for e in entries {
                    if self.graph_ancestor(a, e)? {
                        return Some(true);
                    }
                }
                Some(false)
            }
        }
    }

    /// Whether `commit` reaches `ancestor`, a commit the graph file does
    /// not hold (newer than it, or unknown here). The graph holds every
    /// ancestor of its commits, so none of them descends from `ancestor`:
    /// only the commits newer than the file are walked, and at most
    /// [`OUTSIDE_WALK`] of them (None beyond, or without a graph file).
    fn reaches_outside(&mut self, commit: Oid, ancestor: Oid) -> Option<bool> {
        self.graph.as_ref()?;
        let mut seen: HashSet<Oid> = HashSet::new();
        let mut stack = vec![self.node(commit)];
        while let Some(node) = stack.pop() {
            let Node::Outside(o) = node else { continue };
            if o == ancestor {
                return Some(true);
            }
            if seen.insert(o) {
                if seen.len() > OUTSIDE_WALK {
                    return None;
                }
                stack.extend(self.parents(node));
            }
        }
        Some(false)
    }

    /// [`is_ancestor`](Self::is_ancestor) of two commits the graph holds.
    fn graph_ancestor(&mut self, a: u32, c: u32) -> Option<bool> {
        if a == c {
            return Some(true);
        }
        let g = self.graph.as_ref()?;
        let floor = g.commit_at(Position(a)).generation();
        if floor == 0 {
            return None;
        }
        if g.commit_at(Position(c)).generation() <= floor {
            return Some(false);
        }
        if self.first_parent.is_none() {
            self.first_parent = Some(FirstParentTree::build(g)?);
        }
        if self.first_parent.as_ref()?.on_line(a, c) {
            return Some(true);
        }
        // Off the first-parent line: through a merge's other parents. Walk
        // down from `c`, not below the ancestor's generation.
        let n = g.num_commits() as usize;
        if self.visited.len() != n {
            self.visited = vec![0; n];
            self.walks = 0;
        }
        self.walks += 1;
        let mark = self.walks;
        let mut stack = vec![c];
        while let Some(p) = stack.pop() {
            if p == a {
                return Some(true);
            }
            if std::mem::replace(&mut self.visited[p as usize], mark) == mark {
                continue;
            }
            for q in g.commit_at(Position(p)).iter_parents() {
                let q = q.ok()?;
                if g.commit_at(q).generation() >= floor {
                    stack.push(q.0);
                }
            }
        }
        Some(false)
    }
}

impl History<'_> {
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

#[cfg(test)]
mod tests {
    use super::History;
    use git2::{Oid, Repository, Signature, Time};
    use std::collections::HashSet;

    /// A history of forks and merges, three octopus merges among them,
    /// with git's commit-graph file written for all but its last commits.
    fn forked_history() -> (tempfile::TempDir, Vec<Oid>) {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let tree = repo
            .find_tree(repo.treebuilder(None).unwrap().write().unwrap())
            .unwrap();
        let mut next = crate::proptest_config::numbers(7);
        let mut commits: Vec<Oid> = Vec::new();
        let commit = |repo: &Repository, i: usize, parents: &[Oid]| {
            let sig = Signature::new("A", "a@x", &Time::new(1_700_000_000 + i as i64, 0)).unwrap();
            let parents: Vec<git2::Commit<'_>> = parents
                .iter()
                .map(|p| repo.find_commit(*p).unwrap())
                .collect();
            let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
            repo.commit(None, &sig, &sig, &format!("c{i}"), &tree, &parents)
                .unwrap()
        };
        for i in 0..300 {
            let count = match (i, next(10)) {
                (0, _) => 0,
                (_, 0) if i > 3 => 3,
                (_, 1 | 2) if i > 1 => 2,
                _ => 1,
            };
            let mut parents: Vec<Oid> = Vec::new();
            while parents.len() < count {
                let p = commits[commits.len() - 1 - next(commits.len().min(20) as u64) as usize];
                if !parents.contains(&p) {
                    parents.push(p);
                }
            }
            commits.push(commit(&repo, i, &parents));
            if i == 260 {
                repo.reference("refs/heads/main", commits[i], true, "")
                    .unwrap();
                let git = |args: &[&str]| {
                    let out = std::process::Command::new("git")
                        .arg("-C")
                        .arg(dir.path())
                        .args(args)
                        .env("GIT_CONFIG_GLOBAL", "/dev/null")
                        .env("GIT_CONFIG_NOSYSTEM", "1")
                        .output()
                        .unwrap();
                    assert!(out.status.success(), "{out:?}");
                };
                git(&["commit-graph", "write", "--reachable"]);
            }
        }
        (dir, commits)
    }

    #[test]
    fn a_walk_through_the_parent_table_finds_what_git_s_own_walk_finds() {
        let (dir, commits) = forked_history();
        let repo = Repository::open(dir.path()).unwrap();
        assert!(dir.path().join(".git/objects/info/commit-graph").exists());
        let octopus = commits
            .iter()
            .filter(|c| repo.find_commit(**c).unwrap().parent_count() > 2)
            .count();
        assert!(octopus >= 3, "{octopus} octopus merges");
        let all: HashSet<Oid> = commits.iter().copied().collect();
        for at in commits.iter().step_by(7).chain(commits.last()) {
            let mut walk = repo.revwalk().unwrap();
            walk.push(*at).unwrap();
            let want: HashSet<Oid> = walk.map(Result::unwrap).collect();
            let got = History::open(&repo).reachable_among(*at, &all);
            assert_eq!(got, want, "seen from {at}");
        }
    }
}
