//! The inline pieces of a ledger line: code spans, emphasis, step ids,
//! dates, status words, commands and paths. Pure functions on strings.

use crate::ledger::{Status, time};
use regex::Regex;
use std::sync::LazyLock;

/// A step id written without a keyword: a capital letter, then letters, an
/// optional hyphen, digits, dotted numbers and one lowercase suffix letter
/// (`S04`, `T002a`, `M2.1`, `LSP-001`, `L0`). Plain numbers need a keyword.
const ID: &str = r"[A-Z][A-Za-z]{0,15}-?\d+(?:\.\d+)*[a-z]?";
/// Words that introduce an id: `Step S03`, `Task 1.1`, `Phase 2`.
const KEYWORDS: &str =
    "step|task|phase|milestone|story|epic|sprint|stage|wave|issue|ticket|item|part";

static LEAD_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^(?:(?i:(?P<kw>{KEYWORDS}))\s+(?P<kid>\d+(?:\.\d+)*[a-z]?|{ID})|(?P<ids>{ID}(?:\s*(?:&|,|/|\band\b)\s*{ID})*))"
    ))
    .expect("id regex")
});
static ONE_ID: LazyLock<Regex> = LazyLock::new(|| Regex::new(ID).expect("id regex"));
static TRAILING_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^(?P<title>.+?)\s*(?:[(\[]\s*(?P<a>{ID})\s*[)\]]|\s[–—-]\s+(?P<b>{ID}))\s*$"
    ))
    .expect("trailing id regex")
});
static PHASE_HINT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"^\((?P<p>(?i:{KEYWORDS})\s+[^)]{{1,40}})\)\s*")).expect("phase regex")
});
static PHASE_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(phase|epic|milestone|wave|sprint|stage|iteration|release|part)\b")
        .expect("phase word regex")
});
static TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\[(?P<t>[^\]\s]{1,16})\]\s*").expect("tag regex"));
static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?P<d>\d{4}-\d{2}-\d{2})(?:[ T](?P<h>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?)?(?:\s*(?P<z>Z|UTC|GMT|[+-]\d{2}:?\d{2}))?",
    )
    .expect("date regex")
});
static LEAD_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:[\p{L}][\p{L} ]{0,20}:\s*)?\**\s*(?P<d>\d{4}-\d{2}-\d{2})\b")
        .expect("leading date regex")
});

/// What a status word, emoji or checkbox says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Word {
    /// Checked, done, complete, ✅: becomes the `--checked-as` status.
    Done,
    Exact(Status),
}

impl Word {
    pub fn resolve(self, checked_as: Status) -> Status {
        match self {
            Word::Done => checked_as,
            Word::Exact(s) => s,
        }
    }
}

