//! The compact, typed form of an event that the fold reads (SPEC 2.2): only
//! the fields the state is made of, parsed straight from the stored line.
//! Views that print whole events read [`Event`]s; a ledger of 200,000
//! events folds from these at a fraction of the time and memory.

use super::event::{Event, FORMAT_VERSION, Kind, Skip};
use super::event_id::EventId;
use super::status::Status;
use super::step_id;
use compact_str::CompactString;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// A field a `define` may clear: absent keeps it, `null` clears it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub enum Change {
    #[default]
    Keep,
    Clear,
    Set(Box<str>),
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DefineBody {
    pub title: Option<Box<str>>,
    pub owns: Option<Vec<Box<str>>>,
    pub checks: Option<Vec<Box<str>>>,
    pub refs: Option<Vec<Box<str>>>,
    pub edge_cases: Option<Vec<Box<str>>>,
    pub concerns: Option<Vec<Box<str>>>,
    pub todo: Option<Vec<Box<str>>>,
    pub phase: Change,
    pub summary: Change,
    /// Whether it names the step's previous event: an edit, not a creation.
    pub prev: bool,
    pub resolves: Vec<Box<str>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatusBody {
    /// None: a status word this version does not know (the event still
    /// counts as the step's latest, but sets nothing).
    pub status: Option<Status>,
    pub msg: Option<Box<str>>,
    pub files: Vec<Box<str>>,
    pub fingerprint: Option<Box<str>>,
    pub tree: Option<Box<str>>,
    pub evidence: Option<Box<str>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EvidenceBody {
    pub result: Option<Box<str>>,
    pub dirty: Option<bool>,
    pub fingerprint: Option<Box<str>>,
    /// (passed, run) over the `checks` list; the views read the rest from
    /// the whole event.
    pub checks: (u32, u32),
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AckBody {
    pub fingerprint: Option<Box<str>>,
    pub tree: Option<Box<str>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Body {
    Define(Box<DefineBody>),
    Retire,
    Status(Box<StatusBody>),
    Evidence(Box<EvidenceBody>),
    Ack(Box<AckBody>),
    Note,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub id: EventId,
    pub seq: u64,
    /// Short texts (a time, a step id, a source, up to 24 bytes) are held
    /// in place, not allocated: three blocks fewer per record.
    pub at: CompactString,
    /// Shared by the records one reader reads of one author (see [`by`]).
    pub by: std::sync::Arc<str>,
    pub step: CompactString,
    pub run: Option<Box<str>>,
    pub source: CompactString,
    pub body: Body,
}

/// A record and the commit whose note holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// Shared by the records of one note.
    pub commit: std::sync::Arc<str>,
    pub record: Record,
}

impl Record {
    pub fn kind(&self) -> Kind {
        match self.body {
            Body::Define(_) => Kind::Define,
            Body::Retire => Kind::Retire,
            Body::Status(_) => Kind::Status,
            Body::Evidence(_) => Kind::Evidence,
            Body::Ack(_) => Kind::Ack,
            Body::Note => Kind::Note,
        }
    }

    /// The ordering key of SPEC 2.3: (`seq`, `at`, `id`).
    pub fn order_key(&self) -> (u64, &str, &EventId) {
        (self.seq, &self.at, &self.id)
    }

    /// The status a `status` event sets.
    pub fn status(&self) -> Option<Status> {
        match &self.body {
            Body::Status(s) => s.status,
            _ => None,
        }
    }

    /// The fingerprint a `verified` status, an `ack` or evidence recorded.
    pub fn fingerprint(&self) -> Option<&str> {
        match &self.body {
            Body::Status(s) => s.fingerprint.as_deref(),
            Body::Evidence(e) => e.fingerprint.as_deref(),
            Body::Ack(a) => a.fingerprint.as_deref(),
            _ => None,
        }
    }

    /// Reads one stored line: the fast typed reading, else (a field of an
    /// unexpected type, as a hand edit may leave) the general one.
    pub fn parse_line(line: &str) -> Result<Record, Skip> {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            return Err(Skip::Blank);
        }
        match serde_json::from_str::<Line<'_>>(line) {
            Ok(l) => l.into_record(),
            Err(_) => Event::parse_line(line).and_then(|e| Record::from_event(&e)),
        }
    }

    /// The record of an event (as written, or read by the general reader).
    pub fn from_event(e: &Event) -> Result<Record, Skip> {
        let text = |k: &str| e.str_field(k).map(Box::from);
        let list = |k: &str| {
            e.list_field(k)
                .map(|v| v.into_iter().map(Box::from).collect::<Vec<Box<str>>>())
        };
        let change = |k: &str| match e.fields.get(k) {
            None => Change::Keep,
            Some(serde_json::Value::Null) => Change::Clear,
            Some(serde_json::Value::String(s)) => Change::Set(s.as_str().into()),
            Some(serde_json::Value::Array(parts)) => {
                let t: Vec<&str> = parts.iter().filter_map(serde_json::Value::as_str).collect();
                Change::Set(t.join("\n").into())
            }
            Some(_) => Change::Keep,
        };
        let body = match e.kind {
            Kind::Define => Body::Define(Box::new(DefineBody {
                title: text("title"),
                owns: list("owns"),
                checks: list("checks"),
                refs: list("refs"),
                edge_cases: list("edge_cases"),
                concerns: list("concerns"),
                todo: list("todo"),
                phase: change("phase"),
                summary: change("summary"),
                prev: e.fields.get("prev").is_some_and(|p| !p.is_null()),
                resolves: list("resolves").unwrap_or_default(),
            })),
            Kind::Retire => Body::Retire,
            Kind::Status => Body::Status(Box::new(StatusBody {
                status: e.str_field("status").and_then(Status::parse),
                msg: text("msg"),
                files: list("files").unwrap_or_default(),
                fingerprint: text("fingerprint"),
                tree: text("tree"),
                evidence: text("evidence"),
            })),
            Kind::Evidence => Body::Evidence(Box::new(EvidenceBody {
                result: text("result"),
                dirty: e.bool_field("dirty"),
                fingerprint: text("fingerprint"),
                checks: match e.fields.get("checks") {
                    Some(serde_json::Value::Array(list)) => (
                        list.iter()
                            .filter(|c| super::event::check_passed(c))
                            .count() as u32,
                        list.len() as u32,
                    ),
                    _ => (0, 0),
                },
            })),
            Kind::Ack => Body::Ack(Box::new(AckBody {
                fingerprint: text("fingerprint"),
                tree: text("tree"),
            })),
            Kind::Note => Body::Note,
        };
        let record = Record {
            id: EventId::new(&e.id),
            seq: e.seq,
            at: e.at.as_str().into(),
            by: by(&e.by),
            step: e.step.as_str().into(),
            run: e.run.as_deref().map(Box::from),
            source: e.source.as_str().into(),
            body,
        };
        record.check()
    }

    /// What every reader refuses: a step id outside the grammar (SPEC 2.1;
    /// a forged id must not reach a terminal), an event id that is not 32
    /// hex characters.
    fn check(self) -> Result<Record, Skip> {
        if !self.step.is_empty() && step_id::validate(&self.step).is_err() {
            return Err(Skip::Malformed("invalid step id"));
        }
        if self.id.is_empty() {
            return Err(Skip::Malformed("no 'id'"));
        }
        Ok(self)
    }
}

/// A stored line, borrowed from the text where it can be.
#[derive(Deserialize)]
struct Line<'a> {
    v: Option<u64>,
    #[serde(borrow, default)]
    id: Option<Text<'a>>,
    seq: Option<u64>,
    #[serde(borrow, default)]
    at: Option<Text<'a>>,
    #[serde(borrow, default)]
    by: Option<Text<'a>>,
    #[serde(borrow, default)]
    step: Option<Text<'a>>,
    #[serde(borrow, default)]
    kind: Option<Text<'a>>,
    #[serde(borrow, default)]
    run: Option<Text<'a>>,
    #[serde(borrow, default)]
    source: Option<Text<'a>>,
    #[serde(borrow, default)]
    status: Option<Text<'a>>,
    #[serde(borrow, default)]
    msg: Option<Text<'a>>,
    #[serde(borrow, default)]
    fingerprint: Option<Text<'a>>,
    #[serde(borrow, default)]
    tree: Option<Text<'a>>,
    #[serde(borrow, default)]
    evidence: Option<Text<'a>>,
    #[serde(borrow, default)]
    result: Option<Text<'a>>,
    #[serde(borrow, default)]
    title: Option<Text<'a>>,
    #[serde(borrow, default, deserialize_with = "present")]
    prev: Option<&'a RawValue>,
    dirty: Option<bool>,
    #[serde(borrow, default)]
    files: Option<List<'a>>,
    #[serde(borrow, default)]
    owns: Option<List<'a>>,
    #[serde(borrow, default)]
    refs: Option<List<'a>>,
    #[serde(borrow, default)]
    edge_cases: Option<List<'a>>,
    #[serde(borrow, default)]
    concerns: Option<List<'a>>,
    #[serde(borrow, default)]
    todo: Option<List<'a>>,
    #[serde(borrow, default)]
    resolves: Option<List<'a>>,
    /// A list of commands in a `define`, of results in `evidence`.
    #[serde(borrow, default, deserialize_with = "present")]
    checks: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    phase: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    summary: Option<&'a RawValue>,
}

