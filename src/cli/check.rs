//! `git ledger check`: the CI gate. Ingests the trailers of commits this
//! clone has not scanned yet, recomputes fingerprints at HEAD, records
//! drift on HEAD for verified steps whose owned files changed (unless
//! `--no-record`), and exits 1 when any step is `drift_detected`
//! (`--strict`: or still `completed_pending_verification`).

use super::scan::plan_trailers;
use super::show::event_json;
use super::{AtArg, Ctx};
use crate::drift::assess;
use crate::error::Outcome;
use crate::git::repo::{identity, short};
use crate::ingest::head::recorder;
use crate::ingest::{self, head, range};
use crate::ledger::{Status, StepState};
use crate::output::{self, Paint};
use anyhow::Result;
use clap::Args;
use serde_json::{Value, json};

#[derive(Args)]
pub struct CheckArgs {
    /// Write nothing: report what would be recorded
    #[arg(long)]
    pub no_record: bool,
    /// Also fail on steps still completed_pending_verification
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub at: AtArg,
}

pub fn run(ctx: &Ctx, a: CheckArgs) -> Result<Outcome> {
    let repo = ctx.repo()?;
    let head_commit = ctx.at_commit(&repo, &a.at)?;
    let loaded = ctx.load_from(&repo, Some(head_commit.id()))?;
    let commits = range::unscanned(&repo, head_commit.id())?;
    let mut record = !a.no_record;
    if record && identity(&repo).is_err() {
        output::warn(
            "no git identity (user.name, user.email): nothing recorded, drift is only reported; set one to record it",
        );
        record = false;
    }
    let by = recorder(&repo, &head_commit);
    let plan = |batch: &mut ingest::Batch<'_>| -> Result<()> {
        plan_trailers(batch, &repo, &commits)?;
        head::record(batch, &head_commit, &by, "check")
    };
    let (events, report, state) = if record {
        let message = format!("git-ledger: check {}", short(&head_commit.id().to_string()));
        ingest::write_at(&repo, Some(head_commit.id()), &message, true, plan)?
    } else {
        ingest::dry(&repo, &loaded, true, plan)?
    };
    if record {
        range::mark_scanned(&repo, head_commit.id());
    }

    let steps: Vec<&StepState> = state.active_steps();
    let lives = assess(&repo, &loaded.sight, &steps)?;
    let mut drifted = Vec::new();
    let mut pending = Vec::new();
    let mut stale = Vec::new();
    for (s, l) in steps.iter().zip(&lives) {
        if l.effective == Status::Verified && l.evidence_stale == Some(true) {
            stale.push(json!({ "id": s.id, "title": s.def.title }));
        }
        match l.effective {
            Status::DriftDetected => {
                let now = report.drift.iter().find(|d| d.step == s.id);
                drifted.push(json!({
                    "id": s.id,
                    "title": s.def.title,
                    "files": l.files,
                    "since": s.mark.as_ref().map(|m| m.commit.clone()),
                    "found_now": now.is_some_and(|d| d.new),
                    "event": now.map(|d| d.event.clone()).or_else(|| s.mark.as_ref().map(|m| m.event.clone())),
                }));
            }
            Status::CompletedPendingVerification => {
                pending.push(json!({ "id": s.id, "title": s.def.title }))
            }
            _ => {}
        }
    }
    // Verified by hand over evidence taken on older content: with
    // ledger.requireEvidence that is not a verification.
    let require_evidence = crate::git::repo::config_bool(&repo, "ledger.requireEvidence")?;
    let ok = drifted.is_empty()
        && (!a.strict || pending.is_empty())
        && (!require_evidence || stale.is_empty());
    let trailer_events: Vec<Value> = events
        .iter()
        .filter(|l| l.event.source == "trailer")
        .map(event_json)
        .collect();
    if ctx.json {
        output::emit(&output::json(&json!({
            "head": head_commit.id().to_string(),
            "ok": ok,
            "strict": a.strict,
            "recorded": record,
            "steps": steps.len(),
            "drift": drifted,
            "pending": pending,
            "stale_evidence": stale,
            "ingested": { "commits": commits.len(), "events": trailer_events },
            "superseded": report.superseded,
            "rejected": report.rejected,
        })));
    } else {
        render(
            &ctx.paint(&repo),
            &head_commit.id().to_string(),
            steps.len(),
            &drifted,
            &pending,
            a.strict,
            record,
        );
        for s in &stale {
            let id = s["id"].as_str().unwrap_or("");
            let text = format!(
                "{id} is verified, but its last evidence is for older content; git ledger verify {id} runs its checks on what is there now"
            );
            if require_evidence {
                output::emit(&format!("FAIL: {text} (ledger.requireEvidence)\n"));
            } else {
                output::warn(&text);
            }
        }
        if !trailer_events.is_empty() {
            output::say(&format!(
                "ingested {} trailer event(s) from {} commit(s) not checked before",
                trailer_events.len(),
                commits.len()
            ));
        }
        for r in &report.rejected {
            output::warn(&format!(
                "trailer '{}' of {} ignored: {}",
                r.trailer,
                short(&r.commit),
                r.reason
            ));
        }
    }
    Ok(if ok { Outcome::Ok } else { Outcome::Refused })
}

fn render(
    p: &Paint,
    head: &str,
    total: usize,
    drifted: &[Value],
    pending: &[Value],
    strict: bool,
    record: bool,
) {
    let mut rows = Vec::new();
    for d in drifted {
        let files: Vec<&str> = d["files"]
            .as_array()
            .map(|f| f.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut what = if files.is_empty() {
            "owned files changed".to_string()
        } else {
            format!("{} changed", files.join(", "))
        };
        if d["found_now"] == true {
            what.push_str(if record {
                " (recorded now on HEAD)"
            } else {
                " (found now; not recorded)"
            });
        } else if let Some(c) = d["since"].as_str() {
            what.push_str(&format!(" (since {})", short(c)));
        }
        rows.push(vec![
            p.status(Status::DriftDetected, "drift_detected"),
            d["id"].as_str().unwrap_or("").to_string(),
            d["title"].as_str().unwrap_or("").to_string(),
            what,
        ]);
    }
    for s in pending {
        rows.push(vec![
            p.status(Status::CompletedPendingVerification, "pending_verification"),
            s["id"].as_str().unwrap_or("").to_string(),
            s["title"].as_str().unwrap_or("").to_string(),
            "needs re-verification".into(),
        ]);
    }
    output::emit(&format!(
        "git ledger check at {}: {total} step(s), {} drifted, {} pending verification\n",
        short(head),
        drifted.len(),
        pending.len()
    ));
    if !rows.is_empty() {
        output::emit(&output::table(&rows));
    }
    if !drifted.is_empty() {
        let ids: Vec<&str> = drifted.iter().filter_map(|d| d["id"].as_str()).collect();
        output::emit(&format!(
            "{} drift must be fixed first; then: git ledger verify {}\n",
            p.red("FAIL:"),
            ids.join(" ")
        ));
    } else if strict && !pending.is_empty() {
        output::emit(&format!(
            "{} --strict and steps await verification: git ledger verify --pending\n",
            p.red("FAIL:")
        ));
    } else {
        output::emit("OK: no drift\n");
    }
}
