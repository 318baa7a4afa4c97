//! `export --format html`: one self-contained page — inline styles and
//! one inline script, no fonts, images or anything else to fetch, and a
//! Content-Security-Policy that forbids fetching — that shows the project
//! at a glance (progress, drift, a burn-up) and every step in detail
//! (definition, files, evidence, history), filterable, with a timeline.
//! Everything is in the HTML; the script only filters and remembers the
//! view in the URL hash, so the page works without it.

use super::board::{
    Board, BoardStep, BurnPoint, LastCheck, PhaseRow, TimelineEntry, human_time, name_of,
};
use super::forge::Forge;
use crate::git::repo::short;
use crate::ledger::event::check_passed;
use crate::ledger::{Status, time};
use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The timeline keeps the newest events; `git ledger log` has them all.
pub const TIMELINE_LIMIT: usize = 500;

const STYLE: &str = include_str!("board.css");
const SCRIPT: &str = include_str!("board.js");

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

/// How the page is used: a file (fetches nothing at all), or served by
/// `git ledger serve` (may ask the server whether it is still current).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    File,
    Served,
}

/// `sha256-…` of the inline script, for the Content-Security-Policy: the
/// page runs that script and no other, even if escaping ever failed.
fn script_hash() -> String {
    let digest = Sha256::digest(SCRIPT.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

fn csp(mode: Mode) -> String {
    let connect = match mode {
        Mode::File => "",
        Mode::Served => " connect-src 'self';",
    };
    format!(
        "default-src 'none'; style-src 'unsafe-inline'; script-src {};{connect} img-src data:; base-uri 'none'; form-action 'none'",
        script_hash()
    )
}

/// Links to the forge when there is one, plain text otherwise.
struct Links<'a> {
    forge: Option<&'a Forge>,
    head: &'a str,
}

impl Links<'_> {
    fn commit(&self, sha: &str) -> String {
        let code = format!("<code>{}</code>", esc(short(sha)));
        match self.forge {
            Some(f) if !sha.is_empty() => format!(
                "<a href=\"{}\" title=\"{}\">{code}</a>",
                esc(&f.commit(sha)),
                esc(sha)
            ),
            _ => code,
        }
    }

    fn file(&self, path: &str) -> String {
        let code = format!("<code>{}</code>", esc(path));
        match self.forge {
            Some(f) => format!("<a href=\"{}\">{code}</a>", esc(&f.file(self.head, path))),
            None => code,
        }
    }

    /// A blueprint reference: a link when it names a file (`docs/B.md#x`)
    /// the repository has at HEAD.
    fn reference(&self, r: &str, exists: impl Fn(&str) -> bool) -> String {
        let (path, anchor) = r.split_once('#').unwrap_or((r, ""));
        match self.forge {
            Some(f) if !path.is_empty() && exists(path) => {
                let mut url = f.file(self.head, path);
                if !anchor.is_empty() {
                    url.push('#');
                    url.push_str(&fragment(anchor));
                }
                format!("<a href=\"{}\"><code>{}</code></a>", esc(&url), esc(r))
            }
            _ => format!("<code>{}</code>", esc(r)),
        }
    }
}

/// A URL fragment: `#`, `%`, spaces and quotes encoded.
fn fragment(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            c if c.is_ascii_alphanumeric() || "-._~".contains(c) => out.push(c),
            c => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}

