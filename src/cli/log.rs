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
    /// Only events at or after this time (2026-01-25, yesterday, "2 weeks ago", "last month")
    #[arg(long, visible_alias = "after", value_name = "date")]
    pub since: Option<String>,
    /// Only events at or before this time
    #[arg(long, visible_alias = "before", value_name = "date")]
    pub until: Option<String>,
    /// One line per event
    #[arg(long)]
    pub oneline: bool,
    /// Print each event with this template: %h %H commit, %i step, %w what
    /// happened, %k kind, %ad date and time, %aI timestamp, %ar relative,
    /// %an %ae who, %r run, %m message, %o source, %e event id, %n newline
    #[arg(long, value_name = "template", conflicts_with = "oneline")]
    pub format: Option<String>,
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
            time::parse_when(v, now).ok_or_else(|| {
                if time::count_out_of_range(v) {
                    user_hint(
                        format!("{flag} '{v}' is further back than any date"),
                        "give a count a calendar can hold, or a date such as 2026-01-25",
                    )
                } else {
                    user_hint(
                        format!("{flag} '{v}' is not a date"),
                        "use 2026-01-25, 2026-01-25T10:00:00Z, today, yesterday, '2 weeks ago' or 'last month'",
                    )
                }
            })
        })
        .transpose()
}

pub fn run(ctx: &Ctx, a: LogArgs) -> Result<Outcome> {
    let repo = ctx.repo()?;
    let outcome = show_log(ctx, a, &repo);
    // The command ends here. Freeing libgit2's object cache after the
    // records were freed makes glibc coalesce every one of them (a
    // fifth of `log -n 20` at 200,000 events): work the exit does at once.
    std::mem::forget(repo);
    outcome
}

fn show_log(ctx: &Ctx, a: LogArgs, repo: &git2::Repository) -> Result<Outcome> {
    let now = time::now_unix();
    let since = parse_date("--since", &a.since, now)?;
    let until = parse_date("--until", &a.until, now)?;
    let at = ctx.at_commit(repo, &a.at)?;
    let loaded = ctx.load_from(repo, Some(at.id()))?;
    if let Some(id) = &a.id
        && loaded.state.step(id).is_none_or(|s| s.defined.is_none())
    {
        find_step(&loaded.state, id)?;
    }
    // Chosen from the compact records, newest first; only the events
    // shown are read whole (`-n 20` reads twenty).
    let records = store::records_in_view(repo, &loaded)?;
    // "defined" for a step's first define, "edited" afterwards.
    let mut first_defines: HashSet<String> = HashSet::new();
    let mut defined: HashSet<&str> = HashSet::new();
    for r in &records {
        if r.record.kind() == Kind::Define && defined.insert(&r.record.step) {
            first_defines.insert(r.record.id.to_string());
        }
    }
    let keep = |r: &crate::ledger::record::Record| {
        let t = time::parse_rfc3339(&r.at).unwrap_or(0);
        a.id.as_ref().is_none_or(|id| *r.step == **id)
            && since.is_none_or(|s| t >= s)
            && until.is_none_or(|u| t <= u)
    };
    let chosen: Vec<crate::ledger::record::Stored> = records
        .iter()
        .rev()
        .filter(|r| keep(&r.record))
        .take(a.max_count.unwrap_or(usize::MAX))
        .cloned()
        .collect();
    let shown = store::whole_events(repo, &loaded, &chosen)?;
    let rows: Vec<(&crate::ledger::Located, String)> = shown
        .iter()
        .map(|l| (l, what(&l.event, first_defines.contains(&l.event.id))))
        .collect();
    if ctx.json {
        let list: Vec<_> = rows.iter().map(|(l, _)| event_json(l)).collect();
        output::emit(&output::json(&list));
        return Ok(Outcome::Ok);
    }
    if rows.is_empty() {
        output::say("no events");
        return Ok(Outcome::Ok);
    }
    if let Some(template) = &a.format {
        let now = time::now_unix();
        let out: String = rows
            .iter()
            .map(|(l, what)| format!("{}\n", format_event(template, l, what, now)))
            .collect();
        output::emit(&out);
        return Ok(Outcome::Ok);
    }
    let p = ctx.paint(repo);
    output::emit(&render(&p, &rows, a.oneline));
    Ok(Outcome::Ok)
}

