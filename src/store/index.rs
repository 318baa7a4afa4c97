//! The parsed index: every event of the ledger as a compact [`Record`], per
//! annotated commit, as of one notes tip. When the tip moves (an append
//! here, a fetch or sync, an amend, a plain `git notes merge`, a ref rolled
//! back), only the notes whose blobs differ between the two notes trees are
//! read and parsed again, so a read costs what changed, not the size of
//! the ledger. Disposable: delete it and the next read rebuilds it.

use super::{cache_file, notes};
use crate::git::pipe::Batched;
use crate::ledger::Skip;
use crate::ledger::record::{Record, Stored};
use git2::{DiffOptions, Oid, Repository};
use serde::de::{Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

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

/// The records of every note, held flat: a cold read hands them to the
/// fold as they are, not copied out of a map of notes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Index {
    pub tip: String,
    /// Every record, in the order of the annotated commits (lower-case
    /// hex), each note's in line order. The records of a note share its
    /// commit's name.
    records: Vec<Stored>,
    /// The lines that are not events: (commit, line number, why), in the
    /// same order.
    skipped: Vec<SkippedLine>,
}

/// A line that is not an event: (its note's commit, line number, why).
type SkippedLine = (Arc<str>, u32, String);

impl Index {
    /// The index at `tip`: from the cache, caught up from the cached tip
    /// when it moved, or built from the notes.
    pub fn at(repo: &Repository, tip: Oid) -> Result<Index, git2::Error> {
        let (index, changed) = Index::read_at(repo, tip)?;
        if changed {
            index.save_in(&cache_file::dir(repo));
        }
        Ok(index)
    }

    /// [`at`](Self::at) without writing the cache: the index, and whether
    /// it differs from the cached one (the caller then saves it, maybe
    /// while it goes on with the index).
    pub fn read_at(repo: &Repository, tip: Oid) -> Result<(Index, bool), git2::Error> {
        if let Some(mut cached) = read(repo) {
            if cached.tip == tip.to_string() {
                return Ok((cached, false));
            }
            if cached.catch_up(repo, tip).is_ok() {
                return Ok((cached, true));
            }
        }
        Ok((Index::build(repo, tip)?, true))
    }

    /// Writes the index, and the ids of its events beside it, in the
    /// cache folder `dir`. Best effort: an index that cannot be written
    /// only costs speed.
    pub fn save_in(&self, dir: &Path) {
        // Streamed to the file: held whole, the 200,000 records' bytes
        // added some 15 MiB to a cold read's peak.
        cache_file::write_streamed(&dir.join("index"), KIND, FORMAT, |sink| {
            postcard::to_extend(self, sink).ok()
        });
        let all = self.records.iter().map(|s| s.record.id.key());
        super::ids::Ids::new(self.tip.clone(), all).save_in(dir);
    }

