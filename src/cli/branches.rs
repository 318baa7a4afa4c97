//! `git ledger status --branches [--remotes]`: each step's status on each
//! branch, side by side — what is done where (SPEC 2.5).

use super::Ctx;
use crate::drift::assess;
use crate::error::Outcome;
use crate::ledger::Status;
use crate::markdown::board::BranchMatrix;
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

/// Each step of the shared plan, with its status on each branch.
pub fn matrix(ctx: &Ctx, repo: &Repository, remotes: bool, all: bool) -> Result<BranchMatrix> {
    let branches = branches(repo, remotes)?;
    // The plan is shared: the rows are the same on every branch.
    let plan = ctx.load(repo)?;
    let steps = if all {
        plan.state.defined_steps()
    } else {
        plan.state.active_steps()
    };
    let mut columns: Vec<Vec<Status>> = Vec::new();
    for b in &branches {
        let loaded = store::load_at(repo, Some(b.commit))?;
        let here: Vec<_> = steps
            .iter()
            .map(|s| loaded.state.step(&s.id).unwrap_or(s))
            .collect();
        columns.push(
            assess(repo, &loaded.sight, &here)?
                .into_iter()
                .map(|l| l.effective)
                .collect(),
        );
    }
    Ok(BranchMatrix {
        current: branches.iter().position(|b| b.current),
        rows: steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                (
                    s.id.clone(),
                    s.def.title.clone(),
                    columns.iter().map(|c| c[i]).collect(),
                )
            })
            .collect(),
        branches: branches.into_iter().map(|b| b.name).collect(),
    })
}

pub fn run(ctx: &Ctx, remotes: bool, all: bool) -> Result<Outcome> {
    let repo = ctx.repo()?;
    let commits: Vec<String> = branches(&repo, remotes)?
        .iter()
        .map(|b| b.commit.to_string())
        .collect();
    let m = matrix(ctx, &repo, remotes, all)?;
    if ctx.json {
        let rows: Vec<Value> = m
            .rows
            .iter()
            .map(|(id, title, on)| {
                let on: Map<String, Value> = m
                    .branches
                    .iter()
                    .zip(on)
                    .map(|(b, s)| (b.clone(), json!(s.as_str())))
                    .collect();
                json!({ "id": id, "title": title, "on": on })
            })
            .collect();
        output::emit(&output::json(&json!({
            "branches": m.branches.iter().enumerate().map(|(i, b)| json!({
                "name": b, "commit": commits.get(i), "current": m.current == Some(i),
            })).collect::<Vec<_>>(),
            "steps": rows,
        })));
        return Ok(Outcome::Ok);
    }
    if m.rows.is_empty() {
        output::say("No steps yet.");
        return Ok(Outcome::Ok);
    }
    let p = ctx.paint(&repo);
    let mut header = vec![p.bold("ID"), p.bold("TITLE")];
    header.extend(m.branches.iter().enumerate().map(|(i, b)| {
        let name = if m.current == Some(i) {
            format!("*{b}")
        } else {
            b.clone()
        };
        p.bold(&name)
    }));
    let mut rows = vec![header];
    for (id, title, on) in &m.rows {
        let mut row = vec![id.clone(), title.clone()];
        row.extend(on.iter().map(|s| p.status(*s, cell(*s))));
        rows.push(row);
    }
    let mut out = output::table(&rows);
    out.push('\n');
    for (i, b) in m.branches.iter().enumerate() {
        let verified = m
            .rows
            .iter()
            .filter(|(_, _, on)| on[i] == Status::Verified)
            .count();
        out.push_str(&format!("{b}: {verified}/{} verified\n", m.rows.len()));
    }
    output::emit(&out);
    Ok(Outcome::Ok)
}
