//! `git ledger scan [RANGE]`: ingests the ledger trailers of the commits in
//! RANGE (default: everything reachable from HEAD). Idempotent: event ids
//! derive from the commit and the trailer, so a second scan, or a scan in
//! another clone, adds nothing new.

use super::Ctx;
use super::show::event_json;
use crate::error::Outcome;
use crate::git::repo::{head_commit, short};
use crate::ingest::{self, CommitInfo, Report, range, trailer};
use crate::ledger::{Kind, Located};
use crate::output;
use anyhow::Result;
use clap::Args;
use git2::{Oid, Repository};
use serde_json::{Value, json};

#[derive(Args)]
pub struct ScanArgs {
    /// Commits to read: A..B, A...B, or a revision and its history (default: HEAD)
    pub range: Option<String>,
}

pub fn run(ctx: &Ctx, a: ScanArgs) -> Result<Outcome> {
    let repo = ctx.repo()?;
    let head = head_commit(&repo)?.id();
    // Which commits mention a trailer is read while the ledger loads: for
    // a range (resolved first, so that a bad one is told at once), and for
    // a first scan, which reads all of HEAD's history whatever the plan.
    // On one thread: more would only fight the ledger's load and each
    // other over libgit2's pack locks (measured, cold scan at 200k: 0.89x
    // the time).
    let given = a
        .range
        .as_deref()
        .map(|spec| range::resolve(&repo, spec))
        .transpose()?;
    let first = a.range.is_none() && range::scanned_tips(&repo).is_empty();
    let early = (given.is_some() || first).then(|| {
        let path = repo.path().to_path_buf();
        std::thread::spawn(move || -> Result<(Vec<Oid>, Vec<Oid>)> {
            let r = Repository::open(&path)?;
            let commits = match given {
                Some(commits) => commits,
                None => range::unscanned(&r, head, "")?,
            };
            let mentions = mentioning_on(&r, &commits)?;
            Ok((commits, mentions))
        })
    });
    let plan = {
        let _reading = early.is_some().then(|| crate::store::index::cores_busy(1));
        range::plan_stamp(&ctx.load(&repo)?.state)
    };
    // Without a range: the history no earlier scan (or check) of this
    // plan read, which gives what a scan of all of it would, since ingest
    // is idempotent. `scan HEAD` reads all of it again.
    let (commits, mentions) = match early {
        Some(reading) => {
            let (commits, mentions) = reading
                .join()
                .map_err(|_| anyhow::anyhow!("the thread reading the history failed"))??;
            (commits, Some(mentions))
        }
        None => (range::unscanned(&repo, head, &plan)?, None),
    };
    let (written, report) =
        ingest_trailers(&repo, &commits, mentions.as_deref(), "git-ledger: scan")?;
    if a.range.is_none() {
        range::mark_scanned(&repo, head, &plan);
    }
    if ctx.json {
        output::emit(&output::json(&json!({
            "range": a.range.as_deref().unwrap_or("HEAD"),
            "commits": commits.len(),
            "with_trailers": report.commits,
            "trailers": report.trailers,
            "added": written.iter().map(event_json).collect::<Vec<Value>>(),
            "already": report.already,
            "superseded": report.superseded,
            "rejected": report.rejected,
        })));
        return Ok(Outcome::Ok);
    }
    if commits.is_empty() && a.range.is_none() {
        output::say(
            "nothing new to scan: every commit reachable from HEAD was read before (git ledger scan HEAD reads them all again)",
        );
        return Ok(Outcome::Ok);
    }
    output::say(&format!(
        "scanned {} commit(s), {} with ledger trailers: {} event(s) added, {} already recorded",
        commits.len(),
        report.commits,
        written.len(),
        report.already
    ));
    for l in &written {
        output::say(&format!("  {}", describe(l)));
    }
    for s in &report.superseded {
        output::say(&format!(
            "  superseded: {} '{}': {}",
            short(&s.commit),
            s.trailer,
            s.reason
        ));
    }
    for s in &report.rejected {
        output::say(&format!(
            "  not ingested: {} '{}': {}",
            short(&s.commit),
            s.trailer,
            s.reason
        ));
    }
    Ok(Outcome::Ok)
}

/// Plans and writes the trailer events of `commits` (oldest first).
/// `mentions`: those of `commits` already known to mention a trailer
/// (None: read them here).
pub fn ingest_trailers(
    repo: &Repository,
    commits: &[Oid],
    mentions: Option<&[Oid]>,
    message: &str,
) -> Result<(Vec<Located>, Report)> {
    let (written, report, _) = ingest::write(repo, message, true, |batch| {
        plan_trailers(batch, repo, commits, mentions)
    })?;
    Ok((written, report))
}

pub fn plan_trailers(
    batch: &mut ingest::Batch<'_>,
    repo: &Repository,
    commits: &[Oid],
    mentions: Option<&[Oid]>,
) -> Result<()> {
    let tip = repo.head().ok().and_then(|h| h.target());
    if let Some(tip) = tip.or_else(|| commits.last().copied()) {
        batch.set_range(commits.to_vec(), tip);
    }
    let mentions = match mentions {
        Some(m) => m.to_vec(),
        None => mentioning(repo, commits)?,
    };
    for id in mentions {
        let commit = repo.find_commit(id)?;
        if !ingest::mentions_ledger(commit.message_bytes()) {
            continue;
        }
        let mut info = CommitInfo::read(commit);
        if info.trailers.is_empty() {
            continue;
        }
        batch.report.commits += 1;
        for t in &info.trailers.trailers {
            batch.report.trailers.push(ingest::ReadTrailer {
                commit: info.id.to_string(),
                key: t.key.name(),
                value: t.value.clone(),
            });
        }
        trailer::ingest(batch, &mut info)?;
    }
    Ok(())
}

/// The commits of `commits` (in their order) whose raw object mentions a
/// ledger trailer: most commits carry none, and are never parsed. A long
/// history is read by a few threads, each with its own repository handle
/// (reading is most of a scan's time).
fn mentioning(repo: &Repository, commits: &[Oid]) -> Result<Vec<Oid>> {
    crate::git::repo::read_in_threads(repo, commits, 4000, mentioning_on)
}

/// [`mentioning`] on the calling thread.
fn mentioning_on(repo: &Repository, commits: &[Oid]) -> Result<Vec<Oid>> {
    let odb = repo.odb()?;
    let mut out = Vec::new();
    for id in commits {
        if ingest::mentions_ledger(odb.read(*id)?.data()) {
            out.push(*id);
        }
    }
    Ok(out)
}

/// "a1b2c3d  S04  → in_progress  (Ledger-Step: S04)"
pub fn describe(l: &Located) -> String {
    let e = &l.event;
    let what = match e.kind {
        Kind::Ack => "acknowledged".to_string(),
        _ => format!("→ {}", e.str_field("status").unwrap_or("?")),
    };
    format!(
        "{}  {}  {what}  ({})",
        short(&l.commit),
        e.step,
        e.str_field("trailer").unwrap_or(&e.source)
    )
}