/// Expands a `--format` template for one event. Unknown placeholders are
/// kept as written, as git does.
pub fn format_event(template: &str, l: &crate::ledger::Located, what: &str, now: i64) -> String {
    let e = &l.event;
    let (name, email) = split_by(&e.by);
    let (day, clock) = time::local_date_time(&e.at);
    let mut out = String::new();
    let mut rest = template;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let two: String = after.chars().take(2).collect();
        let (value, used) = match two.as_str() {
            "ad" => (format!("{day} {clock}"), 2),
            "aI" => (e.at.clone(), 2),
            "ar" => (time::relative_at(&e.at, now), 2),
            "an" => (name.to_string(), 2),
            "ae" => (email.to_string(), 2),
            _ => match after.chars().next() {
                Some('h') => (short(&l.commit).to_string(), 1),
                Some('H') => (l.commit.clone(), 1),
                Some('i') => (e.step.clone(), 1),
                Some('w') => (what.to_string(), 1),
                Some('k') => (e.kind.as_str().to_string(), 1),
                Some('r') => (e.run.clone().unwrap_or_default(), 1),
                Some('m') => (
                    e.str_field("msg")
                        .and_then(|m| m.lines().next())
                        .unwrap_or("")
                        .to_string(),
                    1,
                ),
                Some('o') => (e.source.clone(), 1),
                Some('e') => (e.id.clone(), 1),
                Some('n') => ("\n".to_string(), 1),
                Some('%') => ("%".to_string(), 1),
                _ => ("%".to_string(), 0),
            },
        };
        out.push_str(&value);
        let skip: usize = after.chars().take(used).map(char::len_utf8).sum();
        rest = &after[skip..];
    }
    out.push_str(rest);
    out
}

/// `Name <email>` → ("Name", "email").
fn split_by(by: &str) -> (&str, &str) {
    match by.rsplit_once(" <") {
        Some((name, email)) => (name, email.trim_end_matches('>')),
        None => (by, ""),
    }
}

fn render(p: &Paint, rows: &[(&crate::ledger::Located, String)], oneline: bool) -> String {
    let mut out = String::new();
    let mut table: Vec<Vec<String>> = Vec::new();
    let mut date = String::new();
    for (l, what) in rows {
        let e = &l.event;
        let (day, clock) = time::local_date_time(&e.at);
        if oneline {
            table.push(vec![
                format!("{day} {clock}"),
                p.dim(short(&l.commit)),
                e.step.clone(),
                what.clone(),
                e.by.clone(),
            ]);
            continue;
        }
        if day != date {
            if !table.is_empty() {
                out.push_str(&output::table_fit(&table, &[MESSAGE, WHAT]));
                table.clear();
            }
            out.push_str(&format!("{}\n", p.bold(&day)));
            date = day;
        }
        table.push(vec![
            format!("  {clock}"),
            p.dim(short(&l.commit)),
            e.step.clone(),
            what.clone(),
            e.by.clone(),
            e.run.clone().unwrap_or_default(),
            e.str_field("msg")
                .map(|m| format!("\"{}\"", m.lines().next().unwrap_or("")))
                .unwrap_or_default(),
        ]);
    }
    out.push_str(&output::table_fit(
        &table,
        if oneline { &[3] } else { &[MESSAGE, WHAT] },
    ));
    out
}

/// The columns of the grouped table a narrow terminal cuts, in order.
const MESSAGE: usize = 6;
const WHAT: usize = 3;

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
