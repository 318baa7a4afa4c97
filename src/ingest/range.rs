//! Which commits to read: a revision range for `scan`, the commits a merge
//! brought in, and for `check` the commits not yet scanned in this clone.
//!
//! "Scanned" is clone-local bookkeeping in the common git dir
//! (`git-ledger/scanned`: tips whose history has been read). It only saves
//! work: ingest is idempotent, and deleting the file makes the next
//! `check` read the whole history again.

use crate::error::user_hint;
use crate::git::history::History;
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
        // A revision and all its history (`scan HEAD`): from the
        // commit-graph where it has them, no commit parsed to list them.
        return match from {
            Some(f) => walk_oldest_first(repo, f, &[]),
            None => Ok(Vec::new()),
        };
    }
    let (Some(f), Some(t)) = (from, to) else {
        return Err(bad());
    };
    let mut walk = new_walk(repo)?;
    walk.push(t)?;
    if mode.contains(git2::RevparseMode::MERGE_BASE) {
        walk.push(f)?;
        if let Ok(base) = repo.merge_base(f, t) {
            walk.hide(base)?;
        }
    } else {
        walk.hide(f)?;
    }
    collect(walk)
}

/// Commits reachable from `new` and not from `old`, oldest first.
pub fn between(repo: &Repository, old: Option<Oid>, new: Oid) -> Result<Vec<Oid>> {
    let hide: Vec<Oid> = old.into_iter().collect();
    walk_oldest_first(repo, new, &hide)
}

/// Commits reachable from `head` that no scan recorded for this plan has
/// covered: a scan made before steps were added may have refused their
/// trailers as naming unknown steps, so it does not count for the new plan.
pub fn unscanned(repo: &Repository, head: Oid, plan: &str) -> Result<Vec<Oid>> {
    let hide: Vec<Oid> = scanned_tips(repo)
        .into_iter()
        .filter(|(_, p)| p == plan)
        .map(|(t, _)| t)
        .filter(|t| repo.find_commit(*t).is_ok())
        .collect();
    walk_oldest_first(repo, head, &hide)
}

/// From git's commit-graph when it covers the range (no commit read), else
/// by libgit2's topological walk.
fn walk_oldest_first(repo: &Repository, from: Oid, hide: &[Oid]) -> Result<Vec<Oid>> {
    // A whole history comes from the commit-graph; a range above scanned
    // tips from libgit2, which stops where the hidden part begins.
    if hide.is_empty()
        && let Some(v) = History::open(repo).range_oldest_first(from, hide)
    {
        return Ok(v);
    }
    let mut walk = new_walk(repo)?;
    walk.push(from)?;
    for h in hide {
        walk.hide(*h)?;
    }
    collect(walk)
}

/// What a scan's coverage depends on: the active steps (a trailer naming
/// another id is refused). A short hash of their sorted ids.
pub fn plan_stamp(state: &crate::ledger::LedgerState) -> String {
    let mut ids: Vec<&str> = state.active_steps().iter().map(|s| s.id.as_str()).collect();
    ids.sort_unstable();
    let mut h = crc32fast::Hasher::new();
    for id in ids {
        h.update(id.as_bytes());
        h.update(b"\n");
    }
    format!("{:08x}", h.finalize())
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

/// (tip, plan stamp) of each recorded scan.
pub fn scanned_tips(repo: &Repository) -> Vec<(Oid, String)> {
    std::fs::read_to_string(tips_file(repo))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let (tip, plan) = l.trim().split_once(' ').unwrap_or((l.trim(), ""));
            Some((Oid::from_str(tip).ok()?, plan.to_string()))
        })
        .collect()
}

/// Remembers that everything reachable from `tip` has been scanned under
/// `plan`. Best effort: failing to remember only costs a rescan.
pub fn mark_scanned(repo: &Repository, tip: Oid, plan: &str) {
    let mut history = History::open(repo);
    let mut tips: Vec<(Oid, String)> = scanned_tips(repo)
        .into_iter()
        .filter(|(t, p)| {
            // A tip the new one contains says nothing more, for this plan.
            let covered = p == plan
                && history
                    .is_ancestor(*t, tip)
                    .unwrap_or_else(|| repo.graph_descendant_of(tip, *t).unwrap_or(false));
            *t != tip && !covered
        })
        .collect();
    tips.insert(0, (tip, plan.to_string()));
    tips.truncate(MAX_TIPS);
    let path = tips_file(repo);
    let Some(dir) = path.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let text: String = tips.iter().map(|(t, p)| format!("{t} {p}\n")).collect();
    let tmp = dir.join(format!("scanned.{}.tmp", std::process::id()));
    if std::fs::write(&tmp, text).is_ok() && std::fs::rename(&tmp, &path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}
