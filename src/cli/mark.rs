//! `git ledger mark ID STATUS`: a status event bound to HEAD or --commit;
//! `verified` records the fingerprint of the step's owned files there.

use super::{Ctx, find_step, run_id};
use crate::error::{Outcome, user_hint};
use crate::git::fingerprint::{fingerprint, owned_files};
use crate::git::repo::{config_bool, head_commit, identity, resolve_commit, short};
use crate::ledger::{Event, Kind, Status, time};
use crate::redact::Redactor;
use crate::store::{self, Draft};
use anyhow::Result;
use clap::Args;

#[derive(Args)]
pub struct MarkArgs {
    /// Step id
    pub id: String,
    /// not_started, in_progress, completed_pending_verification, verified,
    /// drift_detected, or an alias (todo, wip, done, …)
    pub status: String,
    /// A message kept with the status
    #[arg(short, long)]
    pub message: Option<String>,
    /// Run id (default: $GIT_LEDGER_RUN)
    #[arg(long)]
    pub run: Option<String>,
    /// The commit the status is about (default: HEAD)
    #[arg(long, value_name = "rev")]
    pub commit: Option<String>,
    /// Free-text evidence for this status, recorded as manual evidence
    #[arg(long, value_name = "text")]
    pub evidence: Option<String>,
}

pub fn run(ctx: &Ctx, a: MarkArgs) -> Result<Outcome> {
    let repo = ctx.repo()?;
    let status = Status::parse(&a.status).ok_or_else(|| {
        user_hint(
            format!("'{}' is not a status", a.status),
            Status::help_list(),
        )
    })?;
    let commit = match &a.commit {
        Some(rev) => resolve_commit(&repo, rev)?,
        None => head_commit(&repo)?,
    };
    let loaded = ctx.load_from(&repo, Some(commit.id()))?;
    let step = find_step(&loaded.state, &a.id)?;
    let red = Redactor::for_repo(&repo)?;
    let by = identity(&repo)?;
    let at = time::now_rfc3339();
    let run = run_id(a.run.clone());
    let tree = commit.tree()?;

    let mut event = Event::draft(&a.id, Kind::Status, at.clone(), by.clone(), "cli")
        .with("status", status.as_str());
    event.run = run.clone();
    if let Some(m) = &a.message {
        event.set("msg", red.apply(m));
    }
    let mut fp_note = String::new();
    if status == Status::Verified && !step.def.owns.is_empty() {
        let files = owned_files(&repo, &tree, &crate::drift::owns_of(step))?;
        let fp = fingerprint(&files);
        fp_note = format!(
            ", fingerprint {} over {} owned file(s)",
            &fp[..12],
            files.len()
        );
        event.set("fingerprint", fp);
        event.set("tree", tree.id().to_string());
    } else if status == Status::Verified {
        fp_note = ", unscoped (no owns: it cannot drift)".into();
    }
    if status == Status::Verified && config_bool(&repo, "ledger.requireEvidence")? {
        crate::verify::require_evidence(step, event.str_field("fingerprint"))?;
    }
    let manual = a.evidence.as_ref().map(|text| {
        let mut e = Event::draft(&a.id, Kind::Evidence, at.clone(), by.clone(), "cli")
            .with("result", "pass")
            .with("manual", true)
            .with("text", red.apply(text))
            .with("tree", tree.id().to_string())
            .with("dirty", false)
            .with("checks", Vec::<String>::new());
        e.run = run.clone();
        e
    });

    let before = step.status;
    let commit_id = commit.id();
    let written = store::append_view(
        &repo,
        Some(commit_id),
        &format!("git-ledger: mark {} {}", a.id, status),
        |loaded| {
            let state = &loaded.state;
            find_step(state, &a.id)?;
            let mut drafts = Vec::new();
            let mut status_event = event.clone();
            if let Some(m) = &manual {
                // Its id is fixed now so that the status can name it; `prev`
                // keeps two identical marks in one second two events.
                let mut m = m.clone();
                if let Some(head) = state
                    .step(&a.id)
                    .map(|s| s.head.clone())
                    .filter(|h| !h.is_empty())
                {
                    m.set("prev", head);
                }
                let id = m.content_id();
                status_event.set("evidence", id.clone());
                drafts.push(Draft::with_fixed_id(commit_id, m, id));
            }
            drafts.push(Draft::new(commit_id, status_event));
            Ok(drafts)
        },
    )?;
    let text = format!(
        "{}: {} → {} at {}{}",
        a.id,
        before,
        status,
        short(&commit_id.to_string()),
        fp_note
    );
    super::define::report(ctx, &written, text);
    Ok(Outcome::Ok)
}
