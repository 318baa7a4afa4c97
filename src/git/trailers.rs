//! Ledger trailers in commit messages (SPEC 3), found with git's own rules:
//! libgit2's `git_message_trailers`, the port of git's trailer parser (the
//! last paragraph, the 25% rule for mixed blocks, continuation lines, a
//! `---` patch divider). Keys are case-insensitive.

use crate::ledger::{Status, step_id};
use std::sync::Arc;

/// How much of a trailer messages, reports and stored events repeat: a
/// trailer may list thousands of ids, and repeating all of it once per
/// id made memory grow with the square of their number.
const SHOWN_CHARS: usize = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Step,
    Status,
    Ack,
    Run,
}

impl Key {
    pub const ALL: [Key; 4] = [Key::Step, Key::Status, Key::Ack, Key::Run];

    /// The canonical spelling, used in messages and in derived event ids.
    pub fn name(self) -> &'static str {
        match self {
            Key::Step => "Ledger-Step",
            Key::Status => "Ledger-Status",
            Key::Ack => "Ledger-Ack",
            Key::Run => "Ledger-Run",
        }
    }

    fn parse(key: &str) -> Option<Key> {
        Key::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(key))
    }
}

/// One `Ledger-*` trailer as written: key and value (continuation lines
/// folded into single spaces, as `git interpret-trailers --parse` does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trailer {
    pub key: Key,
    pub value: String,
}

impl Trailer {
    /// `Ledger-Step: S04`: the text a derived event's id is computed from.
    pub fn text(&self) -> String {
        format!("{}: {}", self.key.name(), self.value)
    }

    /// The text, cut to `SHOWN_CHARS` when longer (`Ledger-Step: S01, S02,
    /// … (20000 characters)`): what messages and stored events repeat.
    pub fn shown(&self) -> String {
        shorten(&self.text())
    }
}

/// `text`, cut at `SHOWN_CHARS` characters with a note of its length.
pub fn shorten(text: &str) -> String {
    if text.chars().count() <= SHOWN_CHARS {
        return text.to_string();
    }
    let head: String = text.chars().take(SHOWN_CHARS).collect();
    format!("{head}… ({} characters)", text.chars().count())
}

/// What one trailer asks for, per step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// `Ledger-Step`: work on the step.
    Work,
    /// `Ledger-Status`: set the status.
    Status(Status),
    /// `Ledger-Ack`: the owned files changed, the verification stands.
    Ack,
}

/// A trailer's request about one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    pub step: String,
    pub effect: Effect,
    /// The trailer it came from, shared by every id it names.
    pub trailer: Arc<Trailer>,
}

/// A trailer the ledger cannot use, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The trailer as written (`Ledger-Status: S04 finished`).
    pub trailer: String,
    pub message: String,
    pub hint: String,
}

/// Everything the ledger reads from one commit message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerTrailers {
    pub trailers: Vec<Arc<Trailer>>,
    pub declarations: Vec<Declaration>,
    /// `Ledger-Run`, the last one when repeated.
    pub run: Option<String>,
    pub problems: Vec<Problem>,
}

impl LedgerTrailers {
    pub fn is_empty(&self) -> bool {
        self.trailers.is_empty() && self.problems.is_empty()
    }

    /// Whether the message declares `step` in any way (step, status or ack).
    pub fn declares(&self, step: &str) -> bool {
        self.declarations.iter().any(|d| d.step == step)
    }

    pub fn sets_status(&self, step: &str) -> bool {
        self.declarations
            .iter()
            .any(|d| d.step == step && matches!(d.effect, Effect::Status(_)))
    }
}

/// Every trailer of `message` as git sees it: (key, value), values folded.
pub fn all_trailers(message: &str) -> Vec<(String, String)> {
    // A NUL cannot reach libgit2; git itself stops reading a message there.
    let message = message.split('\0').next().unwrap_or("");
    let Ok(found) = git2::message_trailers_strs(message) else {
        return Vec::new();
    };
    found
        .iter()
        .map(|(k, v)| (k.to_string(), fold_value(v)))
        .collect()
}

