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

/// The body of the cache file at `path`, when it is whole and of this kind,
/// format and version.
pub fn read(path: &Path, kind: &str, format: u32) -> Option<Vec<u8>> {
    let mut bytes = std::fs::read(path).ok()?;
    let end = bytes.iter().position(|b| *b == b'\n')?;
    let line = std::str::from_utf8(&bytes[..end]).ok()?.to_string();
    let sum = line.rsplit(' ').next()?;
    if format!("{line}\n") != header(kind, format, sum) {
        return None;
    }
    let sum = sum.to_string();
    let body = bytes.split_off(end + 1);
    (checksum(&body) == sum).then_some(body)
}

/// Writes `body` aside and renames it into place, so that a reader never
/// sees half a file. Best effort: a cache that cannot be written only
/// costs speed.
pub fn write(path: &Path, kind: &str, format: u32, body: &[u8]) {
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
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(header(kind, format, &checksum(body)).as_bytes())?;
        f.write_all(body)?;
        f.flush()
    })();
    if written.is_err() || std::fs::rename(&tmp, path).is_err() {
        let _ = std::fs::remove_file(&tmp);
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

    #[test]
    fn a_damaged_or_foreign_cache_reads_as_absent() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c");
        write(&p, "view", 1, b"{\"a\":1}");
        assert_eq!(read(&p, "view", 1).as_deref(), Some(&b"{\"a\":1}"[..]));
        assert_eq!(read(&p, "view", 2), None, "another format");
        assert_eq!(read(&p, "notes", 1), None, "another kind");
        let mut bytes = std::fs::read(&p).unwrap();
        let last = bytes.len() - 2;
        bytes[last] ^= 1;
        std::fs::write(&p, &bytes).unwrap();
        assert_eq!(read(&p, "view", 1), None, "a flipped byte");
        std::fs::write(&p, &bytes[..bytes.len() - 3]).unwrap();
        assert_eq!(read(&p, "view", 1), None, "truncated");
        std::fs::write(&p, b"").unwrap();
        assert_eq!(read(&p, "view", 1), None, "empty");
    }
}
