//! Status as people write it: words, emoji, checkbox marks, percentages,
//! and the document's own legend for them.

use crate::ledger::Status;
use std::collections::HashMap;

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

const NOT_STARTED: Option<Word> = Some(Word::Exact(Status::NotStarted));
const IN_PROGRESS: Option<Word> = Some(Word::Exact(Status::InProgress));
const DONE: Option<Word> = Some(Word::Done);
const PENDING_VERIFICATION: Option<Word> = Some(Word::Exact(Status::CompletedPendingVerification));

/// Status words, normalised (lowercase, `_` for spaces and hyphens). A word
/// listed with `None` is a status people use that has no equivalent here.
const WORDS: &[(&str, Option<Word>)] = &[
    ("not_started", NOT_STARTED),
    ("notstarted", NOT_STARTED),
    ("not_yet_started", NOT_STARTED),
    ("todo", NOT_STARTED),
    ("to_do", NOT_STARTED),
    ("pending", NOT_STARTED),
    ("new", NOT_STARTED),
    ("open", NOT_STARTED),
    ("planned", NOT_STARTED),
    ("backlog", NOT_STARTED),
    ("queued", NOT_STARTED),
    ("not_yet_implemented", NOT_STARTED),
    ("未开始", NOT_STARTED),
    ("待办", NOT_STARTED),
    ("待开始", NOT_STARTED),
    ("未着手", NOT_STARTED),
    ("대기", NOT_STARTED),
    ("未着手", NOT_STARTED),
    ("pendiente", NOT_STARTED),
    ("por_hacer", NOT_STARTED),
    ("offen", NOT_STARTED),
    ("ausstehend", NOT_STARTED),
    ("à_faire", NOT_STARTED),
    ("a_faire", NOT_STARTED),
    ("pendente", NOT_STARTED),
    ("未完成", NOT_STARTED),
    ("in_progress", IN_PROGRESS),
    ("inprogress", IN_PROGRESS),
    ("in_flight", IN_PROGRESS),
    ("wip", IN_PROGRESS),
    ("started", IN_PROGRESS),
    ("doing", IN_PROGRESS),
    ("ongoing", IN_PROGRESS),
    ("running", IN_PROGRESS),
    ("active", IN_PROGRESS),
    ("partial", IN_PROGRESS),
    ("partially_done", IN_PROGRESS),
    ("in_review", IN_PROGRESS),
    ("review", IN_PROGRESS),
    ("进行中", IN_PROGRESS),
    ("진행중", IN_PROGRESS),
    ("진행_중", IN_PROGRESS),
    ("進行中", IN_PROGRESS),
    ("en_progreso", IN_PROGRESS),
    ("en_curso", IN_PROGRESS),
    ("in_arbeit", IN_PROGRESS),
    ("en_cours", IN_PROGRESS),
    ("em_andamento", IN_PROGRESS),
    ("done", DONE),
    ("complete", DONE),
    ("completed", DONE),
    ("finished", DONE),
    ("implemented", DONE),
    ("resolved", DONE),
    ("fixed", DONE),
    ("shipped", DONE),
    ("merged", DONE),
    ("closed", DONE),
    ("delivered", DONE),
    ("landed", DONE),
    ("完成", DONE),
    ("已完成", DONE),
    ("完了", DONE),
    ("완료", DONE),
    ("completado", DONE),
    ("hecho", DONE),
    ("terminado", DONE),
    ("erledigt", DONE),
    ("fertig", DONE),
    ("abgeschlossen", DONE),
    ("terminé", DONE),
    ("fait", DONE),
    ("concluído", DONE),
    ("concluido", DONE),
    ("feito", DONE),
    ("verified", Some(Word::Exact(Status::Verified))),
    ("re_verified", Some(Word::Exact(Status::Verified))),
    ("reverified", Some(Word::Exact(Status::Verified))),
    ("已验证", Some(Word::Exact(Status::Verified))),
    ("completed_pending_verification", PENDING_VERIFICATION),
    ("pending_verification", PENDING_VERIFICATION),
    ("awaiting_verification", PENDING_VERIFICATION),
    ("needs_verification", PENDING_VERIFICATION),
    ("drift_detected", Some(Word::Exact(Status::DriftDetected))),
    ("drift", Some(Word::Exact(Status::DriftDetected))),
    ("drifted", Some(Word::Exact(Status::DriftDetected))),
    ("blocked", None),
    ("on_hold", None),
    ("shelved", None),
    ("cancelled", None),
    ("canceled", None),
    ("deferred", None),
    ("deprecated", None),
    ("dropped", None),
    ("wontfix", None),
    ("won't_fix", None),
    ("skipped", None),
    ("failed", None),
    ("needs_clarification", None),
    ("gated_pending_owner", None),
];

