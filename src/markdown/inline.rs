//! Questions asked of one line of parsed text: its words, its fields
//! (`**Status:** done`), its commands and paths, its dates, and whether it
//! is a template placeholder (`_e.g. …_`).

use super::blocks::{Line, Span};
use crate::ledger::time;
use regex::Regex;
use std::sync::LazyLock;

/// The line as text: code spans in backticks, links as their text, other
/// markup and inline HTML dropped.
pub fn text(line: &Line) -> String {
    spans_text(&line.spans, true)
}

/// The line's words only: no backticks either.
pub fn plain(line: &Line) -> String {
    spans_text(&line.spans, false)
}

fn spans_text(spans: &[Span], ticks: bool) -> String {
    let mut out = String::new();
    for s in spans.iter().filter(|s| !s.html) {
        if s.code && ticks {
            out.push_str(&code_span(&s.text));
        } else {
            out.push_str(&s.text);
        }
    }
    out.trim().to_string()
}

/// The spans after the first `n` spans, as a line.
fn tail(line: &Line, n: usize) -> Line {
    Line {
        spans: line.spans.get(n..).unwrap_or(&[]).to_vec(),
        no: line.no,
    }
}

/// A line that starts in bold: (the bold text, the text after it).
pub fn lead_strong(line: &Line) -> Option<(String, String)> {
    let first = line
        .spans
        .iter()
        .position(|s| !s.html && !s.text.trim().is_empty())?;
    if !line.spans[first].strong {
        return None;
    }
    let end = line.spans[first..]
        .iter()
        .position(|s| !s.strong)
        .map_or(line.spans.len(), |p| first + p);
    let bold = spans_text(&line.spans[first..end], true);
    Some((bold, text(&tail(line, end))))
}

/// A `**Key:** value`, `**Key**: value` or `Key: value` field: (key, the
/// value as a line of its own). Plain keys are the few people write so.
pub fn field(line: &Line) -> Option<(String, Line)> {
    let first = line
        .spans
        .iter()
        .position(|s| !s.html && !s.text.trim().is_empty())?;
    let s = &line.spans[first];
    if s.strong {
        let end = line.spans[first..]
            .iter()
            .position(|s| !s.strong)
            .map_or(line.spans.len(), |p| first + p);
        let inner = spans_text(&line.spans[first..end], false);
        let mut value = tail(line, end);
        let key = if let Some(k) = inner.strip_suffix(':').or(inner.strip_suffix('：')) {
            k.to_string()
        } else {
            let v = value.spans.first_mut()?;
            if v.code {
                return None;
            }
            let t = v.text.trim_start();
            let rest = t.strip_prefix(':').or(t.strip_prefix('：'))?;
            v.text = rest.into();
            inner
        };
        let key = key.trim();
        if key.is_empty() || key.chars().count() > 60 {
            return None;
        }
        return Some((key.to_string(), value));
    }
    if s.code || s.link.is_some() {
        return None;
    }
    let (key, rest) = s.text.split_once(':')?;
    let k = key.trim().to_lowercase();
    let known = [
        "status",
        "state",
        "状态",
        "last updated",
        "updated",
        "updated at",
        "responsible run id",
        "run id",
        "phase",
        "owns",
        "files",
        "date",
        "reference",
        "references",
    ];
    if !known.contains(&k.as_str()) {
        return None;
    }
    let mut value = tail(line, first);
    if let Some(v) = value.spans.first_mut() {
        v.text = rest.into();
    }
    Some((key.trim().to_string(), value))
}

/// Code spans of the line, in order.
pub fn code_spans(line: &Line) -> Vec<&str> {
    line.spans
        .iter()
        .filter(|s| s.code)
        .map(|s| s.text.as_str())
        .collect()
}

/// `code` as a code span, with a fence longer than any backtick run inside.
pub fn code_span(code: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in code.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    if longest > 0 || code.starts_with([' ', '`']) || code.ends_with([' ', '`']) {
        format!("{fence} {code} {fence}")
    } else {
        format!("{fence}{code}{fence}")
    }
}