/// Status words, normalised (lowercase, `_` for spaces and hyphens). A word
/// listed with `None` is a status people use that has no equivalent here.
const WORDS: &[(&str, Option<Word>)] = &[
    ("not_started", Some(Word::Exact(Status::NotStarted))),
    ("notstarted", Some(Word::Exact(Status::NotStarted))),
    ("todo", Some(Word::Exact(Status::NotStarted))),
    ("to_do", Some(Word::Exact(Status::NotStarted))),
    ("pending", Some(Word::Exact(Status::NotStarted))),
    ("new", Some(Word::Exact(Status::NotStarted))),
    ("planned", Some(Word::Exact(Status::NotStarted))),
    ("backlog", Some(Word::Exact(Status::NotStarted))),
    ("未开始", Some(Word::Exact(Status::NotStarted))),
    ("待办", Some(Word::Exact(Status::NotStarted))),
    ("in_progress", Some(Word::Exact(Status::InProgress))),
    ("inprogress", Some(Word::Exact(Status::InProgress))),
    ("wip", Some(Word::Exact(Status::InProgress))),
    ("started", Some(Word::Exact(Status::InProgress))),
    ("doing", Some(Word::Exact(Status::InProgress))),
    ("ongoing", Some(Word::Exact(Status::InProgress))),
    ("running", Some(Word::Exact(Status::InProgress))),
    ("active", Some(Word::Exact(Status::InProgress))),
    ("partial", Some(Word::Exact(Status::InProgress))),
    ("in_review", Some(Word::Exact(Status::InProgress))),
    ("进行中", Some(Word::Exact(Status::InProgress))),
    ("done", Some(Word::Done)),
    ("complete", Some(Word::Done)),
    ("completed", Some(Word::Done)),
    ("finished", Some(Word::Done)),
    ("implemented", Some(Word::Done)),
    ("resolved", Some(Word::Done)),
    ("fixed", Some(Word::Done)),
    ("shipped", Some(Word::Done)),
    ("merged", Some(Word::Done)),
    ("完成", Some(Word::Done)),
    ("已完成", Some(Word::Done)),
    ("verified", Some(Word::Exact(Status::Verified))),
    ("re_verified", Some(Word::Exact(Status::Verified))),
    ("已验证", Some(Word::Exact(Status::Verified))),
    (
        "completed_pending_verification",
        Some(Word::Exact(Status::CompletedPendingVerification)),
    ),
    (
        "pending_verification",
        Some(Word::Exact(Status::CompletedPendingVerification)),
    ),
    (
        "awaiting_verification",
        Some(Word::Exact(Status::CompletedPendingVerification)),
    ),
    (
        "needs_verification",
        Some(Word::Exact(Status::CompletedPendingVerification)),
    ),
    ("drift_detected", Some(Word::Exact(Status::DriftDetected))),
    ("drift", Some(Word::Exact(Status::DriftDetected))),
    ("drifted", Some(Word::Exact(Status::DriftDetected))),
    ("blocked", None),
    ("on_hold", None),
    ("shelved", None),
    ("cancelled", None),
    ("canceled", None),
    ("deferred", None),
    ("failed", None),
    ("needs_clarification", None),
    ("gated_pending_owner", None),
];

fn emoji_word(c: char) -> Option<Option<Word>> {
    Some(match c {
        '✅' | '✔' | '☑' | '✓' | '🟩' => Some(Word::Done),
        '🟡' | '🟠' | '🔄' | '⏳' | '🚧' | '🔶' | '🟨' => {
            Some(Word::Exact(Status::InProgress))
        }
        '⚪' | '⬜' | '☐' | '🔲' => Some(Word::Exact(Status::NotStarted)),
        '❌' | '🔴' | '⛔' | '🛑' => None,
        _ => return None,
    })
}

/// The word of a checkbox mark: `[x]` done, `[ ]` not started, `[~]` `[>]`
/// `[/]` in progress; `[-]` `[!]` `[?]` have no equivalent.
pub fn checkbox_word(mark: char) -> Option<Word> {
    match mark {
        'x' | 'X' => Some(Word::Done),
        ' ' => Some(Word::Exact(Status::NotStarted)),
        '~' | '>' | '/' => Some(Word::Exact(Status::InProgress)),
        _ => None,
    }
}

/// A status as written: what it maps to, the words that said it, and the
/// commentary after them.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusText {
    /// None: no status word was found, or the word has no equivalent.
    pub word: Option<Word>,
    pub said: String,
    pub rest: String,
}

fn norm_word(s: &str) -> String {
    s.trim_matches(|c: char| matches!(c, ':' | ',' | '.' | ';' | '!' | '(' | ')' | '*' | '_'))
        .chars()
        .map(|c| match c {
            '-' | ' ' | '\u{2011}' => '_',
            c => c.to_lowercase().next().unwrap_or(c),
        })
        .collect()
}

