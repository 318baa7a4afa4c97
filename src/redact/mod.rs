//! Nothing secret is written to the ledger (SPEC 8).
//!
//! Every event passes through `Redactor::scrub` on its way into the store
//! (`store::append`), so every free-text field — titles, messages,
//! phases, run ids, trailer text, evidence, output tails, the author — is
//! redacted wherever it came from. A check command cannot be redacted (it
//! would no longer run), so a `define` whose command holds a secret is
//! refused instead, naming what was found.
//!
//! What is secret: values of environment variables whose names say so,
//! values in the repository's `.env`, the credential shapes of `shapes`,
//! secret-named assignments, and the `ledger.redact` patterns.

mod shapes;

use crate::error::user_hint;
use crate::ledger::{Event, Kind};
use anyhow::Result;
use git2::Repository;
use regex::{Captures, Regex};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

pub const MASK: &str = "[REDACTED]";

const SECRET_NAME_PARTS: &[&str] = &["KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL"];

/// Event fields that are structure, not text: ids, hashes, paths and
/// globs the ledger computes with. Everything else is redacted.
const STRUCTURAL: &[&str] = &[
    "owns",
    "files",
    "fingerprint",
    "tree",
    "evidence",
    "prev",
    "status",
    "result",
    "out_sha256",
    "topic",
];

/// A known secret value and where it came from.
struct Literal {
    value: String,
    /// `$NAME` when the value is a variable's, for messages.
    name: Option<String>,
    /// Whether the variable's name says it is a secret (a `.env` value of
    /// any name is redacted, but only these make a check command refused).
    secret_named: bool,
}

/// A pattern, compiled the first time text holding one of its keywords
/// needs it: most text holds none, and compiling the whole catalogue would
/// cost every write several milliseconds.
struct Pattern {
    name: String,
    keywords: &'static [&'static str],
    source: &'static str,
    re: OnceLock<Option<Regex>>,
}

impl Pattern {
    fn lazy(name: &str, keywords: &'static [&'static str], source: &'static str) -> Pattern {
        Pattern {
            name: name.to_string(),
            keywords,
            source,
            re: OnceLock::new(),
        }
    }

    /// A pattern compiled already (`ledger.redact`), tried on all text.
    fn compiled(name: String, re: Regex) -> Pattern {
        Pattern {
            name,
            keywords: &[],
            source: "",
            re: OnceLock::from(Some(re)),
        }
    }

    /// The regex, when `lower` (the text, lower-cased) may hold a match.
    fn for_text(&self, lower: &str) -> Option<&Regex> {
        if !self.keywords.is_empty() && !self.keywords.iter().any(|k| lower.contains(k)) {
            return None;
        }
        self.re
            .get_or_init(|| Regex::new(self.source).ok())
            .as_ref()
    }
}

pub struct Redactor {
    literals: Vec<Literal>,
    patterns: Vec<Pattern>,
    assignment: Pattern,
    env_assignment: Pattern,
}

/// One redactor per repository and process: building it compiles every
/// pattern, and a command redacts in several places.
static BUILT: Mutex<Option<(PathBuf, Arc<Redactor>)>> = Mutex::new(None);

impl Redactor {
    /// Secrets from the environment, the repository's `.env`, the
    /// well-known shapes and `ledger.redact`. An invalid `ledger.redact`
    /// pattern is an error: whoever set it believes a secret is covered.
    pub fn for_repo(repo: &Repository) -> Result<Arc<Redactor>> {
        let key = repo.commondir().to_path_buf();
        if let Ok(built) = BUILT.lock()
            && let Some((k, r)) = built.as_ref()
            && *k == key
        {
            return Ok(Arc::clone(r));
        }
        let mut literals: Vec<Literal> = std::env::vars_os()
            .filter_map(|(name, value)| {
                let name = name.to_string_lossy().into_owned();
                let upper = name.to_uppercase();
                SECRET_NAME_PARTS
                    .iter()
                    .any(|p| upper.contains(p))
                    .then(|| Literal {
                        // A value that is not UTF-8 reaches stored text only
                        // through a lossy conversion; match it in that form.
                        value: value.to_string_lossy().into_owned(),
                        name: Some(name),
                        secret_named: true,
                    })
            })
            .collect();
        if let Some(root) = repo.workdir()
            && let Ok(text) = std::fs::read(root.join(".env"))
        {
            literals.extend(dotenv_values(&String::from_utf8_lossy(&text)));
        }
        let mut extra = Vec::new();
        for p in crate::git::repo::config_values(repo, "ledger.redact")? {
            let re = Regex::new(&p).map_err(|e| {
                user_hint(
                    format!(
                        "ledger.redact '{p}' is not a valid regular expression ({})",
                        regex_error(&e)
                    ),
                    "fix it (git config --get-all ledger.redact lists them; git config --unset ledger.redact '<value>' removes one); nothing was written",
                )
            })?;
            extra.push(Pattern::compiled(
                format!("a match of ledger.redact '{p}'"),
                re,
            ));
        }
        let red = Arc::new(Redactor::new(literals, extra));
        if let Ok(mut built) = BUILT.lock() {
            *built = Some((key, Arc::clone(&red)));
        }
        Ok(red)
    }