impl Line<'_> {
    fn into_record(self) -> Result<Record, Skip> {
        match self.v {
            Some(v) if v > FORMAT_VERSION => return Err(Skip::NewerVersion(v)),
            Some(_) => {}
            None => return Err(Skip::Malformed("no version 'v'")),
        }
        let kind_word = self.kind.ok_or(Skip::Malformed("no 'kind'"))?;
        let kind =
            Kind::parse(&kind_word.0).ok_or_else(|| Skip::UnknownKind(kind_word.0.into()))?;
        let id = self.id.ok_or(Skip::Malformed("no 'id'"))?;
        let seq = self.seq.ok_or(Skip::Malformed("no 'seq'"))?;
        let at = self.at.ok_or(Skip::Malformed("no 'at'"))?;
        let step = self.step.map(|s| s.0).unwrap_or_default();
        if step.is_empty() && kind != Kind::Note {
            return Err(Skip::Malformed("no 'step'"));
        }
        let b = |t: Option<Text<'_>>| t.map(|t| Box::<str>::from(t.0.as_ref()));
        let body = match kind {
            Kind::Define => Body::Define(Box::new(DefineBody {
                title: b(self.title),
                owns: self.owns.map(List::boxed),
                checks: self.checks.map(|r| strings_of(r.get())),
                refs: self.refs.map(List::boxed),
                edge_cases: self.edge_cases.map(List::boxed),
                concerns: self.concerns.map(List::boxed),
                todo: self.todo.map(List::boxed),
                phase: change_of(self.phase),
                summary: change_of(self.summary),
                prev: self.prev.is_some_and(|p| p.get() != "null"),
                resolves: self.resolves.map(List::boxed).unwrap_or_default(),
            })),
            Kind::Retire => Body::Retire,
            Kind::Status => Body::Status(Box::new(StatusBody {
                status: self.status.as_ref().and_then(|s| Status::parse(&s.0)),
                msg: b(self.msg),
                files: self.files.map(List::boxed).unwrap_or_default(),
                fingerprint: b(self.fingerprint),
                tree: b(self.tree),
                evidence: b(self.evidence),
            })),
            Kind::Evidence => Body::Evidence(Box::new(EvidenceBody {
                result: b(self.result),
                dirty: self.dirty,
                fingerprint: b(self.fingerprint),
                checks: self.checks.map(|r| counts_of(r.get())).unwrap_or((0, 0)),
            })),
            Kind::Ack => Body::Ack(Box::new(AckBody {
                fingerprint: b(self.fingerprint),
                tree: b(self.tree),
            })),
            Kind::Note => Body::Note,
        };
        Record {
            id: EventId::new(&id.0),
            seq,
            at: at.0.as_ref().into(),
            by: by(self.by.as_ref().map_or("", |t| &t.0)),
            step: step.as_ref().into(),
            run: b(self.run),
            source: self.source.map(|t| t.0.as_ref().into()).unwrap_or_default(),
            body,
        }
        .check()
    }
}

