//! Scope fingerprints (SPEC 2.4): SHA-256 over the sorted lines
//! `<mode> <blob-oid> <path>\n` of every file a step owns in a tree.

use super::owns::Owns;
use super::work_index::{Entry, WorkIndex};
use git2::{ObjectType, Oid, Repository, Tree};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedFile {
    pub path: String,
    pub mode: i32,
    pub oid: Oid,
}

impl OwnedFile {
    fn line(&self) -> String {
        format!("{:06o} {} {}\n", self.mode, self.oid, self.path)
    }
}

/// The files of `tree` each matcher owns, in one walk that skips the
/// subtrees no matcher can own anything in.
pub fn owned_files_many(
    repo: &Repository,
    tree: &Tree<'_>,
    owners: &[&Owns],
) -> Result<Vec<Vec<OwnedFile>>, git2::Error> {
    owned_files_many_with(repo, tree, owners, None)
}

/// As `owned_files_many`, taking each directory the git index holds as
/// the very tree the walk would read from the index's entries instead
/// (a large walk's choice: the index is read whole to find out).
pub fn owned_files_many_with(
    repo: &Repository,
    tree: &Tree<'_>,
    owners: &[&Owns],
    index: Option<&WorkIndex>,
) -> Result<Vec<Vec<OwnedFile>>, git2::Error> {
    let mut out = vec![Vec::new(); owners.len()];
    let all: Vec<usize> = (0..owners.len())
        .filter(|&i| !owners[i].is_empty())
        .collect();
    if !all.is_empty() {
        match index.and_then(|ix| ix.tree("", tree.id())) {
            Some(span) => walk_index(span, "", &all, owners, &mut out),
            None => walk(repo, tree, "", &all, owners, &mut out, index)?,
        }
    }
    Ok(out)
}

pub fn owned_files(
    repo: &Repository,
    tree: &Tree<'_>,
    owns: &Owns,
) -> Result<Vec<OwnedFile>, git2::Error> {
    Ok(owned_files_many(repo, tree, &[owns])?
        .pop()
        .unwrap_or_default())
}

/// Which candidates can own something below each subdirectory of `dir`,
/// from their literal prefixes: those confined to a longer prefix by its
/// next component, the others everywhere. One pass, not a test of every
/// candidate against every subdirectory; the named ones sorted by that
/// component, so that a subdirectory finds its own by a binary search (a
/// map of lists cost an allocation per name, and 100,000 steps each in
/// its own directory name 100,000).
struct Below<'o> {
    anywhere: Vec<usize>,
    named: Vec<(&'o str, usize)>,
}

impl<'o> Below<'o> {
    fn new(dir: &str, candidates: &[usize], owners: &[&'o Owns]) -> Below<'o> {
        let mut anywhere: Vec<usize> = Vec::new();
        let mut named: Vec<(&str, usize)> = Vec::new();
        for &i in candidates {
            let before = named.len();
            let mut placed = false;
            for p in owners[i].prefixes() {
                match p.strip_prefix(dir) {
                    Some(rest) if !rest.is_empty() => {
                        named.push((rest.split('/').next().unwrap_or(rest), i));
                    }
                    _ if dir.starts_with(p.as_str()) => {
                        anywhere.push(i);
                        placed = true;
                        break;
                    }
                    _ => {}
                }
            }
            if placed {
                named.truncate(before);
            }
        }
        named.sort_unstable();
        named.dedup();
        Below { anywhere, named }
    }

    /// Into `next`, the candidates for the subdirectory `name`, whose
    /// path (with its slash) is `path`.
    fn of(&self, name: &str, path: &str, owners: &[&Owns], next: &mut Vec<usize>) {
        next.clear();
        next.extend(
            self.anywhere
                .iter()
                .copied()
                .filter(|&i| owners[i].could_match_under(path)),
        );
        let from = self.named.partition_point(|(n, _)| *n < name);
        let anywhere_here = next.len();
        next.extend(
            self.named[from..]
                .iter()
                .take_while(|(n, _)| *n == name)
                .map(|&(_, i)| i),
        );
        if next.len() > anywhere_here {
            next.sort_unstable();
            next.dedup();
        }
    }
}

/// A file at `path`, to each candidate that owns it.
fn own(
    candidates: &[usize],
    owners: &[&Owns],
    path: &str,
    mode: i32,
    oid: Oid,
    out: &mut [Vec<OwnedFile>],
) {
    for &i in candidates {
        if owners[i].matches(path, false) {
            out[i].push(OwnedFile {
                path: path.to_string(),
                mode,
                oid,
            });
        }
    }
}

fn walk(
    repo: &Repository,
    tree: &Tree<'_>,
    dir: &str,
    candidates: &[usize],
    owners: &[&Owns],
    out: &mut [Vec<OwnedFile>],
    index: Option<&WorkIndex>,
) -> Result<(), git2::Error> {
    let below = Below::new(dir, candidates, owners);
    let mut next: Vec<usize> = Vec::new();
    let mut path = String::from(dir);
    for entry in tree.iter() {
        let name = String::from_utf8_lossy(entry.name_bytes());
        path.truncate(dir.len());
        path.push_str(&name);
        if entry.kind() == Some(ObjectType::Tree) {
            path.push('/');
            below.of(&name, &path, owners, &mut next);
            if !next.is_empty() {
                let here = std::mem::take(&mut next);
                match index.and_then(|ix| ix.tree(&path, entry.id())) {
                    Some(span) => walk_index(span, &path, &here, owners, out),
                    None => {
                        let sub = repo.find_tree(entry.id())?;
                        walk(repo, &sub, &path, &here, owners, out, index)?;
                    }
                }
                next = here;
            }
        } else {
            own(candidates, owners, &path, entry.filemode(), entry.id(), out);
        }
    }
    Ok(())
}

/// The walk over the index's entries below `dir` (all of which start
/// with it, in the index's order, which is the trees' order too).
fn walk_index(
    span: &[Entry],
    dir: &str,
    candidates: &[usize],
    owners: &[&Owns],
    out: &mut [Vec<OwnedFile>],
) {
    let below = Below::new(dir, candidates, owners);
    let mut next: Vec<usize> = Vec::new();
    let mut i = 0;
    while let Some(e) = span.get(i) {
        let rest = &e.path[dir.len()..];
        let Some(slash) = rest.find('/') else {
            own(candidates, owners, &e.path, e.mode, e.oid, out);
            i += 1;
            continue;
        };
        let sub = &e.path[..dir.len() + slash + 1];
        let end = i + span[i..].partition_point(|x| x.path.starts_with(sub));
        below.of(&rest[..slash], sub, owners, &mut next);
        if !next.is_empty() {
            let here = std::mem::take(&mut next);
            walk_index(&span[i..end], sub, &here, owners, out);
            next = here;
        }
        i = end;
    }
}

/// Hex SHA-256 over the sorted lines of the owned files.
pub fn fingerprint(files: &[OwnedFile]) -> String {
    let mut lines: Vec<String> = files.iter().map(OwnedFile::line).collect();
    lines.sort();
    let mut h = Sha256::new();
    for l in &lines {
        h.update(l.as_bytes());
    }
    crate::hex::encode(&h.finalize())
}

/// Paths added, removed or changed (content or mode) between two sets.
pub fn changed_paths(before: &[OwnedFile], after: &[OwnedFile]) -> Vec<String> {
    let b: BTreeMap<&str, (i32, Oid)> = before
        .iter()
        .map(|f| (f.path.as_str(), (f.mode, f.oid)))
        .collect();
    let a: BTreeMap<&str, (i32, Oid)> = after
        .iter()
        .map(|f| (f.path.as_str(), (f.mode, f.oid)))
        .collect();
    let mut out: Vec<String> = a
        .iter()
        .filter(|(p, v)| b.get(*p) != Some(v))
        .map(|(p, _)| p.to_string())
        .chain(
            b.keys()
                .filter(|p| !a.contains_key(*p))
                .map(|p| p.to_string()),
        )
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::{Owns, owned_files_many};
    use git2::{Repository, Tree};

    /// A tree of `paths`, each a file holding its own path.
    fn tree_of<'r>(repo: &'r Repository, paths: &[String]) -> Tree<'r> {
        let files: Vec<(&str, &str)> = paths.iter().map(|p| (p.as_str(), p.as_str())).collect();
        crate::git::test_tree(repo, &files)
    }