    fn new(literals: Vec<Literal>, extra: Vec<Pattern>) -> Redactor {
        let mut literals: Vec<Literal> = literals
            .into_iter()
            .map(|mut l| {
                l.value = l.value.trim().to_string();
                l
            })
            .filter(|l| {
                l.value.chars().count() >= 4
                    && !shapes::NOT_SECRETS.contains(&l.value.to_lowercase().as_str())
            })
            .collect();
        // Longest first, so a secret containing another is masked whole.
        literals.sort_by_key(|l| std::cmp::Reverse(l.value.len()));
        literals.dedup_by(|a, b| a.value == b.value);
        let mut patterns: Vec<Pattern> = shapes::SHAPES
            .iter()
            .map(|s| Pattern::lazy(s.name, s.keywords, s.pattern))
            .collect();
        patterns.extend(extra);
        Redactor {
            literals,
            patterns,
            assignment: Pattern::lazy(
                "a value assigned to a secret-named setting",
                shapes::ASSIGNMENT_KEYWORDS,
                shapes::ASSIGNMENT,
            ),
            env_assignment: Pattern::lazy(
                "a value assigned to a secret-named variable",
                shapes::ENV_ASSIGNMENT_KEYWORDS,
                shapes::ENV_ASSIGNMENT,
            ),
        }
    }

    /// A redactor with no environment, no `.env` and no configuration:
    /// only the shapes and `literals` (for tests).
    #[cfg(test)]
    pub fn with_literals(literals: &[&str]) -> Redactor {
        Redactor::new(
            literals
                .iter()
                .map(|v| Literal {
                    value: v.to_string(),
                    name: None,
                    secret_named: true,
                })
                .collect(),
            Vec::new(),
        )
    }

    pub fn apply(&self, text: &str) -> String {
        let mut out = text.to_string();
        for lit in &self.literals {
            if out.contains(lit.value.as_str()) {
                out = out.replace(lit.value.as_str(), MASK);
            }
        }
        // Masking only removes text, so what the original holds bounds
        // which patterns can still match.
        let lower = text.to_ascii_lowercase();
        for p in &self.patterns {
            if let Some(re) = p.for_text(&lower)
                && re.is_match(&out)
            {
                out = re.replace_all(&out, mask_secret_group).into_owned();
            }
        }
        if let Some(re) = self.assignment.for_text(&lower)
            && re.is_match(&out)
        {
            out = re
                .replace_all(&out, |c: &Captures<'_>| {
                    let value = c.name("dq").or(c.name("sq")).or(c.name("s"));
                    match value {
                        Some(v) if shapes::assignment_value_is_secret(&c["name"], v.as_str()) => {
                            mask_range(c, v)
                        }
                        _ => c[0].to_string(),
                    }
                })
                .into_owned();
        }
        if let Some(re) = self.env_assignment.for_text(&lower)
            && re.is_match(&out)
        {
            out = re
                .replace_all(&out, |c: &Captures<'_>| format!("{}{MASK}", &c[1]))
                .into_owned();
        }
        out
    }

    /// What makes `cmd` unfit to be stored as a check command, if anything:
    /// a credential shape, a secret-named assignment, a `ledger.redact`
    /// match, or the value of a secret-named variable.
    pub fn secret_in_command(&self, cmd: &str) -> Option<String> {
        let lower = cmd.to_ascii_lowercase();
        if let Some(p) = self.patterns.iter().find(|p| {
            p.for_text(&lower).is_some_and(|re| {
                re.captures_iter(cmd).any(|c| {
                    c.name("s")
                        .or(c.get(0))
                        .is_some_and(|m| !m.as_str().is_empty())
                })
            })
        }) {
            return Some(p.name.clone());
        }
        let assigned = self.assignment.for_text(&lower).is_some_and(|re| {
            re.captures_iter(cmd).any(|c| {
                c.name("dq")
                    .or(c.name("sq"))
                    .or(c.name("s"))
                    .is_some_and(|v| shapes::assignment_value_is_secret(&c["name"], v.as_str()))
            })
        });
        if assigned {
            return Some(self.assignment.name.clone());
        }
        if self
            .env_assignment
            .for_text(&lower)
            .is_some_and(|re| re.is_match(cmd))
        {
            return Some(self.env_assignment.name.clone());
        }
        self.literals
            .iter()
            .find(|l| l.secret_named && l.value.chars().count() >= 8 && cmd.contains(&l.value))
            .map(|l| match &l.name {
                Some(n) => format!("the value of ${n}"),
                None => "a secret value".into(),
            })
    }

