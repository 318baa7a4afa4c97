//! The paths two trees differ in, descending only into subtrees whose ids
//! differ, so that a commit's diff costs what it changed, not the size of
//! the repository.

use git2::{ObjectType, Oid, Repository, Tree, TreeEntry};
use std::cmp::Ordering;

/// Files added, removed, or changed in content or mode between `old` (None:
/// the empty tree) and `new`, sorted. Submodule entries count as files.
pub fn changed_files(
    repo: &Repository,
    old: Option<&Tree<'_>>,
    new: &Tree<'_>,
) -> Result<Vec<String>, git2::Error> {
    Ok(changed_blobs(repo, old, new)?
        .into_iter()
        .map(|c| c.path)
        .collect())
}

/// A file that differs: its path and its blob on each side (None: absent,
/// or a directory there).
pub struct Changed {
    pub path: String,
    pub before: Option<Oid>,
    pub after: Option<Oid>,
}

/// [`changed_files`] with the blob ids on each side, so that a caller
/// reading the files needs no lookup by path (each would read the trees
/// above the file again).
pub fn changed_blobs(
    repo: &Repository,
    old: Option<&Tree<'_>>,
    new: &Tree<'_>,
) -> Result<Vec<Changed>, git2::Error> {
    diff_trees(repo, old, new, usize::MAX)
}

/// [`changed_blobs`], the subtrees below the top level split between a
/// few threads when many of them differ: two notes trees after a fetch
/// differ in most of their 256 fan-out subtrees, and reading those is
/// most of what following the fetched notes costs.
pub fn changed_blobs_in_threads(
    repo: &Repository,
    old: Option<&Tree<'_>>,
    new: &Tree<'_>,
) -> Result<Vec<Changed>, git2::Error> {
    diff_trees(repo, old, new, 64)
}

