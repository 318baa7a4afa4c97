//! The import report, as JSON and as text: per shape the steps and
//! statuses found, notes, duplicates, items without id, conflicts, and
//! every line that could not be placed.

use super::model::{Entry, Parsed, Shape};
use crate::ledger::Status;
use crate::output::width;
use serde::Serialize;
use serde_json::{Value, json};

/// What happened to the planned events.
#[derive(Default)]
pub struct Outcome {
    pub dry_run: bool,
    pub planned: usize,
    pub already_present: usize,
    pub written: usize,
    /// The commit the events are bound to, when there is a repository.
    pub commit: Option<String>,
    /// Steps of the file whose id the ledger already has.
    pub existing: Vec<Existing>,
    /// (step, command) of every check imported.
    pub checks: Vec<(String, String)>,
    /// The checks were trusted in this clone (`--trust-checks`).
    pub checks_trusted: bool,
    /// Check commands not stored because they hold a secret.
    pub secrets: Vec<Secret>,
}

/// A step id the ledger already has (defined or retired).
pub struct Existing {
    pub id: String,
    pub line: usize,
    /// Its title in the ledger.
    pub title: String,
    pub retired: bool,
    /// `--update` let the file update it.
    pub updated: bool,
}

/// A check command left out because it holds a secret.
pub struct Secret {
    pub step: String,
    pub line: usize,
    /// "a GitHub token", "the value of $API_TOKEN", …
    pub kind: String,
}

fn status_counts(parsed: &Parsed, shape: Shape) -> Vec<(String, usize)> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    let order = Status::ALL
        .iter()
        .map(|s| s.as_str().to_string())
        .chain(["none".to_string()]);
    for key in order {
        let n = parsed
            .steps
            .iter()
            .filter(|s| s.shape == shape)
            .filter(|s| {
                s.final_status()
                    .map_or("none".to_string(), |st| st.as_str().to_string())
                    == key
            })
            .count();
        if n > 0 {
            counts.push((key, n));
        }
    }
    counts
}

/// Statuses dated logs gave, to steps defined anywhere in the file.
fn dated_statuses(parsed: &Parsed) -> usize {
    parsed
        .steps
        .iter()
        .flat_map(|s| &s.history)
        .filter(|h| h.from_log)
        .count()
}

/// One step of the JSON report.
#[derive(Serialize)]
struct StepJson<'a> {
    id: &'a str,
    title: &'a str,
    line: usize,
    shape: &'static str,
    phase: &'a Option<String>,
    status: Option<&'static str>,
    status_text: Option<&'a str>,
    auto_id: bool,
    owns: &'a [String],
    checks: &'a [String],
    refs: &'a [String],
    history: usize,
}

#[derive(Serialize)]
struct Span2 {
    from: usize,
    to: usize,
}

/// The JSON report, borrowing what it shows: a big file's report is
/// written out without first being copied into a tree of values.
#[derive(Serialize)]
pub struct JsonReport<'a> {
    file: &'a str,
    dry_run: bool,
    lines: usize,
    shapes: Value,
    steps: Vec<StepJson<'a>>,
    notes: usize,
    duplicates: &'a [super::model::Duplicate],
    without_id: &'a [Entry],
    conflicts: Vec<Span2>,
    comments: Vec<Span2>,
    warnings: &'a [Entry],
    unplaced: &'a [Entry],
    events: Value,
    checks_imported: Vec<Value>,
    checks_trusted: bool,
    checks_need_trust: Option<String>,
    secret_checks: Vec<Value>,
    existing: Vec<Value>,
}

