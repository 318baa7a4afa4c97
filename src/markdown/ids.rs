//! Step ids in the forms people write them (SPEC 7): codes (`S03`,
//! `T002a`, `M2.1`, `LSP-001`, `G8A`), link and hash ids (`[md#004](…)`,
//! `(#123)`), bold task numbers (`**0.1**`), and a plan word with a number
//! (`Phase 3.1`, `Epic 7`, `Session 8a`, `Week 1`), which keeps its word
//! (`Epic-7`) so that `Epic 7` and `Phase 7` never collide.

use super::blocks::Line;
use super::inline;
use regex::Regex;
use std::sync::LazyLock;

/// A code: a capital letter, letters, an optional hyphen, digits, dotted
/// numbers and one suffix letter. Plain numbers need a plan word.
const CODE: &str = r"[A-Z][A-Za-z]{0,15}-?\d+(?:\.\d+)*[A-Za-z]?";
const NUMBER: &str = r"\d+(?:\.\d+)*[a-z]?(?:-\d+)?";
/// Words that, followed by a number, name a step or a group of steps.
const PLAN_WORDS: &str = "phase|step|task|subtask|milestone|epic|story|sprint|stage|wave|iteration|session|week|day|part|lane|gate|track|release|round|chapter|module|issue|ticket|item|level";

static LEAD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^(?:(?P<kw>(?i:{PLAN_WORDS}))\s+(?:(?P<kcode>{CODE})\b|#?\s*(?P<knum>{NUMBER}))|(?P<codes>{CODE}(?:\s*(?:&|,|/|\band\b)\s*{CODE})*))"
    ))
    .expect("id regex")
});
static ONE_CODE: LazyLock<Regex> = LazyLock::new(|| Regex::new(CODE).expect("code regex"));
static BOLD_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?P<n>\d+(?:\.\d+)*[a-z]?)\.?$").expect("number regex"));
static LINK_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^(?:(?P<tagged>[A-Za-z][A-Za-z0-9_-]{{0,15}}#\d+)|#(?P<hash>\d+)|(?P<code>{CODE}))$"
    ))
    .expect("link id regex")
});
static HASH_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\(\s*#(?P<n>\d+)\s*\)|^#(?P<lead>\d+)\b").expect("hash regex"));
static TRAILING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^(?P<title>.+?)\s*(?:[(\[]\s*(?P<a>{CODE})\s*[)\]]|\s[–—-]\s+(?P<b>{CODE}))\s*$"
    ))
    .expect("trailing id regex")
});
static PHASE_HINT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"^\((?P<p>(?i:{PLAN_WORDS})\s+[^)]{{1,40}})\)\s*")).expect("phase regex")
});
static PLAN_WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^(?i:{PLAN_WORDS})$")).expect("plan word regex"));
static TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\[(?P<t>[^\]\s]{1,16})\]\s*").expect("tag regex"));
static PHASE_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(phase|epic|milestone|wave|sprint|stage|iteration|release|part|week|session|track|lane)\b")
        .expect("phase word regex")
});

/// How an id was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Form {
    #[default]
    Code,
    /// `Phase 3`, `Epic 7`: the word is part of the id.
    PlanWord,
    Link,
    Hash,
    BoldNumber,
    Trailing,
}

/// What names a step in an item, heading or cell.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IdHead {
    pub ids: Vec<String>,
    pub form: Form,
    /// The plan word before the id (`step`, `task`), lowercase.
    pub keyword: Option<String>,
    pub title: String,
    /// Text after a bold `**ID: Title**`, e.g. `: Add warn and delay`.
    pub extra: String,
    /// `[P]`, `[US1]` tags after the id.
    pub tags: Vec<String>,
    /// `(Epic 2)` right after the title.
    pub phase_hint: Option<String>,
    /// A plain code followed by a word, no separator (`T001 Create`,
    /// `GPT-4 deployment`): an id only when the document has others like it.
    pub weak: bool,
}

/// The ids a document names, by family (`T`, `LSP-`, `GPT-`): a weak id
/// is kept only when its family has two or more members, so the lone
/// `GPT-4` or `E2E` of a sentence is not taken for a step.
#[derive(Debug, Default)]
pub struct Families {
    members: std::collections::HashMap<String, std::collections::HashSet<String>>,
}

