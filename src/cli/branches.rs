//! `git ledger status --branches [--remotes]`: each step's status on each
//! branch, side by side — what is done where (SPEC 2.5).

use super::Ctx;
use crate::drift::assess;
use crate::error::Outcome;
use crate::ledger::Status;
use crate::output;
use crate::store;
use anyhow::Result;
use git2::{BranchType, Oid, Repository};
use serde_json::{Map, Value, json};

struct Branch {
    name: String,
    commit: Oid,
    current: bool,
}

fn branches(repo: &Repository, remotes: bool) -> Result<Vec<Branch>> {
    let head = store::head_oid(repo);
    let current = repo
        .head()
        .ok()
        .and_then(|h| h.shorthand().ok().map(str::to_string));
    let mut out = Vec::new();
    let kinds: &[BranchType] = if remotes {
        &[BranchType::Local, BranchType::Remote]
    } else {
        &[BranchType::Local]
    };
    for kind in kinds {
        for b in repo.branches(Some(*kind))? {
            let (b, _) = b?;
            let Some(name) = b.name().ok().flatten().map(str::to_string) else {
                continue;
            };
            // origin/HEAD is an alias of another remote branch.
            if name.ends_with("/HEAD") {
                continue;
            }
            let Ok(commit) = b.get().peel_to_commit() else {
                continue;
            };
            out.push(Branch {
                current: *kind == BranchType::Local
                    && current.as_deref() == Some(name.as_str())
                    && head == Some(commit.id()),
                name,
                commit: commit.id(),
            });
        }
    }
    Ok(out)
}

/// The short word a matrix cell shows.
fn cell(s: Status) -> &'static str {
    match s {
        Status::NotStarted => "-",
        Status::InProgress => "in_progress",
        Status::CompletedPendingVerification => "pending",
        Status::Verified => "verified",
        Status::DriftDetected => "drift",
    }
}

pub fn run(ctx: &Ctx, remotes: bool, all: bool) -> Result<Outcome> {
    let repo = ctx.repo()?;
    let branches = branches(&repo, remotes)?;
    // The plan is shared: the rows are the same on every branch.
    let plan = ctx.load(&repo)?;
    let steps = if all {
        plan.state.defined_steps()
    } else {
        plan.state.active_steps()
    };
    let mut columns: Vec<Vec<Status>> = Vec::new();
    for b in &branches {
        let loaded = store::load_at(&repo, Some(b.commit))?;
        let here: Vec<_> = steps
            .iter()
            .map(|s| loaded.state.step(&s.id).unwrap_or(s))
            .collect();
        columns.push(
            assess(&repo, &loaded.sight, &here)?
                .into_iter()
                .map(|l| l.effective)
                .collect(),
        );
    }
    if ctx.json {
        let rows: Vec<Value> = steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let on: Map<String, Value> = branches
                    .iter()
                    .zip(&columns)
                    .map(|(b, col)| (b.name.clone(), json!(col[i].as_str())))
                    .collect();
                json!({ "id": s.id, "title": s.def.title, "on": on })
            })
            .collect();
        output::emit(&output::json(&json!({
            "branches": branches.iter().map(|b| json!({
                "name": b.name, "commit": b.commit.to_string(), "current": b.current,
            })).collect::<Vec<_>>(),
            "steps": rows,
        })));
        return Ok(Outcome::Ok);
    }
    if steps.is_empty() {
        output::say("No steps yet.");
        return Ok(Outcome::Ok);
    }
    let p = ctx.paint(&repo);
    let mut header = vec![p.bold("ID"), p.bold("TITLE")];
    header.extend(branches.iter().map(|b| {
        let name = if b.current {
            format!("*{}", b.name)
        } else {
            b.name.clone()
        };
        p.bold(&name)
    }));
    let mut rows = vec![header];
    for (i, s) in steps.iter().enumerate() {
        let mut row = vec![s.id.clone(), s.def.title.clone()];
        row.extend(columns.iter().map(|col| p.status(col[i], cell(col[i]))));
        rows.push(row);
    }
    let mut out = output::table(&rows);
    out.push('\n');
    for (b, col) in branches.iter().zip(&columns) {
        let verified = col.iter().filter(|s| **s == Status::Verified).count();
        out.push_str(&format!("{}: {verified}/{} verified\n", b.name, col.len()));
    }
    output::emit(&out);
    Ok(Outcome::Ok)
}