    /// Redacts every free-text field of `event` in place; refuses a
    /// `define` whose check command holds a secret.
    pub fn scrub(&self, event: &mut Event) -> Result<()> {
        event.by = self.apply(&event.by);
        if let Some(run) = &event.run {
            event.run = Some(self.apply(run));
        }
        if event.kind == Kind::Define
            && let Some(Value::Array(checks)) = event.fields.get("checks")
        {
            for c in checks.iter().filter_map(Value::as_str) {
                if let Some(what) = self.secret_in_command(c) {
                    return Err(refused_command(&event.step, c, &what, self));
                }
            }
        }
        let kind = event.kind;
        for (key, value) in event.fields.iter_mut() {
            if STRUCTURAL.contains(&key.as_str()) || (kind == Kind::Define && key == "checks") {
                continue;
            }
            self.scrub_value(value);
        }
        Ok(())
    }

    fn scrub_value(&self, value: &mut Value) {
        match value {
            Value::String(s) => {
                let clean = self.apply(s);
                if clean != *s {
                    *s = clean;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.scrub_value(v)),
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    if !STRUCTURAL.contains(&k.as_str()) {
                        self.scrub_value(v);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The error for a check command that holds a secret: it names what was
/// found, shows the command redacted, and says how to write it instead.
pub fn refused_command(step: &str, cmd: &str, what: &str, red: &Redactor) -> anyhow::Error {
    user_hint(
        format!(
            "the check command of {step} contains {what}, which would be stored in the ledger for everyone: {}",
            crate::trust::shown(&red.apply(cmd))
        ),
        "read the value from an environment variable instead (e.g. --check 'deploy --token \"$DEPLOY_TOKEN\"'); nothing was written",
    )
}

/// Replaces the `s` group of a match (or the whole match) by the mask.
fn mask_secret_group(c: &Captures<'_>) -> String {
    match c.name("s") {
        Some(s) => mask_range(c, s),
        None => MASK.to_string(),
    }
}

fn mask_range(c: &Captures<'_>, part: regex::Match<'_>) -> String {
    let whole = c.get(0).expect("group 0 is the match");
    let text = whole.as_str();
    let from = part.start() - whole.start();
    let to = part.end() - whole.start();
    if from == to {
        return text.to_string();
    }
    format!("{}{MASK}{}", &text[..from], &text[to..])
}

/// The first line of a regex error, without its ASCII-art pointer.
fn regex_error(e: &regex::Error) -> String {
    let text = e.to_string();
    text.lines()
        .rev()
        .find(|l| l.starts_with("error:"))
        .map(|l| l.trim_start_matches("error:").trim().to_string())
        .unwrap_or_else(|| text.lines().last().unwrap_or("").trim().to_string())
}

/// Values of `NAME=value` lines, as dotenv reads them: `export` and quotes
/// removed, and for an unquoted value a ` #` comment cut off.
fn dotenv_values(text: &str) -> Vec<Literal> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            if line.starts_with('#') {
                return None;
            }
            let line = line.strip_prefix("export ").unwrap_or(line);
            let (name, value) = line.split_once('=')?;
            let v = value.trim();
            let v = match v.chars().next() {
                Some(q @ ('"' | '\'')) => match v[1..].find(q) {
                    Some(end) => &v[1..1 + end],
                    None => &v[1..],
                },
                _ => cut_comment(v),
            };
            let name = name.trim().to_string();
            let upper = name.to_uppercase();
            Some(Literal {
                value: v.to_string(),
                secret_named: SECRET_NAME_PARTS.iter().any(|p| upper.contains(p)),
                name: Some(name),
            })
        })
        .collect()
}

/// An unquoted dotenv value ends where ` #` starts a comment.
fn cut_comment(v: &str) -> &str {
    let mut prev_space = false;
    for (i, c) in v.char_indices() {
        if c == '#' && prev_space {
            return v[..i].trim_end();
        }
        prev_space = c.is_whitespace();
    }
    v
}

#[cfg(test)]
mod tests;