fn family(id: &str) -> String {
    let letters: String = id.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let hyphen = id[letters.len()..].starts_with('-');
    format!("{letters}{}", if hyphen { "-" } else { "" })
}

impl Families {
    pub fn learn(&mut self, h: &IdHead) {
        if h.form != Form::Code {
            return;
        }
        for id in &h.ids {
            self.members
                .entry(family(id))
                .or_default()
                .insert(id.clone());
        }
    }

    pub fn keep(&self, h: &IdHead) -> bool {
        !h.weak
            || h.ids.iter().all(|id| {
                self.members.get(&family(id)).is_some_and(|m| m.len() >= 2)
                    || !looks_like_a_name(id)
            })
    }
}

static NAME_SHAPE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:[A-Z]{2,}-\d|[A-Z]\d[A-Z])$").expect("name regex"));

/// `GPT-4`, `E2E`, `P2P`, `S3`, `UTF8`: names of things, not step ids.
fn looks_like_a_name(id: &str) -> bool {
    const NAMES: &[&str] = &[
        "s3", "ec2", "k8s", "mp3", "mp4", "h264", "h265", "ipv4", "ipv6", "utf8", "utf16", "html5",
        "css3", "es5", "es6", "oauth2", "http2", "http3", "x11", "win32", "win64", "md5", "sha1",
        "sha256", "aes256", "gpt3", "gpt4", "gpt5", "wpa2", "usb3", "ps5", "j2ee", "l10n", "i18n",
        "a11y", "co2", "pm2", "vue3", "php8", "net8",
    ];
    NAME_SHAPE.is_match(id) || NAMES.contains(&id.to_lowercase().as_str())
}

/// Whether a group heading is named like a phase (`Phase 2`, `Epic 3`).
pub fn is_phase_name(text: &str) -> bool {
    PHASE_NAME.is_match(text)
}

