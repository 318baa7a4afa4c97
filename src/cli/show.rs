//! `git ledger show ID`: the step card.

use super::{AtArg, Ctx, find_step, view};
use crate::drift::assess;
use crate::error::Outcome;
use crate::git::repo::short;
use crate::ledger::event::check_passed;
use crate::ledger::{Kind, Located, Status, time};
use crate::output::{self, Paint};
use crate::store;
use crate::trust::Trust;
use anyhow::Result;
use clap::Args;
use serde_json::{Value, json};

#[derive(Args)]
pub struct ShowArgs {
    /// Step id
    pub id: String,
    #[command(flatten)]
    pub at: AtArg,
}

pub fn run(ctx: &Ctx, a: ShowArgs) -> Result<Outcome> {
    let repo = ctx.repo()?;
    let at = ctx.at_commit(&repo, &a.at)?;
    let loaded = ctx.load_from(&repo, Some(at.id()))?;
    let state = &loaded.state;
    let step = match state.step(&a.id).filter(|s| s.defined.is_some()) {
        Some(s) => s,
        None => find_step(state, &a.id)?,
    };
    let live = assess(&repo, &loaded.sight, &[step])?.remove(0);
    let mut events: Vec<Located> = store::events_in_view(&repo, &loaded)?
        .into_iter()
        .filter(|l| l.event.step == step.id)
        .collect();
    events.reverse();
    let last_evidence = events.iter().find(|l| l.event.kind == Kind::Evidence);
    // An unreadable trust file only leaves the marks out of a read command.
    let trust = Trust::load(&repo).ok();
    let untrusted: Vec<&String> = step
        .def
        .checks
        .iter()
        .filter(|c| trust.as_ref().is_some_and(|t| !t.trusts(c)))
        .collect();

    if ctx.json {
        let d = &step.def;
        let mut card = view::step_json(step, &live);
        card["definition"] = json!({
            "title": d.title, "owns": d.owns, "checks": d.checks, "refs": d.refs, "phase": d.phase,
            "summary": d.summary, "edge_cases": d.edge_cases, "concerns": d.concerns, "todo": d.todo,
        });
        card["last_evidence"] = last_evidence.map(event_json).unwrap_or(Value::Null);
        card["verifications"] = status_events(&events, Status::Verified)
            .map(event_json)
            .collect();
        card["drifts"] = status_events(&events, Status::DriftDetected)
            .map(event_json)
            .collect();
        card["evidence_history"] = events
            .iter()
            .filter(|l| l.event.kind == Kind::Evidence)
            .map(event_json)
            .collect();
        card["untrusted_checks"] = untrusted.iter().map(|c| json!(c)).collect();
        card["events"] = events.iter().map(event_json).collect();
        output::emit(&output::json(&card));
        return Ok(Outcome::Ok);
    }

    let p = ctx.paint(&repo);
    let now = time::now_unix();
    let mut out = format!(
        "{}  {}\n",
        p.bold(&step.id),
        p.bold(&crate::sanitize::one_line(&step.def.title))
    );
    let mut status = p.status(live.effective, live.effective.as_str());
    if live.live_drift {
        status.push_str(" (seen now; not yet recorded)");
    }
    if step.retired {
        status.push_str(" (retired)");
    }
    let mut rows: Vec<Vec<String>> = vec![vec!["status".into(), status]];
    if let Some(m) = &step.mark {
        let mut since = format!(
            "{} {}, by {}",
            short(&m.commit),
            time::relative_at(&m.at, now),
            m.by
        );
        if let Some(r) = &m.run {
            since.push_str(&format!(", run {r}"));
        }
        rows.push(vec!["since".into(), since]);
        if let Some(msg) = &m.msg {
            rows.push(vec!["message".into(), msg.clone()]);
        }
    }
    if live.scope_changed {
        rows.push(vec![
            "changed".into(),
            p.red("scope changed since it was verified: re-verify"),
        ]);
    } else if !live.files.is_empty() {
        rows.push(vec!["changed".into(), p.red(&live.files.join(", "))]);
    }
    let d = &step.def;
    push_opt(&mut rows, "phase", d.phase.as_deref());
    push_list(
        &mut rows,
        "owns",
        &d.owns,
        if live.unscoped {
            "(none: unscoped, cannot drift)"
        } else {
            ""
        },
    );
    let checks: Vec<String> = d
        .checks
        .iter()
        .map(|c| {
            if untrusted.contains(&c) {
                format!(
                    "{}  {}",
                    crate::trust::shown(c),
                    p.red("(not trusted here)")
                )
            } else {
                c.clone()
            }
        })
        .collect();
    push_list(&mut rows, "checks", &checks, "(none)");
    if !untrusted.is_empty() {
        rows.push(vec![
            String::new(),
            p.dim(&format!(
                "read them, then allow them with: git ledger trust {}",
                step.id
            )),
        ]);
    }
    push_list(&mut rows, "refs", &d.refs, "");
    push_opt(&mut rows, "summary", d.summary.as_deref());
    push_list(&mut rows, "edge cases", &d.edge_cases, "");
    push_list(&mut rows, "concerns", &d.concerns, "");
    push_list(&mut rows, "todo", &d.todo, "");
    for r in &mut rows {
        r[0] = format!("  {}", p.dim(&r[0]));
    }
    out.push_str(&output::table(&rows));

    if let Some(ev) = last_evidence {
        out.push_str(&format!("\n{}\n", p.bold("Last evidence")));
        if live.evidence_stale == Some(true) {
            out.push_str(&format!(
                "  {}\n",
                p.red(&format!(
                    "for older content: the owned files changed since; git ledger verify {} runs it again",
                    step.id
                ))
            ));
        }
        out.push_str(&evidence_block(&p, ev, now));
    }
    let history = |title: &str, status: Status, out: &mut String| {
        let rows: Vec<Vec<String>> = status_events(&events, status).map(history_row).collect();
        if !rows.is_empty() {
            out.push_str(&format!("\n{}\n", p.bold(title)));
            out.push_str(&output::table(&rows));
        }
    };
    history("Verification history", Status::Verified, &mut out);
    history("Drift history", Status::DriftDetected, &mut out);
    let runs: Vec<Vec<String>> = events
        .iter()
        .filter(|l| l.event.kind == Kind::Evidence)
        .map(|l| evidence_row(&p, l))
        .collect();
    if !runs.is_empty() {
        out.push_str(&format!("\n{}\n", p.bold("Evidence history")));
        out.push_str(&output::table(&runs));
    }
    output::emit(&out);
    Ok(Outcome::Ok)
}

