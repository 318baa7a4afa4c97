//! `git ledger check`: the CI gate. Ingests the trailers of commits this
//! clone has not scanned yet, recomputes fingerprints at HEAD, records
//! drift on HEAD for verified steps whose owned files changed (unless
//! `--no-record`), and exits 1 when any step is `drift_detected`
//! (`--strict`: or still `completed_pending_verification`). In CI it also
//! leaves a Markdown job summary and, on GitHub Actions, annotations.

use super::scan::plan_trailers;
use super::show::event_json;
use super::{AtArg, Ctx};
use crate::ci::escape::one_line;
use crate::ci::summary::{self, CheckReport, Drifted, Pending};
use crate::drift::assess;
use crate::error::{Outcome, user_hint};
use crate::git::repo::{head_branch, identity, short};
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
    /// text: the table; markdown: the job summary (as written to $GITHUB_STEP_SUMMARY)
    #[arg(long, value_name = "format", value_parser = ["text", "markdown"])]
    pub format: Option<String>,
}

pub fn run(ctx: &Ctx, a: CheckArgs) -> Result<Outcome> {
    if ctx.json && a.format.is_some() {
        return Err(user_hint(
            "--json and --format both say how to print the result",
            "give one of them: git ledger check --json, or git ledger check --format markdown",
        ));
    }
    let repo = ctx.repo()?;
    let head_commit = ctx.at_commit(&repo, &a.at)?;
    let loaded = ctx.load_from(&repo, Some(head_commit.id()))?;
    let stamp = range::plan_stamp(&loaded.state);
    let commits = range::unscanned(&repo, head_commit.id(), &stamp)?;
    let mut record = !a.no_record;
    if record && identity(&repo).is_err() {
        output::warn(
            "no git identity (user.name, user.email): nothing recorded, drift is only reported; set one to record it",
        );
        record = false;
    }
    let by = recorder(&repo, &head_commit);
    let plan = |batch: &mut ingest::Batch<'_>| -> Result<()> {
        plan_trailers(batch, &repo, &commits, None)?;
        head::record(batch, &head_commit, &by, "check")
    };
    let (events, report, state) = if record {
        let message = format!("git-ledger: check {}", short(&head_commit.id().to_string()));
        ingest::write_at(&repo, Some(head_commit.id()), &message, true, plan)?
    } else {
        ingest::dry(&repo, &loaded, true, plan)?
    };
    if record {
        range::mark_scanned(&repo, head_commit.id(), &stamp);
    }

    let steps: Vec<&StepState> = state.active_steps();
    let lives = assess(&repo, &loaded.sight, &steps)?;
    let head = head_commit.id().to_string();
    // Verified by hand over evidence taken on older content: with
    // ledger.requireEvidence that is not a verification.
    let require_evidence = crate::git::repo::config_bool(&repo, "ledger.requireEvidence")?;
    let mut summary = CheckReport {
        head: head.clone(),
        // The branch a summary speaks of is HEAD's, unless --at named a commit.
        branch: a.at.at.is_none().then(|| head_branch(&repo)).flatten(),
        strict: a.strict,
        recorded: record,
        require_evidence,
        counts: [0; 5],
        drifted: Vec::new(),
        pending: Vec::new(),
        stale: Vec::new(),
    };
    let mut drifted = Vec::new();
    let mut pending = Vec::new();
    let mut stale = Vec::new();
    for (s, l) in steps.iter().zip(&lives) {
        if let Some(i) = Status::ALL.iter().position(|x| *x == l.effective) {
            summary.counts[i] += 1;
        }
        if l.effective == Status::Verified && l.evidence_stale == Some(true) {
            stale.push(json!({ "id": s.id, "title": s.def.title }));
            summary.stale.push(Pending {
                id: s.id.clone(),
                title: s.def.title.clone(),
            });
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
                summary.drifted.push(Drifted {
                    id: s.id.clone(),
                    title: s.def.title.clone(),
                    files: l.files.clone(),
                    found_now: now.is_some_and(|d| d.new),
                    reason: if l.scope_changed {
                        Some("its owned globs changed since it was verified".into())
                    } else if l.live_drift {
                        None
                    } else {
                        s.mark.as_ref().and_then(|m| m.msg.clone())
                    },
                });
            }
            Status::CompletedPendingVerification => {
                pending.push(json!({ "id": s.id, "title": s.def.title }));
                summary.pending.push(Pending {
                    id: s.id.clone(),
                    title: s.def.title.clone(),
                });
            }
            _ => {}
        }
    }
    let ok = summary.ok();
    let markdown = summary::markdown(&summary);
    write_job_summary(&markdown);
    let trailer_events: Vec<Value> = events
        .iter()
        .filter(|l| l.event.source == "trailer")
        .map(event_json)
        .collect();
    if ctx.json {
        output::emit(&output::json(&json!({
            "head": head,
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
        return Ok(if ok { Outcome::Ok } else { Outcome::Refused });
    }
    // On GitHub Actions, the runner reads these lines off stdout and pins
    // them to the files in the pull request's diff.
    if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        output::emit(&summary::annotations(&summary));
    }
    if a.format.as_deref() == Some("markdown") {
        output::emit(&markdown);
    } else {
        render(
            &ctx.paint(&repo),
            &head,
            steps.len(),
            &drifted,
            &pending,
            a.strict,
            record,
        );
        for s in &stale {
            let id = one_line(s["id"].as_str().unwrap_or(""));
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

/// Appends the summary to the file GitHub Actions names (each step's
/// summaries are kept in order, so a write never replaces another's). A
/// summary that cannot be written is worth a warning, never the verdict.
fn write_job_summary(markdown: &str) {
    use std::io::Write;
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return;
    };
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(markdown.as_bytes()));
    if let Err(e) = written {
        output::warn(&format!(
            "cannot append the job summary to GITHUB_STEP_SUMMARY ({}): {e}",
            std::path::Path::new(&path).display()
        ));
    }
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
        // One line per step whatever the names hold: on a CI log a line
        // break inside a path could start a line the runner obeys.
        let files: Vec<String> = d["files"]
            .as_array()
            .map(|f| f.iter().filter_map(Value::as_str).map(one_line).collect())
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
            one_line(d["id"].as_str().unwrap_or("")),
            one_line(d["title"].as_str().unwrap_or("")),
            what,
        ]);
    }
    for s in pending {
        rows.push(vec![
            p.status(Status::CompletedPendingVerification, "pending_verification"),
            one_line(s["id"].as_str().unwrap_or("")),
            one_line(s["title"].as_str().unwrap_or("")),
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
