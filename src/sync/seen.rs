//! A disposable memory of which fetched ledgers the local one contains, so
//! that a read does not walk the notes history again on every call when
//! the local ledger has grown far past a remote-tracking ref.
//!
//! Each line says "at local tip O, the ledger contained T fetched as R".
//! Ancestry is transitive, so later the question is only whether the local
//! tip descends from O: a walk over the appends since, not since T.

use git2::{Oid, Repository};
use std::path::PathBuf;

#[derive(Clone, PartialEq, Eq)]
pub struct Seen {
    pub fetched: String,
    pub theirs: Oid,
    pub ours: Oid,
}

fn path(repo: &Repository) -> PathBuf {
    crate::git::repo::common_dir(repo)
        .join("git-ledger")
        .join("fetched-ledgers")
}

/// What was recorded; nothing when the file is absent or unreadable.
pub fn load(repo: &Repository) -> Vec<Seen> {
    let Ok(text) = std::fs::read_to_string(path(repo)) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|l| {
            let mut f = l.splitn(3, ' ');
            Some(Seen {
                theirs: Oid::from_str(f.next()?).ok()?,
                ours: Oid::from_str(f.next()?).ok()?,
                fetched: f.next()?.to_string(),
            })
        })
        .collect()
}

/// Best effort: a record that cannot be written only costs a walk later.
pub fn save(repo: &Repository, seen: &[Seen]) {
    let target = path(repo);
    let Some(dir) = target.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let text: String = seen
        .iter()
        .map(|s| format!("{} {} {}\n", s.theirs, s.ours, s.fetched))
        .collect();
    // Write aside and rename, so a reader never sees half a file.
    let tmp = dir.join(format!("fetched-ledgers.{}.tmp", std::process::id()));
    if std::fs::write(&tmp, text).is_ok() && std::fs::rename(&tmp, &target).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}
