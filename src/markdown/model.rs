//! What reading a markdown ledger gives: steps, notes and a report.

use crate::ledger::Status;
use serde::Serialize;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// (a) `## Step S03 – Title` sections with fields and subsections.
    Sections,
    /// (b) `- [x] T001 …` checkbox lists.
    Checklists,
    /// (c) `## 2026-01-25` dated logs.
    DatedLogs,
    /// (d) tables with an id and a status column.
    Tables,
    /// (e) checklists without ids, given ids by `--ids auto`.
    Plain,
}

impl Shape {
    pub const ALL: [Shape; 5] = [
        Shape::Sections,
        Shape::Checklists,
        Shape::DatedLogs,
        Shape::Tables,
        Shape::Plain,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Shape::Sections => "sections",
            Shape::Checklists => "checklists",
            Shape::DatedLogs => "dated_logs",
            Shape::Tables => "tables",
            Shape::Plain => "plain_checklists",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Shape::Sections => "(a) step sections",
            Shape::Checklists => "(b) checkbox lists",
            Shape::DatedLogs => "(c) dated logs",
            Shape::Tables => "(d) tables",
            Shape::Plain => "(e) plain checklists",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    /// What `[x]`, `done`, `complete` and ✅ become.
    pub checked_as: Status,
    /// `--ids auto`: items without an id get one from their place.
    pub auto_ids: bool,
    /// `--id-prefix`: put before every automatic id.
    pub id_prefix: String,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            checked_as: Status::CompletedPendingVerification,
            auto_ids: false,
            id_prefix: String::new(),
        }
    }
}

/// Where the status a step ends with came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimFrom {
    /// A `Status:` field or a heading: the step's current status.
    Field,
    /// A checkbox or a table cell: undated, so a dated entry outranks it.
    Mark,
}

/// The status a step's own status field or checkbox gives it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Claim {
    /// None: the word has no equivalent among the five (reported).
    pub status: Option<Status>,
    pub said: String,
    pub msg: Option<String>,
    pub line: usize,
    pub from: ClaimFrom,
}

/// A dated status: a verification-history line or a dated-log checkbox.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    pub status: Status,
    pub at: Option<String>,
    pub run: Option<String>,
    pub msg: Option<String>,
    pub line: usize,
    /// From a dated log (shape c) rather than a verification history.
    pub from_log: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParsedStep {
    pub id: String,
    pub line: usize,
    pub shape: Shape,
    pub title: String,
    pub phase: Option<String>,
    pub status: Option<Claim>,
    /// `Last updated`, as RFC 3339.
    pub updated: Option<String>,
    pub run: Option<String>,
    /// Globs: literal files already escaped.
    pub owns: Vec<String>,
    pub checks: Vec<String>,
    pub refs: Vec<String>,
    pub summary: Vec<String>,
    pub edge_cases: Vec<String>,
    pub concerns: Vec<String>,
    pub todo: Vec<String>,
    pub history: Vec<HistoryEntry>,
    /// The "Tests & commands run" lines, verbatim.
    pub tests_run: Vec<String>,
    /// The id was made by `--ids auto` from the item's place.
    pub auto_id: bool,
    /// Checked and total checklist items of the step (for contradictions).
    #[serde(skip)]
    pub checklist: (usize, usize),
}

impl ParsedStep {
    pub fn new(id: &str, line: usize, shape: Shape, title: &str) -> ParsedStep {
        // `/api/v1/apps POST      (Create…)`: aligned columns are one space.
        let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
        ParsedStep {
            id: id.to_string(),
            line,
            shape,
            title: if title.is_empty() {
                id.to_string()
            } else {
                title
            },
            phase: None,
            status: None,
            updated: None,
            run: None,
            owns: Vec::new(),
            checks: Vec::new(),
            refs: Vec::new(),
            summary: Vec::new(),
            edge_cases: Vec::new(),
            concerns: Vec::new(),
            todo: Vec::new(),
            history: Vec::new(),
            tests_run: Vec::new(),
            auto_id: false,
            checklist: (0, 0),
        }
    }

    /// The status the step ends with once imported: a dated entry later
    /// than the claim, else the claim, else the latest dated entry.
    pub fn final_status(&self) -> Option<Status> {
        let claim = self.status.as_ref().and_then(|c| c.status.map(|s| (s, c)));
        let latest = self.latest_history();
        match (claim, latest) {
            (Some((_, c)), Some(h)) if c.from == ClaimFrom::Mark && h.at.is_some() => {
                Some(h.status)
            }
            (Some((s, _)), _) => Some(s),
            (None, h) => h.map(|h| h.status),
        }
    }

    /// The last history entry in date order (undated ones keep their place).
    pub fn latest_history(&self) -> Option<&HistoryEntry> {
        self.history_in_order().last().copied()
    }

    /// History sorted by date, stably: undated entries sort with the dated
    /// entry before them, so the comparison is a total order.
    pub fn history_in_order(&self) -> Vec<&HistoryEntry> {
        let mut keyed: Vec<(String, usize, &HistoryEntry)> = Vec::new();
        let mut last = String::new();
        for (i, h) in self.history.iter().enumerate() {
            if let Some(at) = &h.at {
                last = at.clone();
            }
            keyed.push((last.clone(), i, h));
        }
        keyed.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        keyed.into_iter().map(|(_, _, h)| h).collect()
    }
}

/// A dated-log entry that is not a status: becomes a `note`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParsedNote {
    /// None: about the project, not one step.
    pub step: Option<String>,
    pub at: String,
    pub text: String,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub line: usize,
    pub text: String,
    /// Shared by the lines of one block: a big unplaced section holds its
    /// reason once.
    #[serde(serialize_with = "shared_str")]
    pub reason: Arc<str>,
}

fn shared_str<S: serde::Serializer>(s: &Arc<str>, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Duplicate {
    pub id: String,
    pub line: usize,
    pub first_line: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    pub lines: usize,
    /// Items and sections that look like steps but name no id.
    pub without_id: Vec<Entry>,
    pub duplicates: Vec<Duplicate>,
    /// (first, last) line of each merge-conflict region: never imported.
    pub conflicts: Vec<(usize, usize)>,
    /// (first, last) line of each multi-line HTML comment: skipped.
    pub comments: Vec<(usize, usize)>,
    pub warnings: Vec<Entry>,
    /// Every line that is not structure and went nowhere.
    pub unplaced: Vec<Entry>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Parsed {
    pub steps: Vec<ParsedStep>,
    pub notes: Vec<ParsedNote>,
    pub report: Report,
}

/// Report texts are cut to this many characters: a report points at the
/// line, and a huge line must not make a huge report.
pub const TEXT_MAX: usize = 300;

pub fn clip_text(s: &str) -> String {
    let t = s.trim();
    match t.char_indices().nth(TEXT_MAX) {
        Some((i, _)) => format!("{}…", &t[..i]),
        None => t.to_string(),
    }
}
