//! Which commits to read: a revision range for `scan`, the commits a merge
//! brought in, and for `check` the commits not yet scanned in this clone.
//!
//! "Scanned" is clone-local bookkeeping in the common git dir
//! (`git-ledger/scanned`: tips whose history has been read). It only saves
//! work: ingest is idempotent, and deleting the file makes the next
//! `check` read the whole history again.

use crate::error::user_hint;
use anyhow::Result;
use git2::{Oid, Repository, Sort};
use std::path::PathBuf;

/// At most this many tips are remembered; older ones are dropped.
const MAX_TIPS: usize = 32;

/// Commits of `spec` (`A..B`, `A...B`, `REV`: everything reachable from
/// it), oldest first, so that later commits' trailers win.
pub fn resolve(repo: &Repository, spec: &str) -> Result<Vec<Oid>> {
    let bad = || {
        user_hint(
            format!("'{spec}' is not a revision range in this repository"),
            "give a range such as main..HEAD, v1.0.., or a single commit (git help revisions)",
        )
    };
    let rs = repo.revparse(spec).map_err(|_| bad())?;
    let mut walk = new_walk(repo)?;
    let peel = |o: Option<&git2::Object<'_>>| -> Result<Option<Oid>> {
        match o {
            None => Ok(None),
            Some(o) => Ok(Some(o.peel_to_commit().map_err(|_| bad())?.id())),
        }
    };
    let from = peel(rs.from())?;
    let to = peel(rs.to())?;
    let mode = rs.mode();
    if mode.contains(git2::RevparseMode::SINGLE) {
        if let Some(f) = from {
            walk.push(f)?;
        }
    } else {
        let (Some(f), Some(t)) = (from, to) else {
            return Err(bad());
        };
        walk.push(t)?;
        if mode.contains(git2::RevparseMode::MERGE_BASE) {
            walk.push(f)?;
            if let Ok(base) = repo.merge_base(f, t) {
                walk.hide(base)?;
            }
        } else {
            walk.hide(f)?;
        }
    }
    collect(walk)
}

/// Commits reachable from `new` and not from `old`, oldest first.
pub fn between(repo: &Repository, old: Option<Oid>, new: Oid) -> Result<Vec<Oid>> {
    let mut walk = new_walk(repo)?;
    walk.push(new)?;
    if let Some(o) = old {
        walk.hide(o)?;
    }
    collect(walk)
}

/// Commits reachable from `head` that no recorded scan has covered.
pub fn unscanned(repo: &Repository, head: Oid) -> Result<Vec<Oid>> {
    let mut walk = new_walk(repo)?;
    walk.push(head)?;
    for tip in scanned_tips(repo) {
        if repo.find_commit(tip).is_ok() {
            walk.hide(tip)?;
        }
    }
    collect(walk)
}

fn new_walk(repo: &Repository) -> Result<git2::Revwalk<'_>> {
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    Ok(walk)
}

fn collect(walk: git2::Revwalk<'_>) -> Result<Vec<Oid>> {
    Ok(walk.collect::<Result<Vec<Oid>, git2::Error>>()?)
}

fn tips_file(repo: &Repository) -> PathBuf {
    crate::git::repo::common_dir(repo)
        .join("git-ledger")
        .join("scanned")
}

pub fn scanned_tips(repo: &Repository) -> Vec<Oid> {
    std::fs::read_to_string(tips_file(repo))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| Oid::from_str(l.trim()).ok())
        .collect()
}

/// Remembers that everything reachable from `tip` has been scanned. Best
/// effort: failing to remember only costs a rescan.
pub fn mark_scanned(repo: &Repository, tip: Oid) {
    let mut tips: Vec<Oid> = scanned_tips(repo)
        .into_iter()
        .filter(|t| *t != tip && !repo.graph_descendant_of(tip, *t).unwrap_or(false))
        .collect();
    tips.insert(0, tip);
    tips.truncate(MAX_TIPS);
    let path = tips_file(repo);
    let Some(dir) = path.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let text: String = tips.iter().map(|t| format!("{t}\n")).collect();
    let tmp = dir.join(format!("scanned.{}.tmp", std::process::id()));
    if std::fs::write(&tmp, text).is_ok() && std::fs::rename(&tmp, &path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}
