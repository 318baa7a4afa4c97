//! Reading and writing `refs/notes/ledger` as plain git objects.
//!
//! The notes tree maps an annotated commit's hex id to a blob, either flat
//! (`<40 hex>`) or fanned out (`ab/<38 hex>`, deeper when git chose so);
//! both forms, and a mix of them, are read and kept.

use crate::ledger::{Event, Located, Skip};
use git2::{ObjectType, Oid, Repository, Tree};
use std::collections::BTreeMap;

/// Above this many notes in one flat level, a write fans that level out,
/// as git does, so that no single tree object grows without bound.
const FANOUT_AT: usize = 256;

/// A line of a note that is not an event, and why (the general reader's
/// report; the index keeps its own).
#[derive(Debug, Clone)]
#[allow(dead_code)]
pub struct SkippedLine {
    pub commit: String,
    pub line: usize,
    pub reason: Skip,
}

/// Every (annotated commit, blob) pair in a notes tree.
pub fn list_notes(repo: &Repository, tree: &Tree<'_>) -> Result<Vec<(String, Oid)>, git2::Error> {
    let mut out = Vec::new();
    list_level(repo, tree, "", &mut out)?;
    Ok(out)
}

/// About how many notes a notes tree holds, from its top level and four
/// of its fanned-out subtrees (commit ids spread evenly over them): enough
/// to choose how to read them, without listing them.
pub fn estimate_count(repo: &Repository, tree: &Tree<'_>) -> usize {
    let mut flat = 0;
    let mut dirs = Vec::new();
    for e in tree.iter() {
        match e.kind() {
            Some(ObjectType::Tree) if e.name().is_ok_and(|n| n.len() == 2 && is_hex(n)) => {
                dirs.push(e.id())
            }
            Some(ObjectType::Blob) => flat += 1,
            _ => {}
        }
    }
    let sample: Vec<usize> = dirs
        .iter()
        .step_by(dirs.len().div_ceil(4).max(1))
        .filter_map(|id| repo.find_tree(*id).ok().map(|t| t.len()))
        .collect();
    let per_dir = sample.iter().sum::<usize>() / sample.len().max(1);
    flat + dirs.len() * per_dir
}

fn list_level(
    repo: &Repository,
    tree: &Tree<'_>,
    prefix: &str,
    out: &mut Vec<(String, Oid)>,
) -> Result<(), git2::Error> {
    for entry in tree.iter() {
        let Ok(name) = entry.name() else { continue };
        if !is_hex(name) {
            continue; // not a note: something else someone stored in the notes tree
        }
        let full = format!("{prefix}{name}");
        match entry.kind() {
            Some(ObjectType::Blob) if is_object_id(&full) => out.push((full, entry.id())),
            Some(ObjectType::Tree) if name.len() == 2 && full.len() < 40 => {
                list_level(repo, &repo.find_tree(entry.id())?, &full, out)?
            }
            _ => {}
        }
    }
    Ok(())
}

/// The annotated commit (lower-case hex) a path in a notes tree names,
/// flat or fanned out in two-digit levels (`ab/cdef…`), as `list_notes`
/// reads them; None for anything else kept there.
pub fn commit_of_path(path: &str) -> Option<String> {
    let mut levels: Vec<&str> = path.split('/').collect();
    let name = levels.pop()?;
    let fanned = levels.len() * 2 < 40 && levels.iter().all(|d| d.len() == 2 && is_hex(d));
    let hex = levels.concat() + name;
    (fanned && is_object_id(&hex)).then(|| hex.to_ascii_lowercase())
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_object_id(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && is_hex(s)
}

/// Parses every note's text into events; lines that are not events are
/// reported, never dropped from the notes.
pub fn parse_notes<'a>(
    notes: impl IntoIterator<Item = (&'a String, &'a String)>,
) -> (Vec<Located>, Vec<SkippedLine>) {
    let mut events = Vec::new();
    let mut skipped = Vec::new();
    for (commit, text) in notes {
        for (n, line) in text.lines().enumerate() {
            match Event::parse_line(line) {
                Ok(event) => events.push(Located {
                    commit: commit.clone(),
                    event,
                }),
                Err(Skip::Blank) => {}
                Err(reason) => skipped.push(SkippedLine {
                    commit: commit.clone(),
                    line: n + 1,
                    reason,
                }),
            }
        }
    }
    (events, skipped)
}

/// The note text on one commit in the ledger at `tip` (both forms, joined).
pub fn note_text(repo: &Repository, tip: Option<Oid>, commit: &str) -> Result<String, git2::Error> {
    Ok(String::from_utf8_lossy(&note_bytes(repo, tip, commit)?).into_owned())
}

/// `note_text` as stored, byte for byte (a line need not be UTF-8).
pub fn note_bytes(
    repo: &Repository,
    tip: Option<Oid>,
    commit: &str,
) -> Result<Vec<u8>, git2::Error> {
    let Some(tip) = tip else {
        return Ok(Vec::new());
    };
    note_bytes_in(repo, &repo.find_commit(tip)?.tree()?, commit)
}

/// The notes tree of the ledger at `tip` (None: no ledger yet), for
/// reading many notes with [`note_text_in`].
pub fn notes_tree(repo: &Repository, tip: Option<Oid>) -> Result<Option<Tree<'_>>, git2::Error> {
    tip.map(|t| repo.find_commit(t).and_then(|c| c.tree()))
        .transpose()
}

/// The note text on one commit in a notes tree (both forms, joined).
pub fn note_text_in(
    repo: &Repository,
    tree: &Tree<'_>,
    commit: &str,
) -> Result<String, git2::Error> {
    Ok(String::from_utf8_lossy(&note_bytes_in(repo, tree, commit)?).into_owned())
}