/// Reads a status cell or field: `verified`, `**DONE** — shipped`,
/// `[x] complete`, `✅ Complete`, `🟡 In Progress`, `[ ] Not Started`.
/// A word wins over an emoji, an emoji over a checkbox.
pub fn status_text(raw: &str) -> StatusText {
    let text = strip_emphasis(raw).replace('`', "");
    let mut t = text.trim();
    let mut from_box: Option<(Option<Word>, String)> = None;
    if let Some(mark) = checkbox_prefix(t) {
        from_box = Some((checkbox_word(mark), t[..3].to_string()));
        t = t[3..].trim_start();
    }
    let mut from_emoji: Option<(Option<Word>, String)> = None;
    while let Some(c) = t.chars().next() {
        if c.is_alphanumeric() || c == '[' || c == '(' {
            break;
        }
        if let Some(w) = emoji_word(c)
            && from_emoji.is_none()
        {
            from_emoji = Some((w, c.to_string()));
        }
        t = t[c.len_utf8()..].trim_start();
    }
    let tokens: Vec<&str> = t.split_whitespace().collect();
    for n in (1..=tokens.len().min(4)).rev() {
        let phrase = tokens[..n].join(" ");
        let key = norm_word(&phrase);
        if let Some((_, w)) = WORDS.iter().find(|(k, _)| *k == key) {
            return StatusText {
                word: *w,
                said: phrase.trim_end_matches([':', ',', '.', ';']).to_string(),
                rest: commentary(&tokens[n..].join(" ")),
            };
        }
    }
    let rest = commentary(t);
    match from_emoji.or(from_box) {
        Some((word, said)) => StatusText { word, said, rest },
        None => StatusText {
            word: None,
            said: tokens.first().map(|s| s.to_string()).unwrap_or_default(),
            rest: commentary(&tokens.iter().skip(1).copied().collect::<Vec<_>>().join(" ")),
        },
    }
}

/// Commentary after a status word, without the separator and parentheses.
fn commentary(s: &str) -> String {
    let t = s
        .trim()
        .trim_start_matches(['–', '—', '-', ':', ',', ';', '·'])
        .trim();
    let t = if t.starts_with('(') && t.ends_with(')') && t.matches('(').count() == 1 {
        &t[1..t.len() - 1]
    } else {
        t
    };
    t.trim().to_string()
}

/// `x` for a text starting with `[x]`.
pub fn checkbox_prefix(t: &str) -> Option<char> {
    let mut chars = t.chars();
    if chars.next() != Some('[') {
        return None;
    }
    let mark = chars.next()?;
    if chars.next() != Some(']') || mark.len_utf8() != 1 {
        return None;
    }
    matches!(
        mark,
        ' ' | 'x' | 'X' | '~' | '>' | '/' | '-' | '!' | '?' | '.'
    )
    .then_some(mark)
}

/// Code spans as CommonMark reads them: (byte range of the whole span, content).
pub fn code_spans(text: &str) -> Vec<(std::ops::Range<usize>, String)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'`' {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i] == b'`' {
            i += 1;
        }
        let n = i - start;
        let mut j = i;
        let mut closed = None;
        while j < b.len() {
            if b[j] == b'`' {
                let run = j;
                while j < b.len() && b[j] == b'`' {
                    j += 1;
                }
                if j - run == n {
                    closed = Some(run);
                    break;
                }
            } else {
                j += 1;
            }
        }
        match closed {
            Some(close) => {
                let inner = &text[i..close];
                let content = if inner.len() >= 2
                    && inner.starts_with(' ')
                    && inner.ends_with(' ')
                    && !inner.trim().is_empty()
                {
                    &inner[1..inner.len() - 1]
                } else {
                    inner
                };
                out.push((start..close + n, content.to_string()));
                i = close + n;
            }
            None => i = start + n,
        }
    }
    out
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
    if longest > 0 || code.starts_with(' ') || code.ends_with(' ') {
        format!("{fence} {code} {fence}")
    } else {
        format!("{fence}{code}{fence}")
    }
}

/// The text without `**`/`__` strong markers, and without one pair of
/// `*`/`_` wrapping it whole. Code spans are left alone.
pub fn strip_emphasis(text: &str) -> String {
    let spans = code_spans(text);
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    for (range, _) in spans.iter().map(|(r, c)| (r.clone(), c)) {
        out.push_str(&text[i..range.start].replace("**", "").replace("__", ""));
        out.push_str(&text[range.clone()]);
        i = range.end;
    }
    out.push_str(&text[i..].replace("**", "").replace("__", ""));
    let t = out.trim();
    for w in ['*', '_'] {
        if t.len() > 2 && t.starts_with(w) && t.ends_with(w) {
            return t[1..t.len() - 1].trim().to_string();
        }
    }
    t.to_string()
}

