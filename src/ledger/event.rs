//! One ledger event: one line of compact JSON (SPEC 2.2).
//!
//! Kind-specific fields are kept as an ordered JSON map, so a line written by
//! a newer minor version keeps its extra fields when read and re-serialised.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::fmt;

pub const FORMAT_VERSION: u64 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Define,
    Retire,
    Status,
    Evidence,
    Ack,
    Note,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Define => "define",
            Kind::Retire => "retire",
            Kind::Status => "status",
            Kind::Evidence => "evidence",
            Kind::Ack => "ack",
            Kind::Note => "note",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "define" => Kind::Define,
            "retire" => Kind::Retire,
            "status" => Kind::Status,
            "evidence" => Kind::Evidence,
            "ack" => Kind::Ack,
            "note" => Kind::Note,
            _ => return None,
        })
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: String,
    pub seq: u64,
    pub at: String,
    pub by: String,
    pub step: String,
    pub kind: Kind,
    pub run: Option<String>,
    pub source: String,
    /// Kind-specific fields, in the order they are written.
    pub fields: Map<String, Value>,
}

/// Why a line of a note is not an event. The line stays in the note.
#[derive(Debug, Clone, PartialEq)]
pub enum Skip {
    Blank,
    NotJson,
    NewerVersion(u64),
    UnknownKind(String),
    Malformed(&'static str),
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Skip::Blank => f.write_str("blank line"),
            Skip::NotJson => f.write_str("not JSON"),
            Skip::NewerVersion(v) => write!(f, "format version {v} is newer than this git-ledger"),
            Skip::UnknownKind(k) => write!(f, "unknown kind '{}'", crate::sanitize::one_line(k)),
            Skip::Malformed(what) => write!(f, "malformed event: {what}"),
        }
    }
}

impl Event {
    /// A new event without `id` and `seq`; the store assigns both on append.
    pub fn draft(step: &str, kind: Kind, at: String, by: String, source: &str) -> Event {
        Event {
            id: String::new(),
            seq: 0,
            at,
            by,
            step: step.to_string(),
            kind,
            run: None,
            source: source.to_string(),
            fields: Map::new(),
        }
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Event {
        self.fields.insert(key.to_string(), value.into());
        self
    }

    pub fn set(&mut self, key: &str, value: impl Into<Value>) {
        self.fields.insert(key.to_string(), value.into());
    }

    fn to_map(&self, with_identity: bool) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("v".into(), FORMAT_VERSION.into());
        if with_identity {
            m.insert("id".into(), self.id.clone().into());
            m.insert("seq".into(), self.seq.into());
        }
        m.insert("at".into(), self.at.clone().into());
        m.insert("by".into(), self.by.clone().into());
        m.insert("step".into(), self.step.clone().into());
        m.insert("kind".into(), self.kind.as_str().into());
        if let Some(run) = &self.run {
            m.insert("run".into(), run.clone().into());
        }
        m.insert("source".into(), self.source.clone().into());
        for (k, v) in &self.fields {
            if !RESERVED.contains(&k.as_str()) {
                m.insert(k.clone(), v.clone());
            }
        }
        m
    }

    /// The line as stored: compact JSON, keys in the order of SPEC 2.2.
    pub fn to_line(&self) -> String {
        Value::Object(self.to_map(true)).to_string()
    }

    /// The canonical JSON the id is computed from: the line without `id` and `seq`.
    pub fn canonical(&self) -> String {
        Value::Object(self.to_map(false)).to_string()
    }

    /// First 16 bytes of SHA-256 of the canonical JSON, as 32 hex chars.
    pub fn content_id(&self) -> String {
        hash_id(self.canonical().as_bytes())
    }