/// The status an emoji stands for; `Some(None)` for one with no equivalent.
pub fn emoji_word(c: char) -> Option<Option<Word>> {
    Some(match c {
        '✅' | '✔' | '☑' | '✓' | '🟩' | '🟢' | '💯' => DONE,
        '🟡' | '🟠' | '🔄' | '⏳' | '🚧' | '🔶' | '🟨' | '🏗' | '⚙' | '🔨' => {
            IN_PROGRESS
        }
        '⚪' | '⬜' | '☐' | '🔲' | '⭕' | '🔜' | '📋' => NOT_STARTED,
        '❌' | '🔴' | '⛔' | '🛑' | '🚫' | '✗' | '✘' | '⏸' => None,
        _ => return None,
    })
}

/// What a checkbox mark says without a legend: `[x]` done, `[ ]` not
/// started, `[~]` `[>]` `[/]` in progress, a tick (`[✓]`, `[v]`) done.
/// Other marks (`[-]`, `[!]`, `[?]`, `[+]`, `[*]`, `[o]`) are ambiguous.
pub fn checkbox_word(mark: char) -> Option<Word> {
    match mark {
        'x' | 'X' | '✓' | '✔' | '☑' | '✅' | 'v' | 'y' => DONE,
        ' ' => NOT_STARTED,
        '~' | '>' | '/' | '…' => IN_PROGRESS,
        _ => None,
    }
}

/// A status as written: what it maps to, the words that said it, and the
/// commentary after them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StatusText {
    /// None: no status word was found, or the word has no equivalent.
    pub word: Option<Word>,
    /// A status word or emoji was found (`word` may still be None: `BLOCKED`).
    pub found: bool,
    pub said: String,
    pub rest: String,
}

fn norm_word(s: &str) -> String {
    s.trim_matches(|c: char| {
        matches!(
            c,
            ':' | ',' | '.' | ';' | '!' | '(' | ')' | '[' | ']' | '*' | '_' | '`' | '"' | '\''
        )
    })
    .chars()
    .map(|c| match c {
        '-' | ' ' | '\u{2011}' => '_',
        c => c.to_lowercase().next().unwrap_or(c),
    })
    .collect()
}

/// The status of a normalised phrase, if it is one.
fn lookup(phrase: &str) -> Option<Option<Word>> {
    let key = norm_word(phrase);
    WORDS.iter().find(|(k, _)| *k == key).map(|(_, w)| *w)
}

