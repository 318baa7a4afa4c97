//! Scope fingerprints (SPEC 2.4): SHA-256 over the sorted lines
//! `<mode> <blob-oid> <path>\n` of every file a step owns in a tree.

use super::owns::Owns;
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
    let mut out = vec![Vec::new(); owners.len()];
    let all: Vec<usize> = (0..owners.len())
        .filter(|&i| !owners[i].is_empty())
        .collect();
    if !all.is_empty() {
        walk(repo, tree, "", &all, owners, &mut out)?;
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

fn walk(
    repo: &Repository,
    tree: &Tree<'_>,
    dir: &str,
    candidates: &[usize],
    owners: &[&Owns],
    out: &mut [Vec<OwnedFile>],
) -> Result<(), git2::Error> {
    // Which candidates can own something below each subdirectory, from
    // their literal prefixes: those confined to a longer prefix by its
    // next component, the others everywhere. One pass, not a test of
    // every candidate against every subdirectory.
    let mut anywhere: Vec<usize> = Vec::new();
    let mut by_name: std::collections::HashMap<&str, Vec<usize>> = Default::default();
    for &i in candidates {
        let mut placed = false;
        let mut names: Vec<&str> = Vec::new();
        for p in owners[i].prefixes() {
            match p.strip_prefix(dir) {
                Some(rest) if !rest.is_empty() => {
                    names.push(rest.split('/').next().unwrap_or(rest));
                }
                _ if dir.starts_with(p.as_str()) => {
                    anywhere.push(i);
                    placed = true;
                    break;
                }
                _ => {}
            }
        }
        if !placed {
            names.sort_unstable();
            names.dedup();
            for n in names {
                by_name.entry(n).or_default().push(i);
            }
        }
    }
    for entry in tree.iter() {
        let name = String::from_utf8_lossy(entry.name_bytes());
        let path = format!("{dir}{name}");
        if entry.kind() == Some(ObjectType::Tree) {
            let sub_dir = format!("{path}/");
            let mut next: Vec<usize> = anywhere
                .iter()
                .copied()
                .filter(|&i| owners[i].could_match_under(&sub_dir))
                .collect();
            if let Some(named) = by_name.get(name.as_ref()) {
                next.extend(named.iter().copied());
                next.sort_unstable();
            }
            if !next.is_empty() {
                let sub = repo.find_tree(entry.id())?;
                walk(repo, &sub, &sub_dir, &next, owners, out)?;
            }
        } else {
            for &i in candidates {
                if owners[i].matches(&path, false) {
                    out[i].push(OwnedFile {
                        path: path.clone(),
                        mode: entry.filemode(),
                        oid: entry.id(),
                    });
                }
            }
        }
    }
    Ok(())
}

/// Hex SHA-256 over the sorted lines of the owned files.
pub fn fingerprint(files: &[OwnedFile]) -> String {
    let mut lines: Vec<String> = files.iter().map(OwnedFile::line).collect();
    lines.sort();
    let mut h = Sha256::new();
    for l in &lines {
        h.update(l.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
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
