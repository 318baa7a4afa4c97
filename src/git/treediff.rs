//! The paths two trees differ in, descending only into subtrees whose ids
//! differ, so that a commit's diff costs what it changed, not the size of
//! the repository.

use git2::{ObjectType, Odb, OdbObject, Oid, Repository, Tree};
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
    let odb = repo.odb()?;
    let (b, a) = (read(&odb, old.map(Tree::id))?, read(&odb, Some(new.id()))?);
    let top = diff_level(&b, &a, "", &mut out)?;
    out.extend(crate::git::repo::read_in_threads(
        repo,
        &top,
        split_from,
        |r, part| {
            let mut below = Vec::new();
            descend(&r.odb()?, part, &mut below)?;
            Ok::<_, git2::Error>(below)
        },
    )?);
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// A tree's bytes, read from the object database as they are stored:
/// comparing two fan-out levels entry by entry needs no tree object built
/// for each (a notes tree's hold hundreds of entries, a few changed).
fn read<'o>(odb: &'o Odb<'_>, id: Option<Oid>) -> Result<Option<OdbObject<'o>>, git2::Error> {
    let Some(id) = id else { return Ok(None) };
    let object = odb.read(id)?;
    if object.kind() != ObjectType::Tree {
        return Err(git2::Error::from_str(&format!("{id} is not a tree")));
    }
    Ok(Some(object))
}

/// One entry of a tree as git stores it: `MODE SP NAME NUL ID`.
#[derive(Clone, Copy)]
struct Entry<'a> {
    mode: u32,
    name: &'a [u8],
    id: &'a [u8],
}

impl Entry<'_> {
    fn is_tree(&self) -> bool {
        self.mode & 0o170000 == 0o040000
    }

    fn oid(&self) -> Oid {
        // `parse` takes exactly an id's length of bytes.
        Oid::from_bytes(self.id).unwrap_or(Oid::ZERO_SHA1)
    }
}

/// A tree's entries, in the order they are stored. A malformed tree is an
/// error, never a panic.
fn parse(data: &[u8]) -> Result<Vec<Entry<'_>>, git2::Error> {
    const ID: usize = 20;
    let bad = || git2::Error::from_str("a tree object is malformed");
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let space = memchr::memchr(b' ', rest).ok_or_else(bad)?;
        let digits = &rest[..space];
        if digits.is_empty()
            || digits.len() > 7
            || !digits.iter().all(|d| (b'0'..=b'7').contains(d))
        {
            return Err(bad());
        }
        let mode = digits.iter().fold(0, |m, d| m * 8 + u32::from(d - b'0'));
        rest = &rest[space + 1..];
        let nul = memchr::memchr(0, rest).ok_or_else(bad)?;
        let (name, after) = (&rest[..nul], &rest[nul + 1..]);
        if name.is_empty() || after.len() < ID {
            return Err(bad());
        }
        out.push(Entry {
            mode,
            name,
            id: &after[..ID],
        });
        rest = &after[ID..];
    }
    Ok(out)
}

/// git's order of tree entries: by name, a directory's name read as if
/// it ended in `/`.
fn tree_order(a: &Entry<'_>, b: &Entry<'_>) -> Ordering {
    let end = |e: &Entry<'_>| e.is_tree().then_some(b'/');
    let (x, y) = (a.name, b.name);
    let n = x.len().min(y.len());
    x[..n].cmp(&y[..n]).then_with(|| {
        let cx = x.get(n).copied().or_else(|| end(a));
        let cy = y.get(n).copied().or_else(|| end(b));
        cx.cmp(&cy)
    })
}

/// A tree's entries in git's order (a tree git wrote is in it already).
fn entries<'t>(tree: &'t Option<OdbObject<'_>>) -> Result<Vec<Entry<'t>>, git2::Error> {
    let mut v = match tree {
        Some(t) => parse(t.data())?,
        None => Vec::new(),
    };
    if !v.is_sorted_by(|a, b| tree_order(a, b) != Ordering::Greater) {
        v.sort_by(tree_order);
    }
    Ok(v)
}

/// A subtree to descend into: its id on each side (None: absent, or a
/// file there) and its path with a trailing `/`.
type Descent = (Option<Oid>, Option<Oid>, String);