/// `author` as a record holds it: one text for the records of one author
/// that a thread reads near each other (a ledger has few authors, and a
/// copy of each one's name per event was a block per record).
fn by(author: &str) -> std::sync::Arc<str> {
    use std::cell::RefCell;
    use std::sync::Arc;
    /// The authors this thread read last, the latest first.
    const RECENT: usize = 8;
    thread_local! {
        static SEEN: RefCell<Vec<Arc<str>>> = const { RefCell::new(Vec::new()) };
    }
    SEEN.with_borrow_mut(|seen| {
        if let Some(i) = seen.iter().position(|a| **a == *author) {
            seen[..=i].rotate_right(1);
            return Arc::clone(&seen[0]);
        }
        let new: Arc<str> = author.into();
        seen.insert(0, Arc::clone(&new));
        seen.truncate(RECENT);
        new
    })
}

/// A key that is present, `null` included (absent keys stay `None`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

/// `checks` of a `define`: its strings (a single string is a list of one).
fn strings_of(raw: &str) -> Vec<Box<str>> {
    match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(Box::from))
            .collect(),
        Ok(serde_json::Value::String(s)) => vec![s.into()],
        _ => Vec::new(),
    }
}

/// (passed, run) over an evidence event's `checks`: exit 0 and not timed
/// out is a pass (`event::check_passed`). Output tails are skipped over,
/// not kept.
fn counts_of(raw: &str) -> (u32, u32) {
    #[derive(Deserialize)]
    struct Check {
        exit: Option<i64>,
        timed_out: Option<bool>,
    }
    if let Ok(checks) = serde_json::from_str::<Vec<Check>>(raw) {
        let passed = checks
            .iter()
            .filter(|c| c.exit == Some(0) && c.timed_out != Some(true))
            .count() as u32;
        return (passed, checks.len() as u32);
    }
    match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(serde_json::Value::Array(items)) => (
            items
                .iter()
                .filter(|v| super::event::check_passed(v))
                .count() as u32,
            items.len() as u32,
        ),
        _ => (0, 0),
    }
}