/// The head of an item, heading or cell that names a step.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IdHead {
    pub ids: Vec<String>,
    /// The word before the id (`Step`, `Task`), lowercase.
    pub keyword: Option<String>,
    pub title: String,
    /// Text after a bold `**ID: Title**`, e.g. `: Add warn and delay`.
    pub extra: String,
    /// Leading `[P]`, `[US1]` tags.
    pub tags: Vec<String>,
    /// `(Epic 2)` right after the title.
    pub phase_hint: Option<String>,
}

/// Finds the step id(s) a line of text names: bold or plain, before or
/// after the title (`**M2.1: Title**`, `T001 Title`, `Step S03 – Title`,
/// `Title (S04)`). `strict`: a plain leading id must be followed by a
/// separator, a tag or a capitalised word, so `S3 bucket created` is not
/// step S3.
pub fn split_id(text: &str, strict: bool) -> Option<IdHead> {
    let t = text.trim();
    if let Some(inner_end) = t.strip_prefix("**").and_then(|r| r.find("**")) {
        let bold = t[2..2 + inner_end].trim();
        let after = &t[2 + inner_end + 2..];
        if let Some(mut head) = lead_ids(bold, false) {
            let after = after
                .trim_start()
                .trim_start_matches([':', '：', '–', '—'])
                .trim();
            if head.title.is_empty() {
                finish_title(&mut head, after);
            } else {
                let (hint, rest) = phase_hint(after);
                head.phase_hint = hint;
                head.extra = rest
                    .trim_start_matches(['-', '–', '—', ':'])
                    .trim()
                    .to_string();
            }
            return Some(head);
        }
    }
    let plain = strip_emphasis(t);
    if let Some(head) = lead_ids(&plain, strict) {
        return Some(head);
    }
    let caps = TRAILING_ID.captures(&plain)?;
    let id = caps.name("a").or(caps.name("b"))?.as_str().to_string();
    Some(IdHead {
        ids: vec![id],
        title: caps["title"].trim().to_string(),
        ..IdHead::default()
    })
}

fn lead_ids(s: &str, strict: bool) -> Option<IdHead> {
    let caps = LEAD_ID.captures(s)?;
    let end = caps.get(0)?.end();
    let rest = &s[end..];
    if rest
        .chars()
        .next()
        .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.' && !rest[1..].starts_with(' '))
    {
        return None;
    }
    let trimmed = rest.trim_start();
    let sep_len = separator_len(rest);
    let after = if sep_len > 0 {
        &rest[sep_len..]
    } else if rest.is_empty() {
        ""
    } else {
        let next = trimmed.chars().next();
        let ok = !strict
            || next.is_some_and(|c| {
                c == '[' || c == '`' || c.is_uppercase() || (!c.is_ascii() && c.is_alphabetic())
            });
        if !ok || !rest.starts_with(char::is_whitespace) {
            return None;
        }
        trimmed
    };
    let (keyword, ids) = match caps.name("kid") {
        Some(kid) => (
            caps.name("kw").map(|k| k.as_str().to_lowercase()),
            vec![kid.as_str().to_string()],
        ),
        None => (
            None,
            ONE_ID
                .find_iter(caps.name("ids")?.as_str())
                .map(|m| m.as_str().to_string())
                .collect(),
        ),
    };
    let mut head = IdHead {
        ids,
        keyword,
        ..IdHead::default()
    };
    finish_title(&mut head, after);
    Some(head)
}

/// Bytes of a separator between an id and its title: `:`, `–`, ` - `, `. `.
fn separator_len(rest: &str) -> usize {
    let t = rest.trim_start();
    let lead = rest.len() - t.len();
    for sep in [":", "：", "–", "—", "‑", "|"] {
        if let Some(after) = t.strip_prefix(sep) {
            return rest.len() - after.trim_start().len();
        }
    }
    if lead > 0 && (t.starts_with("- ") || t == "-") {
        return rest.len() - t[1..].trim_start().len();
    }
    if t.starts_with(". ") && lead == 0 {
        return 2;
    }
    0
}

fn phase_hint(s: &str) -> (Option<String>, &str) {
    match PHASE_HINT.captures(s) {
        Some(c) => (
            Some(c["p"].trim().to_string()),
            &s[c.get(0).map_or(0, |m| m.end())..],
        ),
        None => (None, s),
    }
}