pub fn render(board: &Board<'_>, mode: Mode) -> String {
    let totals = board.totals();
    let links = Links {
        forge: board.context.forge.as_ref(),
        head: &board.head,
    };
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(&format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n",
        esc(&csp(mode))
    ));
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<meta name=\"color-scheme\" content=\"light dark\">\n");
    // An empty icon of its own: a browser would otherwise ask for /favicon.ico.
    out.push_str("<link rel=\"icon\" href=\"data:,\">\n");
    if let (Mode::Served, Some(v)) = (mode, &board.context.live_version) {
        out.push_str(&format!(
            "<meta name=\"ledger-version\" content=\"{}\">\n",
            esc(v)
        ));
    }
    out.push_str(&format!(
        "<title>{} — implementation ledger</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        esc(&board.project)
    ));
    let branch = match &board.context.branch {
        Some(b) => format!("branch <b>{}</b> at {}", esc(b), links.commit(&board.head)),
        None => format!("detached HEAD at {}", links.commit(&board.head)),
    };
    out.push_str(&format!(
        "<header><h1>{} — implementation ledger</h1><p class=\"meta\" id=\"made-for\">{branch} · exported {} · {} step(s) · {} event(s)<span class=\"live\"> · live: reloads when the ledger or HEAD moves</span></p></header>\n",
        esc(&board.project),
        esc(&human_time(&board.exported_at)),
        board.steps.len(),
        board.events
    ));
    out.push_str(&overview(board, &totals));
    out.push_str(&phases(board));
    if let Some(m) = &board.context.branches {
        out.push_str(&branch_matrix(m));
    }
    out.push_str(&trend(&board.context.burn_up));
    out.push_str(&steps(board, &links));
    out.push_str(&timeline(board, &links));
    out.push_str("<footer>Written by <code>git ledger export --format html</code> from <code>refs/notes/ledger</code>. Self-contained: it loads nothing, and its script only filters what is on the page.</footer>\n");
    out.push_str("</main>\n<script>");
    out.push_str(SCRIPT);
    out.push_str("</script>\n</body>\n</html>\n");
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
        let ids: Vec<String> = drifted
            .iter()
            .map(|s| {
                format!(
                    "<a href=\"#{}\">{}</a>",
                    step_anchor(&s.state.id),
                    esc(&s.state.id)
                )
            })
            .collect();
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

fn phase_name(name: &Option<String>) -> &str {
    name.as_deref().unwrap_or("(no phase)")
}

fn phases(board: &Board<'_>) -> String {
    let rows = board.phases();
    let mut out = String::from(
        "<section id=\"phases\">\n<h2>Progress by phase</h2>\n<div class=\"card\"><table>\n<thead><tr><th>Phase</th><th class=\"bar-col\">Progress</th><th class=\"num\">Verified</th><th class=\"num\">Drift</th></tr></thead>\n<tbody>\n",
    );
    for r in &rows {
        out.push_str(&format!(
            "<tr class=\"phase\"><td>{}</td><td>{}</td><td class=\"num\">{}/{}</td><td class=\"num\">{}</td></tr>\n",
            esc(phase_name(&r.name)),
            bar(r),
            r.count(Status::Verified),
            r.total,
            r.count(Status::DriftDetected)
        ));
    }
    out.push_str("</tbody>\n</table></div>\n</section>\n");
    out
}

