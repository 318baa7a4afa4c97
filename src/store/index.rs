//! The parsed index: every event of the ledger as a compact [`Record`], per
//! annotated commit, as of one notes tip. When the tip moves (an append
//! here, a fetch or sync, an amend, a plain `git notes merge`, a ref rolled
//! back), only the notes whose blobs differ between the two notes trees are
//! read and parsed again, so a read costs what changed, not the size of
//! the ledger. Disposable: delete it and the next read rebuilds it.

use super::{cache_file, notes};
use crate::ledger::Skip;
use crate::ledger::record::{Record, Stored};
use git2::{DiffOptions, Oid, Repository};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

const KIND: &str = "index";
/// Measured (cold status, interleaved): libgit2 with a few threads reads
/// 800 notes faster (git's two processes cost 1.14x), the two are even
/// at some 4,000 (0.97x), and at 10,000 git is faster (0.92x): beyond a
/// few thousand notes their delta chains outgrow libgit2's base cache.
const LARGE: usize = 5_000;
const FORMAT: u32 = 2;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Note {
    pub records: Vec<Record>,
    /// Lines that are not events this version reads: (line number, why).
    pub skipped: Vec<(u32, String)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Index {
    pub tip: String,
    /// Annotated commit (hex) → its note, parsed.
    pub notes: BTreeMap<String, Note>,
}

fn path(repo: &Repository) -> PathBuf {
    cache_file::dir(repo).join("index")
}

impl Index {
    /// The index at `tip`: from the cache, caught up from the cached tip
    /// when it moved, or built from the notes.
    pub fn at(repo: &Repository, tip: Oid) -> Result<Index, git2::Error> {
        if let Some(mut cached) = read(repo) {
            if cached.tip == tip.to_string() {
                return Ok(cached);
            }
            if cached.catch_up(repo, tip).is_ok() {
                cached.save(repo);
                return Ok(cached);
            }
        }
        let fresh = Index::build(repo, tip)?;
        fresh.save(repo);
        Ok(fresh)
    }

    /// Writes the index, and the ids of its events beside it.
    fn save(&self, repo: &Repository) {
        write(repo, self);
        let all = self
            .notes
            .values()
            .flat_map(|n| n.records.iter().map(|r| &*r.id));
        super::ids::Ids::new(self.tip.clone(), all).save(repo);
    }

    fn build(repo: &Repository, tip: Oid) -> Result<Index, git2::Error> {
        let tree = repo.find_commit(tip)?.tree()?;
        if notes::estimate_count(repo, &tree) > LARGE
            && let Some(notes) = build_with_git(repo, tip, &tree)
        {
            super::trace(&format!("index: {} notes read by git", notes.len()));
            return Ok(Index {
                tip: tip.to_string(),
                notes,
            });
        }
        // Two blobs for one commit (flat and fanned out after a merge) are
        // one note.
        let mut blobs: BTreeMap<String, Vec<Oid>> = BTreeMap::new();
        for (commit, blob) in notes::list_notes(repo, &tree)? {
            blobs
                .entry(commit.to_ascii_lowercase())
                .or_default()
                .push(blob);
        }
        let work: Vec<(String, Vec<Oid>)> = blobs.into_iter().collect();
        let notes = read_notes(repo, &work)?.into_iter().collect();
        Ok(Index {
            tip: tip.to_string(),
            notes,
        })
    }

    /// Re-reads the notes that differ between the indexed tip's tree and `tip`'s.
    fn catch_up(&mut self, repo: &Repository, tip: Oid) -> Result<(), git2::Error> {
        let old = repo.find_commit(Oid::from_str(&self.tip)?)?.tree()?;
        let new_tree = repo.find_commit(tip)?.tree()?;
        let mut opts = DiffOptions::new();
        opts.skip_binary_check(true);
        let diff = repo.diff_tree_to_tree(Some(&old), Some(&new_tree), Some(&mut opts))?;
        let mut touched: Vec<String> = Vec::new();
        for d in diff.deltas() {
            for file in [d.old_file(), d.new_file()] {
                if let Some(commit) = file
                    .path()
                    .and_then(|p| p.to_str())
                    .and_then(notes::commit_of_path)
                {
                    touched.push(commit);
                }
            }
        }
        touched.sort();
        touched.dedup();
        for commit in touched {
            let text = notes::note_text_in(repo, &new_tree, &commit)?;
            if text.is_empty() {
                self.notes.remove(&commit);
            } else {
                self.notes.insert(commit, parse_note(&text));
            }
        }
        self.tip = tip.to_string();
        Ok(())
    }

    /// Every record, moved out of the index.
    pub fn into_stored(self) -> Vec<Stored> {
        let mut out = Vec::with_capacity(self.notes.values().map(|n| n.records.len()).sum());
        for (commit, note) in self.notes {
            for record in note.records {
                out.push(Stored {
                    commit: commit.clone(),
                    record,
                });
            }
        }
        out
    }

    /// (count, first) of the lines that are not events.
    pub fn skipped(&self) -> (usize, Option<String>) {
        let mut count = 0;
        let mut first = None;
        for (commit, note) in &self.notes {
            for (line, why) in &note.skipped {
                count += 1;
                if first.is_none() {
                    first = Some(format!(
                        "note on {} line {line}: {why}",
                        crate::git::repo::short(commit)
                    ));
                }
            }
        }
        (count, first)
    }
}

/// Reads and parses the notes of `work` (commit, its blobs), in order. A
/// large ledger is read through `git cat-file --batch`: notes blobs sit in
/// long delta chains, and git keeps a cache of delta bases that libgit2
/// lacks (without it each blob re-inflates its chain); then parsed by a
/// few threads. A small one, or when git cannot be run, through libgit2.
fn read_notes(
    repo: &Repository,
    work: &[(String, Vec<Oid>)],
) -> Result<Vec<(String, Note)>, git2::Error> {
    if work.len() > LARGE
        && let Some(notes) = read_with_git(repo, work)
    {
        return Ok(notes);
    }
    read_with_libgit2(repo, work)
}

/// A large ledger, listed and read by git in one pipeline: `git ls-tree
/// -r` names the notes' blobs, a thread hands each to a `git cat-file
/// --batch` as it is named, and this thread parses each note as it comes
/// out. The listing overlaps the reading, and the notes trees are read by
/// git (with its delta-base cache), not mapped into this process. None
/// when git cannot be run or does not answer as expected; the caller then
/// reads through libgit2.
fn build_with_git(
    repo: &Repository,
    tip: Oid,
    tree: &git2::Tree<'_>,
) -> Option<BTreeMap<String, Note>> {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};
    let git = |args: &[&str]| {
        let mut c = Command::new("git");
        c.arg("--git-dir").arg(repo.path()).args(args);
        c.stderr(Stdio::null());
        c
    };
    let mut lister = git(&["ls-tree", "-r", "-z", &tip.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    let mut reader = git(&["cat-file", "--batch", "--buffer"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    let listing = lister.stdout.take()?;
    let mut to_reader = reader.stdin.take()?;
    // The feeder: (commit, blob) of every note, in the listing's order,
    // each blob written to cat-file as soon as it is listed.
    let feeder = std::thread::spawn(move || -> Option<Vec<String>> {
        let mut commits = Vec::new();
        let mut out = std::io::BufWriter::new(&mut to_reader);
        for entry in BufReader::with_capacity(1 << 16, listing).split(0) {
            let entry = entry.ok()?;
            if let Some((commit, blob)) = note_entry(&entry) {
                out.write_all(blob).ok()?;
                out.write_all(b"\n").ok()?;
                commits.push(commit);
            }
        }
        out.flush().ok()?;
        Some(commits)
    });
    let mut out = BufReader::with_capacity(1 << 20, reader.stdout.take()?);
    let mut parsed: Vec<Note> = Vec::new();
    let mut header = String::new();
    let mut text: Vec<u8> = Vec::new();
    let mut ok = true;
    loop {
        text.clear();
        match next_blob(&mut out, &mut header, &mut text) {
            Some(true) => parsed.push(parse_note(&String::from_utf8_lossy(&text))),
            Some(false) => break,
            None => {
                ok = false;
                break;
            }
        }
    }
    drop(out);
    let commits = feeder.join().ok().flatten();
    let listed = lister.wait().ok()?.success();
    let read = reader.wait().ok()?.success();
    let commits = commits.filter(|c| ok && listed && read && c.len() == parsed.len())?;
    let mut notes: BTreeMap<String, Note> = BTreeMap::new();
    let mut twice: Vec<String> = Vec::new();
    for (commit, note) in commits.into_iter().zip(parsed) {
        match notes.entry(commit) {
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(note);
            }
            std::collections::btree_map::Entry::Occupied(o) => twice.push(o.key().clone()),
        }
    }
    // A commit with two blobs (flat and fanned out, after a merge of two
    // layouts) is one note, its texts joined as a catch-up joins them.
    for commit in twice {
        let text = notes::note_text_in(repo, tree, &commit).ok()?;
        notes.insert(commit, parse_note(&text));
    }
    Some(notes)
}

/// Appends the next object of a `git cat-file --batch` output to `into`:
/// Some(true) when one was read, Some(false) at the end of the output,
/// None when git answers anything but a blob ("missing") or the output
/// is cut short.
fn next_blob(
    out: &mut impl std::io::BufRead,
    header: &mut String,
    into: &mut Vec<u8>,
) -> Option<bool> {
    header.clear();
    if out.read_line(header).ok()? == 0 {
        return Some(false);
    }
    // "<oid> blob <size>"
    let mut parts = header.split_whitespace();
    let (Some(_), Some("blob"), Some(Ok(size))) = (
        parts.next(),
        parts.next(),
        parts.next().map(str::parse::<usize>),
    ) else {
        return None;
    };
    let start = into.len();
    into.resize(start + size + 1, 0);
    out.read_exact(&mut into[start..]).ok()?;
    into.pop(); // the newline after each object
    Some(true)
}

/// The annotated commit (lower-case hex) and blob id of one `git ls-tree
/// -r -z` entry (`<mode> blob <oid>\t<path>`) when it is a note (see
/// [`notes::commit_of_path`]). Anything else someone stored in the notes
/// tree is not a note.
fn note_entry(entry: &[u8]) -> Option<(String, &[u8])> {
    let tab = entry.iter().position(|b| *b == b'\t')?;
    let (meta, path) = (&entry[..tab], std::str::from_utf8(&entry[tab + 1..]).ok()?);
    let mut meta = meta.split(|b| *b == b' ');
    let (_, kind, blob) = (meta.next()?, meta.next()?, meta.next()?);
    if kind != b"blob" {
        return None;
    }
    Some((notes::commit_of_path(path)?, blob))
}

/// The notes of `work`, in order, from one `git cat-file --batch`, each
/// parsed as it arrives (git inflates the next while this parses).
fn read_with_git(repo: &Repository, work: &[(String, Vec<Oid>)]) -> Option<Vec<(String, Note)>> {
    use std::io::{BufReader, Write};
    let mut child = std::process::Command::new("git")
        .arg("--git-dir")
        .arg(repo.path())
        .args(["cat-file", "--batch"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take()?;
    let ids: Vec<Oid> = work.iter().flat_map(|(_, b)| b.iter().copied()).collect();
    let feeder = std::thread::spawn(move || {
        let mut buf = std::io::BufWriter::new(&mut stdin);
        for id in ids {
            if writeln!(buf, "{id}").is_err() {
                break;
            }
        }
        let _ = buf.flush();
    });
    let mut out = BufReader::with_capacity(1 << 20, child.stdout.take()?);
    let mut notes = Vec::with_capacity(work.len());
    let mut header = String::new();
    let mut ok = true;
    'notes: for (commit, blobs) in work {
        let mut text: Vec<u8> = Vec::new();
        for _ in blobs {
            if !text.is_empty() && !text.ends_with(b"\n") {
                text.push(b'\n');
            }
            if next_blob(&mut out, &mut header, &mut text) != Some(true) {
                ok = false;
                break 'notes;
            }
        }
        notes.push((commit.clone(), parse_note(&String::from_utf8_lossy(&text))));
    }
    drop(out);
    let _ = feeder.join();
    let status = child.wait().ok()?;
    (ok && status.success()).then_some(notes)
}

/// [`read_notes`] through libgit2, with a few threads for a large ledger.
fn read_with_libgit2(
    repo: &Repository,
    work: &[(String, Vec<Oid>)],
) -> Result<Vec<(String, Note)>, git2::Error> {
    let read = |r: &Repository, part: &[(String, Vec<Oid>)]| {
        // Straight from the object database: no object cache to fill with
        // blobs read once.
        let odb = r.odb()?;
        let mut out = Vec::with_capacity(part.len());
        for (commit, blobs) in part {
            let mut text: Vec<u8> = Vec::new();
            for b in blobs {
                if !text.is_empty() && !text.ends_with(b"\n") {
                    text.push(b'\n');
                }
                text.extend_from_slice(odb.read(*b)?.data());
            }
            out.push((commit.clone(), parse_note(&String::from_utf8_lossy(&text))));
        }
        Ok::<_, git2::Error>(out)
    };
    crate::git::repo::read_in_threads(repo, work, 2000, read)
}

pub fn parse_note(text: &str) -> Note {
    let mut note = Note::default();
    for (n, line) in text.lines().enumerate() {
        match Record::parse_line(line) {
            Ok(r) => note.records.push(r),
            Err(Skip::Blank) => {}
            Err(why) => note.skipped.push((n as u32 + 1, why.to_string())),
        }
    }
    note
}

fn read(repo: &Repository) -> Option<Index> {
    let body = cache_file::read(&path(repo), KIND, FORMAT)?;
    postcard::from_bytes(&body).ok()
}

/// Best effort: an index that cannot be written only costs speed.
fn write(repo: &Repository, index: &Index) {
    if let Ok(body) = postcard::to_allocvec(index) {
        cache_file::write(&path(repo), KIND, FORMAT, &body);
    }
}