    pub fn parse_line(line: &str) -> Result<Event, Skip> {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            return Err(Skip::Blank);
        }
        let Ok(Value::Object(mut m)) = serde_json::from_str::<Value>(line) else {
            return Err(Skip::NotJson);
        };
        match m.get("v").and_then(Value::as_u64) {
            Some(v) if v > FORMAT_VERSION => return Err(Skip::NewerVersion(v)),
            Some(_) => {}
            None => return Err(Skip::Malformed("no version 'v'")),
        }
        let kind_word = take_str(&mut m, "kind").ok_or(Skip::Malformed("no 'kind'"))?;
        let kind = Kind::parse(&kind_word).ok_or(Skip::UnknownKind(kind_word))?;
        let id = take_str(&mut m, "id").ok_or(Skip::Malformed("no 'id'"))?;
        let seq = m
            .remove("seq")
            .and_then(|v| v.as_u64())
            .ok_or(Skip::Malformed("no 'seq'"))?;
        let at = take_str(&mut m, "at").ok_or(Skip::Malformed("no 'at'"))?;
        let step = take_str(&mut m, "step").unwrap_or_default();
        if step.is_empty() && kind != Kind::Note {
            return Err(Skip::Malformed("no 'step'"));
        }
        // An id outside the grammar did not come from git-ledger; it could
        // carry escape sequences into every view, so the line is unreadable.
        if !step.is_empty() && crate::ledger::step_id::validate(&step).is_err() {
            return Err(Skip::Malformed("invalid step id"));
        }
        let by = take_str(&mut m, "by").unwrap_or_default();
        let run = take_str(&mut m, "run");
        let source = take_str(&mut m, "source").unwrap_or_default();
        m.remove("v");
        Ok(Event {
            id,
            seq,
            at,
            by,
            step,
            kind,
            run,
            source,
            fields: m,
        })
    }

    pub fn str_field(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(Value::as_str)
    }

    pub fn list_field(&self, key: &str) -> Option<Vec<String>> {
        match self.fields.get(key)? {
            Value::Array(items) => Some(
                items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
            ),
            Value::String(s) => Some(vec![s.clone()]),
            _ => None,
        }
    }

    pub fn bool_field(&self, key: &str) -> Option<bool> {
        self.fields.get(key).and_then(Value::as_bool)
    }
}

const RESERVED: &[&str] = &[
    "v", "id", "seq", "at", "by", "step", "kind", "run", "source",
];

fn take_str(m: &mut Map<String, Value>, key: &str) -> Option<String> {
    match m.remove(key) {
        Some(Value::String(s)) => Some(s),
        Some(Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
    }
}

/// Whether one entry of an evidence event's `checks` passed: exit 0 and
/// not timed out.
pub fn check_passed(check: &Value) -> bool {
    check.get("exit").and_then(Value::as_i64) == Some(0)
        && check.get("timed_out").and_then(Value::as_bool) != Some(true)
}

/// First 16 bytes of SHA-256, hex: the id of events whose identity is not
/// their content (trailer-derived events hash the commit and trailer text).
pub fn hash_id(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    crate::hex::encode(&digest[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Event {
        let mut e = Event::draft(
            "S04",
            Kind::Status,
            "2026-01-02T03:04:05Z".into(),
            "Ada <ada@example.com>".into(),
            "cli",
        )
        .with("status", "verified");
        e.run = Some("run-003".into());
        e.seq = 7;
        e.id = e.content_id();
        e
    }

    #[test]
    fn line_has_spec_key_order_and_round_trips() {
        let e = sample();
        let line = e.to_line();
        assert!(line.starts_with(&format!(
            r#"{{"v":1,"id":"{}","seq":7,"at":"2026-01-02T03:04:05Z","by":"Ada <ada@example.com>","step":"S04","kind":"status","run":"run-003","source":"cli","status":"verified"}}"#,
            e.id
        )));
        assert_eq!(Event::parse_line(&line).unwrap(), e);
        assert_eq!(e.id.len(), 32);
    }

    #[test]
    fn id_ignores_seq_but_not_content() {
        let a = sample();
        let mut b = sample();
        b.seq = 99;
        assert_eq!(a.content_id(), b.content_id());
        b.set("msg", "x");
        assert_ne!(a.content_id(), b.content_id());
    }

    #[test]
    fn skips_what_it_cannot_read() {
        assert_eq!(Event::parse_line("  "), Err(Skip::Blank));
        assert_eq!(Event::parse_line("hello"), Err(Skip::NotJson));
        assert_eq!(
            Event::parse_line(r#"{"v":2,"id":"x","seq":1,"at":"a","step":"S1","kind":"status"}"#),
            Err(Skip::NewerVersion(2))
        );
        assert_eq!(
            Event::parse_line(r#"{"v":1,"id":"x","seq":1,"at":"a","step":"S1","kind":"vote"}"#),
            Err(Skip::UnknownKind("vote".into()))
        );
        assert_eq!(
            Event::parse_line(
                r#"{"v":1,"id":"x","seq":1,"at":"a","step":"S9\u001b[1A\u001b[2K","kind":"define"}"#
            ),
            Err(Skip::Malformed("invalid step id"))
        );
    }
}