fn change_of(raw: Option<&RawValue>) -> Change {
    let Some(raw) = raw else {
        return Change::Keep;
    };
    match serde_json::from_str::<serde_json::Value>(raw.get()) {
        Ok(serde_json::Value::Null) => Change::Clear,
        Ok(serde_json::Value::String(s)) => Change::Set(s.into()),
        Ok(serde_json::Value::Array(parts)) => {
            let t: Vec<&str> = parts.iter().filter_map(serde_json::Value::as_str).collect();
            Change::Set(t.join("\n").into())
        }
        _ => Change::Keep,
    }
}

/// A text field: a string, or another scalar written as text (the general
/// reader does the same); `null` is absent.
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(serde_json::Value::from(v).to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_any(V)
    }
}

/// A list of strings (other items skipped), or one string as a list of one.
struct List<'a>(Vec<Cow<'a, str>>);

impl List<'_> {
    fn boxed(self) -> Vec<Box<str>> {
        self.0.into_iter().map(|s| Box::from(s.as_ref())).collect()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for List<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = List<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of strings")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(List(vec![Cow::Borrowed(v)]))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(List(vec![Cow::Owned(v.to_string())]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<Item<'de>>()? {
                    if let Item::Text(t) = item {
                        out.push(t);
                    }
                }
                Ok(List(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// One item of a list: a string, or anything else (skipped).
enum Item<'a> {
    Text(Cow<'a, str>),
    Other,
}

impl<'de: 'a, 'a> Deserialize<'de> for Item<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either<'b> {
            #[serde(borrow)]
            Text(Cow<'b, str>),
            Other(de::IgnoredAny),
        }
        Ok(match Either::deserialize(d)? {
            Either::Text(t) => Item::Text(t),
            Either::Other(_) => Item::Other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast reader and the general one agree on what a line means.
    #[test]
    fn the_typed_reading_matches_the_general_one() {
        let lines = [
            r#"{"v":1,"id":"a1","seq":3,"at":"2026-01-01T00:00:00Z","by":"A <a@x>","step":"S01","kind":"define","source":"cli","title":"One","owns":["src/**"],"checks":["make"],"phase":"P1","summary":["a","b"],"prev":"x"}"#,
            r#"{"v":1,"id":"a2","seq":4,"at":"2026-01-01T00:00:00Z","by":"A","step":"S01","kind":"define","source":"cli","phase":null,"owns":"one.rs"}"#,
            r#"{"v":1,"id":"a3","seq":5,"at":"t","by":"A","step":"S01","kind":"status","run":"r1","source":"hook","status":"drift_detected","files":["a",1,"b"],"msg":"m"}"#,
            r#"{"v":1,"id":"a4","seq":6,"at":"t","by":"A","step":"S01","kind":"evidence","source":"verify","result":"pass","dirty":false,"fingerprint":"f","checks":[{"cmd":"make","exit":0}]}"#,
            r#"{"v":1,"id":"a5","seq":7,"at":"t","by":5,"step":"S01","kind":"ack","source":"trailer","fingerprint":"f2","tree":"t2"}"#,
            r#"{"v":1,"id":"a6","seq":8,"at":"t","kind":"note","source":"import","msg":"ledger-wide"}"#,
            r#"{"v":1,"id":"a7","seq":9,"at":"t","step":"S01","kind":"status","status":"bogus"}"#,
        ];
        for line in lines {
            let fast = Record::parse_line(line).unwrap();
            let general = Record::from_event(&Event::parse_line(line).unwrap()).unwrap();
            assert_eq!(fast, general, "{line}");
        }
    }

    #[test]
    fn unreadable_lines_are_skipped_with_a_reason() {
        assert_eq!(Record::parse_line(" "), Err(Skip::Blank));
        assert_eq!(Record::parse_line("nope"), Err(Skip::NotJson));
        assert_eq!(
            Record::parse_line(r#"{"v":2,"id":"x","seq":1,"at":"a","step":"S1","kind":"status"}"#),
            Err(Skip::NewerVersion(2))
        );
        assert_eq!(
            Record::parse_line(r#"{"v":1,"id":"x","seq":1,"at":"a","step":"S1","kind":"vote"}"#),
            Err(Skip::UnknownKind("vote".into()))
        );
        assert_eq!(
            Record::parse_line(
                r#"{"v":1,"id":"x","seq":1,"at":"a","step":"S1\u001b[2J","kind":"status"}"#
            ),
            Err(Skip::Malformed("invalid step id"))
        );
    }
}