fn push_opt(rows: &mut Vec<Vec<String>>, key: &str, value: Option<&str>) {
    if let Some(v) = value {
        for (i, line) in v.lines().enumerate() {
            rows.push(vec![
                if i == 0 { key.into() } else { String::new() },
                line.to_string(),
            ]);
        }
    }
}

fn push_list(rows: &mut Vec<Vec<String>>, key: &str, items: &[String], empty: &str) {
    if items.is_empty() && !empty.is_empty() {
        rows.push(vec![key.into(), empty.into()]);
    }
    for (i, item) in items.iter().enumerate() {
        rows.push(vec![
            if i == 0 { key.into() } else { String::new() },
            item.clone(),
        ]);
    }
}

fn status_events(events: &[Located], status: Status) -> impl Iterator<Item = &Located> {
    events.iter().filter(move |l| {
        l.event.kind == Kind::Status
            && l.event.str_field("status").and_then(Status::parse) == Some(status)
    })
}

fn history_row(l: &Located) -> Vec<String> {
    let e = &l.event;
    let detail = match e.list_field("files") {
        Some(f) if !f.is_empty() => f.join(", "),
        _ => e.str_field("msg").unwrap_or("").to_string(),
    };
    vec![
        format!("  {}", time::date_part(&e.at)),
        short(&l.commit).to_string(),
        e.by.clone(),
        e.run.clone().unwrap_or_default(),
        detail,
    ]
}

