//! `post-commit`: ingests HEAD's trailers and records drift for changes to
//! files of verified or pending steps the commit did not declare.
//!
//! The common commit (no trailer, no owned file changed) reads the cached
//! ledger state and the commit's own diff, and writes nothing. Commits made
//! by a rewrite (amend, rebase) are left to `post-rewrite`, which runs after
//! git has carried the old commits' notes over.

use super::{Verdict, say};
use crate::git::owns::may_own;
use crate::git::repo::{self, short};
use crate::ingest::{self, CommitInfo, touch, trailer};
use crate::store;
use anyhow::Result;
use git2::Repository;
use std::io::{Read, Seek, SeekFrom};

pub fn run() -> Result<Verdict> {
    let repo = repo::open(None)?;
    repo::read_loose_first(&repo);
    super::flags::refresh(&repo);
    if !ingest::has_ledger(&repo) || rewriting(&repo) {
        return Ok(Verdict::Pass);
    }
    let head = repo::head_commit(&repo)?;
    let mut info = CommitInfo::read(head);
    if info.trailers.is_empty() {
        // Whether a step the parent's view watches owns a changed path:
        // the new commit brings no note, so the parent's view (cached by
        // the command before, with its globs beside it) answers it.
        let parent = info.commit.parent_id(0).ok();
        let tip = store::tip(&repo)?;
        let watch = match (tip, parent) {
            (Some(t), Some(p)) => store::cache::watch(&repo, t, p)
                .or_else(|| watch_from_ancestor(&repo, t, p))
                .or_else(|| {
                    // Not cached: the parent's view, followed from the nearest
                    // cached one, leaves its globs beside it.
                    store::trace("post-commit: the parent's view is not cached");
                    store::load_at(&repo, Some(p)).ok()?;
                    store::cache::watch(&repo, t, p)
                }),
            _ => None,
        };
        match watch {
            Some(watch) => {
                let paths = info.changed(&repo)?;
                if !watch.may_own_any(paths, true) {
                    if !watch.may_own_any(paths, false) {
                        // No owned file changed: the new commit's view is
                        // the parent's, for the next commit's hook too.
                        watch.carry_to(&repo, info.id);
                    }
                    return Ok(Verdict::Pass);
                }
            }
            None => {
                let state = store::load(&repo)?.state;
                let paths = info.changed(&repo)?;
                let concerned = state
                    .active_steps()
                    .iter()
                    .any(|s| touch::watched(s) && paths.iter().any(|p| may_own(&s.def.owns, p)));
                if !concerned {
                    return Ok(Verdict::Pass);
                }
            }
        }
    }
    let message = format!("git-ledger: post-commit {}", short(&info.id.to_string()));
    let (written, report, _) = ingest::write(&repo, &message, false, |batch| {
        trailer::ingest(batch, &mut info)?;
        touch::record(batch, &mut info)
    })?;
    say::outcome(&written, &report);
    Ok(Verdict::Pass)
}

/// How many commits back, along first parents, a watch left by an
/// earlier hook is looked for.
const WATCH_DEPTH: usize = 16;

/// The parent's view from a recent ancestor's watch, when the commits
/// after that ancestor up to the parent (made where no hook ran: hooks
/// skipped, another tool) cannot have changed it: each has one parent and
/// no note, and between the two trees no path changed that any step may
/// own. The view seen from the parent is then the ancestor's (SPEC 2.5:
/// no event comes into view, no owned content changed), and the watch is
/// handed on to the commits in between.
fn watch_from_ancestor(
    repo: &Repository,
    tip: git2::Oid,
    parent: git2::Oid,
) -> Option<store::cache::Watch> {
    let mut between = Vec::new();
    let mut commit = repo.find_commit(parent).ok()?;
    for _ in 0..WATCH_DEPTH {
        if commit.parent_count() != 1 {
            return None;
        }
        between.push(commit.id());
        let older = commit.parent(0).ok()?;
        if let Some(watch) = store::cache::watch(repo, tip, older.id()) {
            let notes = repo.find_commit(tip).ok()?.tree().ok()?;
            for c in &between {
                let note = store::notes::note_text_in(repo, &notes, &c.to_string()).ok()?;
                if !note.is_empty() {
                    return None;
                }
            }
            let before = older.tree().ok()?;
            let after = repo.find_commit(parent).ok()?.tree().ok()?;
            let paths = crate::git::treediff::changed_files(repo, Some(&before), &after).ok()?;
            if watch.may_own_any(&paths, false) {
                return None;
            }
            store::trace(&format!(
                "post-commit: the parent's view is the one {} commit(s) back",
                between.len()
            ));
            for c in &between {
                watch.carry_to(repo, *c);
            }
            return Some(watch);
        }
        commit = older;
    }
    None
}

/// Whether HEAD was just moved by `commit --amend` or a rebase, read from
/// the last line of HEAD's reflog (git sets no variable for these).
fn rewriting(repo: &Repository) -> bool {
    let Ok(mut f) = std::fs::File::open(repo.path().join("logs").join("HEAD")) else {
        return false;
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let start = len.saturating_sub(4096);
    let mut tail = Vec::new();
    if f.seek(SeekFrom::Start(start)).is_err() || f.read_to_end(&mut tail).is_err() {
        return false;
    }
    let tail = String::from_utf8_lossy(&tail);
    let Some(last) = tail.lines().last() else {
        return false;
    };
    let message = last.split_once('\t').map(|(_, m)| m).unwrap_or("");
    message.starts_with("commit (amend)") || message.starts_with("rebase")
}