/// A template's placeholder rather than content: the whole line in italics
/// (`_e.g. \`.github/workflows/ci.yml\`_`, `_YYYY-MM-DD_`, `_…_`), or a line
/// that starts with `e.g.`.
pub fn is_template(line: &Line) -> bool {
    let words: Vec<&Span> = line
        .spans
        .iter()
        .filter(|s| !s.html && !s.text.trim().is_empty())
        .collect();
    if !words.is_empty() && words.iter().all(|s| s.emph) {
        return true;
    }
    let t = plain(line).to_lowercase();
    t.starts_with("e.g.")
        || t.starts_with("eg.")
        || t.starts_with("for example")
        || is_placeholder(&t)
}

/// Placeholders that say "nothing here": `N/A`, `None.`, `Not run …`, `…`.
pub fn is_placeholder(text: &str) -> bool {
    let t = text.replace(['*', '_'], "").to_lowercase();
    let t = t.trim().trim_end_matches('.').trim();
    matches!(
        t,
        "n/a" | "na" | "none" | "nothing" | "tbd" | "tba" | "-" | "—" | "–" | "…" | "..." | ""
    ) || t.starts_with("not run")
        || t.starts_with("no evidence recorded")
        || t.starts_with("not verified yet")
        || t.contains("yyyy-mm-dd")
        || t.chars()
            .all(|c| c == '_' || c == '.' || c == '…' || c.is_whitespace())
}

static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?P<d>\d{4}-\d{2}-\d{2})(?:[ T](?P<h>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?)?(?:\s*(?P<z>Z|UTC|GMT|[+-]\d{2}:?\d{2}))?",
    )
    .expect("date regex")
});
static MONTH_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})\b")
        .expect("month date regex")
});
static LEAD_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:[\p{L}][\p{L} ]{0,20}:\s*)?\**\s*(?P<d>\d{4}-\d{2}-\d{2})\b")
        .expect("leading date regex")
});

/// The first date (with an optional time and zone) in `s`, as RFC 3339 UTC.
/// ISO dates, and `January 25, 2026`.
pub fn find_date(s: &str) -> Option<String> {
    if let Some(c) = DATE.captures(s) {
        let mut stamp = c["d"].to_string();
        if let (Some(h), Some(m)) = (c.name("h"), c.name("m")) {
            let sec = c.name("s").map_or("00", |x| x.as_str());
            stamp.push_str(&format!("T{}:{}:{sec}", h.as_str(), m.as_str()));
            match c.name("z").map(|z| z.as_str()) {
                Some(z) if z.starts_with(['+', '-']) => {
                    let digits = z.replace(':', "");
                    stamp.push_str(&format!(
                        "{}:{}",
                        digits.get(..3).unwrap_or("+00"),
                        digits.get(3..).unwrap_or("00")
                    ));
                }
                _ => stamp.push('Z'),
            }
        }
        return time::parse_rfc3339(&stamp).map(time::format_rfc3339);
    }
    let c = MONTH_DATE.captures(s)?;
    let months = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let mon = c["mon"].to_lowercase();
    let m = months.iter().position(|x| *x == mon)? + 1;
    let day: u32 = c["day"].parse().ok()?;
    let stamp = format!("{}-{m:02}-{day:02}", &c["year"]);
    time::parse_rfc3339(&stamp).map(time::format_rfc3339)
}

/// The date a heading starts with (`2026-01-25`, `Session: 2026-01-03 (…)`)
/// and the text after it.
pub fn leading_date(s: &str) -> Option<(String, String)> {
    let c = LEAD_DATE.captures(s)?;
    let at = find_date(&s[c.name("d")?.start()..])?;
    let after = &s[c.get(0)?.end()..];
    let after = after
        .trim_start_matches(|ch: char| ch.is_ascii_digit() || ch == ':' || ch == ' ')
        .trim_start_matches(['—', '–', '-', ':', ' ', '*'])
        .trim();
    Some((at, super::words::commentary(after)))
}

static VERB: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(pass|passes|passed|succeed|succeeds|succeeded|completes|complete|returns|exits|exit|runs|works|green)\b")
        .expect("verb regex")
});
static PROGRAM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:(?:\./|\.\./|~/|/)[A-Za-z0-9._+/-]+|[a-z0-9][a-z0-9._+-]*)$")
        .expect("program regex")
});
static ENV_ASSIGN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z_][A-Za-z0-9_]*=\S*$").expect("env regex"));
const FILE_EXTENSIONS: &[&str] = &[
    "py", "md", "json", "yaml", "yml", "toml", "txt", "js", "ts", "tsx", "rs", "go", "sh", "css",
    "html", "sql", "cfg", "ini", "lock", "xml",
];

