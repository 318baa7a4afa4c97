//! The git index (`.git/index`) read for one thing: the trees it already
//! knows. After a commit, a checkout or a reset, git's cache of trees
//! (the index's `TREE` extension) records, for each directory, the id of
//! the tree its entries make. Where that id is the id of the tree a walk
//! is about to read, the index's entries below that directory are
//! exactly the tree's files, with their modes and blob ids: one
//! sequential read of a file instead of inflating every tree (which,
//! at the end of long delta chains, maps much of the pack).
//!
//! Only what can be trusted is offered: a directory whose recorded
//! entry count matches the entries found under it, none of them
//! conflicted, intent-to-add or a sparse directory. A split index, an
//! unknown required extension, a path that is not UTF-8 or a file that
//! does not parse are no index at all; the walk then reads trees, as it
//! always could. Nothing here is written.

use git2::Oid;
use std::collections::HashMap;

pub struct Entry {
    pub path: String,
    pub mode: i32,
    pub oid: Oid,
}

pub struct WorkIndex {
    entries: Vec<Entry>,
    /// The entries that must not stand for a tree's (conflicted,
    /// intent-to-add, sparse directories), by position.
    unusable: Vec<usize>,
    /// Directory ("" or "a/b/") → (entries it covers, its tree's id), for
    /// the directories the cache of trees holds as valid.
    trees: HashMap<String, (usize, Oid)>,
}

const MODE_TREE: u32 = 0o040000;

impl WorkIndex {
    /// The index of `repo`'s work tree (`GIT_INDEX_FILE` when set, as git
    /// reads it), or None where there is none or it cannot be used.
    pub fn of(repo: &git2::Repository) -> Option<WorkIndex> {
        if repo.is_bare() {
            return None;
        }
        let path = std::env::var_os("GIT_INDEX_FILE")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| repo.path().join("index"));
        WorkIndex::parse(&std::fs::read(path).ok()?)
    }

    /// An index file's bytes, or None where they are not an index this
    /// reader can vouch for.
    pub fn parse(bytes: &[u8]) -> Option<WorkIndex> {
        const HASH: usize = 20;
        let mut r = Reader { b: bytes, at: 0 };
        if r.take(4)? != b"DIRC" {
            return None;
        }
        let version = r.u32()?;
        if !(2..=4).contains(&version) {
            return None;
        }
        let count = r.u32()? as usize;
        // An entry takes at least 62 bytes in a v2/v3 file, 63 in v4.
        if count > bytes.len() / 62 {
            return None;
        }
        let mut entries = Vec::with_capacity(count);
        let mut unusable = Vec::new();
        for n in 0..count {
            // The path before, which v4 paths share a prefix with and
            // every path must sort after.
            let previous: &[u8] = entries.last().map_or(&[], |e: &Entry| e.path.as_bytes());
            let start = r.at;
            r.take(24)?;
            let mode = r.u32()?;
            r.take(12)?;
            let oid = Oid::from_bytes(r.take(HASH)?).ok()?;
            let flags = r.u16()?;
            let extended = if flags & 0x4000 != 0 {
                if version < 3 {
                    return None;
                }
                r.u16()?
            } else {
                0
            };
            let path: Vec<u8> = if version == 4 {
                let strip = r.varint()?;
                let keep = previous.len().checked_sub(strip)?;
                let suffix = r.until_nul()?;
                let mut p = previous[..keep].to_vec();
                p.extend_from_slice(suffix);
                p
            } else {
                let name = r.until_nul()?.to_vec();
                // NUL-padded to a multiple of eight, at least one NUL.
                let end = start + ((r.at - 1 - start + 8) & !7);
                if end < r.at || end > bytes.len() {
                    return None;
                }
                if bytes[r.at..end].iter().any(|&c| c != 0) {
                    return None;
                }
                r.at = end;
                name
            };
            if path.is_empty() || path.as_slice() < previous {
                return None;
            }
            let stage = (flags >> 12) & 3;
            let intent_to_add = extended & 0x2000 != 0;
            if stage != 0 || intent_to_add || mode & 0o170000 == MODE_TREE {
                unusable.push(n);
            }
            entries.push(Entry {
                path: String::from_utf8(path).ok()?,
                mode: mode as i32,
                oid,
            });
        }
        let mut trees = HashMap::new();
        let end = bytes.len().checked_sub(HASH)?;
        while r.at < end {
            let sig = r.take(4)?;
            let size = r.u32()? as usize;
            let body = r.take(size)?;
            match sig {
                b"TREE" => trees = cache_tree(body)?,
                // A split index keeps its entries in another file.
                b"link" => return None,
                // Git refuses an index with a required extension it does
                // not know (a lower-case first letter); so does this.
                s if !s[0].is_ascii_uppercase() && s != b"sdir" => return None,
                _ => {}
            }
        }
        if r.at != end {
            return None;
        }
        Some(WorkIndex {
            entries,
            unusable,
            trees,
        })
    }

    /// The entries below `dir` ("" for the top, else ending in '/'), when
    /// the index holds them as the tree `oid` and they can stand for it.
    pub fn tree(&self, dir: &str, oid: Oid) -> Option<&[Entry]> {
        let &(count, id) = self.trees.get(dir)?;
        if id != oid {
            return None;
        }
        let from = self.entries.partition_point(|e| e.path.as_str() < dir);
        let to = from.checked_add(count)?;
        let span = self.entries.get(from..to)?;
        let inside = |e: &Entry| e.path.starts_with(dir);
        let whole =
            span.last().is_none_or(inside) && self.entries.get(to).is_none_or(|e| !inside(e));
        let clean = {
            let first = self.unusable.partition_point(|&u| u < from);
            self.unusable.get(first).is_none_or(|&u| u >= to)
        };
        (whole && clean).then_some(span)
    }
}

