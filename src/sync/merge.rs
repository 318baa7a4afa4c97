//! Merging another notes history of the ledger into `refs/notes/ledger`:
//! nothing when the local ledger already contains it, a fast-forward when
//! it contains the local ledger, otherwise a commit with both as parents
//! whose notes are the per-commit union of lines (local lines first, then
//! the other side's new lines, exact duplicates dropped).
//!
//! The local ref only ever moves to a commit that contains its old value,
//! and it moves compare-and-swap, so nothing another writer appended in
//! the meantime is lost.

use crate::error::user_hint;
use crate::git::repo::NOTES_REF;
use crate::store::{self, notes};
use anyhow::{Context, Result, anyhow};
use git2::{ErrorCode, Oid, Repository, Signature};
use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MergeKind {
    /// The local ledger already held everything.
    UpToDate,
    FastForward,
    /// A notes merge commit with both parents.
    Merged,
}

impl MergeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MergeKind::UpToDate => "none",
            MergeKind::FastForward => "fast-forward",
            MergeKind::Merged => "merge",
        }
    }
}

pub struct Merged {
    pub kind: MergeKind,
    /// Events new to the local ledger (counted only when asked for).
    pub received: usize,
}

/// Whether to count the events a merge brings; reads skip the counting.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Count {
    Events,
    Nothing,
}

/// Gives up on a local ref that keeps moving under us after this long.
const MAX_WAIT: Duration = Duration::from_secs(60);