    fn build(repo: &Repository, tip: Oid) -> Result<Index, git2::Error> {
        let tree = repo.find_commit(tip)?.tree()?;
        if notes::estimate_count(repo, &tree) > LARGE
            && let Some(notes) = build_with_git(repo, tip, &tree)
        {
            super::trace(&format!("index: {} notes read by git", notes.len()));
            return Ok(Index::of_notes(tip.to_string(), notes));
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
        Ok(Index::of_notes(tip.to_string(), read_notes(repo, &work)?))
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
        let mut fresh: Vec<(String, Note)> = Vec::new();
        for commit in &touched {
            let text = notes::note_text_in(repo, &new_tree, commit)?;
            if !text.is_empty() {
                fresh.push((commit.clone(), parse_note(&text)));
            }
        }
        // The notes left as they were, and the fresh ones in their places.
        let untouched = |c: &str| touched.binary_search_by(|t| t.as_str().cmp(c)).is_err();
        let mut kept = Index::of_notes(String::new(), fresh);
        let old = std::mem::take(&mut self.records);
        let mut records = Vec::with_capacity(old.len() + kept.records.len());
        let mut incoming = std::mem::take(&mut kept.records).into_iter().peekable();
        // Decided once per note: its records share one name.
        let mut note: Option<(Arc<str>, bool)> = None;
        for s in old {
            let keep = match &note {
                Some((name, keep)) if Arc::ptr_eq(name, &s.commit) => *keep,
                _ => {
                    while let Some(n) = incoming.next_if(|n| n.commit < s.commit) {
                        records.push(n);
                    }
                    let keep = untouched(&s.commit);
                    note = Some((Arc::clone(&s.commit), keep));
                    keep
                }
            };
            if keep {
                records.push(s);
            }
        }
        records.extend(incoming);
        self.records = records;
        self.skipped.retain(|(c, _, _)| untouched(c));
        self.skipped.append(&mut kept.skipped);
        self.skipped.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        self.tip = tip.to_string();
        Ok(())
    }

    /// The index of `notes` (commit, its note), in any order, each
    /// commit once.
    fn of_notes(tip: String, notes: impl IntoIterator<Item = (String, Note)>) -> Index {
        let mut notes: Vec<(String, Note)> = notes.into_iter().collect();
        if !notes.is_sorted_by(|a, b| a.0 <= b.0) {
            notes.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        }
        let mut index = Index {
            tip,
            ..Index::default()
        };
        // Room for every record at once: grown note by note, the records
        // read so far were copied again at each doubling (200,000 records
        // of some 170 bytes).
        index
            .records
            .reserve_exact(notes.iter().map(|(_, n)| n.records.len()).sum());
        for (commit, note) in notes {
            index.push(&commit, note);
        }
        index
    }

    /// Appends one note, of a commit after every one held.
    fn push(&mut self, commit: &str, note: Note) {
        let commit: Arc<str> = Arc::from(commit);
        self.records
            .extend(note.records.into_iter().map(|record| Stored {
                commit: Arc::clone(&commit),
                record,
            }));
        for (line, why) in note.skipped {
            self.skipped.push((Arc::clone(&commit), line, why));
        }
    }

    /// Every record, in the order of their commits.
    pub fn records(&self) -> &[Stored] {
        &self.records
    }

    /// Every record, moved out of the index.
    pub fn into_stored(self) -> Vec<Stored> {
        self.records
    }

    /// (count, first) of the lines that are not events.
    pub fn skipped(&self) -> (usize, Option<String>) {
        let first = self.skipped.first().map(|(commit, line, why)| {
            format!(
                "note on {} line {line}: {why}",
                crate::git::repo::short(commit)
            )
        });
        (self.skipped.len(), first)
    }

    /// The notes as stored: (commit, records, skipped lines) of each
    /// annotated commit, in order.
    fn notes(&self) -> impl Iterator<Item = (&str, &[Stored], &[SkippedLine])> {
        let (mut records, mut skipped) = (&self.records[..], &self.skipped[..]);
        std::iter::from_fn(move || {
            let commit: &str = match (records.first(), skipped.first()) {
                (Some(r), Some(s)) => (&*r.commit).min(&*s.0),
                (Some(r), None) => &r.commit,
                (None, Some(s)) => &s.0,
                (None, None) => return None,
            };
            // A note's records, and its skipped lines, are next to each other.
            let (these, rest) =
                records.split_at(records.iter().take_while(|r| &*r.commit == commit).count());
            let (lines, more) =
                skipped.split_at(skipped.iter().take_while(|s| &*s.0 == commit).count());
            (records, skipped) = (rest, more);
            Some((commit, these, lines))
        })
    }
}

/// On disk an index is its notes: `{tip, notes: [(commit, {records,
/// skipped})]}`, a note's commit written once.
impl Serialize for Index {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        struct Notes<'a>(&'a Index);
        struct Records<'a>(&'a [Stored]);
        struct Lines<'a>(&'a [SkippedLine]);
        #[derive(Serialize)]
        struct NoteOut<'a> {
            records: Records<'a>,
            skipped: Lines<'a>,
        }
        impl Serialize for Records<'_> {
            fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
                ser.collect_seq(self.0.iter().map(|s| &s.record))
            }
        }
        impl Serialize for Lines<'_> {
            fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
                ser.collect_seq(self.0.iter().map(|(_, line, why)| (line, why)))
            }
        }
        impl Serialize for Notes<'_> {
            fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
                let mut seq = ser.serialize_seq(Some(self.0.notes().count()))?;
                for (commit, records, skipped) in self.0.notes() {
                    let note = NoteOut {
                        records: Records(records),
                        skipped: Lines(skipped),
                    };
                    seq.serialize_element(&(commit, note))?;
                }
                seq.end()
            }
        }
        let mut out = ser.serialize_struct("Index", 2)?;
        out.serialize_field("tip", &self.tip)?;
        out.serialize_field("notes", &Notes(self))?;
        out.end()
    }
}