/// The `TREE` extension: for each directory, depth first, its name (the
/// top's empty), the entries it covers (-1 when not valid), its number
/// of subdirectories, and when valid its tree's id.
fn cache_tree(mut b: &[u8]) -> Option<HashMap<String, (usize, Oid)>> {
    let mut out = HashMap::new();
    // The directories still expecting subdirectories: (path, how many).
    let mut open: Vec<(String, usize)> = Vec::new();
    let mut first = true;
    while !b.is_empty() {
        let nul = b.iter().position(|&c| c == 0)?;
        let name = std::str::from_utf8(&b[..nul]).ok()?;
        b = &b[nul + 1..];
        let nl = b.iter().position(|&c| c == b'\n')?;
        let line = std::str::from_utf8(&b[..nl]).ok()?;
        b = &b[nl + 1..];
        let (count, subtrees) = line.split_once(' ')?;
        let count: i64 = count.parse().ok()?;
        let subtrees: usize = subtrees.parse().ok()?;
        if subtrees > b.len() {
            return None;
        }
        let path = if first {
            if !name.is_empty() {
                return None;
            }
            first = false;
            String::new()
        } else {
            let (parent, left) = open.last_mut()?;
            *left -= 1;
            if name.is_empty() || name.contains('/') {
                return None;
            }
            format!("{parent}{name}/")
        };
        while open.last().is_some_and(|(_, left)| *left == 0) {
            open.pop();
        }
        if count >= 0 {
            let id = Oid::from_bytes(b.get(..20)?).ok()?;
            b = &b[20..];
            out.insert(path.clone(), (usize::try_from(count).ok()?, id));
        } else if count != -1 {
            return None;
        }
        if subtrees > 0 {
            open.push((path, subtrees));
        }
    }
    open.is_empty().then_some(out)
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes(self.take(2)?.try_into().ok()?))
    }

    /// The bytes up to the next NUL, which is consumed.
    fn until_nul(&mut self) -> Option<&'a [u8]> {
        let rest = self.b.get(self.at..)?;
        let n = rest.iter().position(|&c| c == 0)?;
        self.at += n + 1;
        Some(&rest[..n])
    }

    /// Git's offset varint (v4 path compression).
    fn varint(&mut self) -> Option<usize> {
        let mut c = *self.take(1)?.first()?;
        let mut v = usize::from(c & 127);
        while c & 128 != 0 {
            c = *self.take(1)?.first()?;
            v = v
                .checked_add(1)?
                .checked_mul(128)?
                .checked_add(usize::from(c & 127))?;
        }
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::WorkIndex;
    use crate::git::fingerprint::{owned_files_many, owned_files_many_with};
    use crate::git::owns::Owns;
    use git2::Repository;
    use proptest::prelude::*;
    use std::path::Path;

    /// git in `dir`, isolated from the machine's configuration, with a
    /// fixed identity.
    fn git_output(dir: &Path, args: &[&str]) -> std::process::Output {
        std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "T")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "T")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .env_remove("GIT_INDEX_FILE")
            .output()
            .unwrap()
    }

    fn git(dir: &Path, args: &[&str]) {
        let out = git_output(dir, args);
        assert!(out.status.success(), "git {args:?}: {out:?}");
    }

    /// A work tree of nested files, committed by git, so that its index
    /// and cache of trees are git's own.
    fn committed() -> (tempfile::TempDir, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q", "-b", "main"]);
        let mut next = crate::proptest_config::numbers(11);
        let names = ["a", "b", "ab", "a.b", "src", "lib", "x-y", "mod"];
        let mut paths = Vec::new();
        for n in 0..80 {
            let depth = next(4);
            let mut p: Vec<&str> = (0..depth)
                .map(|_| names[next(names.len() as u64) as usize])
                .collect();
            let leaf = format!("f{n}{}", [".rs", "", ".b"][next(3) as usize]);
            p.push(&leaf);
            paths.push(p.join("/"));
        }
        for p in &paths {
            let f = dir.path().join(p);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(&f, p).unwrap();
        }
        git(dir.path(), &["add", "-A"]);
        git(dir.path(), &["commit", "-qm", "files"]);
        (dir, paths)
    }

    /// Every owner's files at HEAD, the index consulted and not: the
    /// same, or the index stood for a tree it is not.
    fn assert_same_with_and_without(dir: &Path, what: &str) -> Option<WorkIndex> {
        let repo = Repository::open(dir).unwrap();
        let tree = repo.head().unwrap().peel_to_tree().unwrap();
        let index = WorkIndex::of(&repo);
        let patterns = [
            "src/**",
            "a/",
            "a/b",
            "ab/**",
            "**/*.rs",
            "lib/*/x",
            "!src/a/**",
            "mod/",
            "/b",
            "*.b",
            "a/**/b.rs",
            "x-y/",
        ];
        let owners: Vec<Owns> = (0..patterns.len())
            .map(|i| {
                Owns::new(&[
                    patterns[i].to_string(),
                    patterns[(i * 5 + 3) % 12].to_string(),
                ])
                .unwrap()
            })
            .chain([Owns::new(&["**".to_string()]).unwrap()])
            .collect();
        let refs: Vec<&Owns> = owners.iter().collect();
        let walked = owned_files_many(&repo, &tree, &refs).unwrap();
        let read = owned_files_many_with(&repo, &tree, &refs, index.as_ref()).unwrap();
        assert_eq!(read, walked, "{what}");
        assert!(!walked.last().unwrap().is_empty());
        index
    }

    #[test]
    fn after_a_commit_the_index_stands_for_every_tree_of_head() {
        let (dir, paths) = committed();
        let ix = assert_same_with_and_without(dir.path(), "after a commit").unwrap();
        let repo = Repository::open(dir.path()).unwrap();
        let tree = repo.head().unwrap().peel_to_tree().unwrap();
        assert_eq!(ix.tree("", tree.id()).map(<[_]>::len), Some(paths.len()));
        // Version 4 compresses each path against the one before it.
        git(dir.path(), &["update-index", "--index-version", "4"]);
        let ix = assert_same_with_and_without(dir.path(), "index v4").unwrap();
        assert!(ix.tree("", tree.id()).is_some());
    }

    #[test]
    fn a_staged_change_is_never_taken_for_heads_tree() {
        let (dir, paths) = committed();
        let repo = Repository::open(dir.path()).unwrap();
        let tree = repo.head().unwrap().peel_to_tree().unwrap();
        let deep = paths.iter().find(|p| p.matches('/').count() >= 2).unwrap();
        std::fs::write(dir.path().join(deep), "changed").unwrap();
        git(dir.path(), &["add", deep]);
        let ix = assert_same_with_and_without(dir.path(), "a change staged").unwrap();
        assert!(ix.tree("", tree.id()).is_none());
        // write-tree records the staged trees as valid again: their ids
        // are not HEAD's, and the directories untouched still serve.
        git(dir.path(), &["write-tree"]);
        let ix = assert_same_with_and_without(dir.path(), "staged, trees written").unwrap();
        assert!(ix.tree("", tree.id()).is_none());
        let other = paths
            .iter()
            .filter_map(|p| p.split_once('/'))
            .find(|(top, _)| !deep.starts_with(&format!("{top}/")))
            .map(|(top, _)| format!("{top}/"))
            .unwrap();
        let sub = tree
            .get_path(Path::new(other.trim_end_matches('/')))
            .unwrap();
        assert!(ix.tree(&other, sub.id()).is_some(), "{other}");
    }

    #[test]
    fn intent_to_add_a_split_index_and_a_conflict_fall_back_to_the_trees() {
        let (dir, _) = committed();
        std::fs::write(dir.path().join("new.rs"), "new").unwrap();
        git(dir.path(), &["add", "-N", "new.rs"]);
        git(dir.path(), &["write-tree"]);
        let repo = Repository::open(dir.path()).unwrap();
        let tree = repo.head().unwrap().peel_to_tree().unwrap();
        let ix = assert_same_with_and_without(dir.path(), "intent to add").unwrap();
        assert!(ix.tree("", tree.id()).is_none());
        git(dir.path(), &["rm", "-q", "--cached", "new.rs"]);
        git(dir.path(), &["update-index", "--split-index"]);
        assert!(assert_same_with_and_without(dir.path(), "split index").is_none());
        git(dir.path(), &["update-index", "--no-split-index"]);
        assert!(assert_same_with_and_without(dir.path(), "split index undone").is_some());
        // A merge that stops on a conflict leaves the file's stages in
        // the index; HEAD's files still come out as HEAD has them.
        git(dir.path(), &["switch", "-q", "-c", "side"]);
        std::fs::write(dir.path().join("new.rs"), "side").unwrap();
        git(dir.path(), &["add", "new.rs"]);
        git(dir.path(), &["commit", "-qm", "side"]);
        git(dir.path(), &["switch", "-q", "main"]);
        std::fs::write(dir.path().join("new.rs"), "main").unwrap();
        git(dir.path(), &["add", "new.rs"]);
        git(dir.path(), &["commit", "-qm", "main"]);
        let merge = git_output(dir.path(), &["merge", "-q", "side"]);
        assert!(!merge.status.success(), "the merge was to conflict");
        let ix = assert_same_with_and_without(dir.path(), "a conflict").unwrap();
        assert!(!ix.unusable.is_empty());
        let tree = repo.head().unwrap().peel_to_tree().unwrap();
        assert!(ix.tree("", tree.id()).is_none());
    }

    #[test]
    fn no_index_in_a_bare_repository() {
        let (dir, _) = committed();
        let bare = tempfile::tempdir().unwrap();
        git(
            bare.path(),
            &["clone", "-q", "--bare", dir.path().to_str().unwrap(), "."],
        );
        assert!(WorkIndex::of(&Repository::open(bare.path()).unwrap()).is_none());
    }

    fn real_index() -> Vec<u8> {
        let (dir, _) = committed();
        git(dir.path(), &["update-index", "--index-version", "4"]);
        std::fs::read(dir.path().join(".git/index")).unwrap()
    }

    proptest! {
        #![proptest_config(crate::proptest_config::seeded(3000))]

        /// No bytes make the reader panic: a real index (v4, with its cache
        /// of trees) with bytes changed, cut or inserted, and noise.
        #[test]
        fn no_index_file_makes_the_reader_panic(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 0..6),
            noise in proptest::collection::vec(any::<u8>(), 0..200),
        ) {
            thread_local!(static REAL: Vec<u8> = real_index());
            let mut b = REAL.with(Clone::clone);
            for (at, byte, how) in edits {
                let i = at.index(b.len().max(1));
                match how {
                    0 if i < b.len() => b[i] = byte,
                    1 => b.truncate(i),
                    2 => b.insert(i.min(b.len()), byte),
                    _ => {}
                }
            }
            if let Some(ix) = WorkIndex::parse(&b) {
                for (dir, &(_, id)) in &ix.trees {
                    let _ = ix.tree(dir, id);
                }
            }
            let _ = WorkIndex::parse(&noise);
            let mut dirc = b"DIRC\0\0\0\x02".to_vec();
            dirc.extend_from_slice(&noise);
            let _ = WorkIndex::parse(&dirc);
        }
    }
}