/// The id(s) a line names, in order of preference: a leading code or bold
/// id, a link id, a hash id, a leading plan word, a trailing id.
/// `strict`: a plain leading code must be followed by a separator, a tag or
/// a capitalised word, so `S3 bucket created` is not step S3.
pub fn find(line: &Line, strict: bool) -> Option<IdHead> {
    if let Some(head) = quoted(line) {
        return Some(head);
    }
    let text = strip_decoration(&inline::text(line));
    if let Some((bold, after)) = inline::lead_strong(line) {
        let bold = strip_decoration(&bold);
        if let Some(m) = BOLD_NUMBER.captures(bold.trim()) {
            let mut head = IdHead {
                ids: vec![m["n"].to_string()],
                form: Form::BoldNumber,
                ..IdHead::default()
            };
            finish_title(&mut head, trim_sep(&after));
            return Some(head);
        }
        if let Some(mut head) = lead(&bold, false) {
            head.weak = false;
            let after = trim_sep(&after);
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
    let leading = lead(&text, strict);
    if let Some(h) = leading.as_ref().filter(|h| h.form == Form::Code) {
        return Some(h.clone());
    }
    if let Some(head) = link_id(line) {
        return Some(head);
    }
    // Outside code: `(#1)` in a code span is code.
    let prose = strip_decoration(
        &line
            .spans
            .iter()
            .filter(|s| !s.code && !s.html)
            .map(|s| s.text.as_str())
            .collect::<String>(),
    );
    if let Some(c) = HASH_ID.captures(&prose) {
        let (m, n) = match (c.name("n"), c.name("lead")) {
            (Some(n), _) => (c.get(0), n.as_str()),
            (None, Some(n)) => (c.get(0), n.as_str()),
            _ => (None, ""),
        };
        if let Some(m) = m {
            let title = text.replacen(m.as_str(), "", 1);
            let mut head = IdHead {
                ids: vec![n.to_string()],
                form: Form::Hash,
                ..IdHead::default()
            };
            finish_title(&mut head, title.trim());
            return Some(head);
        }
    }
    if leading.is_some() {
        return leading;
    }
    let caps = TRAILING.captures(&text)?;
    let id = caps.name("a").or(caps.name("b"))?.as_str().to_string();
    Some(IdHead {
        ids: vec![id],
        form: Form::Trailing,
        title: caps["title"].trim().to_string(),
        ..IdHead::default()
    })
}

/// `Step \`16\` – Title`: a plan word and an id in backticks, taken as
/// written (export writes ids that would not read back so: `16`, `md#004`).
fn quoted(line: &Line) -> Option<IdHead> {
    let mut spans = line
        .spans
        .iter()
        .filter(|s| !s.html && !s.text.trim().is_empty());
    let word = spans.next()?;
    let id = spans.next()?;
    if word.code || !id.code || !PLAN_WORD.is_match(strip_decoration(&word.text).trim()) {
        return None;
    }
    let id_text = id.text.trim();
    crate::ledger::step_id::validate(id_text).ok()?;
    let at = line.spans.iter().position(|s| std::ptr::eq(s, id))?;
    let rest = inline::text(&Line {
        spans: line.spans[at + 1..].to_vec(),
        no: line.no,
    });
    let mut head = IdHead {
        ids: vec![id_text.to_string()],
        keyword: Some(word.text.trim().to_lowercase()),
        ..IdHead::default()
    };
    finish_title(&mut head, trim_sep(&rest));
    Some(head)
}

/// Whether `Step ID – …` names exactly `id` when read back.
pub fn reads_back(id: &str) -> bool {
    let line = Line {
        spans: vec![super::blocks::Span::plain(&format!("Step {id} – x"))],
        no: 1,
    };
    find(&line, true).is_some_and(|h| h.ids == [id])
}

/// The id of a table cell in a column whose header says what it holds:
/// `1` under `Phase` is `Phase-1`; under `ID` or `#` it is `1`.
pub fn in_cell(cell: &Line, header_word: Option<&str>, numeric: bool) -> Option<IdHead> {
    let plain = strip_decoration(&inline::plain(cell));
    let plain = plain.trim();
    if let Some(m) = BOLD_NUMBER.captures(plain) {
        let n = m["n"].to_string();
        return match header_word {
            Some(w) => Some(IdHead {
                ids: vec![format!("{}-{n}", capitalise(w))],
                form: Form::PlanWord,
                keyword: Some(w.to_lowercase()),
                ..IdHead::default()
            }),
            None if numeric => Some(IdHead {
                ids: vec![n],
                form: Form::BoldNumber,
                ..IdHead::default()
            }),
            None => None,
        };
    }
    find(cell, false)
}

fn link_id(line: &Line) -> Option<IdHead> {
    let mut i = 0;
    while i < line.spans.len() {
        let Some(dest) = &line.spans[i].link else {
            i += 1;
            continue;
        };
        let mut j = i;
        let mut text = String::new();
        while j < line.spans.len() && line.spans[j].link.as_ref() == Some(dest) {
            text.push_str(&line.spans[j].text);
            j += 1;
        }
        if let Some(c) = LINK_ID.captures(text.trim()) {
            let id = c
                .name("tagged")
                .or(c.name("hash"))
                .or(c.name("code"))
                .map_or("", |m| m.as_str());
            let mut rest = Line {
                spans: line.spans[..i]
                    .iter()
                    .chain(&line.spans[j..])
                    .cloned()
                    .collect(),
                ..Line::default()
            };
            rest.spans.retain(|s| !s.html);
            let title = inline::text(&rest);
            let title = title
                .trim()
                .trim_end_matches(|c: char| "()[]-–—:,".contains(c) || c.is_whitespace());
            let mut head = IdHead {
                ids: vec![id.to_string()],
                form: Form::Link,
                ..IdHead::default()
            };
            let title = strip_decoration(title);
            // `Phase 1: Implement subtasks [md#238]`: the label is the phase.
            if let Some(label) = lead(&title, false).filter(|h| h.form == Form::PlanWord) {
                head.phase_hint = Some(plan_label(&title, &label));
                head.title = label.title;
            } else {
                finish_title(&mut head, &title);
            }
            return Some(head);
        }
        i = j;
    }
    None
}

/// `Phase 1` of `Phase 1: Implement subtasks`.
fn plan_label(title: &str, head: &IdHead) -> String {
    let id = head.ids.first().map(String::as_str).unwrap_or("");
    let n = id.split_once('-').map_or(id, |(_, n)| n);
    match title.find(n) {
        Some(i) => title[..i + n.len()].to_string(),
        None => id.to_string(),
    }
}

fn lead(s: &str, strict: bool) -> Option<IdHead> {
    let caps = LEAD.captures(s)?;
    let end = caps.get(0)?.end();
    let rest = &s[end..];
    let mut chars = rest.chars();
    let next = chars.next();
    let after_next = chars.next();
    let glued = next.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '#')
        || next == Some('.') && after_next.is_some_and(|c| !c.is_whitespace())
        || matches!(next, Some('-') | Some('/')) && after_next.is_some_and(|c| c.is_ascii_digit());
    if glued {
        return None;
    }
    let sep = separator_len(rest);
    let plan = caps.name("knum").is_some();
    let after = if sep > 0 {
        &rest[sep..]
    } else if rest.trim().is_empty() {
        ""
    } else {
        let t = rest.trim_start();
        let c = t.chars().next();
        let ok = !strict
            || c.is_some_and(|c| {
                c == '['
                    || c == '`'
                    || c == '('
                    || c.is_uppercase()
                    || !c.is_ascii() && c.is_alphabetic()
            });
        // `Phase 4 of the plan` is prose, in any mode.
        let prose = plan && c.is_some_and(|c| c.is_lowercase() && c.is_ascii());
        if !ok || prose || !rest.starts_with(char::is_whitespace) {
            return None;
        }
        t
    };
    let keyword = caps.name("kw").map(|k| k.as_str().to_lowercase());
    let weak = sep == 0 && !rest.trim().is_empty() && caps.name("codes").is_some();
    let (ids, form) = if let Some(n) = caps.name("knum") {
        let word = caps.name("kw").map_or("", |k| k.as_str());
        (
            vec![format!("{}-{}", capitalise(word), n.as_str())],
            Form::PlanWord,
        )
    } else if let Some(code) = caps.name("kcode") {
        (vec![code.as_str().to_string()], Form::Code)
    } else {
        let ids = ONE_CODE
            .find_iter(caps.name("codes")?.as_str())
            .map(|m| m.as_str().to_string())
            .collect();
        (ids, Form::Code)
    };
    let mut head = IdHead {
        ids,
        form,
        keyword,
        weak,
        ..IdHead::default()
    };
    finish_title(&mut head, after);
    Some(head)
}

fn capitalise(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f
            .to_uppercase()
            .chain(c.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

/// Bytes of a separator between an id and its title: `:`, `–`, ` - `, `. `.
fn separator_len(rest: &str) -> usize {
    let t = rest.trim_start();
    let lead = rest.len() - t.len();
    for sep in [":", "：", "–", "—", "‑", "|", "·"] {
        if let Some(after) = t.strip_prefix(sep) {
            return rest.len() - after.trim_start().len();
        }
    }
    if lead > 0 && (t.starts_with("- ") || t == "-") {
        return rest.len() - t[1..].trim_start().len();
    }
    if (t.starts_with(". ") || t.starts_with(") ")) && lead == 0 {
        return 2;
    }
    0
}

fn trim_sep(s: &str) -> &str {
    s.trim_start()
        .trim_start_matches([':', '：', '–', '—'])
        .trim()
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
    // `M1 (Baseline)`: the parentheses hold the title.
    head.title = match t.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        Some(inner) if !inner.contains(['(', ')']) => inner.trim().to_string(),
        _ => t.to_string(),
    };
}

/// Emoji and symbols before an id (`🚨 Phase 0`, `→ T001`) do not hide it.
pub fn strip_decoration(s: &str) -> String {
    let t = s.trim_start_matches(|c: char| {
        !(c.is_alphanumeric() || c.is_whitespace() || "#[(`*_\"'<".contains(c))
            || c == '\u{fe0f}'
            || c == '\u{200d}'
    });
    t.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::blocks::{Kind, parse};
    use crate::markdown::source::Source;

    fn line(md: &str) -> Line {
        let b = parse(&Source::new(md));
        match &b[0].kind {
            Kind::Paragraph(lines) => lines[0].clone(),
            Kind::Heading { text, .. } => text.clone(),
            other => panic!("{other:?}"),
        }
    }

    fn ids(md: &str) -> Vec<String> {
        find(&line(md), true).map(|h| h.ids).unwrap_or_default()
    }

    #[test]
    fn codes_bold_or_plain_before_or_after_the_title() {
        let h = find(&line("**M2.1: SQLite Initialization**"), true).unwrap();
        assert_eq!(
            (h.ids[0].as_str(), h.title.as_str()),
            ("M2.1", "SQLite Initialization")
        );
        let h = find(&line("**M22.1.1: Policy Action Types**: Add `warn`."), true).unwrap();
        assert_eq!(
            (h.title.as_str(), h.extra.as_str()),
            ("Policy Action Types", "Add `warn`.")
        );
        let h = find(&line("T002 [P] [US1] Create build workflow"), true).unwrap();
        assert_eq!((h.ids[0].as_str(), h.tags.len()), ("T002", 2));
        assert_eq!(h.title, "Create build workflow");
        assert_eq!(ids("T002a Configure triggers"), ["T002a"]);
        let h = find(&line("Step S03 – Database (Live)"), true).unwrap();
        assert_eq!(
            (h.ids[0].as_str(), h.title.as_str()),
            ("S03", "Database (Live)")
        );
        assert_eq!(ids("LSP-001: LSP Manager Returns Fake Data"), ["LSP-001"]);
        assert_eq!(ids("G8A: Gate"), ["G8A"]);
        let h = find(&line("Object storage (S04)"), true).unwrap();
        assert_eq!(
            (h.ids[0].as_str(), h.title.as_str()),
            ("S04", "Object storage")
        );
        assert_eq!(ids("**M4.1 & M4.2: Identity**"), ["M4.1", "M4.2"]);
        let h = find(&line("**M2.1: Title** (Epic 2) - details"), true).unwrap();
        assert_eq!(h.phase_hint.as_deref(), Some("Epic 2"));
        assert_eq!(ids("**L0**"), ["L0"]);
        assert_eq!(ids("T7：完成接入"), ["T7"]);
    }

    #[test]
    fn plan_words_keep_their_word() {
        assert_eq!(ids("Phase 3.1: Setup"), ["Phase-3.1"]);
        assert_eq!(ids("Epic 7: Forecasting"), ["Epic-7"]);
        assert_eq!(ids("Session 8a – Cleanup"), ["Session-8a"]);
        assert_eq!(ids("Week 1: Kickoff"), ["Week-1"]);
        assert_eq!(ids("Week 1-2: Setup"), ["Week-1-2"]);
        assert_eq!(ids("Day 2"), ["Day-2"]);
        assert_eq!(ids("PHASE 2: Build"), ["Phase-2"]);
        assert_eq!(ids("Task 1.1: Add configuration"), ["Task-1.1"]);
        assert_eq!(ids("Step 0 - Repo Setup"), ["Step-0"]);
        assert_eq!(ids("🚨 Phase 0: Setup"), ["Phase-0"]);
    }

    #[test]
    fn link_hash_and_bold_number_ids() {
        let h = find(&line("Add thing [md#004](tasks/md#004.md)"), true).unwrap();
        assert_eq!(
            (h.ids[0].as_str(), h.title.as_str()),
            ("md#004", "Add thing")
        );
        assert_eq!(ids("Fix the login (#005)"), ["005"]);
        let h = find(&line("Phase 1: Implement subtasks [md#238](x.md)"), true).unwrap();
        assert_eq!(h.ids, ["md#238"]);
        assert_eq!(h.phase_hint.as_deref(), Some("Phase 1"));
        assert_eq!(h.title, "Implement subtasks");
        let h = find(&line("**0.1** Create base module"), true).unwrap();
        assert_eq!(
            (h.ids[0].as_str(), h.title.as_str()),
            ("0.1", "Create base module")
        );
        assert_eq!(ids("T001 Fix the bug (#45)"), ["T001"]);
    }

    #[test]
    fn ids_in_backticks_after_a_plan_word_are_taken_as_written() {
        let h = find(&line("## Step `16` – Frontend fixes"), true).unwrap();
        assert_eq!(
            (h.ids[0].as_str(), h.title.as_str()),
            ("16", "Frontend fixes")
        );
        assert_eq!(ids("Step `md#004` – Thing"), ["md#004"]);
        assert!(reads_back("S04") && reads_back("Phase-1") && reads_back("LSP-001"));
        assert!(!reads_back("16") && !reads_back("md#004") && !reads_back("Week-1-2"));
    }

    #[test]
    fn words_that_are_not_ids() {
        for text in [
            "S3 bucket created",
            "K8s manifests",
            "Create real LSP client",
            "Phase 4 of the plan",
            "v1.0 released",
            "UTF8 only",
            "**2026-01-05** notes",
            "阶段 T7：完成接入",
        ] {
            let got = ids(text);
            assert!(got.is_empty(), "{text}: {got:?}");
        }
    }
}