/// `git interpret-trailers` joins continuation lines with one space.
fn fold_value(v: &str) -> String {
    v.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The ledger's trailers of `message`, checked for syntax (step ids,
/// status words). Whether the steps exist is for the caller to say.
pub fn parse(message: &str) -> LedgerTrailers {
    let mut out = LedgerTrailers::default();
    for (key, value) in all_trailers(message) {
        let Some(k) = Key::parse(&key) else {
            if key.len() > 7 && key[..7].eq_ignore_ascii_case("ledger-") {
                out.problems.push(Problem {
                    trailer: shorten(&format!("{key}: {value}")),
                    message: format!("unknown ledger trailer '{key}'{}", key_suggestion(&key)),
                    hint:
                        "ledger trailers are Ledger-Step, Ledger-Status, Ledger-Ack and Ledger-Run"
                            .into(),
                });
            }
            continue;
        };
        let trailer = Arc::new(Trailer { key: k, value });
        read_trailer(&trailer, &mut out);
        out.trailers.push(trailer);
    }
    out
}

fn key_suggestion(key: &str) -> String {
    let names: Vec<&str> = Key::ALL.iter().map(|k| k.name()).collect();
    let mut best = step_id::closest(key, names);
    best.truncate(1);
    step_id::did_you_mean(&best)
}

fn read_trailer(t: &Arc<Trailer>, out: &mut LedgerTrailers) {
    let problem = |message: String, hint: &str| Problem {
        trailer: t.shown(),
        message,
        hint: hint.to_string(),
    };
    match t.key {
        Key::Run => {
            if t.value.is_empty() {
                out.problems.push(problem(
                    "Ledger-Run is empty".into(),
                    "write the run id after the colon: 'Ledger-Run: run-004'",
                ));
            } else {
                out.run = Some(t.value.clone());
            }
        }
        Key::Step | Key::Ack => {
            let ids: Vec<&str> = t
                .value
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .collect();
            if ids.is_empty() {
                out.problems.push(problem(
                    format!("{} names no step", t.key.name()),
                    &format!(
                        "write step ids after the colon: '{}: S04' (several: 'S04, S05')",
                        t.key.name()
                    ),
                ));
            }
            for id in ids {
                if let Err(m) = step_id::validate(id) {
                    out.problems
                        .push(problem(m, "git ledger status lists the steps"));
                    continue;
                }
                let effect = if t.key == Key::Step {
                    Effect::Work
                } else {
                    Effect::Ack
                };
                out.declarations.push(Declaration {
                    step: id.to_string(),
                    effect,
                    trailer: Arc::clone(t),
                });
            }
        }
        Key::Status => {
            let mut parts = t.value.splitn(2, char::is_whitespace);
            let id = parts.next().unwrap_or("").trim();
            let word = parts.next().unwrap_or("").trim();
            if id.is_empty() || word.is_empty() {
                out.problems.push(problem(
                    "Ledger-Status needs a step id and a status".into(),
                    "write it as 'Ledger-Status: S04 completed_pending_verification'",
                ));
                return;
            }
            if let Err(m) = step_id::validate(id) {
                out.problems
                    .push(problem(m, "git ledger status lists the steps"));
                return;
            }
            match Status::parse(word) {
                Some(s) => out.declarations.push(Declaration {
                    step: id.to_string(),
                    effect: Effect::Status(s),
                    trailer: Arc::clone(t),
                }),
                None => out.problems.push(problem(
                    format!("'{word}' is not a status"),
                    &Status::help_list(),
                )),
            }
        }
    }
}

/// The message as git will store it: the part below a scissors line cut
/// off, comment lines and surplus blank lines removed (`--cleanup=strip`).
/// Hooks see the raw editor text; trailers are read from this.
pub fn cleaned(raw: &str, comment_char: u8) -> String {
    let c = comment_char as char;
    let scissors = format!("{c} ------------------------ >8 ------------------------");
    let mut kept = String::new();
    for line in raw.split_inclusive('\n') {
        if line.trim_end_matches(['\n', '\r']) == scissors {
            break;
        }
        kept.push_str(line);
    }
    git2::message_prettify(&kept, Some(comment_char)).unwrap_or(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_kind_and_folds_case() {
        let t = parse(
            "Subject\n\nBody.\n\nledger-step: S04, S05\nLEDGER-STATUS: S06 done\nLedger-Ack: S07\nLedger-Run: run-9\n",
        );
        assert!(t.problems.is_empty(), "{:?}", t.problems);
        let got: Vec<(&str, &Effect)> = t
            .declarations
            .iter()
            .map(|d| (d.step.as_str(), &d.effect))
            .collect();
        assert_eq!(
            got,
            [
                ("S04", &Effect::Work),
                ("S05", &Effect::Work),
                ("S06", &Effect::Status(Status::CompletedPendingVerification)),
                ("S07", &Effect::Ack),
            ]
        );
        assert_eq!(t.run.as_deref(), Some("run-9"));
        assert_eq!(t.trailers[0].text(), "Ledger-Step: S04, S05");
    }

    #[test]
    fn only_the_last_paragraph_counts() {
        let t = parse("Subject\n\nLedger-Step: S04\n\nJust prose at the end.\n");
        assert!(t.is_empty());
        assert!(
            parse("Ledger-Step: S04\n").is_empty(),
            "a subject is never a trailer"
        );
    }

    #[test]
    fn reports_bad_status_words_ids_and_keys() {
        let t = parse("S\n\nLedger-Status: S04 finished\nLedger-Step: S 4/x\nLedger-Stpe: S04\n");
        let msgs: Vec<&str> = t.problems.iter().map(|p| p.message.as_str()).collect();
        assert!(msgs[0].contains("'finished' is not a status"), "{msgs:?}");
        assert!(
            t.problems[0]
                .hint
                .contains("completed_pending_verification")
        );
        assert!(
            msgs.iter().any(|m| m.contains("invalid step id '4/x'")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter().any(|m| m.contains("did you mean Ledger-Step?")),
            "{msgs:?}"
        );
    }

    proptest::proptest! {
        #![proptest_config(crate::proptest_config::seeded(2000))]

        #[test]
        fn any_message_is_read_without_panicking(body in ".{0,300}", trailer in "[A-Za-z-]{0,14}: .{0,40}") {
            let message = format!("Subject\n\n{body}\n\n{trailer}\nLedger-Step: {body}\n");
            let found = parse(&message);
            for d in &found.declarations {
                proptest::prop_assert!(step_id::validate(&d.step).is_ok());
            }
            let _ = cleaned(&message, b'#');
            let _ = cleaned(&body, b';');
        }
    }

    #[test]
    fn cleanup_drops_comments_and_the_verbose_diff() {
        let raw = "Subject\n\nLedger-Step: S04\n# Please enter the commit message\n# ------------------------ >8 ------------------------\ndiff --git a/x b/x\n";
        assert_eq!(cleaned(raw, b'#'), "Subject\n\nLedger-Step: S04\n");
    }
}

#[cfg(test)]
mod long_trailer_tests {
    use super::*;

    #[test]
    fn a_long_trailer_reads_back_whole() {
        let ids: Vec<String> = (0..300).map(|i| format!("S{i:03}")).collect();
        let line = format!("Ledger-Step: {}", ids.join(", "));
        let t = parse(&format!("All\n\n{line}\n"));
        assert_eq!(t.trailers.len(), 1);
        assert_eq!(t.trailers[0].text(), line);
        assert_eq!(t.declarations.len(), 300);
    }
}