impl<'de> Deserialize<'de> for Index {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Index, D::Error> {
        /// The notes, made flat one at a time as they are read.
        struct Notes(Index);
        impl<'de> Deserialize<'de> for Notes {
            fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Notes, D::Error> {
                struct Each;
                impl<'de> Visitor<'de> for Each {
                    type Value = Notes;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("a list of notes")
                    }
                    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Notes, A::Error> {
                        let mut index = Index::default();
                        let mut last: Option<String> = None;
                        while let Some((commit, note)) = seq.next_element::<(String, Note)>()? {
                            if last.as_ref().is_some_and(|l| *l >= commit) {
                                return Err(serde::de::Error::custom("notes out of order"));
                            }
                            index.push(&commit, note);
                            last = Some(commit);
                        }
                        Ok(Notes(index))
                    }
                }
                de.deserialize_seq(Each)
            }
        }
        #[derive(Deserialize)]
        struct Disk {
            tip: String,
            notes: Notes,
        }
        let disk = Disk::deserialize(de)?;
        Ok(Index {
            tip: disk.tip,
            ..disk.notes.0
        })
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
/// -r` names the notes' blobs, a thread hands them, a run at a time, to
/// one `git cat-file --batch` per core, and a thread per reader parses
/// each note as it comes out. The listing overlaps the reading, and the
/// notes trees are read by git (with its delta-base cache), not mapped
/// into this process. None when git cannot be run or does not answer as
/// expected; the caller then reads through libgit2.
fn build_with_git(
    repo: &Repository,
    tip: Oid,
    tree: &git2::Tree<'_>,
) -> Option<Vec<(String, Note)>> {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};
    /// Notes handed to one reader before the next: long enough to keep
    /// a delta chain in one reader's cache, short enough to share the work.
    const RUN: usize = 256;
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
    let listing = lister.stdout.take()?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let count = cores.saturating_sub(busy_cores()).clamp(1, 4);
    let mut readers = Vec::with_capacity(count);
    for _ in 0..count {
        match git(&["cat-file", "--batch", "--buffer"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
        {
            Ok(child) => readers.push(child),
            Err(_) => break,
        }
    }
    let mut inputs = Vec::new();
    let mut outputs = Vec::new();
    for r in &mut readers {
        inputs.push(r.stdin.take()?);
        outputs.push(r.stdout.take()?);
    }
    if inputs.is_empty() {
        return None;
    }
    let (commits, parsed) = std::thread::scope(|s| {
        // The feeder: each note's blob written to its reader as soon as
        // it is listed; the commits each reader was given, in order.
        let feeder = s.spawn(move || -> Option<Vec<Vec<String>>> {
            let mut commits: Vec<Vec<String>> = vec![Vec::new(); inputs.len()];
            let mut to: Vec<_> = inputs.iter_mut().map(std::io::BufWriter::new).collect();
            let mut listed = 0usize;
            for entry in BufReader::with_capacity(1 << 16, listing).split(0) {
                let entry = entry.ok()?;
                if let Some((commit, blob)) = note_entry(&entry) {
                    let r = (listed / RUN) % to.len();
                    to[r].write_all(blob).ok()?;
                    to[r].write_all(b"\n").ok()?;
                    commits[r].push(commit);
                    listed += 1;
                }
            }
            for w in &mut to {
                w.flush().ok()?;
            }
            Some(commits)
        });
        let parse = |out: std::process::ChildStdout| -> Option<Vec<Note>> {
            let mut out = BufReader::with_capacity(1 << 20, Batched::new(out));
            let mut parsed = Vec::new();
            let (mut header, mut text) = (String::new(), Vec::new());
            loop {
                text.clear();
                match next_blob(&mut out, &mut header, &mut text)? {
                    true => parsed.push(parse_note(&String::from_utf8_lossy(&text))),
                    false => return Some(parsed),
                }
            }
        };
        let mut outputs = outputs.into_iter();
        let first = outputs.next()?;
        let others: Vec<_> = outputs.map(|o| s.spawn(move || parse(o))).collect();
        let mut parsed = vec![parse(first)];
        parsed.extend(others.into_iter().map(|t| t.join().ok().flatten()));
        let commits = feeder.join().ok().flatten();
        Some((commits, parsed))
    })?;
    let listed = lister.wait().ok()?.success();
    let mut read = true;
    for mut r in readers {
        read &= r.wait().ok()?.success();
    }
    if !(listed && read) {
        return None;
    }
    let mut notes: Vec<(String, Note)> = Vec::new();
    for (commits, parsed) in commits?.into_iter().zip(parsed) {
        let parsed = parsed.filter(|p| p.len() == commits.len())?;
        notes.extend(commits.into_iter().zip(parsed));
    }
    notes.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    // A commit with two blobs (flat and fanned out, after a merge of two
    // layouts) is one note, its texts joined as a catch-up joins them.
    let mut twice: Vec<String> = notes
        .windows(2)
        .filter(|w| w[0].0 == w[1].0)
        .map(|w| w[0].0.clone())
        .collect();
    twice.dedup();
    notes.dedup_by(|a, b| a.0 == b.0);
    for commit in twice {
        let text = notes::note_text_in(repo, tree, &commit).ok()?;
        let at = notes.binary_search_by(|n| n.0.cmp(&commit)).ok()?;
        notes[at].1 = parse_note(&text);
    }
    Some(notes)
}

static BUSY: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Says that `n` more cores are kept busy by other work of this process
/// until the guard is dropped (a first scan reads the history while the
/// ledger loads): a large ledger is then read by that many fewer git
/// readers, at least one.
pub fn cores_busy(n: usize) -> impl Drop {
    use std::sync::atomic::Ordering;
    struct Busy(usize);
    impl Drop for Busy {
        fn drop(&mut self) {
            BUSY.fetch_sub(self.0, Ordering::Relaxed);
        }
    }
    BUSY.fetch_add(n, Ordering::Relaxed);
    Busy(n)
}

fn busy_cores() -> usize {
    BUSY.load(std::sync::atomic::Ordering::Relaxed)
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
    let mut out = BufReader::with_capacity(1 << 20, Batched::new(child.stdout.take()?));
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
    // Room for a record a line: grown from empty, a note of one or two
    // events took room for four (Rust's least capacity), which doubled
    // what the notes of a cold read held.
    let lines = text.lines().count();
    let mut note = Note {
        records: Vec::with_capacity(lines),
        skipped: Vec::new(),
    };
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
    let body = cache_file::read(&cache_file::dir(repo).join("index"), KIND, FORMAT)?;
    postcard::from_bytes(&body).ok()
}

#[cfg(test)]
mod tests {
    use super::{Index, Note, parse_note};
    use std::collections::BTreeMap;

    fn line(seq: u64, step: &str) -> String {
        format!(
            r#"{{"v":1,"id":"{seq:032x}","seq":{seq},"at":"2026-01-01T00:00:00Z","by":"A","step":"{step}","kind":"note","source":"cli"}}"#
        )
    }

    #[test]
    fn an_index_is_stored_note_by_note_and_read_back_flat() {
        let notes = vec![
            ("cc".repeat(20), parse_note(&line(3, "S03"))),
            // Only a line that is not an event: still a note.
            ("aa".repeat(20), parse_note("not json")),
            (
                "bb".repeat(20),
                parse_note(&format!("{}\nbroken\n{}", line(1, "S01"), line(2, "S02"))),
            ),
        ];
        let index = Index::of_notes("tip".into(), notes.clone());
        let steps: Vec<&str> = index.records().iter().map(|s| &*s.record.step).collect();
        assert_eq!(
            steps,
            ["S01", "S02", "S03"],
            "in the order of their commits"
        );
        assert_eq!(index.skipped().0, 2);
        assert!(
            index
                .skipped()
                .1
                .unwrap()
                .starts_with("note on aaaaaaa line 1")
        );
        let body = postcard::to_allocvec(&index).unwrap();
        // The bytes of the map of notes it is written as.
        #[derive(serde::Serialize)]
        struct Disk {
            tip: String,
            notes: BTreeMap<String, Note>,
        }
        let disk = Disk {
            tip: "tip".into(),
            notes: notes.into_iter().collect(),
        };
        assert_eq!(body, postcard::to_allocvec(&disk).unwrap());
        let back: Index = postcard::from_bytes(&body).unwrap();
        assert_eq!(back, index);
    }

    /// Annotates `commits` as `notes` says (which commit, the seqs of its
    /// events; none: its note removed), a notes commit for each; returns
    /// the notes tip.
    fn annotate(
        repo: &git2::Repository,
        commits: &[git2::Oid],
        notes: &[(usize, &[u64])],
    ) -> git2::Oid {
        let sig = git2::Signature::new("A", "a@x", &git2::Time::new(1_700_000_000, 0)).unwrap();
        for (i, seqs) in notes {
            let text: Vec<String> = seqs.iter().map(|n| line(*n, &format!("S{n:02}"))).collect();
            let text = text.join("\n");
            if seqs.is_empty() {
                repo.note_delete(commits[*i], Some("refs/notes/ledger"), &sig, &sig)
                    .unwrap();
            } else {
                repo.note(
                    &sig,
                    &sig,
                    Some("refs/notes/ledger"),
                    commits[*i],
                    &text,
                    true,
                )
                .unwrap();
            }
        }
        repo.refname_to_id("refs/notes/ledger").unwrap()
    }

    /// Six commits in a line.
    fn commits(repo: &git2::Repository) -> Vec<git2::Oid> {
        let sig = git2::Signature::new("A", "a@x", &git2::Time::new(1_700_000_000, 0)).unwrap();
        let tree = repo
            .find_tree(repo.treebuilder(None).unwrap().write().unwrap())
            .unwrap();
        let mut out = Vec::new();
        let mut parent: Option<git2::Commit<'_>> = None;
        for i in 0..6 {
            let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
            let id = repo
                .commit(None, &sig, &sig, &format!("c{i}"), &tree, &parents)
                .unwrap();
            parent = Some(repo.find_commit(id).unwrap());
            out.push(id);
        }
        out
    }

    #[test]
    fn an_index_caught_up_to_a_new_tip_equals_one_built_there() {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
        let c = commits(&repo);
        let first = annotate(&repo, &c, &[(0, &[1]), (2, &[2, 3]), (4, &[4]), (5, &[5])]);
        let mut index = Index::build(&repo, first).unwrap();
        // A note rewritten, one removed, two added on either side of kept ones.
        let second = annotate(
            &repo,
            &c,
            &[(2, &[2, 3, 6]), (4, &[]), (1, &[7]), (3, &[8, 9])],
        );
        index.catch_up(&repo, second).unwrap();
        let built = Index::build(&repo, second).unwrap();
        assert_eq!(index, built);
        let mut seqs: Vec<u64> = index.records().iter().map(|s| s.record.seq).collect();
        seqs.sort_unstable();
        assert_eq!(seqs, [1, 2, 3, 5, 6, 7, 8, 9]);
    }
}
