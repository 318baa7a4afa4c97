//! The paths two trees differ in, descending only into subtrees whose ids
//! differ, so that a commit's diff costs what it changed, not the size of
//! the repository.

use git2::{ObjectType, Oid, Repository, Tree, TreeEntry};
use std::collections::BTreeMap;

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
    let mut out = Vec::new();
    if old.is_some_and(|o| o.id() == new.id()) {
        return Ok(out);
    }
    diff_level(repo, old, Some(new), "", &mut out)?;
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

type Entry = (Oid, i32, bool);

fn entries(tree: Option<&Tree<'_>>) -> BTreeMap<Vec<u8>, Entry> {
    let mut m = BTreeMap::new();
    if let Some(t) = tree {
        for e in t.iter() {
            m.insert(e.name_bytes().to_vec(), describe(&e));
        }
    }
    m
}

fn describe(e: &TreeEntry<'_>) -> Entry {
    (e.id(), e.filemode(), e.kind() == Some(ObjectType::Tree))
}

fn diff_level(
    repo: &Repository,
    old: Option<&Tree<'_>>,
    new: Option<&Tree<'_>>,
    dir: &str,
    out: &mut Vec<Changed>,
) -> Result<(), git2::Error> {
    let before = entries(old);
    let after = entries(new);
    let names: std::collections::BTreeSet<&Vec<u8>> = before.keys().chain(after.keys()).collect();
    for name in names {
        let b = before.get(name);
        let a = after.get(name);
        if b == a {
            continue;
        }
        let path = format!("{dir}{}", String::from_utf8_lossy(name));
        let sub = |e: Option<&Entry>| -> Result<Option<Tree<'_>>, git2::Error> {
            match e {
                Some((id, _, true)) => repo.find_tree(*id).map(Some),
                _ => Ok(None),
            }
        };
        let (b_tree, a_tree) = (sub(b)?, sub(a)?);
        if b_tree.is_some() || a_tree.is_some() {
            diff_level(
                repo,
                b_tree.as_ref(),
                a_tree.as_ref(),
                &format!("{path}/"),
                out,
            )?;
        }
        // A file on either side (also a file replaced by a directory).
        let file_before = b.filter(|e| !e.2);
        let file_after = a.filter(|e| !e.2);
        if file_before != file_after {
            out.push(Changed {
                path,
                before: file_before.map(|e| e.0),
                after: file_after.map(|e| e.0),
            });
        }
    }
    Ok(())
}
