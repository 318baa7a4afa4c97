//! From a parse result to ledger events (`source: import`). Pure: the ids
//! derive from what the file says about a step, never from where it says
//! it, so importing the same file twice plans the same ids and the store
//! adds nothing the second time.

use super::model::{ClaimFrom, Parsed, ParsedStep};
use crate::ledger::event::hash_id;
use crate::ledger::{Event, Kind, Status};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// A `note` that keeps a step's "Tests & commands run" lines as written.
pub const TESTS_RUN_TOPIC: &str = "tests_run";

/// An event and its fixed id.
#[derive(Debug, Clone)]
pub struct Planned {
    pub event: Event,
    pub id: String,
}

pub struct Context<'a> {
    pub by: String,
    /// Used for `at` when the file gives no date.
    pub now: String,
    /// Applied to every text stored (SPEC 8); commands and paths excepted.
    pub redact: &'a dyn Fn(&str) -> String,
}

fn import_id(parts: &[&str]) -> String {
    let mut bytes = b"git-ledger import".to_vec();
    for p in parts {
        bytes.push(0);
        bytes.extend_from_slice(p.as_bytes());
    }
    hash_id(&bytes)
}

/// Every event the file implies: all definitions first (file order is
/// definition order), then the dated history and current statuses of the
/// steps and the notes of dated logs, oldest first.
pub fn plan(parsed: &Parsed, ctx: &Context<'_>) -> Vec<Planned> {
    let mut out: Vec<Planned> = parsed.steps.iter().map(|s| define(s, ctx)).collect();
    // The rest in date order, so that `seq` follows time, while each step
    // keeps its own order (an undated entry never jumps past a later one).
    let mut rest: Vec<(String, Planned)> = Vec::new();
    for s in &parsed.steps {
        let mut key = String::new();
        for p in step_events(s, ctx) {
            key = key.max(p.event.at.clone());
            rest.push((key.clone(), p));
        }
    }
    let mut notes: Vec<_> = parsed.notes.iter().collect();
    notes.sort_by(|a, b| a.at.cmp(&b.at));
    for n in notes {
        let step = n.step.clone().unwrap_or_default();
        let msg = (ctx.redact)(&n.text);
        let event = Event::draft(&step, Kind::Note, n.at.clone(), ctx.by.clone(), "import")
            .with("msg", msg.clone());
        rest.push((
            n.at.clone(),
            Planned {
                id: import_id(&[&step, "note", &n.at, &msg]),
                event,
            },
        ));
    }
    rest.sort_by(|a, b| a.0.cmp(&b.0));
    out.extend(rest.into_iter().map(|(_, p)| p));
    out
}

fn step_events(s: &ParsedStep, ctx: &Context<'_>) -> Vec<Planned> {
    let mut out = Vec::new();
    {
        if !s.tests_run.is_empty() {
            let msg = (ctx.redact)(&s.tests_run.join("\n"));
            let at = s.updated.clone().unwrap_or_else(|| ctx.now.clone());
            let event = Event::draft(&s.id, Kind::Note, at, ctx.by.clone(), "import")
                .with("topic", TESTS_RUN_TOPIC)
                .with("msg", msg.clone());
            out.push(Planned {
                id: import_id(&[&s.id, TESTS_RUN_TOPIC, &msg]),
                event,
            });
        }
    }
    out.extend(statuses(s, ctx));
    out
}

fn define(s: &ParsedStep, ctx: &Context<'_>) -> Planned {
    let red = |v: &[String]| -> Vec<String> { v.iter().map(|x| (ctx.redact)(x)).collect() };
    let mut fields = Map::new();
    fields.insert("title".into(), (ctx.redact)(&s.title).into());
    // Absent fields keep what the ledger has: an import never clears a field.
    let lists = [
        ("owns", s.owns.clone()),
        ("checks", s.checks.clone()),
        ("refs", red(&s.refs)),
        ("edge_cases", red(&s.edge_cases)),
        ("concerns", red(&s.concerns)),
        ("todo", red(&s.todo)),
    ];
    for (key, list) in lists {
        if !list.is_empty() {
            fields.insert(key.into(), list.into());
        }
    }
    if let Some(p) = &s.phase {
        fields.insert("phase".into(), (ctx.redact)(p).into());
    }
    if !s.summary.is_empty() {
        fields.insert("summary".into(), (ctx.redact)(&s.summary.join("\n")).into());
    }
    let id = import_id(&[&s.id, "define", &Value::Object(fields.clone()).to_string()]);
    let at = earliest(s).unwrap_or_else(|| ctx.now.clone());
    let mut event = Event::draft(&s.id, Kind::Define, at, ctx.by.clone(), "import");
    event.fields = fields;
    Planned { event, id }
}

fn earliest(s: &ParsedStep) -> Option<String> {
    s.history
        .iter()
        .filter_map(|h| h.at.clone())
        .chain(s.updated.clone())
        .min()
}

/// Builds status events, numbering repeats: the same status at the same
/// minute by the same run, twice (an export rounds to minutes), is two
/// events, each with its own id.
struct Statuses<'a, 'c> {
    step: &'a ParsedStep,
    ctx: &'a Context<'c>,
    seen: HashMap<String, usize>,
    out: Vec<Planned>,
}