    /// The walk skips subtrees by the owners' literal prefixes; whatever it
    /// skips, each owner must get exactly the files a test of every path
    /// gives it, in the tree's order.
    #[test]
    fn the_pruned_walk_owns_what_testing_every_path_owns() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let mut next = crate::proptest_config::numbers(7);
        let names = ["a", "b", "ab", "a.b", "src", "lib", "x-y", "mod"];
        let pick = |next: &mut dyn FnMut(u64) -> u64| names[next(names.len() as u64) as usize];
        let patterns = [
            "src/**",
            "a/",
            "a/b",
            "ab/**",
            "**/*.rs",
            "lib/*/x",
            "!src/a/**",
            "mod/a/**",
            "/b",
            "b/ab/",
            "*.b",
            "a/**/b.rs",
            "x-y/lib/**",
            "mod/",
            "src/a.b",
        ];
        for round in 0..40 {
            let mut paths: Vec<String> = (0..40)
                .map(|_| {
                    let depth = 1 + next(4);
                    let mut p: Vec<&str> = (0..depth).map(|_| pick(&mut next)).collect();
                    let leaf =
                        format!("{}{}", pick(&mut next), [".rs", "", ".b"][next(3) as usize]);
                    p.push(&leaf);
                    p.join("/")
                })
                .collect();
            paths.sort();
            paths.dedup();
            // A path that is also a directory's name cannot be a file.
            let dirs: Vec<String> = paths
                .iter()
                .flat_map(|p| {
                    let parts: Vec<&str> = p.split('/').collect();
                    (1..parts.len()).map(move |n| parts[..n].join("/"))
                })
                .collect();
            paths.retain(|p| !dirs.contains(p));
            let tree = tree_of(&repo, &paths);
            let owners: Vec<Owns> = (0..12)
                .map(|_| {
                    let n = 1 + next(3);
                    let globs: Vec<String> = (0..n)
                        .map(|_| patterns[next(patterns.len() as u64) as usize].to_string())
                        .collect();
                    Owns::new(&globs).unwrap()
                })
                .collect();
            let refs: Vec<&Owns> = owners.iter().collect();
            let walked = owned_files_many(&repo, &tree, &refs).unwrap();
            let mut all: Vec<String> = Vec::new();
            tree.walk(git2::TreeWalkMode::PreOrder, |root, e| {
                if e.kind() == Some(git2::ObjectType::Blob) {
                    all.push(format!("{root}{}", e.name().unwrap()));
                }
                git2::TreeWalkResult::Ok
            })
            .unwrap();
            for (i, owns) in owners.iter().enumerate() {
                let want: Vec<&str> = all
                    .iter()
                    .map(String::as_str)
                    .filter(|p| owns.matches(p, false))
                    .collect();
                let got: Vec<&str> = walked[i].iter().map(|f| f.path.as_str()).collect();
                assert_eq!(got, want, "round {round}, owner {i}");
            }
        }
    }
}