/// Reads a status cell or field: `verified`, `DONE — shipped`, `[x]
/// complete`, `✅ Complete`, `🟡 In Progress`, `🔄 58% Complete`. A word
/// wins over an emoji, an emoji over a checkbox; a percentage below 100
/// before "complete" means in progress.
pub fn status_text(raw: &str, legend: &Legend) -> StatusText {
    let text = raw.replace(['`', '*'], "");
    let mut t = text.trim();
    let mut from_box: Option<(Option<Word>, String)> = None;
    if let Some((mark, len)) = super::blocks::checkbox_at(t) {
        from_box = Some((legend.mark(mark), t[..len].to_string()));
        t = t[len..].trim_start();
    }
    let mut from_emoji: Option<(Option<Word>, String)> = None;
    let mut percent: Option<u32> = None;
    while let Some(c) = t.chars().next() {
        if c.is_alphabetic() || c == '[' || c == '(' {
            break;
        }
        if c.is_ascii_digit() {
            // `58% Complete`, `100%`
            let digits: String = t.chars().take_while(char::is_ascii_digit).collect();
            let after = &t[digits.len()..];
            match after.strip_prefix('%') {
                Some(rest) => {
                    percent = digits.parse().ok();
                    t = rest.trim_start();
                    continue;
                }
                None => break,
            }
        }
        if from_emoji.is_none()
            && let Some(w) = legend.emoji(c).or_else(|| emoji_word(c))
        {
            from_emoji = Some((w, c.to_string()));
        }
        t = t[c.len_utf8()..].trim_start();
    }
    let tokens: Vec<&str> = t.split_whitespace().collect();
    for n in (1..=tokens.len().min(4)).rev() {
        let phrase = tokens[..n].join(" ");
        if let Some(w) = lookup(&phrase) {
            let w = match (percent, w) {
                (Some(p), Some(Word::Done)) if p < 100 => IN_PROGRESS,
                _ => w,
            };
            return StatusText {
                word: w,
                found: true,
                said: phrase
                    .trim_end_matches([':', ',', '.', ';'])
                    .trim_matches(['(', ')', '[', ']'])
                    .to_string(),
                rest: commentary(&tokens[n..].join(" ")),
            };
        }
    }
    let rest = commentary(t);
    if let Some(p) = percent.filter(|_| from_emoji.is_none() && from_box.is_none()) {
        let word = match p {
            0 => NOT_STARTED,
            100.. => DONE,
            _ => IN_PROGRESS,
        };
        return StatusText {
            word,
            found: true,
            said: format!("{p}%"),
            rest,
        };
    }
    match from_emoji.or(from_box) {
        Some((word, said)) => StatusText {
            word,
            found: true,
            said,
            rest,
        },
        None => StatusText {
            word: None,
            found: false,
            said: tokens.first().map(|s| s.to_string()).unwrap_or_default(),
            rest: commentary(&tokens.iter().skip(1).copied().collect::<Vec<_>>().join(" ")),
        },
    }
}

/// A status standing at the end of a heading's title (`Setup ✅ COMPLETE`,
/// `Setup — DONE`, `Setup (Done)`, `Setup IN PROGRESS`) or at its start
/// (`✅ Setup`): (status, the title without it).
pub fn heading_status(title: &str, legend: &Legend) -> Option<(StatusText, String)> {
    let t = title.trim();
    // From the first status emoji on.
    if let Some((i, c)) = t
        .char_indices()
        .find(|&(_, c)| legend.emoji(c).or_else(|| emoji_word(c)).is_some())
    {
        let before = t[..i].trim();
        let st = status_text(&t[i..], legend);
        // `✅ Setup` at the start: the emoji alone is the status.
        let (st, rest) = if before.is_empty() {
            let after = t[i + c.len_utf8()..].trim();
            let w = legend.emoji(c).or_else(|| emoji_word(c)).flatten();
            let st = StatusText {
                word: w,
                found: true,
                said: c.to_string(),
                rest: String::new(),
            };
            (st, after.to_string())
        } else {
            (st, before.to_string())
        };
        return Some((st, trim_separators(&rest)));
    }
    // Trailing words: all capitals, or set apart by brackets or a dash.
    let words: Vec<&str> = t.split_whitespace().collect();
    for n in (1..=words.len().saturating_sub(1).min(4)).rev() {
        let tail = words[words.len() - n..].join(" ");
        let head = words[..words.len() - n].join(" ");
        let bracketed = (tail.starts_with('(') && tail.ends_with(')'))
            || (tail.starts_with('[') && tail.ends_with(']'));
        // `Setup — Done`; not `Phase 2: Done`, where Done is the title.
        let dashed = head.ends_with(['-', '–', '—', '|']);
        let caps = tail.chars().any(char::is_alphabetic)
            && !tail.chars().any(char::is_lowercase)
            && tail.chars().filter(|c| c.is_alphabetic()).count() >= 4;
        if !(bracketed || dashed || caps) {
            continue;
        }
        if let Some(w) = lookup(&tail) {
            let st = StatusText {
                word: w,
                found: true,
                said: tail.trim_matches(['(', ')', '[', ']']).to_string(),
                rest: String::new(),
            };
            return Some((st, trim_separators(&head)));
        }
    }
    None
}