/// Whether `cmd` reads as a shell command rather than a name, path or
/// identifier: a lowercase program (or `./script`) after optional
/// `VAR=value` assignments; a lone word needs `rest` to say it runs
/// (`` `pytest` completes ``).
pub fn looks_like_command(cmd: &str, rest: &str) -> bool {
    let cmd = cmd.trim();
    if cmd.is_empty() || cmd.contains('\n') || rest.trim_start().starts_with(':') {
        return false;
    }
    let tokens: Vec<&str> = cmd
        .split_whitespace()
        .skip_while(|t| ENV_ASSIGN.is_match(t))
        .collect();
    let Some(program) = tokens.first() else {
        return false;
    };
    if !PROGRAM.is_match(program) {
        return false;
    }
    let path_like = program.starts_with(['.', '~', '/']);
    if tokens.len() == 1 {
        let is_file = !path_like
            && program
                .rsplit_once('.')
                .is_some_and(|(_, ext)| FILE_EXTENSIONS.contains(&ext));
        return !is_file && !program.starts_with('/') && VERB.is_match(rest);
    }
    // `/usr/bin/make -j2` runs; `/api/v1/apps POST` is a route.
    !program.starts_with('/') || program.matches('/').count() > 1 && tokens[1].starts_with('-')
}

/// A command a line starts with, in a code span (`Command:` or `Run:`
/// labels allowed): (command, text after it). `` `cmd` exits 0 `` (what
/// `export` writes) is always a command. A template's `` `mypy` (if used)
/// – PASS/FAIL `` is none.
pub fn leading_command(line: &Line) -> Option<(String, String)> {
    let mut spans = line.spans.iter().filter(|s| !s.html).peekable();
    // Skip an optional label: `Command:`, `Run:`, `**Command:**`.
    while let Some(s) = spans.peek() {
        let t = s.text.trim().to_lowercase();
        if !s.code && (t.is_empty() || matches!(t.as_str(), "command:" | "cmd:" | "run:")) {
            spans.next();
        } else {
            break;
        }
    }
    let first = spans.next()?;
    if !first.code || first.emph {
        return None;
    }
    let rest: String = spans
        .map(|s| {
            if s.code {
                code_span(&s.text)
            } else {
                s.text.to_string()
            }
        })
        .collect();
    let code = first.text.trim();
    if code.is_empty() || code.contains('\n') || is_choice(&rest) {
        return None;
    }
    let explicit = rest.trim_start().starts_with("exits 0");
    (explicit || looks_like_command(code, &rest)).then(|| (code.to_string(), rest))
}

/// `PASS/FAIL`, `(if used)`: a template's choice, not a result.
fn is_choice(rest: &str) -> bool {
    let r = rest.to_lowercase();
    r.contains("pass/fail")
        || r.contains("pass / fail")
        || r.contains("(if used)")
        || r.contains("(optional)")
}

/// A command written without a code span before a result: `python x.py – PASSED`.
pub fn plain_command(line: &Line) -> Option<(String, String)> {
    if line.spans.iter().any(|s| s.code) {
        return None;
    }
    let t = plain(line);
    for sep in [" – ", " — ", " - "] {
        if let Some((cmd, rest)) = t.split_once(sep)
            && cmd.split_whitespace().count() > 1
            && looks_like_command(cmd, rest)
            && !is_choice(rest)
        {
            return Some((cmd.trim().to_string(), rest.to_string()));
        }
    }
    None
}

static PASS_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?P<pass>pass|passed|passes|ok|success|successful|succeeded|green)\b|(?P<fail>\bfail(?:ed|s|ure)?\b|\berrors?\b|\bunknown\b|\bskipped\b|\bnot run\b|\btimed? ?out\b)|(?P<emo_pass>[✅✓✔])|(?P<emo_fail>❌)")
        .expect("pass regex")
});

