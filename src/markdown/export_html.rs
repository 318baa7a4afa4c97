//! `export --format html`: one self-contained page — inline styles, no
//! scripts, fonts, images or links to fetch — that shows the state of the
//! project at a glance: progress per phase, every step in its status colour
//! with its latest evidence, and a timeline of events.

use super::board::{Board, BoardStep, PhaseRow, TimelineEntry, human_time};
use crate::git::repo::short;
use crate::ledger::event::check_passed;
use crate::ledger::{Located, Status, time};
use serde_json::Value;

/// The timeline keeps the newest events; `git ledger log` has them all.
pub const TIMELINE_LIMIT: usize = 500;

const STYLE: &str = r#"
:root{--verified:#1a7f37;--completed_pending_verification:#9a6700;--in_progress:#0969da;--not_started:#8c959f;--drift_detected:#cf222e;
--bg:#f6f8fa;--fg:#1f2328;--muted:#59636e;--card:#ffffff;--line:#d1d9e0}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--card:#151b23;--line:#3d444d}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:28px 20px 60px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 12px}h3{font-size:15px;margin:20px 0 8px}
.meta,.muted{color:var(--muted)}
code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:rgba(127,127,127,.12);padding:1px 4px;border-radius:4px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 18px}
.overview{display:grid;grid-template-columns:auto 1fr;gap:10px 24px;align-items:center}
.big{font-size:34px;font-weight:700;line-height:1}.big small{font-size:14px;font-weight:400;color:var(--muted)}
.bar{display:flex;height:14px;border-radius:7px;overflow:hidden;background:var(--line);min-width:120px}
.bar span{display:block;height:100%}
.chips{grid-column:1/-1;display:flex;flex-wrap:wrap;gap:8px;margin:0;padding:0;list-style:none}
.chips li{display:flex;align-items:center;gap:6px}
.dot{display:inline-block;width:10px;height:10px;border-radius:50%;flex:none}
.pill{display:inline-block;padding:1px 9px;border-radius:999px;font-size:12px;font-weight:600;color:#fff;white-space:nowrap}
.alert{grid-column:1/-1;margin:0;padding:8px 12px;border-radius:8px;border:1px solid var(--drift_detected);color:var(--drift_detected);font-weight:600}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;vertical-align:top;padding:8px 10px;border-bottom:1px solid var(--line)}
th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
tr:last-child td{border-bottom:0}
td.id{font-weight:700;white-space:nowrap}
tr.row{border-left:4px solid transparent}
.phase td:first-child{font-weight:600}.phase .bar{width:100%}
.files{color:var(--drift_detected);font-size:12px}
details summary{cursor:pointer;color:var(--muted)}
ul.checks{margin:6px 0 0;padding:0;list-style:none}
ul.checks li{margin:2px 0}
.pass{color:var(--verified);font-weight:700}.fail{color:var(--drift_detected);font-weight:700}
ol.timeline{list-style:none;margin:0;padding:0}
ol.timeline>li{margin:0 0 14px}
ol.timeline ul{list-style:none;margin:6px 0 0;padding:0 0 0 14px;border-left:2px solid var(--line)}
ol.timeline ul li{position:relative;padding:3px 0 3px 14px}
ol.timeline ul li .dot{position:absolute;left:-20px;top:9px}
q{color:var(--muted)}
footer{margin-top:40px;color:var(--muted);font-size:12px}
"#;

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

fn label(s: Status) -> &'static str {
    match s {
        Status::NotStarted => "not started",
        Status::InProgress => "in progress",
        Status::CompletedPendingVerification => "pending verification",
        Status::Verified => "verified",
        Status::DriftDetected => "drift detected",
    }
}

fn pill(s: Status) -> String {
    format!(
        "<span class=\"pill\" style=\"background:var(--{})\">{}</span>",
        s.as_str(),
        label(s)
    )
}