pub fn to_json<'a>(file: &'a str, parsed: &'a Parsed, out: &'a Outcome) -> JsonReport<'a> {
    let r = &parsed.report;
    let checks = &out.checks;
    let mut shapes = serde_json::Map::new();
    for shape in Shape::ALL {
        let counts: serde_json::Map<String, Value> = status_counts(parsed, shape)
            .into_iter()
            .map(|(k, n)| (k, n.into()))
            .collect();
        let mut v = json!({
            "steps": parsed.steps.iter().filter(|s| s.shape == shape).count(),
            "statuses": counts,
        });
        if shape == Shape::DatedLogs {
            v["notes"] = parsed.notes.len().into();
            v["dated_statuses"] = dated_statuses(parsed).into();
        }
        shapes.insert(shape.key().into(), v);
    }
    let steps = parsed
        .steps
        .iter()
        .map(|s| StepJson {
            id: &s.id,
            title: &s.title,
            line: s.line,
            shape: s.shape.key(),
            phase: &s.phase,
            status: s.final_status().map(Status::as_str),
            status_text: s.status.as_ref().map(|c| c.said.as_str()),
            auto_id: s.auto_id,
            owns: &s.owns,
            checks: &s.checks,
            refs: &s.refs,
            history: s.history.len(),
        })
        .collect();
    let spans = |v: &[(usize, usize)]| v.iter().map(|&(from, to)| Span2 { from, to }).collect();
    JsonReport {
        file,
        dry_run: out.dry_run,
        lines: r.lines,
        shapes: Value::Object(shapes),
        steps,
        notes: parsed.notes.len(),
        duplicates: &r.duplicates,
        without_id: &r.without_id,
        conflicts: spans(&r.conflicts),
        comments: spans(&r.comments),
        warnings: &r.warnings,
        unplaced: &r.unplaced,
        events: json!({
            "planned": out.planned,
            "already_present": out.already_present,
            "written": out.written,
            "commit": out.commit,
        }),
        checks_imported: checks.iter().map(|(s, c)| json!({"step": s, "cmd": c})).collect(),
        checks_trusted: out.checks_trusted,
        checks_need_trust: (!out.checks_trusted && !checks.is_empty()).then(|| trust_command(checks)),
        secret_checks: out
            .secrets
            .iter()
            .map(|x| json!({"step": x.step, "line": x.line, "kind": x.kind}))
            .collect(),
        existing: out
            .existing
            .iter()
            .map(|e| json!({"id": e.id, "line": e.line, "ledger_title": e.title, "retired": e.retired, "updated": e.updated}))
            .collect(),
    }
}

