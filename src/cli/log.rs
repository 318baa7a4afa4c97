//! `git ledger log [ID]`: events, newest first, grouped by date.

use super::{AtArg, Ctx, find_step, show::event_json};
use crate::error::{Outcome, user_hint};
use crate::git::repo::short;
use crate::ledger::{Event, Kind, time};
use crate::output::{self, Paint};
use crate::store;
use anyhow::Result;
use clap::Args;
use std::collections::HashSet;

#[derive(Args)]
pub struct LogArgs {
    /// Only this step's events
    pub id: Option<String>,
    /// Only events at or after this time (2026-01-25, "3 days ago", yesterday)
    #[arg(long, value_name = "date")]
    pub since: Option<String>,
    /// Only events at or before this time
    #[arg(long, value_name = "date")]
    pub until: Option<String>,
    /// One line per event
    #[arg(long)]
    pub oneline: bool,
    /// At most this many events
    #[arg(short = 'n', long = "max-count", value_name = "n")]
    pub max_count: Option<usize>,
    #[command(flatten)]
    pub at: AtArg,
}

fn parse_date(flag: &str, value: &Option<String>, now: i64) -> Result<Option<i64>> {
    value
        .as_deref()
        .map(|v| {
            time::parse_when(v, now).map_err(|why| match why {
                time::WhenError::NotADate => user_hint(
                    format!("{flag} '{v}' is not a date"),
                    "use 2026-01-25, 2026-01-25T10:00:00Z, today, yesterday or '3 days ago'",
                ),
                time::WhenError::OutOfRange => user_hint(
                    format!("{flag} '{v}' is further back than any date"),
                    "give a count a calendar can hold, or a date such as 2026-01-25",
                ),
            })
        })
        .transpose()
}

pub fn run(ctx: &Ctx, a: LogArgs) -> Result<Outcome> {
    let repo = ctx.repo()?;
    let now = time::now_unix();
    let since = parse_date("--since", &a.since, now)?;
    let until = parse_date("--until", &a.until, now)?;
    let at = ctx.at_commit(&repo, &a.at)?;
    let loaded = ctx.load_from(&repo, Some(at.id()))?;
    if let Some(id) = &a.id
        && loaded.state.step(id).is_none_or(|s| s.defined.is_none())
    {
        find_step(&loaded.state, id)?;
    }
    let ordered = store::events_in_view(&repo, &loaded)?;
    // "defined" for a step's first define, "edited" afterwards.
    let mut seen = HashSet::new();
    let mut rows: Vec<(&crate::ledger::Located, String)> = Vec::new();
    for l in &ordered {
        let first = l.event.kind == Kind::Define && seen.insert(l.event.step.clone());
        rows.push((l, what(&l.event, first)));
    }
    rows.reverse();
    rows.retain(|(l, _)| {
        let t = time::parse_rfc3339(&l.event.at).unwrap_or(0);
        a.id.as_ref().is_none_or(|id| &l.event.step == id)
            && since.is_none_or(|s| t >= s)
            && until.is_none_or(|u| t <= u)
    });
    if let Some(n) = a.max_count {
        rows.truncate(n);
    }
    if ctx.json {
        let list: Vec<_> = rows.iter().map(|(l, _)| event_json(l)).collect();
        output::emit(&output::json(&list));
        return Ok(Outcome::Ok);
    }
    if rows.is_empty() {
        output::say("no events");
        return Ok(Outcome::Ok);
    }
    let p = ctx.paint(&repo);
    output::emit(&render(&p, &rows, a.oneline));
    Ok(Outcome::Ok)
}

fn render(p: &Paint, rows: &[(&crate::ledger::Located, String)], oneline: bool) -> String {
    let mut out = String::new();
    let mut table: Vec<Vec<String>> = Vec::new();
    let mut date = "";
    for (l, what) in rows {
        let e = &l.event;
        let day = time::date_part(&e.at);
        if oneline {
            table.push(vec![
                day.to_string(),
                p.dim(short(&l.commit)),
                e.step.clone(),
                what.clone(),
                e.by.clone(),
            ]);
            continue;
        }
        if day != date {
            if !table.is_empty() {
                out.push_str(&output::table(&table));
                table.clear();
            }
            out.push_str(&format!("{}\n", p.bold(day)));
            date = day;
        }
        table.push(vec![
            format!("  {}", p.dim(short(&l.commit))),
            e.step.clone(),
            what.clone(),
            e.by.clone(),
            e.run.clone().unwrap_or_default(),
            e.str_field("msg")
                .map(|m| format!("\"{}\"", m.lines().next().unwrap_or("")))
                .unwrap_or_default(),
        ]);
    }
    out.push_str(&output::table(&table));
    out
}

/// A short description of what the event did.
pub fn what(e: &Event, first_define: bool) -> String {
    match e.kind {
        Kind::Define if first_define => {
            format!("defined \"{}\"", e.str_field("title").unwrap_or(""))
        }
        Kind::Define => {
            let keys: Vec<&str> = e
                .fields
                .keys()
                .map(String::as_str)
                .filter(|k| *k != "prev")
                .collect();
            format!("edited {}", keys.join(", "))
        }
        Kind::Retire => "retired".into(),
        Kind::Status => {
            let mut s = format!("→ {}", e.str_field("status").unwrap_or("?"));
            if let Some(files) = e.list_field("files").filter(|f| !f.is_empty()) {
                s.push_str(&format!(" ({})", files.join(", ")));
            }
            if e.source != "cli" && !e.source.is_empty() {
                s.push_str(&format!(" [{}]", e.source));
            }
            s
        }
        Kind::Evidence => format!("evidence {}", super::show::evidence_verdict(e)),
        Kind::Ack => {
            let files = e.list_field("files").unwrap_or_default();
            if files.is_empty() {
                "ack".into()
            } else {
                format!("ack ({})", files.join(", "))
            }
        }
        Kind::Note => "note".into(),
    }
}
