//! Disposable cache files under `<git common dir>/git-ledger/`, each with a
//! header naming its kind, format and the git-ledger version that wrote
//! it, and a checksum of its body. A file that is damaged, truncated or
//! from another version reads as absent: the caller rebuilds it from the
//! notes, so deleting the whole folder is always safe.

use git2::Repository;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The folder every cache lives in.
pub fn dir(repo: &Repository) -> PathBuf {
    crate::git::repo::common_dir(repo).join("git-ledger")
}

fn header(kind: &str, format: u32, sum: &str) -> String {
    format!(
        "git-ledger cache {kind} {format} {} {sum}\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// CRC-32 of the body: it finds damage (a truncated write, a flipped
/// byte), which is all a disposable cache needs, at memory speed.
fn checksum(body: &[u8]) -> String {
    format!("{:08x}", crc32fast::hash(body))
}

/// Where the body of a cache file's `bytes` starts, when the header is of
/// this kind, format and version and the body's checksum matches.
fn body_start(bytes: &[u8], kind: &str, format: u32) -> Option<usize> {
    let end = bytes.iter().position(|b| *b == b'\n')?;
    let line = std::str::from_utf8(&bytes[..end]).ok()?;
    let sum = line.rsplit(' ').next()?;
    if format!("{line}\n") != header(kind, format, sum) {
        return None;
    }
    (checksum(&bytes[end + 1..]) == sum).then_some(end + 1)
}

/// The body of the cache file at `path`, when it is whole and of this kind,
/// format and version.
pub fn read(path: &Path, kind: &str, format: u32) -> Option<Vec<u8>> {
    let mut bytes = std::fs::read(path).ok()?;
    let start = body_start(&bytes, kind, format)?;
    // The body moves to the front of the same buffer: a copy into a new
    // one would touch as many fresh pages again.
    bytes.drain(..start);
    Some(bytes)
}

/// A cache file mapped into memory (or read, where it cannot be mapped),
/// checked as `read` checks it.
pub struct Mapped {
    bytes: Bytes,
    start: usize,
}

enum Bytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl Mapped {
    pub fn body(&self) -> &[u8] {
        let all: &[u8] = match &self.bytes {
            Bytes::Mapped(m) => m,
            Bytes::Read(v) => v,
        };
        &all[self.start..]
    }
}

/// The cache file at `path`, mapped instead of read: a large view is
/// then neither copied in nor copied again as it is decoded.
pub fn map(path: &Path, kind: &str, format: u32) -> Option<Mapped> {
    let file = std::fs::File::open(path).ok()?;
    // SAFETY: a cache file is never changed in place: `write` renames a
    // whole new file over it, and the mapping keeps the file it opened.
    let bytes = match unsafe { memmap2::Mmap::map(&file) } {
        Ok(m) => Bytes::Mapped(m),
        // A file system that cannot map (or an empty file): read it.
        Err(_) => Bytes::Read(std::fs::read(path).ok()?),
    };
    let mut mapped = Mapped { bytes, start: 0 };
    mapped.start = body_start(mapped.body(), kind, format)?;
    Some(mapped)
}

/// Writes `body` aside and renames it into place, so that a reader never
/// sees half a file. Best effort: a cache that cannot be written only
/// costs speed.
pub fn write(path: &Path, kind: &str, format: u32, body: &[u8]) {
    write_streamed(path, kind, format, |mut sink| {
        sink.put(body);
        Some(sink)
    });
}

/// [`write`] of the body `fill` writes into the sink it is given (and
/// hands back, or None to write nothing): a large body, as the index's
/// 200,000 records make, is then never held in memory whole. The header
/// is written first with a blank checksum of the same width, and again
/// once the body is written.
pub fn write_streamed(
    path: &Path,
    kind: &str,
    format: u32,
    fill: impl FnOnce(Sink) -> Option<Sink>,
) {
    let Some(dir) = path.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        use std::io::{Seek, SeekFrom};
        let blank = header(kind, format, &checksum(&[]));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(blank.as_bytes())?;
        let sink = Sink {
            out: f,
            buf: Vec::with_capacity(2 * Sink::FULL),
            crc: crc32fast::Hasher::new(),
            failed: None,
        };
        let mut sink = fill(sink).ok_or(std::io::ErrorKind::Other)?;
        sink.drain();
        let Sink {
            out: mut f,
            crc,
            failed,
            ..
        } = sink;
        if let Some(e) = failed {
            return Err(e);
        }
        f.seek(SeekFrom::Start(0))?;
        let sum = format!("{:08x}", crc.finalize());
        f.write_all(header(kind, format, &sum).as_bytes())?;
        f.flush()
    })();
    if written.is_err() || std::fs::rename(&tmp, path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// Where [`write_streamed`]'s body goes: a buffer, emptied into the file
/// and the checksum each time it fills. The first error stops the
/// writing, and the file is not put in place.
pub struct Sink {
    out: std::fs::File,
    buf: Vec<u8>,
    crc: crc32fast::Hasher,
    failed: Option<std::io::Error>,
}

impl Sink {
    const FULL: usize = 1 << 16;

    /// Empties the buffer into the file and the checksum.
    fn drain(&mut self) {
        let mut buf = std::mem::take(&mut self.buf);
        self.send(&buf);
        buf.clear();
        self.buf = buf;
    }

    /// Writes `bytes` out: a body held whole already goes straight to the
    /// file, not through a second copy in the buffer.
    fn put(&mut self, bytes: &[u8]) {
        self.drain();
        self.send(bytes);
    }

    fn send(&mut self, bytes: &[u8]) {
        self.crc.update(bytes);
        if self.failed.is_none()
            && let Err(e) = self.out.write_all(bytes)
        {
            self.failed = Some(e);
        }
    }
}

/// A serialiser hands over a few bytes at a time (a field): they are
/// copied into the buffer, which is written out only when full.
impl Extend<u8> for Sink {
    fn extend<I: IntoIterator<Item = u8>>(&mut self, bytes: I) {
        self.buf.extend(bytes);
        if self.buf.len() >= Sink::FULL {
            self.drain();
        }
    }
}

/// Keeps the `keep` most recently written files of `dir` whose names end
/// with `suffix`, removing the others.
pub fn prune(dir: &Path, suffix: &str, keep: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(suffix))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    if files.len() <= keep {
        return;
    }
    files.sort();
    for (_, path) in &files[..files.len() - keep] {
        let _ = std::fs::remove_file(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `read` and `map` check a file alike.
    fn both(p: &Path, kind: &str, format: u32) -> Option<Vec<u8>> {
        let read = read(p, kind, format);
        let mapped = map(p, kind, format).map(|m| m.body().to_vec());
        assert_eq!(read, mapped, "read and mapped differ for {kind} {format}");
        read
    }

    #[test]
    fn a_streamed_body_reads_back_and_a_failed_one_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        // Larger than the sink's chunk and its buffer, in odd pieces.
        let body: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let p = dir.path().join("index");
        write_streamed(&p, "index", 3, |mut sink| {
            for piece in body.chunks(999) {
                sink.extend(piece.iter().copied());
            }
            Some(sink)
        });
        assert_eq!(both(&p, "index", 3).as_deref(), Some(&body[..]));
        let whole = dir.path().join("whole");
        write(&whole, "index", 3, &body);
        assert_eq!(std::fs::read(&whole).unwrap(), std::fs::read(&p).unwrap());
        // A body that cannot be made: the file there stays, no temp is left.
        write_streamed(&p, "index", 3, |_| None);
        assert_eq!(both(&p, "index", 3).as_deref(), Some(&body[..]));
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn a_damaged_or_foreign_cache_reads_as_absent() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c");
        write(&p, "view", 1, b"{\"a\":1}");
        assert_eq!(both(&p, "view", 1).as_deref(), Some(&b"{\"a\":1}"[..]));
        assert_eq!(both(&p, "view", 2), None, "another format");
        assert_eq!(both(&p, "notes", 1), None, "another kind");
        let mut bytes = std::fs::read(&p).unwrap();
        let last = bytes.len() - 2;
        bytes[last] ^= 1;
        std::fs::write(&p, &bytes).unwrap();
        assert_eq!(both(&p, "view", 1), None, "a flipped byte");
        std::fs::write(&p, &bytes[..bytes.len() - 3]).unwrap();
        assert_eq!(both(&p, "view", 1), None, "truncated");
        std::fs::write(&p, b"").unwrap();
        assert_eq!(both(&p, "view", 1), None, "empty");
        assert_eq!(both(&dir.path().join("absent"), "view", 1), None);
    }
}