fn clip(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    for c in s.chars() {
        if width(&out) + 2 > max {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

fn lines_label(a: usize, b: usize) -> String {
    if a == b {
        format!("line {a}")
    } else {
        format!("lines {a}–{b}")
    }
}

/// Runs of nearby entries with the same reason, as (first, last, count, first text, reason).
fn runs(list: &[Entry]) -> Vec<(usize, usize, usize, &str, &str)> {
    let mut out: Vec<(usize, usize, usize, &str, &str)> = Vec::new();
    for e in list {
        match out.last_mut() {
            Some(run) if *run.4 == *e.reason && e.line <= run.1 + 3 => {
                run.1 = e.line;
                run.2 += 1;
            }
            _ => out.push((e.line, e.line, 1, &e.text, &e.reason)),
        }
    }
    out
}

pub fn to_text(file: &str, parsed: &Parsed, out: &Outcome) -> String {
    let r = &parsed.report;
    let checks = &out.checks;
    let mut s = format!(
        "import {file}: {} step(s), {} note(s){}\n",
        parsed.steps.len(),
        parsed.notes.len(),
        if out.dry_run {
            " (dry run: nothing written)"
        } else {
            ""
        }
    );
    let mut rows = Vec::new();
    for shape in Shape::ALL {
        let n = parsed.steps.iter().filter(|st| st.shape == shape).count();
        let mut what = status_counts(parsed, shape)
            .iter()
            .map(|(k, n)| format!("{n} {}", if k == "none" { "without status" } else { k }))
            .collect::<Vec<_>>();
        if shape == Shape::DatedLogs {
            what.push(format!("{} dated status(es)", dated_statuses(parsed)));
            what.push(format!("{} note(s)", parsed.notes.len()));
        }
        if n == 0 && (shape != Shape::DatedLogs || parsed.notes.is_empty()) {
            continue;
        }
        rows.push(vec![
            format!("  {}", shape.label()),
            format!("{n} step(s)"),
            what.join(", "),
        ]);
    }
    if rows.is_empty() {
        s.push_str("  nothing that names a step was found\n");
    } else {
        s.push_str(&crate::output::table(&rows));
    }
    let auto: Vec<&str> = parsed
        .steps
        .iter()
        .filter(|st| st.auto_id)
        .map(|st| st.id.as_str())
        .collect();
    if !auto.is_empty() {
        let shown: Vec<&str> = auto.iter().take(5).copied().collect();
        s.push_str(&format!(
            "automatic ids (--ids auto): {} step(s) named by their place: {}{}\n",
            auto.len(),
            shown.join(", "),
            if auto.len() > shown.len() {
                ", …"
            } else {
                ""
            }
        ));
    }
    if !r.duplicates.is_empty() {
        s.push_str("duplicates (the first one counts):\n");
        for d in &r.duplicates {
            s.push_str(&format!(
                "  line {}  {} (first at line {})\n",
                d.line, d.id, d.first_line
            ));
        }
    }
    if !r.without_id.is_empty() {
        s.push_str(&format!(
            "without a step id, not imported ({}):\n",
            r.without_id.len()
        ));
        for e in &r.without_id {
            s.push_str(&format!(
                "  line {}  {}  — {}\n",
                e.line,
                clip(&e.text, 60),
                e.reason
            ));
        }
    }
    if !r.conflicts.is_empty() {
        s.push_str("merge-conflict debris, never imported:\n");
        for (a, b) in &r.conflicts {
            s.push_str(&format!("  {}\n", lines_label(*a, *b)));
        }
    }
    if !r.warnings.is_empty() {
        s.push_str(&format!("warnings ({}):\n", r.warnings.len()));
        for e in &r.warnings {
            if e.text.is_empty() {
                s.push_str(&format!("  line {}  {}\n", e.line, e.reason));
            } else {
                s.push_str(&format!(
                    "  line {}  {}  — {}\n",
                    e.line,
                    clip(&e.text, 50),
                    e.reason
                ));
            }
        }
    }
    if !r.unplaced.is_empty() {
        s.push_str(&format!("not placed ({} line(s)):\n", r.unplaced.len()));
        for (a, b, n, text, reason) in runs(&r.unplaced) {
            if n == 1 {
                s.push_str(&format!("  line {a}  {}  — {reason}\n", clip(text, 60)));
            } else {
                s.push_str(&format!(
                    "  {} ({n} lines)  — {reason}\n",
                    lines_label(a, b)
                ));
            }
        }
    }
    let at = out
        .commit
        .as_deref()
        .map(|c| format!(" at {}", crate::git::repo::short(c)))
        .unwrap_or_default();
    if out.dry_run {
        s.push_str(&format!(
            "events: {} would be written{at}, {} already in the ledger\n",
            out.planned - out.already_present,
            out.already_present
        ));
    } else {
        s.push_str(&format!(
            "events: {} written to refs/notes/ledger{at}, {} already there\n",
            out.written, out.already_present
        ));
    }
    if !out.existing.is_empty() {
        let kept: Vec<&Existing> = out.existing.iter().filter(|e| !e.updated).collect();
        if !kept.is_empty() {
            s.push_str(&format!(
                "already in the ledger, not imported ({}; --update lets the file update them):\n",
                kept.len()
            ));
        }
        for e in &kept {
            let what = if e.retired { "retired" } else { "defined" };
            s.push_str(&format!(
                "  line {}  {}  — {what} in the ledger as \"{}\"\n",
                e.line,
                e.id,
                clip(&e.title, 50)
            ));
        }
        let updated = out.existing.iter().filter(|e| e.updated).count();
        if updated > 0 {
            s.push_str(&format!(
                "updated from the file (--update): {updated} step(s) already in the ledger\n"
            ));
        }
    }
    if !out.secrets.is_empty() {
        s.push_str(&format!(
            "check commands holding a secret, not imported ({}):\n",
            out.secrets.len()
        ));
        for x in &out.secrets {
            s.push_str(&format!(
                "  line {}  {}  — the command holds {}; pass it through an environment variable instead (e.g. \"$API_TOKEN\") and add the check with git ledger edit {} --check '…'\n",
                x.line, x.step, x.kind, x.step
            ));
        }
    }
    if !checks.is_empty() {
        if out.checks_trusted {
            s.push_str(&format!(
                "checks: {} command(s) imported and trusted in this clone (--trust-checks)\n",
                checks.len()
            ));
        } else {
            s.push_str(&format!(
                "checks: {} command(s) imported; not trusted: verify will not run them until you have read them and run\n  {}\n",
                checks.len(),
                trust_command(checks)
            ));
        }
    }
    s
}

/// `git ledger trust S01 S02`: the command that allows the imported checks.
/// Each step once, in the order of its first check: a set remembers which
/// were named, so an import of thousands of steps stays linear.
fn trust_command(checks: &[(String, String)]) -> String {
    let mut named: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let ids: Vec<&str> = checks
        .iter()
        .map(|(step, _)| step.as_str())
        .filter(|step| named.insert(step))
        .collect();
    format!("git ledger trust {}", ids.join(" "))
}

#[cfg(test)]
mod tests {
    use super::trust_command;

    fn checks(steps: &[&str]) -> Vec<(String, String)> {
        steps
            .iter()
            .map(|s| (s.to_string(), format!("make {s}")))
            .collect()
    }

    #[test]
    fn trust_command_names_each_step_once_in_the_order_of_its_first_check() {
        assert_eq!(
            trust_command(&checks(&["S02", "S01", "S02", "S03", "S01"])),
            "git ledger trust S02 S01 S03"
        );
    }
}
