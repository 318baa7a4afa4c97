//! `export --format md`: the ledger as a markdown document in the seed
//! layout (SPEC 7), written so that `import` reads it back to the same
//! steps and statuses.

use super::board::{Board, BoardStep, human_time};
use super::inline::code_span;
use crate::git::repo::short;
use crate::ledger::{Located, Status};
use serde_json::Value;

const LEGEND: &[(Status, &str)] = &[
    (Status::NotStarted, "Step has not been touched."),
    (Status::InProgress, "Partial implementation."),
    (
        Status::CompletedPendingVerification,
        "Implementation and tests done; to be re-validated in a later run.",
    ),
    (
        Status::Verified,
        "Re-checked and confirmed correct in a later run.",
    ),
    (
        Status::DriftDetected,
        "Code or tests no longer match the ledger; must be fixed before new steps.",
    ),
];

pub fn render(board: &Board<'_>) -> String {
    let mut out = format!("# Implementation Ledger — {}\n\n", board.project);
    out.push_str(&format!(
        "Exported by `git ledger export` from `refs/notes/ledger` at commit `{}` on {}.\n\
         The ledger lives in git notes: change it with `git ledger`, not by editing this file.\n\n",
        short(&board.head),
        human_time(&board.exported_at)
    ));
    out.push_str("## Legend\n\n");
    for (status, meaning) in LEGEND {
        out.push_str(&format!("- `{status}` – {meaning}\n"));
    }
    out.push_str(
        "\n> **Rule:** before new work, re-verify every `completed_pending_verification` step, \
         mark it `verified` or `drift_detected`, and fix drift first.\n\n---\n\n",
    );
    if board.steps.len() > 1 {
        out.push_str("## Progress\n\n");
        for p in board.phases() {
            // A phase's name in code: `Phase 2 ✅` must not read back as a step.
            out.push_str(&format!(
                "- {}: {}/{} verified{}\n",
                p.name.as_deref().map_or("(no phase)".into(), code_span),
                p.count(Status::Verified),
                p.total,
                match p.count(Status::DriftDetected) {
                    0 => String::new(),
                    n => format!(", {n} drifted"),
                }
            ));
        }
        out.push_str("\n---\n\n");
    }
    for s in &board.steps {
        out.push_str(&step(s));
        out.push_str("\n---\n\n");
    }
    out
}

fn step(b: &BoardStep<'_>) -> String {
    let s = b.state;
    let d = &s.def;
    // An id the reader would take for something else (`16` is `Step-16`
    // after "Step") goes in backticks, which it takes as written.
    let id = if super::ids::reads_back(&s.id) {
        s.id.clone()
    } else {
        code_span(&s.id)
    };
    let mut out = format!("## Step {id} – {}\n\n", escape_inline(&d.title));
    let mut status = b.status.as_str().to_string();
    if b.live_drift {
        status.push_str(" (seen at HEAD, not yet recorded");
        if !b.drift_files.is_empty() {
            status.push_str(&format!(": {} changed", b.drift_files.join(", ")));
        }
        status.push(')');
    } else if let Some(msg) = s.mark.as_ref().and_then(|m| m.msg.as_deref()) {
        status.push_str(&format!(" — {}", escape_inline(msg)));
    }
    out.push_str(&format!("- **Status:** {status}\n"));
    let updated = s
        .mark
        .as_ref()
        .map(|m| m.at.as_str())
        .or(s.defined.as_ref().map(|(_, at, _)| at.as_str()));
    if let Some(at) = updated {
        out.push_str(&format!("- **Last updated:** {}\n", human_time(at)));
    }
    if let Some(run) = s.mark.as_ref().and_then(|m| m.run.as_deref()) {
        out.push_str(&format!("- **Responsible run ID:** {run}\n"));
    }
    if let Some(p) = &d.phase {
        out.push_str(&format!("- **Phase:** {}\n", escape_inline(p)));
    }
    if s.retired {
        out.push_str("- **Retired:** yes (its history stays in the ledger)\n");
    }

    out.push_str("\n### Scope & files\n\n");
    if !d.refs.is_empty() {
        out.push_str("- **Blueprint references:**\n");
        for r in &d.refs {
            out.push_str(&format!("  - {}\n", escape_inline(r)));
        }
    }
    if d.owns.is_empty() {
        out.push_str("- **Owns:** None.\n");
    } else {
        out.push_str("- **Owns:**\n");
        for g in &d.owns {
            out.push_str(&format!("  - {}\n", code_span(g)));
        }
    }

    out.push_str("\n### Implementation summary\n\n");
    match &d.summary {
        Some(text) if !text.trim().is_empty() => {
            for line in text.lines() {
                out.push_str(&escape_line(line));
                out.push('\n');
            }
        }
        _ => out.push_str("- None.\n"),
    }

    out.push_str("\n### Observable invariants\n\n");
    if d.checks.is_empty() {
        out.push_str("- None.\n");
    }
    for c in &d.checks {
        out.push_str(&format!("- {} exits 0\n", code_span(c)));
    }

    out.push_str("\n### Tests & commands run\n\n");
    out.push_str(&tests_run(b));

    for (title, list) in [
        ("Edge cases considered", &d.edge_cases),
        ("Concerns & open issues", &d.concerns),
        ("Items still needed for airtight robustness", &d.todo),
    ] {
        out.push_str(&format!("\n### {title}\n\n"));
        out.push_str(&list_items(list));
    }

    out.push_str("\n### Verification history\n\n");
    if b.history.is_empty() {
        out.push_str("- [ ] Not verified yet.\n");
    }
    for l in &b.history {
        out.push_str(&history_line(l));
    }
    out
}

