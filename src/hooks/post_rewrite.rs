//! `post-rewrite` (after `commit --amend` and rebases): carries ledger notes
//! from the old commits to the new ones where git did not (no
//! `notes.rewriteRef`, or `notes.rewrite.<command>=false`), then judges the
//! new commits as `post-commit` would — trailers already carried add
//! nothing, and only what the rewrite changed can be drift — and, after a
//! rebase, ingests the upstream commits' trailers and re-checks
//! fingerprints at HEAD.

use super::post_merge::orig_head;
use super::{Verdict, say};
use crate::git::repo::{self, NOTES_REF, short};
use crate::ingest::head::recorder;
use crate::ingest::{self, CommitInfo, head, range, touch, trailer};
use crate::store::{self, notes};
use anyhow::{Result, anyhow};
use git2::{Oid, Repository};
use std::collections::{BTreeMap, HashSet};
use std::ffi::OsString;
use std::io::Read;

pub fn run(args: &[OsString]) -> Result<Verdict> {
    // The pre-commit framework passes the command in its environment instead.
    let from_env = std::env::var("PRE_COMMIT_REWRITE_COMMAND").unwrap_or_default();
    let command = args.first().and_then(|a| a.to_str()).unwrap_or(&from_env);
    let mut input = Vec::new();
    std::io::stdin().read_to_end(&mut input)?;
    let mut pairs = parse_pairs(&String::from_utf8_lossy(&input));
    let repo = repo::open(None)?;
    if pairs.is_empty() && command == "amend" {
        pairs.extend(amend_from_reflog(&repo));
    }
    let carried = carry(&repo, &pairs)?;
    if carried > 0 {
        crate::output::error_line(&format!(
            "git-ledger: carried the ledger notes of {carried} rewritten commit(s) to their new commits"
        ));
    }
    if !ingest::has_ledger(&repo) {
        return Ok(Verdict::Pass);
    }
    let head = repo::head_commit(&repo)?;
    // In order, once each (a squash maps several old commits to one new).
    let mut seen = HashSet::new();
    let rewritten: Vec<(Oid, Oid)> = pairs
        .iter()
        .copied()
        .filter(|(_, new)| seen.insert(*new) && repo.find_commit(*new).is_ok())
        .collect();
    let upstream: Vec<Oid> = match (command, orig_head(&repo)) {
        ("rebase", Some(orig)) => range::between(&repo, Some(orig), head.id())?
            .into_iter()
            .filter(|c| !seen.contains(c))
            .collect(),
        _ => Vec::new(),
    };
    let by = recorder(&repo, &head);
    let message = format!("git-ledger: post-rewrite {}", short(&head.id().to_string()));
    let mut range: Vec<Oid> = upstream.clone();
    range.extend(rewritten.iter().map(|(_, new)| *new));
    let (written, report, _) = ingest::write(&repo, &message, true, |batch| {
        batch.set_range(range.clone(), head.id());
        for (old, new) in &rewritten {
            let mut info = CommitInfo::read(repo.find_commit(*new)?);
            info.original = repo.find_commit(*old).is_ok().then_some(*old);
            trailer::ingest(batch, &mut info)?;
            touch::record(batch, &mut info)?;
            touch::withdraw(batch, &mut info)?;
        }
        for id in &upstream {
            let mut info = CommitInfo::read(repo.find_commit(*id)?);
            if !info.trailers.is_empty() {
                trailer::ingest(batch, &mut info)?;
            }
        }
        if command == "rebase" {
            head::record(batch, &head, &by, "hook")?;
        }
        Ok(())
    })?;
    say::outcome(&written, &report);
    Ok(Verdict::Pass)
}

/// The amended commit and its replacement, from HEAD's reflog: for hook
/// runners that call post-rewrite without its list on stdin (the
/// pre-commit framework does), so that an `--amend --trailer` still counts.
fn amend_from_reflog(repo: &Repository) -> Option<(Oid, Oid)> {
    let log = repo.reflog("HEAD").ok()?;
    let last = log.get(0)?;
    let amended = last
        .message()
        .is_ok_and(|m| m.is_some_and(|m| m.starts_with("commit (amend)")));
    let head = repo.head().ok()?.target()?;
    (amended && last.id_new() == head && !last.id_old().is_zero())
        .then(|| (last.id_old(), last.id_new()))
}

/// `old new [extra]` lines; anything else is ignored.
fn parse_pairs(input: &str) -> Vec<(Oid, Oid)> {
    input
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let old = Oid::from_str(f.next()?).ok()?;
            let new = Oid::from_str(f.next()?).ok()?;
            (old != new).then_some((old, new))
        })
        .collect()
}

/// Appends to each new commit's note the lines of its old commits' notes
/// it lacks; returns how many commits got lines. Compare-and-swap on the
/// notes ref, like every ledger write.
fn carry(repo: &Repository, pairs: &[(Oid, Oid)]) -> Result<usize> {
    for attempt in 0..50u32 {
        let Some(tip) = store::tip(repo)? else {
            return Ok(0);
        };
        let mut additions: BTreeMap<String, String> = BTreeMap::new();
        for (old, new) in pairs {
            let old_text = notes::note_text(repo, Some(tip), &old.to_string())?;
            if old_text.trim().is_empty() {
                continue;
            }
            let new_key = new.to_string();
            let mut have = notes::note_text(repo, Some(tip), &new_key)?;
            if let Some(planned) = additions.get(&new_key) {
                have.push_str(planned);
            }
            let have: HashSet<&str> = have.lines().collect();
            let missing: String = old_text
                .lines()
                .filter(|l| !l.trim().is_empty() && !have.contains(l))
                .map(|l| format!("{l}\n"))
                .collect();
            if !missing.is_empty() {
                additions.entry(new_key).or_default().push_str(&missing);
            }
        }
        if additions.is_empty() {
            return Ok(0);
        }
        let parent = repo.find_commit(tip)?;
        let tree = repo.find_tree(notes::write_tree(repo, Some(&parent.tree()?), &additions)?)?;
        let sig = crate::store::notes_signature(repo)?;
        let message = "git-ledger: carry notes of rewritten commits";
        let commit = repo.commit(None, &sig, &sig, message, &tree, &[&parent])?;
        if crate::store::compare_and_swap(repo, Some(tip), commit, message)? {
            return Ok(additions.len());
        }
        std::thread::sleep(std::time::Duration::from_millis(2 + u64::from(attempt) * 3));
    }
    Err(anyhow!(
        "{NOTES_REF} kept changing; ledger notes not carried"
    ))
}