/// What is done where: a row per step, a column per branch.
fn branch_matrix(m: &crate::markdown::board::BranchMatrix) -> String {
    let mut out = String::from(
        "<section id=\"branches\">\n<h2>What is done where</h2>\n<div class=\"card wide\"><table class=\"matrix\">\n<thead><tr><th>Step</th><th>Title</th>",
    );
    for (i, b) in m.branches.iter().enumerate() {
        let mark = if m.current == Some(i) { " (here)" } else { "" };
        out.push_str(&format!("<th>{}{mark}</th>", esc(b)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (id, title, on) in &m.rows {
        out.push_str(&format!(
            "<tr><td><a href=\"#{}\">{}</a></td><td>{}</td>",
            step_anchor(id),
            esc(id),
            esc(title)
        ));
        for s in on {
            out.push_str(&format!(
                "<td class=\"cell\">{} {}</td>",
                dot(Some(*s)),
                label(*s)
            ));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table></div>\n</section>\n");
    out
}

/// The burn-up: steps in the plan and steps verified at each day's end.
fn trend(points: &[BurnPoint]) -> String {
    let mut out = String::from(
        "<section id=\"trend\">\n<h2>Verified over time</h2>\n<div class=\"card trend\">\n",
    );
    if points.is_empty() {
        out.push_str("<p class=\"muted\">No events yet.</p>\n</div>\n</section>\n");
        return out;
    }
    let (w, h, left, bottom, top) = (720.0, 160.0, 34.0, 20.0, 10.0);
    let day = |p: &BurnPoint| time::parse_rfc3339(&p.day).unwrap_or(0) / 86_400;
    let (first, last) = (day(&points[0]), day(&points[points.len() - 1]));
    let span = (last - first).max(1) as f64;
    let max = points
        .iter()
        .map(|p| p.total.max(p.verified))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let x = |p: &BurnPoint| left + (day(p) - first) as f64 / span * (w - left - 4.0);
    let y = |n: usize| top + (1.0 - n as f64 / max) * (h - top - bottom);
    // Steps hold their value until the next day with events; a single
    // day is a level line across.
    let steps = |value: fn(&BurnPoint) -> usize| -> Vec<(f64, f64)> {
        if points.len() == 1 {
            let v = y(value(&points[0]));
            return vec![(left, v), (w - 4.0, v)];
        }
        let mut pts = Vec::new();
        for (i, p) in points.iter().enumerate() {
            if i > 0 {
                pts.push((x(p), y(value(&points[i - 1]))));
            }
            pts.push((x(p), y(value(p))));
        }
        pts
    };
    let line = |pts: &[(f64, f64)]| -> String {
        pts.iter()
            .map(|(a, b)| format!("{a:.1},{b:.1}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let verified = steps(|p| p.verified);
    let total = steps(|p| p.total);
    let base = y(0);
    let area = format!(
        "{:.1},{base:.1} {} {:.1},{base:.1}",
        verified[0].0,
        line(&verified),
        verified[verified.len() - 1].0
    );
    let now = &points[points.len() - 1];
    out.push_str(&format!(
        "<svg viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{} of {} steps verified on {}\">\n",
        now.verified,
        now.total,
        esc(&now.day)
    ));
    out.push_str(&format!(
        "<line x1=\"{left}\" y1=\"{base:.1}\" x2=\"{w}\" y2=\"{base:.1}\" style=\"stroke:var(--line)\"></line>\n<polygon points=\"{area}\" style=\"fill:var(--verified);opacity:.25\"></polygon>\n<polyline points=\"{}\" style=\"fill:none;stroke:var(--verified);stroke-width:2\"></polyline>\n<polyline points=\"{}\" style=\"fill:none;stroke:var(--muted);stroke-width:1.5;stroke-dasharray:4 3\"></polyline>\n",
        line(&verified),
        line(&total)
    ));
    let text = "font-size:11px;fill:var(--muted)";
    out.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" style=\"{text}\">{}</text>\n<text x=\"{:.1}\" y=\"{base:.1}\" text-anchor=\"end\" style=\"{text}\">0</text>\n<text x=\"{left}\" y=\"{h}\" style=\"{text}\">{}</text>\n<text x=\"{w}\" y=\"{h}\" text-anchor=\"end\" style=\"{text}\">{}</text>\n</svg>\n",
        left - 6.0,
        y(max as usize) + 4.0,
        max as usize,
        left - 6.0,
        esc(&points[0].day),
        esc(&now.day)
    ));
    out.push_str(&format!(
        "<p class=\"legend\"><span><span class=\"dot\" style=\"background:var(--verified)\"></span> verified: {}</span><span><span class=\"dot\" style=\"background:var(--muted)\"></span> steps in the plan: {}</span></p>\n</div>\n</section>\n",
        now.verified, now.total
    ));
    out
}

/// `step-S04`, with `%` and `#` (allowed in ids) encoded for a fragment.
fn step_anchor(id: &str) -> String {
    esc(&format!(
        "step-{}",
        id.replace('%', "%25").replace('#', "%23")
    ))
}

fn steps(board: &Board<'_>, links: &Links<'_>) -> String {
    let now = time::now_unix();
    let mut out = String::from("<section id=\"steps\">\n<h2>Steps</h2>\n");
    out.push_str(&filters(board));
    // Each phase's steps, grouped once: a search of all steps per phase
    // is quadratic in a ledger of thousands of phases.
    let mut of_phase: std::collections::HashMap<Option<&str>, Vec<&BoardStep<'_>>> =
        std::collections::HashMap::new();
    for s in &board.steps {
        of_phase
            .entry(s.state.def.phase.as_deref())
            .or_default()
            .push(s);
    }
    for phase in board.phases() {
        let name = phase.name.clone();
        out.push_str(&format!(
            "<div class=\"phase-group\" data-phase=\"{}\">\n<h3>{} <span class=\"muted\">· {}/{} verified</span></h3>\n<div class=\"card steps\">\n<div class=\"row head\" aria-hidden=\"true\"><span>ID</span><span>Status</span><span>Title</span><span>Since</span><span>Latest evidence</span></div>\n",
            esc(phase_name(&name)),
            esc(phase_name(&name)),
            phase.count(Status::Verified),
            phase.total
        ));
        for s in of_phase.get(&name.as_deref()).into_iter().flatten() {
            out.push_str(&step(s, links, now));
        }
        out.push_str("</div>\n</div>\n");
    }
    out.push_str("</section>\n");
    out
}

/// The filter bar; hidden until the script shows it, as without the
/// script it could do nothing.
fn filters(board: &Board<'_>) -> String {
    let option = |value: &str, text: &str| {
        format!("<option value=\"{}\">{}</option>", esc(value), esc(text))
    };
    let mut status = option("", "any status");
    for s in Status::ALL {
        status.push_str(&option(s.as_str(), label(s)));
    }
    let mut phase = option("", "any phase");
    for p in board.phases() {
        phase.push_str(&option(phase_name(&p.name), phase_name(&p.name)));
    }
    let mut owners: Vec<&str> = board
        .steps
        .iter()
        .filter_map(|s| s.detail.owner.as_deref())
        .collect();
    owners.sort_unstable();
    owners.dedup();
    let mut owner = option("", "anyone");
    for o in owners {
        owner.push_str(&option(o, o));
    }
    format!(
        "<form id=\"filters\" class=\"filters\" hidden role=\"search\">\n<label class=\"search\">Search ids, titles and files<input type=\"search\" name=\"q\" placeholder=\"S04, storage, src/api/\" autocomplete=\"off\"></label>\n<label>Status<select name=\"status\">{status}</select></label>\n<label>Phase<select name=\"phase\">{phase}</select></label>\n<label>Owner<select name=\"owner\">{owner}</select></label>\n<button type=\"reset\">Show all</button>\n<output id=\"shown\"></output>\n</form>\n"
    )
}

fn step(s: &BoardStep<'_>, links: &Links<'_>, now: i64) -> String {
    let st = s.state;
    let d = &st.def;
    let mut status = pill(s.status);
    if s.live_drift {
        status.push_str("<br><span class=\"muted\">seen at HEAD, not yet recorded</span>");
    }
    if !s.drift_files.is_empty() {
        status.push_str(&format!(
            "<span class=\"files\" style=\"display:block\">{}</span>",
            esc(&s.drift_files.join(", "))
        ));
    }
    let mut title = esc(&d.title);
    if st.retired {
        title.push_str(" <span class=\"muted\">(retired)</span>");
    }
    if s.unscoped {
        title.push_str(" <span class=\"muted\">(unscoped: owns no files, cannot drift)</span>");
    } else {
        title.push_str(&format!(
            "<span class=\"muted globs\" style=\"display:block\">{}</span>",
            d.owns
                .iter()
                .map(|g| format!("<code>{}</code>", esc(g)))
                .collect::<Vec<_>>()
                .join("")
        ));
    }
    let since = match &st.mark {
        Some(m) => format!(
            "{} {}{}",
            links.commit(&m.commit),
            esc(&time::relative_at(&m.at, now)),
            m.run
                .as_deref()
                .map(|r| format!("<br><span class=\"muted\">run {}</span>", esc(r)))
                .unwrap_or_default()
        ),
        None => String::new(),
    };
    let mut search: Vec<String> = vec![st.id.clone(), d.title.clone()];
    search.extend(d.owns.iter().cloned());
    search.extend(s.detail.owned_files.iter().cloned());
    search.extend(s.drift_files.iter().cloned());
    let search = search.join(" ").to_lowercase();
    format!(
        "<details class=\"step\" id=\"{}\" data-id=\"{}\" data-status=\"{}\" data-phase=\"{}\" data-owner=\"{}\" data-search=\"{}\" style=\"border-left-color:var(--{})\">\n<summary class=\"row\"><span class=\"id\">{}</span><span class=\"status\">{status}</span><span class=\"title\">{title}</span><span class=\"since\">{since}</span><span class=\"evidence\">{}</span></summary>\n{}</details>\n",
        step_anchor(&st.id),
        esc(&st.id),
        s.status.as_str(),
        esc(phase_name(&d.phase)),
        esc(s.detail.owner.as_deref().unwrap_or("")),
        esc(&search),
        s.status.as_str(),
        esc(&st.id),
        evidence_cell(s, now),
        detail(s, links, now)
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
    let e = &ev.event;
    let result = e.str_field("result").unwrap_or("?");
    let checks = checks_of(e);
    let passed = checks.iter().filter(|c| check_passed(c)).count();
    let mut out = format!(
        "<span class=\"{}\">{}</span>",
        if result == "pass" { "pass" } else { "fail" },
        esc(&result.to_uppercase())
    );
    if !checks.is_empty() {
        out.push_str(&format!(" {passed}/{}", checks.len()));
    }
    out.push_str(&format!(
        " <span class=\"muted\">{}{}</span>",
        esc(&time::relative_at(&e.at, now)),
        if e.bool_field("dirty") == Some(true) {
            ", dirty tree"
        } else {
            ""
        }
    ));
    if let Some(text) = e.str_field("text") {
        out.push_str(&format!(
            "<span class=\"muted\" style=\"display:block\">manual: {}</span>",
            esc(text)
        ));
    }
    out
}

fn checks_of(e: &crate::ledger::Event) -> Vec<Value> {
    e.fields
        .get("checks")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn list(items: &[String]) -> String {
    let lis: String = items
        .iter()
        .map(|i| format!("<li>{}</li>", esc(i)))
        .collect();
    format!("<ul>{lis}</ul>")
}

/// The panel a step opens to: its definition, files, checks and history.
fn detail(s: &BoardStep<'_>, links: &Links<'_>, now: i64) -> String {
    let st = s.state;
    let d = &st.def;
    let mut dl = String::new();
    let mut row = |term: &str, value: String| {
        dl.push_str(&format!("<dt>{term}</dt><dd>{value}</dd>"));
    };
    if let Some(m) = &st.mark {
        let mut v = format!(
            "{} since {} {}, by {}",
            pill(s.status),
            links.commit(&m.commit),
            esc(&time::relative_at(&m.at, now)),
            esc(name_of(&m.by))
        );
        if let Some(msg) = &m.msg {
            v.push_str(&format!(" <q>{}</q>", esc(msg)));
        }
        row("Status", v);
    }
    if let Some(sum) = &d.summary {
        row(
            "Summary",
            format!("<span style=\"white-space:pre-wrap\">{}</span>", esc(sum)),
        );
    }
    for (term, items) in [
        ("Edge cases", &d.edge_cases),
        ("Concerns", &d.concerns),
        ("Todo", &d.todo),
    ] {
        if !items.is_empty() {
            row(term, list(items));
        }
    }
    if !d.refs.is_empty() {
        let exists = |p: &str| s.detail.ref_files.iter().any(|f| f == p);
        let lis: String = d
            .refs
            .iter()
            .map(|r| format!("<li>{}</li>", links.reference(r, exists)))
            .collect();
        row("Refs", format!("<ul>{lis}</ul>"));
    }
    if !d.owns.is_empty() {
        let globs: String = d
            .owns
            .iter()
            .map(|g| format!("<code>{}</code> ", esc(g)))
            .collect();
        let files = &s.detail.owned_files;
        let more = s.detail.owned_more;
        let n = files.len() + more;
        let mut v = format!("{globs}<br><span class=\"muted\">{n} file(s) at HEAD</span>");
        if !files.is_empty() {
            let lis: String = files
                .iter()
                .map(|f| format!("<li>{}</li>", links.file(f)))
                .collect();
            v.push_str(&format!("<ul class=\"owned\">{lis}</ul>"));
            if more > 0 {
                v.push_str(&format!(
                    "<span class=\"muted\">and {more} more: <code>git ledger show {}</code></span>",
                    esc(&st.id)
                ));
            }
        }
        row("Owns", v);
    }
    if !d.checks.is_empty() {
        let lis: String = s
            .detail
            .last_checks
            .iter()
            .map(|c| last_check(c, links, now))
            .collect();
        row(
            "Checks",
            format!("<ul class=\"checks last-checks\">{lis}</ul>"),
        );
    }
    if let Some(note) = s.tests_note
        && let Some(msg) = note.event.str_field("msg")
    {
        row(
            "Tests run",
            format!("<span style=\"white-space:pre-wrap\">{}</span>", esc(msg)),
        );
    }
    let mut out = format!("<div class=\"detail\">\n<dl>{dl}</dl>\n");
    out.push_str("<h4>Verification and drift history</h4>\n");
    if s.detail.history.is_empty() {
        out.push_str("<p class=\"muted history\">No status, evidence or ack recorded yet.</p>\n");
    } else {
        out.push_str("<ul class=\"checks history\">");
        for t in &s.detail.history {
            out.push_str(&format!(
                "<li>{} <span class=\"muted\">{}</span> {} <span class=\"muted\">· {} · {}{}</span>{}</li>",
                dot(t.status),
                esc(&human_time(t.at)),
                esc(&t.what),
                esc(name_of(t.by)),
                links.commit(t.commit),
                t.run
                    .map(|r| format!(" · run {}", esc(r)))
                    .unwrap_or_default(),
                t.msg
                    .map(|m| format!(" <q>{}</q>", esc(m.lines().next().unwrap_or(""))))
                    .unwrap_or_default()
            ));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</div>\n");
    out
}

/// A check command with its latest run: PASS/FAIL, exit code, duration,
/// when and where, and the output tail.
fn last_check(c: &LastCheck<'_>, links: &Links<'_>, now: i64) -> String {
    let Some((ev, run)) = &c.run else {
        return format!(
            "<li><span class=\"muted\">NOT RUN</span> <code>{}</code></li>",
            esc(&c.cmd)
        );
    };
    let ok = check_passed(run);
    let exit = run.get("exit").and_then(Value::as_i64);
    let ms = run.get("ms").and_then(Value::as_u64).unwrap_or(0);
    let timed_out = run.get("timed_out").and_then(Value::as_bool) == Some(true);
    let mut out = format!(
        "<li><span class=\"{}\">{}</span> <code>{}</code> <span class=\"muted\">· exit {}{} · {:.1} s · {} at {}</span>",
        if ok { "pass" } else { "fail" },
        if ok { "PASS" } else { "FAIL" },
        esc(&c.cmd),
        exit.map_or("?".to_string(), |x| x.to_string()),
        if timed_out { " (timed out)" } else { "" },
        ms as f64 / 1000.0,
        esc(&time::relative_at(&ev.event.at, now)),
        links.commit(&ev.commit)
    );
    if let Some(tail) = run.get("out_tail").and_then(Value::as_str)
        && !tail.trim().is_empty()
    {
        out.push_str(&format!("<pre>{}</pre>", esc(tail.trim_end())));
    }
    out.push_str("</li>");
    out
}

fn timeline(board: &Board<'_>, links: &Links<'_>) -> String {
    let mut out =
        String::from("<section id=\"timeline\">\n<h2>Timeline</h2>\n<div class=\"card\">\n");
    if board.timeline.is_empty() {
        out.push_str("<p class=\"muted\">No events yet.</p>\n</div>\n</section>\n");
        return out;
    }
    let shown = &board.timeline[..board.timeline.len().min(TIMELINE_LIMIT)];
    let titles: std::collections::HashMap<&str, &str> = board
        .steps
        .iter()
        .map(|s| (s.state.id.as_str(), s.state.def.title.as_str()))
        .collect();
    let title = |id: &str| titles.get(id).copied();
    out.push_str("<ol class=\"timeline\">\n");
    // Per day, newest first; within a day one group per step, the step
    // with the latest event first.
    let mut i = 0;
    while i < shown.len() {
        let day = time::date_part(shown[i].at);
        let end = shown[i..]
            .iter()
            .position(|t| time::date_part(t.at) != day)
            .map_or(shown.len(), |n| i + n);
        out.push_str(&format!("<li><h4>{}</h4><ul>\n", esc(day)));
        let mut order: Vec<&str> = Vec::new();
        for t in &shown[i..end] {
            if !order.contains(&t.step) {
                order.push(t.step);
            }
        }
        for step in order {
            let head = if step.is_empty() {
                "<b>project</b>".to_string()
            } else {
                format!(
                    "<a href=\"#{}\"><b>{}</b></a>{}",
                    step_anchor(step),
                    esc(step),
                    title(step)
                        .map(|t| format!(" <span class=\"muted\">{}</span>", esc(t)))
                        .unwrap_or_default()
                )
            };
            out.push_str(&format!("<li>{head}<ul>\n"));
            for t in shown[i..end].iter().filter(|t| t.step == step) {
                out.push_str(&timeline_item(t, links));
            }
            out.push_str("</ul></li>\n");
        }
        out.push_str("</ul></li>\n");
        i = end;
    }
    out.push_str("</ol>\n");
    if board.timeline.len() > shown.len() {
        out.push_str(&format!(
            "<p class=\"muted\">{} older event(s) not shown: <code>git ledger log</code> lists them all.</p>\n",
            board.timeline.len() - shown.len()
        ));
    }
    if !board.context.with_retired {
        out.push_str("<p class=\"muted\">Retired steps are left out; <code>git ledger export --format html --all</code> shows them.</p>\n");
    }
    out.push_str("</div>\n</section>\n");
    out
}

fn timeline_item(t: &TimelineEntry<'_>, links: &Links<'_>) -> String {
    let hhmm = t.at.get(11..16).unwrap_or("");
    let mut out = format!(
        "<li>{}<span class=\"muted\">{}</span> {}",
        dot(t.status),
        esc(hhmm),
        esc(&t.what)
    );
    let mut meta = vec![esc(name_of(t.by))];
    if let Some(r) = &t.run {
        meta.push(format!("run {}", esc(r)));
    }
    meta.push(links.commit(t.commit));
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
        assert_eq!(step_anchor("a#1"), "step-a%231");
        assert_eq!(fragment("Storage & co"), "Storage%20%26%20co");
    }

    #[test]
    fn the_policy_allows_exactly_the_inline_script() {
        let policy = csp(Mode::File);
        assert!(
            policy
                .starts_with("default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-")
        );
        assert!(!policy.contains("connect-src"));
        assert!(csp(Mode::Served).contains("connect-src 'self'"));
        // sha256 of the script, base64: 44 characters.
        let hash = script_hash();
        assert_eq!(hash.len(), "'sha256-'".len() + 44, "{hash}");
    }

    #[test]
    fn escapes_markup_quotes_and_controls() {
        assert_eq!(
            esc("<script>alert(\"x\" & 'y')</script>\u{8}"),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
    }
}