fn dot(s: Option<Status>) -> String {
    let colour = s.map_or("var(--line)".to_string(), |s| {
        format!("var(--{})", s.as_str())
    });
    format!("<span class=\"dot\" style=\"background:{colour}\"></span>")
}

/// A bar with one segment per status, widest first in the order of `Status::ALL`.
fn bar(row: &PhaseRow) -> String {
    let mut out = String::from("<div class=\"bar\">");
    // Verified first, so the bar fills from the left as work is confirmed.
    let order = [
        Status::Verified,
        Status::CompletedPendingVerification,
        Status::InProgress,
        Status::DriftDetected,
        Status::NotStarted,
    ];
    for s in order {
        let n = row.count(s);
        if n == 0 || row.total == 0 {
            continue;
        }
        let pct = n as f64 * 100.0 / row.total as f64;
        out.push_str(&format!(
            "<span style=\"width:{pct:.2}%;background:var(--{})\" title=\"{n} {}\"></span>",
            s.as_str(),
            label(s)
        ));
    }
    out.push_str("</div>");
    out
}

pub fn render(board: &Board<'_>) -> String {
    let totals = board.totals();
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!(
        "<title>{} — implementation ledger</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        esc(&board.project)
    ));
    out.push_str(&format!(
        "<header><h1>{} — implementation ledger</h1><p class=\"meta\">HEAD <code>{}</code> · exported {} · {} step(s) · {} event(s)</p></header>\n",
        esc(&board.project),
        esc(short(&board.head)),
        esc(&human_time(&board.exported_at)),
        board.steps.len(),
        board.events
    ));
    out.push_str(&overview(board, &totals));
    out.push_str(&phases(board));
    out.push_str(&steps(board));
    out.push_str(&timeline(board));
    out.push_str("<footer>Written by <code>git ledger export --format html</code> from <code>refs/notes/ledger</code>. This page is self-contained: it loads nothing.</footer>\n");
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn overview(board: &Board<'_>, totals: &PhaseRow) -> String {
    let verified = totals.count(Status::Verified);
    let mut out = String::from("<section class=\"card overview\" id=\"overview\">\n");
    out.push_str(&format!(
        "<div class=\"big\">{verified}/{}<br><small>verified</small></div>\n{}\n",
        totals.total,
        bar(totals)
    ));
    out.push_str("<ul class=\"chips\">");
    for s in Status::ALL {
        out.push_str(&format!(
            "<li>{}<span>{} {}</span></li>",
            dot(Some(s)),
            totals.count(s),
            label(s)
        ));
    }
    out.push_str("</ul>\n");
    let drifted: Vec<&BoardStep<'_>> = board
        .steps
        .iter()
        .filter(|s| s.status == Status::DriftDetected)
        .collect();
    if !drifted.is_empty() {
        let ids: Vec<String> = drifted.iter().map(|s| esc(&s.state.id)).collect();
        out.push_str(&format!(
            "<p class=\"alert\">Drift in {}: fix before new work.</p>\n",
            ids.join(", ")
        ));
    }
    let pending = totals.count(Status::CompletedPendingVerification);
    if pending > 0 {
        out.push_str(&format!(
            "<p class=\"muted\" style=\"grid-column:1/-1;margin:0\">{pending} step(s) wait for re-verification.</p>\n"
        ));
    }
    out.push_str("</section>\n");
    out
}

fn phases(board: &Board<'_>) -> String {
    let rows = board.phases();
    let mut out = String::from(
        "<section id=\"phases\">\n<h2>Progress by phase</h2>\n<div class=\"card\"><table>\n<thead><tr><th>Phase</th><th style=\"width:45%\">Progress</th><th>Verified</th><th>Drift</th></tr></thead>\n<tbody>\n",
    );
    for r in &rows {
        out.push_str(&format!(
            "<tr class=\"phase\"><td>{}</td><td>{}</td><td>{}/{}</td><td>{}</td></tr>\n",
            esc(r.name.as_deref().unwrap_or("(no phase)")),
            bar(r),
            r.count(Status::Verified),
            r.total,
            r.count(Status::DriftDetected)
        ));
    }
    out.push_str("</tbody>\n</table></div>\n</section>\n");
    out
}