/// One row per evidence event: when, where, verdict, who, run, first failure.
fn evidence_row(p: &Paint, l: &Located) -> Vec<String> {
    let e = &l.event;
    let verdict = evidence_verdict(e);
    let verdict = if e.str_field("result") == Some("pass") {
        p.status(Status::Verified, &verdict)
    } else {
        p.red(&verdict)
    };
    let failed = checks_of(e)
        .into_iter()
        .find(|c| !check_passed(c))
        .and_then(|c| c.get("cmd").and_then(Value::as_str).map(str::to_string));
    vec![
        format!("  {}", time::date_part(&e.at)),
        short(&l.commit).to_string(),
        verdict,
        e.by.clone(),
        e.run.clone().unwrap_or_default(),
        failed
            .map(|c| format!("failed: {c}"))
            .or_else(|| e.str_field("text").map(str::to_string))
            .unwrap_or_default(),
    ]
}

/// "pass 2/2", "fail 1/3", "pass (manual)", with ", dirty tree" or ", in place".
pub fn evidence_verdict(e: &crate::ledger::Event) -> String {
    let result = e.str_field("result").unwrap_or("?");
    let checks = checks_of(e);
    let mut s = if e.bool_field("manual") == Some(true) || checks.is_empty() {
        format!("{result} (manual)")
    } else {
        let passed = checks.iter().filter(|c| check_passed(c)).count();
        format!("{result} {passed}/{}", checks.len())
    };
    if e.bool_field("dirty") == Some(true) {
        s.push_str(", dirty tree");
    } else if e.bool_field("in_place") == Some(true) {
        s.push_str(", in place");
    }
    s
}

fn checks_of(e: &crate::ledger::Event) -> Vec<Value> {
    e.fields
        .get("checks")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// Per check PASS/FAIL, duration and the tail of its output.
pub fn evidence_block(p: &Paint, ev: &Located, now: i64) -> String {
    let e = &ev.event;
    let one = crate::sanitize::one_line;
    let mut out = format!(
        "  {} at {} {}{}{}\n",
        one(&evidence_verdict(e)),
        short(&ev.commit),
        one(&time::relative_at(&e.at, now)),
        e.run
            .as_deref()
            .map(|r| format!(", run {}", one(r)))
            .unwrap_or_default(),
        if e.bool_field("dirty") == Some(true) {
            " (a dirty tree cannot verify)"
        } else {
            ""
        },
    );
    if let Some(text) = e.str_field("text") {
        out.push_str(&format!("  manual: {}\n", one(text)));
    }
    for c in checks_of(e) {
        let exit = c.get("exit").and_then(Value::as_i64);
        let timed_out = c.get("timed_out").and_then(Value::as_bool) == Some(true);
        let pass = check_passed(&c);
        let verdict = if pass {
            p.status(Status::Verified, "PASS")
        } else {
            p.red("FAIL")
        };
        let ms = c.get("ms").and_then(Value::as_u64).unwrap_or(0);
        let why = if timed_out {
            " (timed out)".to_string()
        } else if pass {
            String::new()
        } else {
            format!(
                " (exit {})",
                exit.map_or("?".to_string(), |x| x.to_string())
            )
        };
        out.push_str(&format!(
            "  {verdict}  {}  {:.1}s{why}\n",
            one(c.get("cmd").and_then(Value::as_str).unwrap_or("?")),
            ms as f64 / 1000.0
        ));
        if let Some(tail) = c.get("out_tail").and_then(Value::as_str) {
            let lines: Vec<&str> = tail.lines().collect();
            for line in &lines[lines.len().saturating_sub(if pass { 3 } else { 12 })..] {
                out.push_str(&format!("      {}\n", p.dim(line)));
            }
        }
    }
    out
}

/// An event as JSON: its stored fields plus the commit it is bound to.
pub fn event_json(l: &Located) -> Value {
    let mut v: Value = serde_json::from_str(&l.event.to_line()).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("commit".into(), l.commit.clone().into());
    }
    v
}