fn trim_separators(s: &str) -> String {
    s.trim()
        .trim_end_matches(['-', '–', '—', ':', '|', '·'])
        .trim()
        .to_string()
}

/// Commentary after a status word, without the separator and parentheses.
pub fn commentary(s: &str) -> String {
    let t = s
        .trim()
        .trim_start_matches(['–', '—', '-', ':', ',', ';', '·', '|'])
        .trim();
    let t = match t.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        Some(inner) if !inner.contains(['(', ')']) => inner,
        _ => t,
    };
    t.trim().to_string()
}

/// A document's own meaning for checkbox marks and emoji (`[~] partial`,
/// `🔴 not started`, `[-] shelved`), read from its legend.
#[derive(Debug, Clone, Default)]
pub struct Legend {
    marks: HashMap<char, Option<Word>>,
    emoji: HashMap<char, Option<Word>>,
}

impl Legend {
    /// What a checkbox mark means here: the legend, else the default.
    pub fn mark(&self, mark: char) -> Option<Word> {
        match self.marks.get(&mark) {
            Some(w) => *w,
            None => checkbox_word(mark),
        }
    }

    /// Whether the mark has a meaning (possibly "no equivalent") here.
    pub fn knows_mark(&self, mark: char) -> bool {
        self.marks.contains_key(&mark) || checkbox_word(mark).is_some()
    }

    fn emoji(&self, c: char) -> Option<Option<Word>> {
        self.emoji.get(&c).copied()
    }

    /// Learns from one legend entry (`[~] In Progress`, `` `[>] in-progress` ``,
    /// `🔴 Not started`, `[-] = shelved`); false when it is not one.
    pub fn learn(&mut self, entry: &str) -> bool {
        let t = entry.replace(['`', '*'], "");
        let t = t.trim();
        if let Some((mark, len)) = super::blocks::checkbox_at(t) {
            let meaning = t[len..]
                .trim()
                .trim_start_matches(['=', ':', '-', '–', '—']);
            if let Some(w) = meaning_of(meaning) {
                // `[x]` in a legend that calls it "completed" stays done.
                self.marks.insert(mark, w);
                return true;
            }
            return false;
        }
        let Some(c) = t.chars().next() else {
            return false;
        };
        if c.is_alphanumeric() || c.is_ascii() {
            return false;
        }
        let meaning = t[c.len_utf8()..]
            .trim_start_matches('\u{fe0f}')
            .trim()
            .trim_start_matches(['=', ':', '-', '–', '—']);
        match meaning_of(meaning) {
            Some(w) => {
                self.emoji.insert(c, w);
                true
            }
            None => false,
        }
    }
}