fn steps(board: &Board<'_>) -> String {
    let now = time::now_unix();
    let mut out = String::from("<section id=\"steps\">\n<h2>Steps</h2>\n");
    for phase in board.phases() {
        let name = phase.name.clone();
        out.push_str(&format!(
            "<h3>{}</h3>\n<div class=\"card\"><table>\n<thead><tr><th>ID</th><th>Status</th><th>Title</th><th>Since</th><th>Latest evidence</th></tr></thead>\n<tbody>\n",
            esc(name.as_deref().unwrap_or("(no phase)"))
        ));
        for s in board.steps.iter().filter(|s| s.state.def.phase == name) {
            out.push_str(&step_row(s, now));
        }
        out.push_str("</tbody>\n</table></div>\n");
    }
    out.push_str("</section>\n");
    out
}

fn step_row(s: &BoardStep<'_>, now: i64) -> String {
    let st = s.state;
    let mut status = pill(s.status);
    if s.live_drift {
        status.push_str("<br><span class=\"muted\">seen at HEAD, not yet recorded</span>");
    }
    if !s.drift_files.is_empty() {
        status.push_str(&format!(
            "<div class=\"files\">{}</div>",
            esc(&s.drift_files.join(", "))
        ));
    }
    let mut title = esc(&st.def.title);
    if s.unscoped {
        title.push_str(" <span class=\"muted\">(unscoped: owns no files, cannot drift)</span>");
    } else {
        title.push_str(&format!(
            "<div class=\"muted\">{}</div>",
            st.def
                .owns
                .iter()
                .map(|g| format!("<code>{}</code>", esc(g)))
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    let since = match &st.mark {
        Some(m) => format!(
            "<code>{}</code> {}{}",
            esc(short(&m.commit)),
            esc(&time::relative_at(&m.at, now)),
            m.run
                .as_deref()
                .map(|r| format!("<br><span class=\"muted\">run {}</span>", esc(r)))
                .unwrap_or_default()
        ),
        None => "<span class=\"muted\">—</span>".to_string(),
    };
    format!(
        "<tr class=\"row\" id=\"step-{}\" style=\"border-left-color:var(--{})\"><td class=\"id\">{}</td><td>{status}</td><td>{title}</td><td>{since}</td><td>{}</td></tr>\n",
        esc(&st.id),
        s.status.as_str(),
        esc(&st.id),
        evidence_cell(s, now)
    )
}

fn evidence_cell(s: &BoardStep<'_>, now: i64) -> String {
    let Some(ev) = s.last_evidence else {
        let checks = s.state.def.checks.len();
        return if checks == 0 {
            "<span class=\"muted\">no checks</span>".to_string()
        } else {
            format!("<span class=\"muted\">{checks} check(s), not run yet</span>")
        };
    };
    evidence(ev, now)
}

fn evidence(ev: &Located, now: i64) -> String {
    let e = &ev.event;
    let result = e.str_field("result").unwrap_or("?");
    let class = if result == "pass" { "pass" } else { "fail" };
    let checks = e
        .fields
        .get("checks")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let passed = checks.iter().filter(|c| check_passed(c)).count();
    let mut out = format!(
        "<span class=\"{class}\">{}</span>",
        esc(&result.to_uppercase())
    );
    if !checks.is_empty() {
        out.push_str(&format!(" {passed}/{}", checks.len()));
    }
    out.push_str(&format!(
        " <span class=\"muted\">{} at <code>{}</code>{}</span>",
        esc(&time::relative_at(&e.at, now)),
        esc(short(&ev.commit)),
        if e.bool_field("dirty") == Some(true) {
            ", dirty tree"
        } else {
            ""
        }
    ));
    if let Some(text) = e.str_field("text") {
        out.push_str(&format!("<div class=\"muted\">manual: {}</div>", esc(text)));
    }
    if !checks.is_empty() {
        out.push_str("<details><summary>checks</summary><ul class=\"checks\">");
        for c in &checks {
            let ok = check_passed(c);
            let ms = c.get("ms").and_then(Value::as_u64).unwrap_or(0);
            out.push_str(&format!(
                "<li><span class=\"{}\">{}</span> <code>{}</code> <span class=\"muted\">{:.1} s</span></li>",
                if ok { "pass" } else { "fail" },
                if ok { "PASS" } else { "FAIL" },
                esc(c.get("cmd").and_then(Value::as_str).unwrap_or("?")),
                ms as f64 / 1000.0
            ));
        }
        out.push_str("</ul></details>");
    }
    out
}

fn timeline(board: &Board<'_>) -> String {
    let mut out =
        String::from("<section id=\"timeline\">\n<h2>Timeline</h2>\n<div class=\"card\">\n");
    if board.timeline.is_empty() {
        out.push_str("<p class=\"muted\">No events yet.</p>\n</div>\n</section>\n");
        return out;
    }
    out.push_str("<ol class=\"timeline\">\n");
    let mut day = "";
    let shown = &board.timeline[..board.timeline.len().min(TIMELINE_LIMIT)];
    for t in shown {
        let d = time::date_part(&t.at);
        if d != day {
            if !day.is_empty() {
                out.push_str("</ul></li>\n");
            }
            out.push_str(&format!("<li><strong>{}</strong><ul>\n", esc(d)));
            day = d;
        }
        out.push_str(&timeline_item(t));
    }
    out.push_str("</ul></li>\n</ol>\n");
    if board.timeline.len() > shown.len() {
        out.push_str(&format!(
            "<p class=\"muted\">{} older event(s) not shown: <code>git ledger log</code> lists them all.</p>\n",
            board.timeline.len() - shown.len()
        ));
    }
    out.push_str("</div>\n</section>\n");
    out
}

fn timeline_item(t: &TimelineEntry) -> String {
    let hhmm = t.at.get(11..16).unwrap_or("");
    let step = if t.step.is_empty() {
        "<span class=\"muted\">project</span>".to_string()
    } else {
        // `#` may be part of a step id; in a fragment it must be encoded.
        let anchor = esc(&t.step.replace('%', "%25").replace('#', "%23"));
        format!("<a href=\"#step-{anchor}\"><b>{}</b></a>", esc(&t.step))
    };
    let mut out = format!(
        "<li>{}<span class=\"muted\">{}</span> {step} {}",
        dot(t.status),
        esc(hhmm),
        esc(&t.what)
    );
    let mut meta = vec![esc(&t.by)];
    if let Some(r) = &t.run {
        meta.push(format!("run {}", esc(r)));
    }
    meta.push(format!("<code>{}</code>", esc(short(&t.commit))));
    out.push_str(&format!(
        " <span class=\"muted\">· {}</span>",
        meta.join(" · ")
    ));
    if let Some(m) = &t.msg {
        out.push_str(&format!(" <q>{}</q>", esc(m.lines().next().unwrap_or(""))));
    }
    out.push_str("</li>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_to_steps_encode_a_hash_in_the_fragment() {
        let t = TimelineEntry {
            at: "2026-01-02T03:04:05Z".into(),
            commit: "0123456789".into(),
            step: "a#1".into(),
            status: None,
            what: "note".into(),
            by: "A".into(),
            run: None,
            msg: None,
        };
        assert!(timeline_item(&t).contains("<a href=\"#step-a%231\"><b>a#1</b></a>"));
    }

    #[test]
    fn escapes_markup_quotes_and_controls() {
        assert_eq!(
            esc("<script>alert(\"x\" & 'y')</script>\u{8}"),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
    }
}