fn finish_title(head: &mut IdHead, after: &str) {
    let mut t = after.trim();
    while let Some(c) = TAG.captures(t) {
        head.tags.push(c["t"].to_string());
        t = t[c.get(0).map_or(0, |m| m.end())..].trim_start();
    }
    let (hint, rest) = phase_hint(t);
    if hint.is_some() {
        head.phase_hint = hint;
        t = rest.trim_start_matches(['-', '–', '—', ':']).trim();
    }
    let t = strip_emphasis(t);
    // `M1 (Baseline)`: the parentheses hold the title.
    head.title = match t.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        Some(inner) if !inner.contains(['(', ')']) => inner.trim().to_string(),
        _ => t,
    };
}

/// Whether a heading names a phase-like group (`Phase 2`, `Epic 3`, `Wave 1`).
pub fn is_phase_name(text: &str) -> bool {
    PHASE_WORD.is_match(text)
}

/// The first date (with an optional time and zone) in `s`, as RFC 3339 UTC.
pub fn find_date(s: &str) -> Option<String> {
    let c = DATE.captures(s)?;
    let mut stamp = c["d"].to_string();
    if let (Some(h), Some(m)) = (c.name("h"), c.name("m")) {
        let sec = c.name("s").map_or("00", |x| x.as_str());
        stamp.push_str(&format!("T{}:{}:{sec}", h.as_str(), m.as_str()));
        match c.name("z").map(|z| z.as_str()) {
            Some(z) if z.starts_with('+') || z.starts_with('-') => {
                let digits = z.replace(':', "");
                stamp.push_str(&format!("{}:{}", &digits[..3], &digits[3..]));
            }
            _ => stamp.push('Z'),
        }
    }
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
        .trim_start_matches(['—', '–', '-', ':', ' '])
        .trim();
    let after = strip_emphasis(after.trim_start_matches("**"));
    let after = after.trim_start_matches(['—', '–', '-', ':', ' ']);
    Some((at, commentary(after)))
}

/// Placeholders that say "nothing here": `N/A`, `None.`, `Not run …`.
pub fn is_placeholder(text: &str) -> bool {
    let t = strip_emphasis(text).to_lowercase();
    let t = t.trim().trim_end_matches('.').trim();
    matches!(
        t,
        "n/a" | "na" | "none" | "nothing" | "tbd" | "-" | "—" | "–" | ""
    ) || t.starts_with("not run")
        || t.starts_with("no evidence recorded")
        || t.starts_with("not verified yet")
}

static VERB: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(pass|passes|passed|succeed|succeeds|succeeded|completes|complete|returns|exits|exit|runs|works|green)\b")
        .expect("verb regex")
});
static PROGRAM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:(?:\./|\.\./|~/)[A-Za-z0-9._+/-]+|[a-z0-9][a-z0-9._+-]*)$")
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
    let relative =
        program.starts_with("./") || program.starts_with("../") || program.starts_with("~/");
    if tokens.len() == 1 {
        let is_file = !relative
            && program
                .rsplit_once('.')
                .is_some_and(|(_, ext)| FILE_EXTENSIONS.contains(&ext));
        return !is_file && VERB.is_match(rest);
    }
    true
}

/// A command an item starts with, in a code span (`Command:` or `Run:`
/// labels allowed): (command, text after it). `` `cmd` exits 0 `` (what
/// `export` writes) is always a command.
pub fn leading_command(text: &str) -> Option<(String, String)> {
    let t = strip_emphasis(text);
    let mut t = t.trim();
    for label in ["command:", "cmd:", "run:"] {
        if t.len() >= label.len() && t[..label.len()].eq_ignore_ascii_case(label) {
            t = t[label.len()..].trim_start();
        }
    }
    let spans = code_spans(t);
    let (range, code) = spans.first()?;
    if range.start != 0 {
        return None;
    }
    let rest = t[range.end..].to_string();
    let explicit = rest.trim_start().starts_with("exits 0");
    (explicit && !code.trim().is_empty() && !code.contains('\n') || looks_like_command(code, &rest))
        .then(|| (code.trim().to_string(), rest))
}