/// What a legend's meaning text maps to: Some(None) for a status with no
/// equivalent (`Blocked`), None when it names no status at all.
fn meaning_of(meaning: &str) -> Option<Option<Word>> {
    let tokens: Vec<&str> = meaning.split_whitespace().collect();
    for n in (1..=tokens.len().min(4)).rev() {
        if let Some(w) = lookup(&tokens[..n].join(" ")) {
            return Some(w);
        }
    }
    // `Not started`, `Completed` are covered above; a plain description of
    // a finished or open state is read by its first word.
    let first = norm_word(tokens.first()?);
    let guess = match first.as_str() {
        "unfilled" | "empty" | "unchecked" => NOT_STARTED,
        "filled" | "checked" | "ticked" => DONE,
        "crossed" | "struck" => None,
        _ => return None,
    };
    Some(guess)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(t: &str) -> Option<Word> {
        status_text(t, &Legend::default()).word
    }

    #[test]
    fn status_words_emoji_checkboxes_and_percentages() {
        assert_eq!(word("verified"), Some(Word::Exact(Status::Verified)));
        assert_eq!(word("✅ Complete"), Some(Word::Done));
        assert_eq!(word("🟡 In Progress"), IN_PROGRESS);
        assert_eq!(word("⚪ Not Started"), NOT_STARTED);
        assert_eq!(word("[x] complete"), Some(Word::Done));
        assert_eq!(word("[>] in-progress"), IN_PROGRESS);
        assert_eq!(word("**IN_PROGRESS** — safe slice landed"), IN_PROGRESS);
        assert_eq!(word("Pending verification"), PENDING_VERIFICATION);
        assert_eq!(word("pending"), NOT_STARTED);
        assert_eq!(word("已完成"), Some(Word::Done));
        assert_eq!(word("🔄 58% Complete - Foundation"), IN_PROGRESS);
        assert_eq!(word("100%"), Some(Word::Done));
        assert_eq!(word("BLOCKED"), None);
        assert!(status_text("BLOCKED", &Legend::default()).found);
        let t = status_text("**DONE** — direction picked: A", &Legend::default());
        assert_eq!(
            (t.said.as_str(), t.rest.as_str()),
            ("DONE", "direction picked: A")
        );
        let t = status_text("verified (ready for deployment)", &Legend::default());
        assert_eq!(t.rest, "ready for deployment");
    }

    #[test]
    fn statuses_in_headings() {
        let l = Legend::default();
        let (st, title) = heading_status("Phase 3.1: Setup ✅ COMPLETE", &l).unwrap();
        assert_eq!(
            (st.word, title.as_str()),
            (Some(Word::Done), "Phase 3.1: Setup")
        );
        let (st, title) = heading_status("Phase 5: Roles ⏳ PENDING", &l).unwrap();
        assert_eq!((st.word, title.as_str()), (NOT_STARTED, "Phase 5: Roles"));
        let (st, _) = heading_status("Setup — Done", &l).unwrap();
        assert_eq!(st.word, Some(Word::Done));
        let (st, title) = heading_status("Build (In Progress)", &l).unwrap();
        assert_eq!((st.word, title.as_str()), (IN_PROGRESS, "Build"));
        let (st, title) = heading_status("✅ Phase 1 Checklist", &l).unwrap();
        assert_eq!(
            (st.word, title.as_str()),
            (Some(Word::Done), "Phase 1 Checklist")
        );
        assert!(heading_status("Complete Phase 4", &l).is_none());
        assert!(heading_status("New features", &l).is_none());
        assert!(heading_status("🚨 Phase 0: Setup", &l).is_none());
    }

    #[test]
    fn a_documents_legend_is_honoured() {
        let mut l = Legend::default();
        assert!(l.learn("`[~]` Partial"));
        assert!(l.learn("[-] Deprecated (can be deleted)"));
        assert!(l.learn("🔴 Not started"));
        assert!(!l.learn("Plain prose"));
        assert_eq!(l.mark('~'), IN_PROGRESS);
        assert_eq!(l.mark('-'), None);
        assert!(l.knows_mark('-'));
        assert!(!Legend::default().knows_mark('-'));
        assert_eq!(status_text("🔴", &l).word, NOT_STARTED);
        assert_eq!(word("🔴"), None);
    }
}