/// What a tests line says about its command: Some(true) for PASS, Some(false) for FAIL.
pub fn result_of(rest: &str) -> Option<bool> {
    if is_choice(rest) {
        return None;
    }
    let c = PASS_WORD.captures(rest)?;
    Some(c.name("pass").is_some() || c.name("emo_pass").is_some())
}

/// Paths a files entry names: its leading code spans (`` `a`, `b` ``,
/// after an optional `**Label:**`), or its first word when that is one
/// path (read from `raw`, the entry as written, so `__init__.py` keeps its
/// underscores). The flag says prose followed the paths. Italic spans are
/// placeholders.
pub fn paths_in(line: &Line, raw: &str) -> (Vec<String>, bool) {
    let spans: Vec<&Span> = line
        .spans
        .iter()
        .filter(|s| !s.html && !s.emph)
        .skip_while(|s| s.strong && s.text.trim_end().ends_with(':') || s.text.trim().is_empty())
        .collect();
    if spans.is_empty() {
        return (Vec::new(), false);
    }
    if !spans.iter().any(|s| s.code) {
        let raw = raw.trim();
        let raw = raw.trim_start_matches(|c: char| c == '*' || c == '_' && raw.starts_with("__ "));
        let token = raw
            .split(" (")
            .next()
            .unwrap_or(raw)
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_end_matches([',', '.', ';'])
            .trim_matches('*');
        let pathish = (token.contains('/') || token.contains('.'))
            && !token.contains("://")
            && !token.starts_with('[')
            && token.chars().any(char::is_alphanumeric);
        let whole = plain(line);
        return if pathish {
            (vec![token.to_string()], whole.len() > token.len() + 1)
        } else {
            (Vec::new(), !whole.is_empty())
        };
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < spans.len() {
        let s = spans[i];
        if s.code {
            if s.text.contains(char::is_whitespace) || s.text.contains("://") {
                break;
            }
            out.push(s.text.to_string());
        } else if !matches!(
            s.text.trim(),
            "" | "," | "and" | ", and" | ";" | "/" | "+" | "&"
        ) {
            break;
        }
        i += 1;
    }
    let prose = spans[i..].iter().any(|s| {
        !s.text
            .trim()
            .trim_start_matches([',', ';', '.'])
            .trim()
            .is_empty()
    });
    // After prose, only spans that are clearly paths: `demos/`, `src/x.rs`.
    for s in &spans[i..] {
        if s.code
            && s.text.contains('/')
            && !s.text.contains(char::is_whitespace)
            && !s.text.contains("://")
            && !out.iter().any(|o| *o == s.text)
        {
            out.push(s.text.to_string());
        }
    }
    (out, prose)
}

/// A file path as an `owns` glob that matches exactly that path: glob
/// metacharacters escaped, and anchored at the root (a pattern without a
/// slash would match at any depth).
pub fn literal_glob(path: &str) -> String {
    let p = path.trim();
    let p = p.strip_prefix("./").unwrap_or(p);
    let mut out = String::with_capacity(p.len() + 4);
    for (i, c) in p.chars().enumerate() {
        match c {
            '\\' | '*' | '?' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '!' | '#' if i == 0 => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    if !out.trim_end_matches('/').contains('/') {
        out.insert(0, '/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::blocks::{Kind, parse};
    use crate::markdown::source::Source;

    fn first_line(md: &str) -> (Line, String) {
        let src = Source::new(md);
        let b = parse(&src);
        let mut block = &b[0];
        while let Some(c) = block.children.first() {
            block = c;
        }
        match &block.kind {
            Kind::Paragraph(lines) => (lines[0].clone(), src.text.clone()),
            Kind::Item { head, .. } => (head[0].clone(), src.text.clone()),
            other => panic!("{other:?}"),
        }
    }

    fn line(md: &str) -> Line {
        first_line(md).0
    }

    #[test]
    fn fields_bold_or_plain() {
        let (k, v) = field(&line("- **Status:** verified")).unwrap();
        assert_eq!((k.as_str(), text(&v).as_str()), ("Status", "verified"));
        let (k, v) = field(&line("**Status**: [x] complete")).unwrap();
        assert_eq!((k.as_str(), text(&v).as_str()), ("Status", "[x] complete"));
        let (k, _) = field(&line("Status: done")).unwrap();
        assert_eq!(k, "Status");
        assert!(field(&line("**Step 1 done** ✅")).is_none());
        assert!(field(&line("Note: something")).is_none());
    }

    #[test]
    fn commands_and_non_commands() {
        let c = |t: &str| leading_command(&line(t)).map(|(c, _)| c);
        assert_eq!(
            c("`pre-commit run --all-files` completes with no errors."),
            Some("pre-commit run --all-files".into())
        );
        assert_eq!(c("`pytest` completes successfully."), Some("pytest".into()));
        assert_eq!(
            c("Command: `ls -R` – Verified directory structure."),
            Some("ls -R".into())
        );
        assert_eq!(c("`make` exits 0"), Some("make".into()));
        assert_eq!(
            c("`/usr/bin/make -j2` exits 0"),
            Some("/usr/bin/make -j2".into())
        );
        assert_eq!(
            c("`FOO=1 cargo test` passes"),
            Some("FOO=1 cargo test".into())
        );
        for not in [
            "`backend/tests` exists and contains tests.",
            "`OUTLOOKCORTEX_DB_URL` is correctly mapped.",
            "`POST /search` enforces `SearchRequest` model.",
            "`S3SourceHandler` matches the needs.",
            "`implemented`: Core logic",
            "`check_db.py` script created",
            "`mypy` (if used) – PASS/FAIL",
            "_`make test` e.g._",
        ] {
            assert_eq!(c(not), None, "{not}");
        }
        assert_eq!(
            plain_command(&line("python -m cortex.cli doctor – PASSED (Checked Env)"))
                .map(|(c, _)| c),
            Some("python -m cortex.cli doctor".into())
        );
        assert_eq!(result_of(" – PASSED"), Some(true));
        assert_eq!(result_of(" – FAILED during collection"), Some(false));
        assert_eq!(result_of(" – PASS/FAIL"), None);
    }

    #[test]
    fn paths_placeholders_and_literal_globs() {
        let p = |t: &str| {
            let (l, _) = first_line(t);
            paths_in(&l, t.trim_start_matches("- "))
        };
        assert_eq!(
            p("- `backend/pyproject.toml` (Added `alembic`)"),
            (vec!["backend/pyproject.toml".into()], true)
        );
        assert_eq!(
            p("- **Ingestion:** `a/x.py`, `security/validators.py`").0,
            ["a/x.py", "security/validators.py"]
        );
        assert_eq!(p("- src/pkg/__init__.py").0, ["src/pkg/__init__.py"]);
        assert_eq!(
            p("- _e.g. `.github/workflows/ci.yml`_").0,
            Vec::<String>::new()
        );
        assert!(is_template(&line("- _e.g. `.github/workflows/ci.yml`_")));
        assert!(is_template(&line("- _YYYY-MM-DD_")));
        assert!(!is_template(&line("- `src/a.rs`")));
        assert_eq!(literal_glob("check_s3.py"), "/check_s3.py");
        assert_eq!(literal_glob("app/[id]/page.tsx"), "app/\\[id\\]/page.tsx");
        assert_eq!(literal_glob("#notes.md"), "/\\#notes.md");
    }

    #[test]
    fn dates() {
        assert_eq!(
            find_date("2025-12-10 07:30 UTC").as_deref(),
            Some("2025-12-10T07:30:00Z")
        );
        assert_eq!(
            find_date("2026-01-25T10:00:00+02:00").as_deref(),
            Some("2026-01-25T08:00:00Z")
        );
        assert_eq!(
            find_date("January 25, 2026 - 2:45 PM").as_deref(),
            Some("2026-01-25T00:00:00Z")
        );
        assert_eq!(find_date("2026-13-40"), None);
        let (at, rest) = leading_date("2026-06-18 — Launch-prep: bundler").unwrap();
        assert_eq!(
            (at.as_str(), rest.as_str()),
            ("2026-06-18T00:00:00Z", "Launch-prep: bundler")
        );
        assert!(leading_date("Session: 2026-01-03 (Initial Audit)").is_some());
        assert!(leading_date("Design overhaul (opened 2026-07-12)").is_none());
    }
}