/// A command written without a code span before a result: `python x.py – PASSED`.
pub fn plain_command(text: &str) -> Option<(String, String)> {
    let t = strip_emphasis(text);
    for sep in [" – ", " — ", " - "] {
        if let Some((cmd, rest)) = t.split_once(sep)
            && cmd.split_whitespace().count() > 1
            && looks_like_command(cmd, rest)
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
    let c = PASS_WORD.captures(rest)?;
    Some(c.name("pass").is_some() || c.name("emo_pass").is_some())
}

/// Paths an item names: its leading code spans (`` `a`, `b` ``, after an
/// optional `**Label:**`), or its whole text when that is one path-like
/// token. The flag says prose followed the paths.
pub fn paths_in(text: &str) -> (Vec<String>, bool) {
    let mut t = text.trim();
    if let Some(after) = t.strip_prefix("**")
        && let Some(end) = after.find("**")
        && after[..end].trim_end().ends_with(':')
    {
        t = after[end + 2..].trim_start();
    }
    let spans = code_spans(t);
    if spans.is_empty() {
        let token = t
            .split(" (")
            .next()
            .unwrap_or(t)
            .trim()
            .trim_end_matches([',', '.', ';']);
        let plain = strip_emphasis(token);
        let pathish = !plain.contains(char::is_whitespace)
            && (plain.contains('/') || plain.contains('.'))
            && !plain.contains("://");
        return if pathish && !plain.is_empty() {
            (vec![plain], t.len() > token.len() + 1)
        } else {
            (Vec::new(), !t.is_empty())
        };
    }
    let mut out = Vec::new();
    let mut pos = 0;
    for (range, code) in &spans {
        let between = t[pos..range.start].trim();
        let sep_only =
            between.is_empty() || matches!(between, "," | "and" | ", and" | ";" | "/" | "+" | "&");
        if !sep_only || code.contains(char::is_whitespace) || code.contains("://") {
            break;
        }
        out.push(code.clone());
        pos = range.end;
    }
    let prose = !t[pos..]
        .trim()
        .trim_start_matches([',', ';', '.'])
        .trim()
        .is_empty();
    // After prose, only spans that are clearly paths: `demos/`, `src/x.rs`.
    for (range, code) in &spans {
        if range.start >= pos
            && code.contains('/')
            && !code.contains(char::is_whitespace)
            && !code.contains("://")
            && !out.contains(code)
        {
            out.push(code.clone());
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

/// Whether a line is a `**Key:** value` / `**Key**: value` field, and its parts.
pub fn field(text: &str) -> Option<(String, String)> {
    let t = text.trim();
    let rest = t.strip_prefix("**")?;
    let end = rest.find("**")?;
    let inner = rest[..end].trim();
    let after = &rest[end + 2..];
    let (key, value) = if let Some(k) = inner.strip_suffix(':').or(inner.strip_suffix('：')) {
        (k, after)
    } else {
        let a = after.trim_start();
        let v = a.strip_prefix(':').or(a.strip_prefix('：'))?;
        (inner, v)
    };
    let key = key.trim();
    if key.is_empty() || key.len() > 60 {
        return None;
    }
    Some((key.to_string(), value.trim().to_string()))
}

/// `Status: done` without bold, for the few keys people write plainly.
pub fn plain_field(text: &str) -> Option<(String, String)> {
    let (key, value) = text.trim().split_once(':')?;
    let k = key.trim().to_lowercase();
    let known = [
        "status",
        "state",
        "last updated",
        "updated",
        "responsible run id",
        "run id",
        "phase",
        "owns",
    ];
    known
        .contains(&k.as_str())
        .then(|| (key.trim().to_string(), value.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str) -> Vec<String> {
        split_id(text, true).map(|h| h.ids).unwrap_or_default()
    }

    #[test]
    fn ids_bold_or_plain_before_or_after_the_title() {
        let h = split_id("**M2.1: SQLite Initialization**", true).unwrap();
        assert_eq!(
            (h.ids[0].as_str(), h.title.as_str()),
            ("M2.1", "SQLite Initialization")
        );
        let h = split_id("**M22.1.1: Policy Action Types**: Add `warn`.", true).unwrap();
        assert_eq!(
            (h.title.as_str(), h.extra.as_str()),
            ("Policy Action Types", "Add `warn`.")
        );
        let h = split_id("T002 [P] [US1] Create build workflow", true).unwrap();
        assert_eq!(h.ids, ["T002"]);
        assert_eq!(h.tags, ["P", "US1"]);
        assert_eq!(h.title, "Create build workflow");
        assert_eq!(ids("T002a Configure triggers"), ["T002a"]);
        let h = split_id("Step S03 – Database (Live)", true).unwrap();
        assert_eq!(
            (h.ids[0].as_str(), h.title.as_str()),
            ("S03", "Database (Live)")
        );
        assert_eq!(h.keyword.as_deref(), Some("step"));
        assert_eq!(ids("Task 1.1: Add configuration"), ["1.1"]);
        assert_eq!(ids("LSP-001: LSP Manager Returns Fake Data"), ["LSP-001"]);
        let h = split_id("Object storage (S04)", true).unwrap();
        assert_eq!(
            (h.ids[0].as_str(), h.title.as_str()),
            ("S04", "Object storage")
        );
        assert_eq!(ids("Rotate keys — K12"), ["K12"]);
        let h = split_id("**M4.1 & M4.2: Identity**", true).unwrap();
        assert_eq!(h.ids, ["M4.1", "M4.2"]);
        let h = split_id("**M2.1: Title** (Epic 2) - details", true).unwrap();
        assert_eq!(h.phase_hint.as_deref(), Some("Epic 2"));
        assert_eq!(h.extra, "details");
        assert_eq!(ids("**L0**"), ["L0"]);
        assert_eq!(ids("Step 0 - Repo Setup"), ["0"]);
        assert_eq!(ids("阶段 T7：完成接入"), Vec::<String>::new());
        assert_eq!(ids("T7：完成接入"), ["T7"]);
    }

    #[test]
    fn words_that_are_not_ids() {
        for text in [
            "S3 bucket created",
            "K8s manifests",
            "1. VISION.md",
            "Create real LSP client",
            "Phase 4 of the plan",
            "v1.0 released",
            "UTF8 only",
        ] {
            assert_eq!(ids(text), Vec::<String>::new(), "{text}");
        }
    }

    #[test]
    fn status_words_emoji_and_checkboxes() {
        let s = |t: &str| status_text(t).word;
        assert_eq!(s("verified"), Some(Word::Exact(Status::Verified)));
        assert_eq!(s("✅ Complete"), Some(Word::Done));
        assert_eq!(s("🟡 In Progress"), Some(Word::Exact(Status::InProgress)));
        assert_eq!(s("⚪ Not Started"), Some(Word::Exact(Status::NotStarted)));
        assert_eq!(s("[x] complete"), Some(Word::Done));
        assert_eq!(s("[>] in-progress"), Some(Word::Exact(Status::InProgress)));
        assert_eq!(s("[ ] Not Started"), Some(Word::Exact(Status::NotStarted)));
        assert_eq!(
            s("**IN_PROGRESS** — safe slice landed"),
            Some(Word::Exact(Status::InProgress))
        );
        assert_eq!(
            s("Pending verification"),
            Some(Word::Exact(Status::CompletedPendingVerification))
        );
        assert_eq!(s("pending"), Some(Word::Exact(Status::NotStarted)));
        assert_eq!(s("✅"), Some(Word::Done));
        assert_eq!(s("已完成"), Some(Word::Done));
        assert_eq!(s("BLOCKED"), None);
        let t = status_text("**DONE** — direction picked: A");
        assert_eq!(
            (t.said.as_str(), t.rest.as_str()),
            ("DONE", "direction picked: A")
        );
        let t = status_text("verified (ready for deployment)");
        assert_eq!(t.rest, "ready for deployment");
        let t = status_text("[x] Completed (Already Implemented)");
        assert_eq!(
            (t.word, t.rest.as_str()),
            (Some(Word::Done), "Already Implemented")
        );
        assert_eq!(
            status_text("GATED_PENDING_OWNER").said,
            "GATED_PENDING_OWNER"
        );
    }

    #[test]
    fn code_spans_follow_commonmark() {
        let spans = code_spans("run `a` then ``b ` c`` and `unclosed");
        let contents: Vec<&str> = spans.iter().map(|(_, c)| c.as_str()).collect();
        assert_eq!(contents, ["a", "b ` c"]);
        assert_eq!(code_span("echo `date`"), "`` echo `date` ``");
        assert_eq!(code_spans(&code_span("echo `date`"))[0].1, "echo `date`");
        assert_eq!(code_spans(&code_span(" padded"))[0].1, " padded");
    }

    #[test]
    fn commands_and_non_commands() {
        let c = |t: &str| leading_command(t).map(|(c, _)| c);
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
            "Schema matches blueprint.",
        ] {
            assert_eq!(c(not), None, "{not}");
        }
        assert_eq!(
            plain_command("python -m cortex.cli doctor – PASSED (Checked Env)").map(|(c, _)| c),
            Some("python -m cortex.cli doctor".into())
        );
        assert_eq!(plain_command("Inspection of `main.py`."), None);
        assert_eq!(result_of(" – PASSED"), Some(true));
        assert_eq!(result_of(" – FAILED during collection"), Some(false));
        assert_eq!(result_of(" – UNKNOWN"), Some(false));
        assert_eq!(result_of(" (test_s08) – PASSED"), Some(true));
    }

    #[test]
    fn paths_and_literal_globs() {
        assert_eq!(
            paths_in("`backend/pyproject.toml` (Added `alembic`)"),
            (vec!["backend/pyproject.toml".into()], true)
        );
        assert_eq!(
            paths_in("**Ingestion:** `a/x.py`, `security/validators.py`").0,
            ["a/x.py", "security/validators.py"]
        );
        assert_eq!(paths_in("src/app/main.rs").0, ["src/app/main.rs"]);
        assert_eq!(
            paths_in("integration tests and `demos/` under it (`x`)"),
            (vec!["demos/".into()], true)
        );
        assert_eq!(
            paths_in("_List any config changes._").0,
            Vec::<String>::new()
        );
        assert_eq!(literal_glob("check_s3.py"), "/check_s3.py");
        assert_eq!(literal_glob("./deploy/"), "/deploy/");
        assert_eq!(literal_glob("app/[id]/page.tsx"), "app/\\[id\\]/page.tsx");
        assert_eq!(literal_glob("migrations/*.py"), "migrations/\\*.py");
        assert_eq!(literal_glob("#notes.md"), "/\\#notes.md");
    }

    #[test]
    fn dates_fields_and_placeholders() {
        assert_eq!(
            find_date("2025-12-10 07:30 UTC").as_deref(),
            Some("2025-12-10T07:30:00Z")
        );
        assert_eq!(
            find_date("on 2026-01-25").as_deref(),
            Some("2026-01-25T00:00:00Z")
        );
        assert_eq!(
            find_date("2026-01-25T10:00:00+02:00").as_deref(),
            Some("2026-01-25T08:00:00Z")
        );
        assert_eq!(find_date("2026-13-40"), None);
        let (at, rest) = leading_date("2026-06-18 — Launch-prep: bundler").unwrap();
        assert_eq!(
            (at.as_str(), rest.as_str()),
            ("2026-06-18T00:00:00Z", "Launch-prep: bundler")
        );
        assert!(leading_date("Session: 2026-01-03 (Initial Audit)").is_some());
        let (_, rest) = leading_date("2026-06-14 — **De-mocked** — now real").unwrap();
        assert_eq!(rest, "De-mocked — now real");
        assert_eq!(split_id("M1 (Baseline)", false).unwrap().title, "Baseline");
        assert!(leading_date("Design overhaul (opened 2026-07-12)").is_none());
        assert_eq!(
            field("- **Status:** verified".trim_start_matches("- ")),
            Some(("Status".into(), "verified".into()))
        );
        assert_eq!(
            field("**Status**: [x] complete"),
            Some(("Status".into(), "[x] complete".into()))
        );
        assert_eq!(field("**Step 1 done** ✅"), None);
        assert!(is_placeholder("None."));
        assert!(is_placeholder("N/A"));
        assert!(is_placeholder("Not run (not requested)."));
        assert!(!is_placeholder("Nonexistent files are skipped"));
    }
}