/// Merges the notes history at `theirs` (named `source` in the reflog and
/// in the merge commit's message) into the local ledger. The caller has
/// made sure it is one (`check_notes_history`).
pub fn merge_into_local(
    repo: &Repository,
    source: &str,
    theirs: Oid,
    count: Count,
) -> Result<Merged> {
    let started = Instant::now();
    loop {
        let ours = store::tip(repo)?;
        let base = match ours {
            None => None,
            Some(o) if o == theirs => Some(o),
            Some(o) => match repo.merge_base(o, theirs) {
                Ok(b) => Some(b),
                // Two ledgers started apart share no history: still a merge.
                Err(e) if e.code() == ErrorCode::NotFound => None,
                Err(e) => {
                    return Err(e).with_context(|| {
                        format!("cannot compare refs/notes/ledger with {source}")
                    });
                }
            },
        };
        if base == Some(theirs) {
            return Ok(Merged {
                kind: MergeKind::UpToDate,
                received: 0,
            });
        }
        let (new_tip, kind, received) = if base == ours {
            let received = match count {
                Count::Events => count_events(&missing_lines(repo, ours, theirs)?),
                Count::Nothing => 0,
            };
            (theirs, MergeKind::FastForward, received)
        } else {
            let missing = missing_lines(repo, ours, theirs)?;
            let ours = ours.context("a merge needs a local ledger")?;
            let merged = write_merge(repo, ours, theirs, &missing, source)?;
            (merged, MergeKind::Merged, count_events(&missing))
        };
        let message = format!("git-ledger: {} {source}", kind.as_str());
        if crate::store::compare_and_swap(repo, ours, new_tip, &message)? {
            return Ok(Merged { kind, received });
        }
        if let Some(stuck) = crate::git::ref_lock::give_up(repo, NOTES_REF, started.elapsed()) {
            return Err(stuck);
        }
        if started.elapsed() > MAX_WAIT {
            return Err(anyhow!(
                "refs/notes/ledger kept changing while merging {source}; run the command again"
            ));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Refuses `theirs` unless it, and every commit it would bring into the
/// local ledger, is a notes commit: a tree of notes (`<40 hex>` blobs or
/// `xx/` fan-out directories) and nothing else. Anyone can publish a ref
/// that looks like the ledger; a merge must never pull a code commit and
/// its history into refs/notes/ledger.
pub fn check_notes_history(
    repo: &Repository,
    source: &str,
    theirs: Oid,
    ours: Option<Oid>,
) -> Result<()> {
    let not_a_ledger = |what: String| {
        user_hint(
            format!("{source} is not a ledger: {what}; nothing was merged"),
            format!(
                "a ledger is a notes history; see what it is with: git log --stat {source} (drop it: git update-ref -d {source})"
            ),
        )
    };
    if repo.find_commit(theirs).is_err() {
        return Err(not_a_ledger(format!(
            "it points at {}, which is not a commit",
            crate::git::repo::short(&theirs.to_string())
        )));
    }
    let mut walk = repo.revwalk()?;
    walk.push(theirs)?;
    if let Some(o) = ours {
        walk.hide(o)?;
    }
    for oid in walk {
        let commit = repo.find_commit(oid?)?;
        if let Some(entry) = non_note_entry(&commit.tree()?) {
            return Err(not_a_ledger(format!(
                "commit {} in its history holds '{entry}', and a notes tree holds only notes",
                crate::git::repo::short(&commit.id().to_string())
            )));
        }
    }
    Ok(())
}

/// The first top-level entry of `tree` that is not a note or a fan-out
/// directory of notes.
fn non_note_entry(tree: &git2::Tree<'_>) -> Option<String> {
    tree.iter().find_map(|e| {
        let name = String::from_utf8_lossy(e.name_bytes()).into_owned();
        let hex = !name.is_empty() && name.bytes().all(|b| b.is_ascii_hexdigit());
        let fine = match e.kind() {
            Some(git2::ObjectType::Blob) => hex && is_annotated_object(&name),
            Some(git2::ObjectType::Tree) => hex && name.len() == 2,
            _ => false,
        };
        (!fine).then_some(name)
    })
}

/// Whether the notes history at `ours` already holds `theirs`.
pub fn contains(repo: &Repository, ours: Option<Oid>, theirs: Oid) -> Result<bool> {
    match ours {
        None => Ok(false),
        Some(o) if o == theirs => Ok(true),
        Some(o) => repo
            .graph_descendant_of(o, theirs)
            .context("cannot walk the history of refs/notes/ledger"),
    }
}

/// Per annotated commit, the lines of `theirs`' note that `ours`' note on
/// the same commit lacks, in their order, blank lines and repeats dropped.
/// Only notes whose blobs differ are read, so the cost follows the change.
/// Lines are compared and kept as bytes: one that is not UTF-8 (which no
/// reader takes for an event) arrives exactly as it was written.
pub fn missing_lines(
    repo: &Repository,
    ours: Option<Oid>,
    theirs: Oid,
) -> Result<BTreeMap<String, Vec<u8>>> {
    let their_tree = repo.find_commit(theirs)?.tree()?;
    let our_tree = ours.map(|o| repo.find_commit(o)?.tree()).transpose()?;
    let diff = repo.diff_tree_to_tree(our_tree.as_ref(), Some(&their_tree), None)?;
    // Per annotated commit: our blob at the same path, if any, and theirs.
    let mut changed: BTreeMap<String, (Option<Oid>, Oid)> = BTreeMap::new();
    for d in diff.deltas() {
        if d.status() == git2::Delta::Deleted {
            continue;
        }
        let Some(key) = d
            .new_file()
            .path()
            .and_then(|p| p.to_str())
            .and_then(note_key)
        else {
            continue;
        };
        let old = Some(d.old_file().id()).filter(|id| !id.is_zero());
        changed.insert(key, (old, d.new_file().id()));
    }
    let mut out = BTreeMap::new();
    for (commit, (our_blob, their_blob)) in changed {
        let mine = match our_blob {
            Some(b) => repo.find_blob(b)?.content().to_vec(),
            // New at this path; our note may sit under another fan-out.
            None => notes::note_bytes(repo, ours, &commit)?,
        };
        let blob = repo.find_blob(their_blob)?;
        let mut seen: HashSet<&[u8]> = lines(&mine).collect();
        let mut add = Vec::new();
        for line in lines(blob.content()) {
            if line.iter().all(u8::is_ascii_whitespace) || !seen.insert(line) {
                continue;
            }
            add.extend_from_slice(line);
            add.push(b'\n');
        }
        if !add.is_empty() {
            out.insert(commit, add);
        }
    }
    Ok(out)
}

/// The non-empty lines of a note, cut as `str::lines` cuts them (a `\r`
/// before the newline belongs to the line ending), without decoding them.
fn lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    text.split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.is_empty())
}

/// The annotated object's id a notes tree path names (`ab/cdef…` or flat).
fn note_key(path: &str) -> Option<String> {
    let key: String = path.chars().filter(|c| *c != '/').collect();
    is_annotated_object(&key).then(|| key.to_ascii_lowercase())
}

fn is_annotated_object(key: &str) -> bool {
    (key.len() == 40 || key.len() == 64) && key.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Distinct events among the lines (a line that is not an event is kept
/// by the merge but not counted).
pub fn count_events(missing: &BTreeMap<String, Vec<u8>>) -> usize {
    let ids: HashSet<&str> = missing
        .values()
        .flat_map(|text| lines(text))
        .filter_map(|l| std::str::from_utf8(l).ok())
        .filter_map(event_id)
        .collect();
    ids.len()
}

/// Just enough of an event line to count it, without building the event.
#[derive(serde::Deserialize)]
struct Probe<'a> {
    #[allow(dead_code)] // present in every event: the line is one
    v: u64,
    #[allow(dead_code)]
    kind: &'a str,
    id: &'a str,
}

fn event_id(line: &str) -> Option<&str> {
    serde_json::from_str::<Probe<'_>>(line).ok().map(|p| p.id)
}

fn write_merge(
    repo: &Repository,
    ours: Oid,
    theirs: Oid,
    missing: &BTreeMap<String, Vec<u8>>,
    source: &str,
) -> Result<Oid> {
    let our_commit = repo.find_commit(ours)?;
    let their_commit = repo.find_commit(theirs)?;
    let tree_id = notes::write_tree(repo, Some(&our_commit.tree()?), missing)?;
    let tree = repo.find_tree(tree_id)?;
    let sig = merge_signature(repo)?;
    let message = format!("git-ledger: merge {source} into {NOTES_REF}\n");
    Ok(repo.commit(
        None,
        &sig,
        &sig,
        &message,
        &tree,
        &[&our_commit, &their_commit],
    )?)
}

/// The user's identity when git has one; a merge that only joins what
/// others wrote must not fail for want of it (events carry their own `by`).
fn merge_signature(repo: &Repository) -> Result<Signature<'static>> {
    crate::store::notes_signature(repo)
        .or_else(|_| Ok(Signature::now("git-ledger", "git-ledger@localhost")?))
}
