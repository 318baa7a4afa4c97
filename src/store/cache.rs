//! A disposable cache of the folded state, keyed by the notes tip, so that
//! reads and hooks do not re-read every note once the ledger is large.
//! Deleting it is always safe: the next command folds the notes again.

use crate::ledger::LedgerState;
use git2::{Oid, Repository};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Bumped whenever the fold or the state's shape changes.
const CACHE_FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct CacheFile {
    format: u32,
    version: String,
    tip: String,
    state: LedgerState,
    skipped: usize,
    first_skipped: Option<String>,
}

pub struct Cached {
    pub state: LedgerState,
    pub skipped: usize,
    pub first_skipped: Option<String>,
}

fn path(repo: &Repository) -> PathBuf {
    crate::git::repo::common_dir(repo)
        .join("git-ledger")
        .join("state-cache.json")
}

pub fn load(repo: &Repository, tip: Oid) -> Option<Cached> {
    let bytes = std::fs::read(path(repo)).ok()?;
    let file: CacheFile = serde_json::from_slice(&bytes).ok()?;
    (file.format == CACHE_FORMAT
        && file.version == env!("CARGO_PKG_VERSION")
        && file.tip == tip.to_string())
    .then_some(Cached {
        state: file.state,
        skipped: file.skipped,
        first_skipped: file.first_skipped,
    })
}

/// Best effort: a cache that cannot be written only costs speed.
pub fn save(repo: &Repository, tip: Oid, cached: &Cached) {
    let file = CacheFile {
        format: CACHE_FORMAT,
        version: env!("CARGO_PKG_VERSION").to_string(),
        tip: tip.to_string(),
        state: cached.state.clone(),
        skipped: cached.skipped,
        first_skipped: cached.first_skipped.clone(),
    };
    let target = path(repo);
    let Some(dir) = target.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let Ok(bytes) = serde_json::to_vec(&file) else {
        return;
    };
    // Write aside and rename, so a reader never sees half a file.
    let tmp = dir.join(format!("state-cache.{}.tmp", std::process::id()));
    if std::fs::write(&tmp, bytes).is_ok() && std::fs::rename(&tmp, &target).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}