/// [`note_text_in`] byte for byte.
pub fn note_bytes_in(
    repo: &Repository,
    tree: &Tree<'_>,
    commit: &str,
) -> Result<Vec<u8>, git2::Error> {
    let mut text = Vec::new();
    note_text_level(repo, tree, commit, &mut text)?;
    Ok(text)
}

fn note_text_level(
    repo: &Repository,
    tree: &Tree<'_>,
    rest: &str,
    out: &mut Vec<u8>,
) -> Result<(), git2::Error> {
    if let Some(e) = tree.get_name(rest)
        && e.kind() == Some(ObjectType::Blob)
    {
        out.extend_from_slice(repo.find_blob(e.id())?.content());
        if !out.ends_with(b"\n") {
            out.push(b'\n');
        }
    }
    if rest.len() > 2
        && let Some(e) = tree.get_name(&rest[..2])
        && e.kind() == Some(ObjectType::Tree)
    {
        note_text_level(repo, &repo.find_tree(e.id())?, &rest[2..], out)?;
    }
    Ok(())
}

/// Writes a notes tree that is `base` with `additions` (commit hex → lines
/// to append, as bytes: a merged line need not be UTF-8) added, keeping
/// the fan-out layout it finds.
pub fn write_tree<T: AsRef<[u8]>>(
    repo: &Repository,
    base: Option<&Tree<'_>>,
    additions: &BTreeMap<String, T>,
) -> Result<Oid, git2::Error> {
    let items: Vec<(&str, &[u8])> = additions
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_ref()))
        .collect();
    update_level(repo, base, &items)
}

fn update_level(
    repo: &Repository,
    tree: Option<&Tree<'_>>,
    items: &[(&str, &[u8])],
) -> Result<Oid, git2::Error> {
    let mut builder = repo.treebuilder(tree)?;
    let fanned = tree.is_some_and(|t| {
        t.iter().any(|e| {
            e.kind() == Some(ObjectType::Tree) && e.name().is_ok_and(|n| n.len() == 2 && is_hex(n))
        })
    });
    let mut groups: BTreeMap<String, Vec<(&str, &[u8])>> = BTreeMap::new();
    for &(rest, lines) in items {
        let existing_blob = tree
            .and_then(|t| t.get_name(rest))
            .filter(|e| e.kind() == Some(ObjectType::Blob));
        let existing_dir = tree
            .and_then(|t| t.get_name(&rest[..2]))
            .is_some_and(|e| e.kind() == Some(ObjectType::Tree));
        if let Some(entry) = existing_blob {
            let old = repo.find_blob(entry.id())?;
            let mut content = old.content().to_vec();
            if !content.is_empty() && !content.ends_with(b"\n") {
                content.push(b'\n');
            }
            content.extend_from_slice(lines);
            builder.insert(rest, repo.blob(&content)?, 0o100644)?;
        } else if (existing_dir || fanned) && rest.len() > 2 {
            groups
                .entry(rest[..2].to_string())
                .or_default()
                .push((&rest[2..], lines));
        } else {
            builder.insert(rest, repo.blob(lines)?, 0o100644)?;
        }
    }
    for (dir, sub_items) in groups {
        let sub_tree = match tree.and_then(|t| t.get_name(&dir)) {
            Some(e) if e.kind() == Some(ObjectType::Tree) => Some(repo.find_tree(e.id())?),
            _ => None,
        };
        let oid = update_level(repo, sub_tree.as_ref(), &sub_items)?;
        builder.insert(&dir, oid, 0o040000)?;
    }
    if !fanned && builder.len() > FANOUT_AT {
        return fan_out(repo, builder.write()?);
    }
    builder.write()
}

/// Moves every flat note of a level into `xx/` subtrees.
fn fan_out(repo: &Repository, level: Oid) -> Result<Oid, git2::Error> {
    let tree = repo.find_tree(level)?;
    let mut builder = repo.treebuilder(Some(&tree))?;
    let mut groups: BTreeMap<String, Vec<(String, Oid)>> = BTreeMap::new();
    for e in tree.iter() {
        let Ok(name) = e.name() else { continue };
        if e.kind() == Some(ObjectType::Blob) && name.len() > 2 && is_hex(name) {
            groups
                .entry(name[..2].to_string())
                .or_default()
                .push((name[2..].to_string(), e.id()));
            builder.remove(name)?;
        }
    }
    for (dir, notes) in groups {
        let mut sub = repo.treebuilder(None)?;
        for (rest, blob) in notes {
            sub.insert(&rest, blob, 0o100644)?;
        }
        builder.insert(&dir, sub.write()?, 0o040000)?;
    }
    builder.write()
}

#[cfg(test)]
mod tests {
    use super::commit_of_path;

    #[test]
    fn a_path_names_a_commit_only_in_the_layouts_git_writes() {
        let id = "0123456789abcdef0123456789ABCDEF01234567";
        let lower = id.to_ascii_lowercase();
        for path in [
            id.to_string(),
            format!("{}/{}", &id[..2], &id[2..]),
            format!("{}/{}/{}", &id[..2], &id[2..4], &id[4..]),
        ] {
            assert_eq!(
                commit_of_path(&path).as_deref(),
                Some(lower.as_str()),
                "{path}"
            );
        }
        for path in [
            format!("{}/{}", &id[..1], &id[1..]),   // a level of one digit
            format!("{}/{}", &id[..3], &id[3..]),   // of three
            format!("{}/x{}", &id[..2], &id[3..]),  // not hex
            format!("{}/{}", &id[..2], &id[2..39]), // too short
            "README".to_string(),
            String::new(),
        ] {
            assert_eq!(commit_of_path(&path), None, "{path}");
        }
    }
}