/// One level of two trees, walked side by side in git's order: entries
/// that are the same on both sides cost a comparison, not a path. (A
/// notes tree's fan-out levels hold hundreds of entries, a few changed.)
/// Gives the subtrees that differ, and pushes the files that do.
fn diff_level(
    old: &Option<OdbObject<'_>>,
    new: &Option<OdbObject<'_>>,
    dir: &str,
    out: &mut Vec<Changed>,
) -> Result<Vec<Descent>, git2::Error> {
    let before = entries(old)?;
    let after = entries(new)?;
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
        if let (Some(b), Some(a)) = (b, a)
            && b.mode == a.mode
            && b.id == a.id
        {
            continue;
        }
        let name = b.or(a).map(|e| e.name).unwrap_or_default();
        let path = format!("{dir}{}", String::from_utf8_lossy(name));
        let tree = |e: Option<&Entry<'_>>| e.filter(|e| e.is_tree()).map(Entry::oid);
        let (b_tree, a_tree) = (tree(b), tree(a));
        if b_tree.is_some() || a_tree.is_some() {
            descents.push((b_tree, a_tree, format!("{path}/")));
        }
        // A file on either side (also a file replaced by a directory).
        let file = |e: Option<&Entry<'_>>| e.filter(|e| !e.is_tree()).map(|e| (e.mode, e.oid()));
        let (file_before, file_after) = (file(b), file(a));
        if file_before != file_after {
            out.push(Changed {
                path,
                before: file_before.map(|e| e.1),
                after: file_after.map(|e| e.1),
            });
        }
    }
    Ok(descents)
}

/// Everything below the subtrees of `descents`, a level at a time: all
/// of a level's old trees are read, then all of its new ones. libgit2
/// looks for an object first in the pack that held the one before, then
/// in every other pack; the trees of one side are mostly in one pack (a
/// fetch brings the new side's in its own), so reading them together
/// spares a search through the other packs for each.
fn descend(odb: &Odb<'_>, descents: &[Descent], out: &mut Vec<Changed>) -> Result<(), git2::Error> {
    let mut level = descents.to_vec();
    while !level.is_empty() {
        let before = level
            .iter()
            .map(|d| read(odb, d.0))
            .collect::<Result<Vec<_>, _>>()?;
        let after = level
            .iter()
            .map(|d| read(odb, d.1))
            .collect::<Result<Vec<_>, _>>()?;
        let mut next = Vec::new();
        for ((b, a), (_, _, dir)) in before.iter().zip(&after).zip(&level) {
            next.extend(diff_level(b, a, dir, out)?);
        }
        level = next;
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

    proptest::proptest! {
        #![proptest_config(crate::proptest_config::seeded(3000))]

        #[test]
        fn any_bytes_read_as_a_tree_parse_or_are_refused(
            data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        ) {
            let _ = parse(&data);
        }

        #[test]
        fn a_stored_tree_parses_back_to_its_entries(
            stored in proptest::collection::vec(
                (
                    proptest::sample::select(vec![0o100644u32, 0o100755, 0o120000, 0o40000, 0o160000]),
                    proptest::collection::vec(1u8..=255, 1..40),
                    proptest::collection::vec(proptest::prelude::any::<u8>(), 20),
                ),
                0..20,
            ),
        ) {
            let mut data = Vec::new();
            for (mode, name, id) in &stored {
                data.extend_from_slice(format!("{mode:o} ").as_bytes());
                data.extend_from_slice(name);
                data.push(0);
                data.extend_from_slice(id);
            }
            let parsed = parse(&data).unwrap();
            let back: Vec<(u32, Vec<u8>, Vec<u8>)> =
                parsed.iter().map(|e| (e.mode, e.name.to_vec(), e.id.to_vec())).collect();
            proptest::prop_assert_eq!(back, stored);
            // Cut anywhere inside its last entry, the tree is refused.
            if !data.is_empty() {
                proptest::prop_assert!(parse(&data[..data.len() - 1]).is_err());
            }
        }
    }

    #[test]
    fn a_malformed_tree_is_an_error_not_a_panic() {
        for data in [
            &b"100644"[..],
            b"10x644 a\0",
            b" a\0",
            b"100644 \0",
            b"100644 a\0short",
        ] {
            assert!(parse(data).is_err(), "{data:?}");
        }
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let blob = repo.blob(b"not a tree").unwrap();
        let odb = repo.odb().unwrap();
        let err = read(&odb, Some(blob)).err().unwrap();
        assert!(err.message().contains("is not a tree"), "{err}");
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