/// PASS/FAIL per check of the latest evidence; else what an import kept.
fn tests_run(b: &BoardStep<'_>) -> String {
    if let Some(ev) = b.last_evidence {
        let e = &ev.event;
        let mut out = format!(
            "Evidence of {} at commit `{}`{}{}: {}\n\n",
            human_time(&e.at),
            short(&ev.commit),
            e.run
                .as_deref()
                .map(|r| format!(", run {r}"))
                .unwrap_or_default(),
            if e.bool_field("dirty") == Some(true) {
                ", dirty work tree"
            } else {
                ""
            },
            e.str_field("result").unwrap_or("?").to_uppercase()
        );
        if let Some(text) = e.str_field("text") {
            out.push_str(&format!("- Manual evidence: {}\n", one_line(text)));
        }
        let checks = e
            .fields
            .get("checks")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for c in checks {
            let cmd = c.get("cmd").and_then(Value::as_str).unwrap_or("?");
            let exit = c.get("exit").and_then(Value::as_i64);
            let timed_out = c.get("timed_out").and_then(Value::as_bool) == Some(true);
            let ms = c.get("ms").and_then(Value::as_u64).unwrap_or(0);
            let verdict = if exit == Some(0) && !timed_out {
                "PASS"
            } else {
                "FAIL"
            };
            let why = if timed_out {
                "timed out".to_string()
            } else {
                format!("exit {}", exit.map_or("?".into(), |x| x.to_string()))
            };
            out.push_str(&format!(
                "- {} – {verdict} ({why}, {:.1} s)\n",
                code_span(cmd),
                ms as f64 / 1000.0
            ));
        }
        return out;
    }
    if let Some(note) = b.tests_note.and_then(|n| n.event.str_field("msg")) {
        let mut out = String::new();
        for line in note.lines() {
            out.push_str(&escape_line(line));
            out.push('\n');
        }
        return out;
    }
    "- Not run by git-ledger yet.\n".to_string()
}

