//! Every event line, per annotated commit, as of one notes tip. When the tip
//! moves (an append here, a merge from another clone, a hand edit), only the
//! notes whose blobs differ between the two notes trees are read again, so
//! reads stay proportional to what changed, not to the size of the ledger.
//! Disposable: delete it and the next read rebuilds it from the notes.

use super::notes;
use git2::{DiffOptions, Oid, Repository};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

const KIND: &str = "notes";
const FORMAT: u32 = 2;

/// The raw text of each note (commit hex → text), as of `tip`.
pub struct NoteTexts {
    pub tip: Oid,
    pub notes: BTreeMap<String, String>,
}

fn path(repo: &Repository) -> PathBuf {
    super::cache_file::dir(repo).join("notes-cache")
}

/// The notes at `tip`, from the cache when possible.
pub fn note_texts(repo: &Repository, tip: Oid) -> Result<NoteTexts, git2::Error> {
    if let Some(mut cached) = read(repo) {
        if cached.tip == tip {
            return Ok(cached);
        }
        if catch_up(repo, &mut cached, tip).is_ok() {
            write(repo, &cached);
            return Ok(cached);
        }
    }
    let fresh = read_from_git(repo, tip)?;
    write(repo, &fresh);
    Ok(fresh)
}

fn read_from_git(repo: &Repository, tip: Oid) -> Result<NoteTexts, git2::Error> {
    let tree = repo.find_commit(tip)?.tree()?;
    let mut notes: BTreeMap<String, String> = BTreeMap::new();
    for (commit, blob) in notes::list_notes(repo, &tree)? {
        let text = String::from_utf8_lossy(repo.find_blob(blob)?.content()).into_owned();
        join(notes.entry(commit.to_ascii_lowercase()).or_default(), &text);
    }
    Ok(NoteTexts { tip, notes })
}

/// Two blobs for one commit (flat and fanned out after a merge) are one note.
fn join(into: &mut String, text: &str) {
    if !into.is_empty() && !into.ends_with('\n') {
        into.push('\n');
    }
    into.push_str(text);
}

/// Re-reads the notes that differ between the cached tip's tree and `tip`'s.
fn catch_up(repo: &Repository, cached: &mut NoteTexts, tip: Oid) -> Result<(), git2::Error> {
    let old = repo.find_commit(cached.tip)?.tree()?;
    let new_tree = repo.find_commit(tip)?.tree()?;
    let mut opts = DiffOptions::new();
    opts.skip_binary_check(true);
    let diff = repo.diff_tree_to_tree(Some(&old), Some(&new_tree), Some(&mut opts))?;
    let mut touched: Vec<String> = Vec::new();
    for d in diff.deltas() {
        for file in [d.old_file(), d.new_file()] {
            if let Some(p) = file.path().and_then(|p| p.to_str()) {
                let commit: String = p
                    .chars()
                    .filter(|c| *c != '/')
                    .collect::<String>()
                    .to_ascii_lowercase();
                if matches!(commit.len(), 40 | 64) && commit.bytes().all(|b| b.is_ascii_hexdigit())
                {
                    touched.push(commit);
                }
            }
        }
    }
    touched.sort();
    touched.dedup();
    for commit in touched {
        let text = notes::note_text(repo, Some(tip), &commit)?;
        if text.is_empty() {
            cached.notes.remove(&commit);
        } else {
            cached.notes.insert(commit, text);
        }
    }
    cached.tip = tip;
    Ok(())
}

/// Format (after the cache file header): the tip, then per note a line
/// `<commit> <byte length>` followed by exactly that many bytes of text.
fn read(repo: &Repository) -> Option<NoteTexts> {
    let bytes = super::cache_file::read(&path(repo), KIND, FORMAT)?;
    let mut rest: &[u8] = &bytes;
    let next_line = |rest: &mut &[u8]| -> Option<String> {
        let end = rest.iter().position(|b| *b == b'\n')?;
        let line = String::from_utf8(rest[..end].to_vec()).ok()?;
        *rest = &rest[end + 1..];
        Some(line)
    };
    let tip = Oid::from_str(next_line(&mut rest)?.trim()).ok()?;
    let mut notes = BTreeMap::new();
    while !rest.is_empty() {
        let head = next_line(&mut rest)?;
        let (commit, len) = head.split_once(' ')?;
        let len: usize = len.parse().ok()?;
        if rest.len() < len {
            return None;
        }
        let text = String::from_utf8(rest[..len].to_vec()).ok()?;
        rest = &rest[len..];
        notes.insert(commit.to_string(), text);
    }
    Some(NoteTexts { tip, notes })
}

/// Best effort: a cache that cannot be written only costs speed.
fn write(repo: &Repository, texts: &NoteTexts) {
    let mut body: Vec<u8> = Vec::new();
    let _ = writeln!(body, "{}", texts.tip);
    for (commit, text) in &texts.notes {
        let _ = writeln!(body, "{commit} {}", text.len());
        body.extend_from_slice(text.as_bytes());
    }
    super::cache_file::write(&path(repo), KIND, FORMAT, &body);
}