impl Statuses<'_, '_> {
    fn push(&mut self, status: Status, at: Option<&str>, run: Option<&str>, msg: Option<&str>) {
        let s = self.step;
        let mut event = Event::draft(
            &s.id,
            Kind::Status,
            at.map_or_else(|| self.ctx.now.clone(), str::to_string),
            self.ctx.by.clone(),
            "import",
        )
        .with("status", status.as_str());
        event.run = run.map(str::to_string);
        if let Some(m) = msg.filter(|m| !m.trim().is_empty()) {
            event.set("msg", (self.ctx.redact)(m));
        }
        let mut parts = vec![
            s.id.as_str(),
            "status",
            status.as_str(),
            at.unwrap_or(""),
            run.unwrap_or(""),
        ];
        let key = parts.join("\0");
        let n = self.seen.entry(key).or_insert(0);
        *n += 1;
        let repeat = n.to_string();
        if *n > 1 {
            parts.push(&repeat);
        }
        self.out.push(Planned {
            id: import_id(&parts),
            event,
        });
    }
}

/// The dated history in date order (undated entries keep their place),
/// then the current status when the history does not already end on it.
/// An undated checkbox or table claim is older than any dated entry: a
/// dated `[x] S13` in a log wins over an undated `[ ] S13` in a list.
fn statuses(s: &ParsedStep, ctx: &Context<'_>) -> Vec<Planned> {
    let history = s.history_in_order();
    let mut b = Statuses {
        step: s,
        ctx,
        seen: HashMap::new(),
        out: Vec::new(),
    };
    let claim = s.status.as_ref().and_then(|c| c.status.map(|st| (st, c)));
    let first_dated = history.iter().find_map(|h| h.at.clone());
    let last_dated = history.iter().rev().find_map(|h| h.at.clone());
    let mark_first = claim.is_some_and(|(_, c)| c.from == ClaimFrom::Mark)
        && s.updated.is_none()
        && first_dated.is_some();
    if mark_first && let Some((status, c)) = claim {
        b.push(
            status,
            first_dated.as_deref(),
            s.run.as_deref(),
            c.msg.as_deref(),
        );
    }
    for h in &history {
        b.push(
            h.status,
            h.at.as_deref(),
            h.run.as_deref(),
            h.msg.as_deref(),
        );
    }
    if !mark_first
        && let Some((status, c)) = claim
        && history.last().is_none_or(|h| h.status != status)
    {
        let at = match (&s.updated, last_dated) {
            (Some(u), Some(h)) => Some(u.clone().max(h)),
            (Some(u), None) => Some(u.clone()),
            (None, h) => h,
        };
        b.push(status, at.as_deref(), s.run.as_deref(), c.msg.as_deref());
    }
    b.out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::model::Options;
    use crate::markdown::read::parse;

    fn ctx_plan(text: &str) -> Vec<Planned> {
        let ident = |s: &str| s.to_string();
        let ctx = Context {
            by: "A <a@x>".into(),
            now: "2026-02-01T00:00:00Z".into(),
            redact: &ident,
        };
        plan(&parse(text, &Options::default()), &ctx)
    }

    const LEDGER: &str = "## Step S01 – One\n\n- **Status:** verified\n- **Last updated:** 2025-12-12 10:00 UTC\n- **Responsible run ID:** run-5\n\n### Verification history\n\n- [x] Verified on 2025-12-10 by run run-2\n  Notes: fine\n";

    #[test]
    fn history_then_current_status_with_original_dates() {
        let p = ctx_plan(LEDGER);
        let kinds: Vec<(Kind, Option<&str>, &str)> = p
            .iter()
            .map(|e| {
                (
                    e.event.kind,
                    e.event.str_field("status"),
                    e.event.at.as_str(),
                )
            })
            .collect();
        assert_eq!(
            kinds,
            [
                (Kind::Define, None, "2025-12-10T00:00:00Z"),
                (Kind::Status, Some("verified"), "2025-12-10T00:00:00Z"),
            ],
            "the current status repeats the last history entry: no second event"
        );
        assert_eq!(p[1].event.run.as_deref(), Some("run-2"));
        assert_eq!(p[1].event.str_field("msg"), Some("fine"));
        assert!(p.iter().all(|e| e.event.source == "import"));
    }

    #[test]
    fn ids_depend_on_content_not_position() {
        let a = ctx_plan(LEDGER);
        let moved = format!("# Ledger\n\nSome intro text.\n\n{LEDGER}");
        let b = ctx_plan(&moved);
        let ids = |p: &[Planned]| p.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b));
        let changed =
            ctx_plan(&LEDGER.replace("- **Status:** verified", "- **Status:** in_progress"));
        assert_eq!(changed.len(), 3);
        assert_eq!(changed[2].event.str_field("status"), Some("in_progress"));
        assert_eq!(changed[2].event.at, "2025-12-12T10:00:00Z");
        assert_eq!(changed[2].event.run.as_deref(), Some("run-5"));
    }
}