fn history_line(l: &Located) -> String {
    let e = &l.event;
    let status = e.str_field("status").and_then(Status::parse);
    let what = match status {
        Some(Status::DriftDetected) => "Drift detected",
        _ => "Verified",
    };
    let mut out = format!("- [x] {what} on {}", human_time(&e.at));
    if let Some(run) = &e.run {
        out.push_str(&format!(" by run {run}"));
    }
    out.push_str(&format!(" at {}\n", short(&l.commit)));
    let mut notes: Vec<String> = e
        .str_field("msg")
        .map(|m| m.lines().map(str::to_string).collect())
        .unwrap_or_default();
    if let Some(files) = e.list_field("files").filter(|f| !f.is_empty()) {
        notes.push(format!("files changed: {}", files.join(", ")));
    }
    for (i, n) in notes.iter().enumerate() {
        if i == 0 {
            out.push_str(&format!("  Notes: {n}\n"));
        } else {
            out.push_str(&format!("  {n}\n"));
        }
    }
    out
}

fn list_items(list: &[String]) -> String {
    if list.is_empty() {
        return "- None.\n".to_string();
    }
    let mut out = String::new();
    for item in list {
        for (i, line) in item.lines().enumerate() {
            if i == 0 {
                out.push_str(&format!("- {line}\n"));
            } else {
                out.push_str(&format!("  {line}\n"));
            }
        }
    }
    out
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text on one line with everything markdown would read as markup (raw
/// HTML, emphasis, code, links, entities, a closing `#`) escaped, so the
/// heading shows the title as it is and `import` reads it back exactly.
fn escape_inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in one_line(s).chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '#' | '~' | '|' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A summary line that would read as a heading or a rule is escaped.
fn escape_line(line: &str) -> String {
    let t = line.trim_start();
    if t.starts_with('#') || t.starts_with("<<<<<<<") || t.starts_with(">>>>>>>") {
        format!("\\{t}")
    } else {
        line.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{Event, Kind, fold_events};

    fn ev(seq: u64, step: &str, kind: Kind) -> Event {
        let mut e = Event::draft(
            step,
            kind,
            format!("2026-01-0{seq}T10:00:00Z"),
            "A <a@x>".into(),
            "cli",
        );
        e.seq = seq;
        e
    }

    fn located(mut e: Event) -> Located {
        e.id = e.content_id();
        Located {
            commit: "0123456789abcdef0123456789abcdef01234567".into(),
            event: e,
        }
    }

    #[test]
    fn writes_the_seed_layout_and_escapes_what_would_break_it() {
        let define = located(
            ev(1, "S04", Kind::Define)
                .with("title", "Object storage")
                .with("owns", vec!["src/storage/**"])
                .with("checks", vec!["echo `date`"])
                .with("summary", "# not a heading\n- did things"),
        );
        let mut verified = ev(2, "S04", Kind::Status)
            .with("status", "verified")
            .with("msg", "ok");
        verified.run = Some("run-3".into());
        let verified = located(verified);
        let events = [define, verified.clone()];
        let state = fold_events(
            events
                .iter()
                .map(|l| crate::ledger::record::Stored {
                    commit: l.commit.as_str().into(),
                    record: crate::ledger::record::Record::from_event(&l.event).unwrap(),
                })
                .collect(),
        );
        let board = Board {
            project: "demo".into(),
            head: "0123456789abcdef".into(),
            exported_at: "2026-02-01T00:00:00Z".into(),
            steps: vec![BoardStep {
                state: state.step("S04").unwrap(),
                status: Status::Verified,
                live_drift: false,
                drift_files: vec![],
                unscoped: false,
                last_evidence: None,
                tests_note: None,
                history: vec![&verified],
                detail: Default::default(),
            }],
            timeline: &[],
            events: 2,
            context: Default::default(),
        };
        let md = render(&board);
        for want in [
            "## Legend\n",
            "## Step S04 – Object storage\n",
            "- **Status:** verified — ok\n",
            "- **Last updated:** 2026-01-02 10:00 UTC\n",
            "- **Responsible run ID:** run-3\n",
            "- **Owns:**\n  - `src/storage/**`\n",
            "\\# not a heading\n- did things\n",
            "- `` echo `date` `` exits 0\n",
            "- Not run by git-ledger yet.\n",
            "- [x] Verified on 2026-01-02 10:00 UTC by run run-3 at 0123456\n  Notes: ok\n",
        ] {
            assert!(md.contains(want), "missing {want:?} in:\n{md}");
        }
    }
}