/// The diff, split between threads once `split_from` subtrees below the
/// top level differ.
fn diff_trees(
    repo: &Repository,
    old: Option<&Tree<'_>>,
    new: &Tree<'_>,
    split_from: usize,
) -> Result<Vec<Changed>, git2::Error> {
    let mut out = Vec::new();
    if old.is_some_and(|o| o.id() == new.id()) {
        return Ok(out);
    }
    let top = diff_level(old, Some(new), "", &mut out);
    out.extend(crate::git::repo::read_in_threads(
        repo,
        &top,
        split_from,
        |r, part| {
            let mut below = Vec::new();
            descend(r, part, &mut below)?;
            Ok::<_, git2::Error>(below)
        },
    )?);
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

type Entry = (Oid, i32, bool);

fn describe(e: &TreeEntry<'_>) -> Entry {
    (e.id(), e.filemode(), e.kind() == Some(ObjectType::Tree))
}

/// git's order of tree entries: by name, a directory's name read as if
/// it ended in `/`.
fn tree_order(a: &TreeEntry<'_>, b: &TreeEntry<'_>) -> Ordering {
    let end = |e: &TreeEntry<'_>| (e.kind() == Some(ObjectType::Tree)).then_some(b'/');
    let (x, y) = (a.name_bytes(), b.name_bytes());
    let n = x.len().min(y.len());
    x[..n].cmp(&y[..n]).then_with(|| {
        let cx = x.get(n).copied().or_else(|| end(a));
        let cy = y.get(n).copied().or_else(|| end(b));
        cx.cmp(&cy)
    })
}

/// A tree's entries in git's order (a tree git wrote is in it already).
fn entries<'t>(tree: Option<&'t Tree<'_>>) -> Vec<TreeEntry<'t>> {
    let mut v: Vec<TreeEntry<'t>> = tree.map(|t| t.iter().collect()).unwrap_or_default();
    if !v.is_sorted_by(|a, b| tree_order(a, b) != Ordering::Greater) {
        v.sort_by(tree_order);
    }
    v
}

/// A subtree to descend into: its id on each side (None: absent, or a
/// file there) and its path with a trailing `/`.
type Descent = (Option<Oid>, Option<Oid>, String);

/// One level of two trees, walked side by side in git's order: entries
/// that are the same on both sides cost a comparison, not a path. (A
/// notes tree's fan-out levels hold hundreds of entries, a few changed.)
/// Gives the subtrees that differ, and pushes the files that do.
fn diff_level(
    old: Option<&Tree<'_>>,
    new: Option<&Tree<'_>>,
    dir: &str,
    out: &mut Vec<Changed>,
) -> Vec<Descent> {
    let before = entries(old);
    let after = entries(new);
    let mut descents = Vec::new();
    let (mut i, mut j) = (0, 0);
    loop {
        let (b, a) = match (before.get(i), after.get(j)) {
            (None, None) => break,
            (Some(b), None) => (Some(b), None),
            (None, Some(a)) => (None, Some(a)),
            (Some(b), Some(a)) => match tree_order(b, a) {
                Ordering::Less => (Some(b), None),
                Ordering::Greater => (None, Some(a)),
                Ordering::Equal => (Some(b), Some(a)),
            },
        };
        i += usize::from(b.is_some());
        j += usize::from(a.is_some());
        let (b_entry, a_entry) = (b.map(describe), a.map(describe));
        if b_entry == a_entry {
            continue;
        }
        let name = b.or(a).map(TreeEntry::name_bytes).unwrap_or_default();
        let path = format!("{dir}{}", String::from_utf8_lossy(name));
        let tree = |e: Option<Entry>| e.filter(|e| e.2).map(|e| e.0);
        let (b_tree, a_tree) = (tree(b_entry), tree(a_entry));
        if b_tree.is_some() || a_tree.is_some() {
            descents.push((b_tree, a_tree, format!("{path}/")));
        }
        // A file on either side (also a file replaced by a directory).
        let file_before = b_entry.filter(|e| !e.2);
        let file_after = a_entry.filter(|e| !e.2);
        if file_before != file_after {
            out.push(Changed {
                path,
                before: file_before.map(|e| e.0),
                after: file_after.map(|e| e.0),
            });
        }
    }
    descents
}

/// Everything below the subtrees of `descents`.
fn descend(
    repo: &Repository,
    descents: &[Descent],
    out: &mut Vec<Changed>,
) -> Result<(), git2::Error> {
    for (b, a, dir) in descents {
        let find = |id: &Option<Oid>| id.map(|id| repo.find_tree(id)).transpose();
        let (b, a) = (find(b)?, find(a)?);
        let below = diff_level(b.as_ref(), a.as_ref(), dir, out);
        descend(repo, &below, out)?;
    }
    Ok(())
}
#[cfg(test)]
mod tests {
    use super::*;

    use crate::git::test_tree as tree;

    #[test]
    fn a_side_by_side_walk_finds_what_git_s_own_diff_finds() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        // "a-b" sorts before the directory "a/" but after the file "a":
        // the walk must read both sides in git's order to pair them.
        let old = tree(
            &repo,
            &[
                ("a", "1"),
                ("a-b", "2"),
                ("c/x", "3"),
                ("d", "4"),
                ("f/g/h", "5"),
            ],
        );
        let new = tree(
            &repo,
            &[
                ("a/y", "1"),
                ("a-b", "changed"),
                ("c", "3"),
                ("d", "4"),
                ("e", "6"),
                ("f/g/h", "5"),
            ],
        );
        let ours = changed_files(&repo, Some(&old), &new).unwrap();
        let mut git: Vec<String> = Vec::new();
        repo.diff_tree_to_tree(Some(&old), Some(&new), None)
            .unwrap()
            .foreach(
                &mut |d, _| {
                    for f in [d.old_file(), d.new_file()] {
                        if let Some(p) = f.path().and_then(|p| p.to_str())
                            && !git.iter().any(|g| g == p)
                        {
                            git.push(p.to_string());
                        }
                    }
                    true
                },
                None,
                None,
                None,
            )
            .unwrap();
        git.sort();
        assert_eq!(ours, git);
        assert_eq!(ours, ["a", "a-b", "a/y", "c", "c/x", "e"]);
        assert!(changed_files(&repo, Some(&new), &new).unwrap().is_empty());
        let all = changed_blobs(&repo, None, &new).unwrap();
        assert_eq!(all.len(), 6);
        assert!(all.iter().all(|c| c.before.is_none() && c.after.is_some()));
    }

    #[test]
    fn the_diff_split_between_threads_is_the_diff_read_in_one() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        // Enough changed subtrees (like a notes tree's fan-out) to split.
        let names: Vec<String> = (0..100).map(|i| format!("{i:02x}/{i:038x}")).collect();
        let old_files: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "old")).collect();
        let mut new_files: Vec<(&str, &str)> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), if i % 3 == 0 { "old" } else { "new" }))
            .collect();
        new_files.push(("top", "a file at the top"));
        let (old, new) = (tree(&repo, &old_files), tree(&repo, &new_files));
        let one = changed_blobs(&repo, Some(&old), &new).unwrap();
        let split = changed_blobs_in_threads(&repo, Some(&old), &new).unwrap();
        let paths = |v: &[Changed]| -> Vec<(String, Option<Oid>, Option<Oid>)> {
            v.iter()
                .map(|c| (c.path.clone(), c.before, c.after))
                .collect()
        };
        assert_eq!(paths(&split), paths(&one));
        assert_eq!(one.len(), 66 + 1);
        assert!(
            changed_blobs_in_threads(&repo, Some(&new), &new)
                .unwrap()
                .is_empty()
        );
    }
}
