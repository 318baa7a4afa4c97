//! The walker: classified lines in; steps, notes and a report out. No git,
//! no I/O: `parse(text)` is a pure function, unit-tested on strings.
//!
//! Headings make a tree. A heading that names a step and carries a status
//! field is a step section (shape a); a heading starting with a date is a
//! dated log (c); other headings are groups, and their text is the phase of
//! the checkbox items (b) and table rows (d) below them.

use super::inline::{self, IdHead, Word, split_id};
use super::lines::{self, Kind, Line};
use super::table;
use crate::ledger::{Status, step_id};
use regex::Regex;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::LazyLock;

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
}

impl Shape {
    pub const ALL: [Shape; 4] = [
        Shape::Sections,
        Shape::Checklists,
        Shape::DatedLogs,
        Shape::Tables,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Shape::Sections => "sections",
            Shape::Checklists => "checklists",
            Shape::DatedLogs => "dated_logs",
            Shape::Tables => "tables",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Shape::Sections => "(a) step sections",
            Shape::Checklists => "(b) checkbox lists",
            Shape::DatedLogs => "(c) dated logs",
            Shape::Tables => "(d) tables",
        }
    }
}

pub struct Options {
    /// What `[x]`, `done`, `complete` and ✅ become.
    pub checked_as: Status,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            checked_as: Status::CompletedPendingVerification,
        }
    }
}

/// The status a step's own status field or checkbox gives it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Claim {
    /// None: the word has no equivalent among the five (reported).
    pub status: Option<Status>,
    pub said: String,
    pub msg: Option<String>,
    pub line: usize,
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
    #[serde(skip)]
    checklist: (usize, usize),
    #[serde(skip)]
    invariants_noted: bool,
}

impl ParsedStep {
    /// The status the step ends with once imported: its status field or
    /// checkbox, else the latest dated history entry.
    pub fn final_status(&self) -> Option<Status> {
        if let Some(s) = self.status.as_ref().and_then(|c| c.status) {
            return Some(s);
        }
        let mut dated: Vec<&HistoryEntry> = self.history.iter().collect();
        dated.sort_by(|a, b| match (&a.at, &b.at) {
            (Some(x), Some(y)) => x.cmp(y),
            _ => std::cmp::Ordering::Equal,
        });
        dated.last().map(|h| h.status)
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
    pub reason: String,
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

pub fn parse(text: &str, opts: &Options) -> Parsed {
    let split = lines::split(text);
    let mut w = Walker {
        lines: &split.lines,
        opts,
        info: heading_info(&split.lines),
        out: Parsed::default(),
        index: HashMap::new(),
        frames: Vec::new(),
        list: Vec::new(),
        prev_blank: true,
        seen_heading: false,
        field: None,
        note: None,
        label: None,
        history: None,
    };
    w.out.report.lines = split.lines.len();
    w.out.report.conflicts = split.conflicts;
    w.out.report.comments = split.comments;
    w.run();
    w.finish()
}

// ---------------------------------------------------------------- headings

struct HeadingInfo {
    has_status: bool,
    has_id_items: bool,
}

fn is_status_key(key: &str) -> bool {
    matches!(key.to_lowercase().trim(), "status" | "state" | "状态")
}

fn line_field(text: &str) -> Option<(String, String)> {
    inline::field(text).or_else(|| inline::plain_field(text))
}

/// For every heading: does its own body (up to the next heading) carry a
/// status field, and does anything below it (up to the next heading of the
/// same or a higher level) name steps: items, table rows, step headings?
fn heading_info(lines: &[Line]) -> HashMap<usize, HeadingInfo> {
    let heads: Vec<(usize, usize)> = (0..lines.len())
        .filter_map(|i| match &lines[i].kind {
            Kind::Heading { level, .. } => Some((i, *level)),
            _ => None,
        })
        .collect();
    let status_in = |body: &[Line]| {
        body.iter().any(|l| match &l.kind {
            Kind::Item { indent, text, .. } | Kind::Text { indent, text } if *indent < 2 => {
                line_field(text).is_some_and(|(k, _)| is_status_key(&k))
            }
            _ => false,
        })
    };
    let names_steps = |body: &[Line]| {
        let items = body.iter().any(|l| match &l.kind {
            Kind::Item {
                checkbox: Some(_),
                text,
                ..
            } => split_id(text, true).is_some(),
            _ => false,
        });
        let rows: Vec<&str> = body
            .iter()
            .filter(|l| l.kind == Kind::TableRow)
            .map(|l| l.text.as_str())
            .collect();
        items || !rows.is_empty() && table::columns(&table::read(&rows)).is_steps()
    };
    let mut direct = Vec::new();
    for (k, &(h, _)) in heads.iter().enumerate() {
        let end = heads.get(k + 1).map_or(lines.len(), |&(e, _)| e);
        let body = &lines[h + 1..end];
        let step_heading = match &lines[h].kind {
            Kind::Heading { text, .. } => split_id(text, true).is_some() && status_in(body),
            _ => false,
        };
        direct.push((status_in(body), names_steps(body), step_heading));
    }
    let mut out = HashMap::new();
    for (k, &(h, level)) in heads.iter().enumerate() {
        let below = heads[k + 1..]
            .iter()
            .take_while(|&&(_, l)| l > level)
            .count();
        let has_id_items = direct[k].1 || (k + 1..=k + below).any(|j| direct[j].1 || direct[j].2);
        out.insert(
            h,
            HeadingInfo {
                has_status: direct[k].0,
                has_id_items,
            },
        );
    }
    out
}

static LEGEND: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(legend|format|conventions?|key to|how to read)\b").expect("legend regex")
});

/// What a section of a step holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sub {
    /// The lines between the step heading and its first subsection.
    Direct,
    Scope,
    Files,
    Summary,
    Invariants,
    Tests,
    Verification,
    EdgeCases,
    Concerns,
    Todo,
    History,
    Other,
}

fn sub_kind(name: &str) -> Sub {
    let n = inline::strip_emphasis(name).to_lowercase();
    let has = |w: &str| n.contains(w);
    if has("history") {
        Sub::History
    } else if n.starts_with("scope") {
        Sub::Scope
    } else if has("files touched") || n == "files" || has("owned files") || n == "owns" {
        Sub::Files
    } else if has("invariant") {
        Sub::Invariants
    } else if has("tests") || has("commands run") {
        Sub::Tests
    } else if has("verif") || n == "checks" || has("how to check") {
        Sub::Verification
    } else if has("edge case") {
        Sub::EdgeCases
    } else if has("concern") || has("open issue") || has("risks") {
        Sub::Concerns
    } else if has("still needed")
        || has("todo")
        || has("to do")
        || has("next steps")
        || has("remaining")
    {
        Sub::Todo
    } else if has("summary") || has("implementation") {
        Sub::Summary
    } else {
        Sub::Other
    }
}

/// What a `**Key:** value` field of a step feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Status,
    Updated,
    Run,
    Phase,
    Refs,
    Files,
    Owns,
    Summary,
    Checks,
    Other,
}

fn field_kind(key: &str) -> Field {
    let k = key.to_lowercase();
    let k = k.split(" (").next().unwrap_or(&k).trim();
    match k {
        "status" | "state" | "状态" => Field::Status,
        "last updated" | "updated" | "updated at" | "last update" | "date" => Field::Updated,
        "responsible run id" | "responsible run" | "run id" | "run" => Field::Run,
        "phase" => Field::Phase,
        "blueprint references"
        | "blueprint refs"
        | "blueprint"
        | "references"
        | "refs"
        | "requirements"
        | "spec"
        | "specs" => Field::Refs,
        "files touched" | "files" | "file" | "files changed" | "touched files" | "paths" => {
            Field::Files
        }
        "owns" | "owned files" | "owned paths" => Field::Owns,
        "summary" | "implementation summary" | "description" => Field::Summary,
        "checks" | "check" => Field::Checks,
        _ => Field::Other,
    }
}

// ------------------------------------------------------------------ walker

#[derive(Debug, Clone)]
enum Role {
    Title,
    Group(String),
    Step(usize),
    Sub(usize, Sub),
    /// A section that looks like a step but names no id.
    NoId(usize, String),
    /// A step section whose id was seen before.
    Dup(usize, String),
    Dated(String, Option<usize>),
    Legend,
}

struct Frame {
    level: usize,
    role: Role,
}

/// Who a list item belongs to.
#[derive(Debug, Clone, PartialEq)]
enum Owner {
    /// A checkbox item that is a step.
    Step(usize),
    /// An item attached to a step (its sub-tasks and details).
    Attached(usize),
    /// A checkbox item without id, at this line.
    NoId(usize),
    Dup(usize, String),
    /// The value list of a field of a step.
    Field(usize, Field),
    /// Content of a step section.
    Plain(usize),
    Note(usize),
}

struct ListFrame {
    indent: usize,
    owner: Owner,
}

struct Walker<'a> {
    lines: &'a [Line],
    opts: &'a Options,
    info: HashMap<usize, HeadingInfo>,
    out: Parsed,
    index: HashMap<String, usize>,
    frames: Vec<Frame>,
    list: Vec<ListFrame>,
    prev_blank: bool,
    seen_heading: bool,
    /// The open field of a step section (`**Files touched:**` then items).
    field: Option<(usize, Field)>,
    /// The note a dated-log line continues.
    note: Option<usize>,
    /// `**Completed:**` before a list in a dated log.
    label: Option<String>,
    /// The history entry `Notes:` lines continue.
    history: Option<(usize, usize)>,
}

impl Walker<'_> {
    fn run(&mut self) {
        let mut i = 0;
        while i < self.lines.len() {
            let line = &self.lines[i];
            match &line.kind {
                Kind::Blank => {
                    self.prev_blank = true;
                    i += 1;
                    continue;
                }
                Kind::Comment | Kind::Conflict => {}
                Kind::Rule => {
                    self.list.clear();
                    self.field = None;
                    self.note = None;
                    self.prev_blank = true;
                    i += 1;
                    continue;
                }
                Kind::Heading { level, text } => self.heading(i, *level, text),
                Kind::TableRow => {
                    let end = (i..self.lines.len())
                        .find(|&j| self.lines[j].kind != Kind::TableRow)
                        .unwrap_or(self.lines.len());
                    self.table(i, end);
                    i = end;
                    self.prev_blank = false;
                    continue;
                }
                Kind::FenceOpen { .. } => {
                    let end = (i + 1..self.lines.len())
                        .find(|&j| self.lines[j].kind == Kind::FenceClose)
                        .map_or(self.lines.len(), |j| j + 1);
                    self.fence(i, end);
                    i = end;
                    self.prev_blank = false;
                    continue;
                }
                Kind::FenceBody | Kind::FenceClose => {}
                Kind::Item {
                    indent,
                    checkbox,
                    text,
                } => self.item(i, *indent, *checkbox, text),
                Kind::Text { text, .. } => self.text(i, text),
            }
            self.prev_blank = false;
            i += 1;
        }
    }

    fn role(&self) -> Option<&Role> {
        self.frames.last().map(|f| &f.role)
    }

    fn unplaced(&mut self, i: usize, reason: impl Into<String>) {
        let l = &self.lines[i];
        self.out.report.unplaced.push(Entry {
            line: l.no,
            text: l.text.trim().to_string(),
            reason: reason.into(),
        });
    }

    fn warn(&mut self, i: usize, reason: impl Into<String>) {
        let l = &self.lines[i];
        self.out.report.warnings.push(Entry {
            line: l.no,
            text: l.text.trim().to_string(),
            reason: reason.into(),
        });
    }

    fn without_id(&mut self, i: usize, reason: &str) {
        let l = &self.lines[i];
        self.out.report.without_id.push(Entry {
            line: l.no,
            text: l.text.trim().to_string(),
            reason: reason.to_string(),
        });
    }

    /// The phase of steps defined here: the nearest group heading named like
    /// a phase (`Phase 2`, `Epic 3`, `Wave 1`), else the nearest group.
    fn section_phase(&self) -> Option<String> {
        let groups: Vec<&String> = self
            .frames
            .iter()
            .rev()
            .filter_map(|f| match &f.role {
                Role::Group(t) => Some(t),
                _ => None,
            })
            .collect();
        groups
            .iter()
            .find(|t| inline::is_phase_name(t))
            .or(groups.first())
            .map(|t| t.to_string())
    }

    /// Starts a step; None (and a report line) when the id was seen before.
    fn new_step(&mut self, i: usize, id: &str, shape: Shape, title: &str) -> Option<usize> {
        let no = self.lines[i].no;
        if let Err(e) = step_id::validate(id) {
            self.warn(i, e);
            return None;
        }
        if let Some(&first) = self.index.get(id) {
            let first_line = self.out.steps[first].line;
            self.out.report.duplicates.push(Duplicate {
                id: id.to_string(),
                line: no,
                first_line,
            });
            return None;
        }
        let title = if title.trim().is_empty() {
            id.to_string()
        } else {
            title.trim().to_string()
        };
        self.out.steps.push(ParsedStep {
            id: id.to_string(),
            line: no,
            shape,
            title,
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
            checklist: (0, 0),
            invariants_noted: false,
        });
        let idx = self.out.steps.len() - 1;
        self.index.insert(id.to_string(), idx);
        Some(idx)
    }

    fn heading(&mut self, i: usize, level: usize, text: &str) {
        while self.frames.last().is_some_and(|f| f.level >= level) {
            self.frames.pop();
        }
        self.list.clear();
        self.field = None;
        self.note = None;
        self.label = None;
        self.history = None;
        let first = !self.seen_heading;
        self.seen_heading = true;
        let (has_status, has_items) = self
            .info
            .get(&i)
            .map_or((false, false), |h| (h.has_status, h.has_id_items));
        let head = split_id(text, true);
        let enclosing_step = self.frames.iter().rev().find_map(|f| match f.role {
            Role::Step(s) | Role::Sub(s, _) => Some(s),
            _ => None,
        });
        let in_legend = self.frames.iter().any(|f| matches!(f.role, Role::Legend));
        let inherited = self.frames.iter().rev().find_map(|f| match &f.role {
            Role::NoId(l, t) => Some(Role::NoId(*l, t.clone())),
            Role::Dup(l, id) => Some(Role::Dup(*l, id.clone())),
            _ => None,
        });
        let keyword_step = head
            .as_ref()
            .and_then(|h| h.keyword.as_deref())
            .is_some_and(|k| k == "step" || k == "task");
        // `## Step S03` is a step whatever it holds; another heading that
        // names an id is a step when it has a status and no steps below it.
        let is_step = head.is_some() && (keyword_step || has_status && !has_items);
        let role = if in_legend {
            Role::Legend
        } else if is_step {
            self.step_heading(i, head.unwrap_or_default())
        } else if let Some(r) = inherited.filter(|_| enclosing_step.is_none()) {
            self.unplaced(i, no_id_reason(&r));
            r
        } else if let Some((at, rest)) = inline::leading_date(text) {
            if !rest.is_empty() {
                self.push_note(i, &at, enclosing_step, rest);
            }
            Role::Dated(at, enclosing_step)
        } else if let Some(s) = enclosing_step {
            Role::Sub(s, sub_kind(text))
        } else if LEGEND.is_match(text) {
            Role::Legend
        } else if first && level == 1 {
            Role::Title
        } else if has_status && head.is_none() {
            self.without_id(i, "section with a status but no step id");
            Role::NoId(self.lines[i].no, inline::strip_emphasis(text))
        } else {
            Role::Group(inline::strip_emphasis(text))
        };
        self.frames.push(Frame { level, role });
    }

    fn step_heading(&mut self, i: usize, head: IdHead) -> Role {
        let mut made = None;
        for id in &head.ids {
            if let Some(idx) = self.new_step(i, id, Shape::Sections, &head.title) {
                made.get_or_insert(idx);
                let phase = head.phase_hint.clone().or_else(|| self.section_phase());
                let s = &mut self.out.steps[idx];
                s.phase = phase;
                if !head.tags.is_empty() {
                    s.summary.push(format!("Tags: {}", head.tags.join(", ")));
                }
            }
        }
        match made {
            Some(idx) => Role::Step(idx),
            None => {
                let id = head.ids.first().cloned().unwrap_or_default();
                Role::Dup(self.lines[i].no, id)
            }
        }
    }

    // ------------------------------------------------------------ list items

    /// Pops list frames deeper than or level with `indent`.
    fn pop_list(&mut self, indent: usize) {
        while self.list.last().is_some_and(|f| f.indent >= indent) {
            self.list.pop();
        }
    }

    /// Nesting depth of the current item below the frame at `anchor`.
    fn depth_below(&self, anchor: Option<usize>) -> usize {
        match anchor {
            Some(p) => self.list.len().saturating_sub(p + 1),
            None => self.list.len(),
        }
    }

    fn item(&mut self, i: usize, indent: usize, checkbox: Option<char>, text: &str) {
        match self.role().cloned() {
            Some(Role::Step(s)) => self.step_item(i, s, Sub::Direct, indent, checkbox, text),
            Some(Role::Sub(s, sub)) => self.step_item(i, s, sub, indent, checkbox, text),
            Some(Role::Dated(at, step)) => self.dated_item(i, &at, step, indent, checkbox, text),
            Some(Role::Legend) => {}
            Some(r @ (Role::NoId(..) | Role::Dup(..))) => self.unplaced(i, no_id_reason(&r)),
            Some(Role::Title) | Some(Role::Group(_)) | None => {
                self.list_item(i, indent, checkbox, text, None)
            }
        }
    }

    /// A checkbox list item (shape b) or what hangs under one.
    fn list_item(
        &mut self,
        i: usize,
        indent: usize,
        checkbox: Option<char>,
        text: &str,
        section_step: Option<usize>,
    ) {
        // A plain bullet level with a step item still describes it.
        let level_owner = if checkbox.is_none() {
            self.list
                .iter()
                .rposition(|f| f.indent <= indent)
                .map(|p| (p, self.list[p].owner.clone()))
        } else {
            None
        };
        self.pop_list(indent);
        let parent = match level_owner {
            Some((p, owner)) => Some((p.min(self.list.len().saturating_sub(1)), owner)),
            None => self
                .list
                .last()
                .map(|f| (self.list.len() - 1, f.owner.clone())),
        };
        let parent_step = parent.as_ref().and_then(|(p, o)| match o {
            Owner::Step(s) | Owner::Attached(s) => Some((*p, *s)),
            _ => None,
        });
        if let Some(mark) = checkbox
            && let Some(head) = split_id(text, true)
        {
            let phase = head
                .phase_hint
                .clone()
                .or_else(|| parent_step.and_then(|(_, s)| self.out.steps[s].phase.clone()))
                .or_else(|| section_step.and_then(|s| self.out.steps[s].phase.clone()))
                .or_else(|| self.section_phase());
            let claim = self.checkbox_claim(mark, i);
            let mut first = None;
            for id in &head.ids {
                if let Some(idx) = self.new_step(i, id, Shape::Checklists, &head.title) {
                    first.get_or_insert(idx);
                    let s = &mut self.out.steps[idx];
                    s.phase = phase.clone();
                    s.status = Some(claim.clone());
                    if !head.tags.is_empty() {
                        s.summary.push(format!("Tags: {}", head.tags.join(", ")));
                    }
                    if !head.extra.is_empty() {
                        s.summary.push(head.extra.clone());
                    }
                }
            }
            if claim.status.is_none() {
                self.warn(
                    i,
                    format!("checkbox [{mark}] has no equivalent status; no status recorded"),
                );
            }
            let owner = match first {
                Some(idx) => Owner::Step(idx),
                None => Owner::Dup(self.lines[i].no, head.ids.join(", ")),
            };
            self.list.push(ListFrame { indent, owner });
            return;
        }
        match parent.map(|(_, o)| o) {
            Some(Owner::Step(s)) | Some(Owner::Attached(s)) => {
                let anchor = self.list.iter().rposition(|f| f.owner == Owner::Step(s));
                let depth = self.depth_below(anchor);
                self.attach(s, depth, checkbox, text);
                self.list.push(ListFrame {
                    indent,
                    owner: Owner::Attached(s),
                });
            }
            Some(Owner::NoId(l)) => {
                self.unplaced(i, format!("under the item without step id at line {l}"));
                self.list.push(ListFrame {
                    indent,
                    owner: Owner::NoId(l),
                });
            }
            Some(Owner::Dup(l, id)) => {
                self.unplaced(
                    i,
                    format!("under duplicate {id} at line {l} (not imported)"),
                );
                self.list.push(ListFrame {
                    indent,
                    owner: Owner::Dup(l, id),
                });
            }
            _ if checkbox.is_some() => {
                if let Some(s) = section_step {
                    self.attach(s, self.list.len(), checkbox, text);
                    self.list.push(ListFrame {
                        indent,
                        owner: Owner::Attached(s),
                    });
                } else {
                    self.without_id(i, "checkbox item without a step id");
                    self.list.push(ListFrame {
                        indent,
                        owner: Owner::NoId(self.lines[i].no),
                    });
                }
            }
            _ => {
                self.unplaced(i, "list item outside any step");
            }
        }
    }

    /// A sub-task or detail line of step `s`: checked and plain lines join
    /// its summary, open checkboxes its todo list.
    fn attach(&mut self, s: usize, depth: usize, checkbox: Option<char>, text: &str) {
        let step = &mut self.out.steps[s];
        match checkbox {
            Some(m) => {
                step.checklist.1 += 1;
                if m == 'x' || m == 'X' {
                    step.checklist.0 += 1;
                }
                if m == ' ' {
                    step.todo.push(text.to_string());
                } else {
                    step.summary
                        .push(format!("{}- [{m}] {text}", "  ".repeat(depth)));
                }
            }
            None => step.summary.push(format!("{}- {text}", "  ".repeat(depth))),
        }
    }

    fn checkbox_claim(&self, mark: char, i: usize) -> Claim {
        Claim {
            status: inline::checkbox_word(mark).map(|w| w.resolve(self.opts.checked_as)),
            said: format!("[{mark}]"),
            msg: None,
            line: self.lines[i].no,
        }
    }

    fn status_claim(&self, value: &str, i: usize) -> Claim {
        let t = inline::status_text(value);
        Claim {
            status: t.word.map(|w: Word| w.resolve(self.opts.checked_as)),
            said: t.said,
            msg: (!t.rest.is_empty()).then_some(t.rest),
            line: self.lines[i].no,
        }
    }

    // ------------------------------------------------------- step sections

    fn step_item(
        &mut self,
        i: usize,
        s: usize,
        sub: Sub,
        indent: usize,
        checkbox: Option<char>,
        text: &str,
    ) {
        // Under a checkbox step nested in this section: that step's details.
        let under = self
            .list
            .iter()
            .rev()
            .find(|f| f.indent < indent)
            .map(|f| f.owner.clone());
        let nested = matches!(
            under,
            Some(Owner::Step(_) | Owner::Attached(_) | Owner::NoId(_) | Owner::Dup(..))
        );
        if nested && !matches!(under, Some(Owner::Attached(x)) if x == s) {
            return self.list_item(i, indent, checkbox, text, Some(s));
        }
        self.pop_list(indent);
        let field_owner = match self.list.last() {
            Some(f) => match f.owner {
                Owner::Field(fs, f) if fs == s => Some(f),
                _ => None,
            },
            // A paragraph field (`**Files touched:**`) followed by a list.
            None => self.field.filter(|(fs, _)| *fs == s).map(|(_, f)| f),
        };
        if let Some(f) = field_owner {
            let depth = self.list.len().saturating_sub(1);
            self.field_item(i, s, f, depth, checkbox, text);
            self.list.push(ListFrame {
                indent,
                owner: Owner::Field(s, f),
            });
            return;
        }
        let depth = self.list.len();
        if checkbox.is_some()
            && !matches!(sub, Sub::History | Sub::Summary)
            && split_id(text, true).is_some()
        {
            return self.list_item(i, indent, checkbox, text, Some(s));
        }
        let fields_here = matches!(sub, Sub::Direct | Sub::Scope | Sub::Files | Sub::Other);
        if fields_here
            && depth == 0
            && checkbox.is_none()
            && let Some((key, value)) = inline::field(text).or_else(|| inline::plain_field(text))
        {
            let f = field_kind(&key);
            if self.apply_field(i, s, sub, f, &value, &format!("- {text}")) {
                self.list.push(ListFrame {
                    indent,
                    owner: Owner::Field(s, f),
                });
            }
            return;
        }
        self.section_line(i, s, sub, depth, checkbox, text, true);
        self.list.push(ListFrame {
            indent,
            owner: Owner::Plain(s),
        });
    }

    /// Applies a field; true when items below it are its values.
    /// `verbatim` is the line as it goes into the summary when the field
    /// has no home of its own.
    fn apply_field(
        &mut self,
        i: usize,
        s: usize,
        sub: Sub,
        f: Field,
        value: &str,
        verbatim: &str,
    ) -> bool {
        let direct = sub == Sub::Direct;
        match f {
            Field::Status if direct => {
                if self.out.steps[s].status.is_some() {
                    self.warn(
                        i,
                        "a second status line for this step; the first one counts",
                    );
                } else {
                    let claim = self.status_claim(value, i);
                    if claim.status.is_none() {
                        self.warn(
                            i,
                            format!(
                                "status '{}' has no equivalent among the five; no status recorded",
                                claim.said
                            ),
                        );
                    }
                    self.out.steps[s].status = Some(claim);
                }
                false
            }
            Field::Updated if direct => {
                match inline::find_date(value) {
                    Some(at) => self.out.steps[s].updated = Some(at),
                    None => self.warn(i, "no date found in this field"),
                }
                false
            }
            Field::Run if direct => {
                let run = inline::strip_emphasis(value).replace('`', "");
                let run = run.split_whitespace().next().unwrap_or("");
                if !run.is_empty() && !inline::is_placeholder(run) {
                    self.out.steps[s].run = Some(run.to_string());
                }
                false
            }
            Field::Phase if direct => {
                let p = inline::strip_emphasis(value);
                if !p.is_empty() {
                    self.out.steps[s].phase = Some(p);
                }
                false
            }
            Field::Refs => {
                if !value.is_empty() {
                    let refs = split_refs(value);
                    self.out.steps[s].refs.extend(refs);
                }
                true
            }
            Field::Files | Field::Owns => {
                if !value.is_empty() {
                    self.owned_paths(i, s, f == Field::Owns, value);
                }
                true
            }
            Field::Summary => {
                if !value.is_empty() {
                    self.out.steps[s].summary.push(value.to_string());
                }
                true
            }
            Field::Checks => {
                for (_, code) in inline::code_spans(value) {
                    push_unique(&mut self.out.steps[s].checks, code.trim());
                }
                true
            }
            _ => {
                self.out.steps[s].summary.push(verbatim.to_string());
                true
            }
        }
    }

    /// An item under a field: a reference, a path, a check.
    fn field_item(
        &mut self,
        i: usize,
        s: usize,
        f: Field,
        depth: usize,
        checkbox: Option<char>,
        text: &str,
    ) {
        match f {
            Field::Refs => {
                if !inline::is_placeholder(text) {
                    self.out.steps[s].refs.push(text.to_string());
                }
            }
            Field::Files | Field::Owns => self.owned_paths(i, s, f == Field::Owns, text),
            Field::Checks => match inline::leading_command(text) {
                Some((cmd, _)) => push_unique(&mut self.out.steps[s].checks, &cmd),
                None => self.unplaced(i, "not a command in a checks list"),
            },
            _ => {
                let mark = checkbox.map(|m| format!("[{m}] ")).unwrap_or_default();
                self.out.steps[s]
                    .summary
                    .push(format!("{}- {mark}{text}", "  ".repeat(depth)));
            }
        }
    }

    /// Files touched become literal globs; an `Owns` field keeps its globs.
    fn owned_paths(&mut self, i: usize, s: usize, globs: bool, text: &str) {
        if inline::is_placeholder(text) {
            return;
        }
        if self.lines[i].had_controls {
            self.warn(
                i,
                "control characters in this path (a lost backslash escape?); not imported as an owned file",
            );
            return;
        }
        let (paths, prose) = inline::paths_in(text);
        if paths.is_empty() {
            self.unplaced(i, "no file path found in this files entry");
            return;
        }
        for p in paths {
            let glob = if globs {
                p.clone()
            } else {
                if p.contains(['*', '?']) {
                    self.warn(
                        i,
                        format!(
                            "'{p}' looks like a glob; kept as a literal path (to own matching files: git ledger edit {} --owns '{p}')",
                            self.out.steps[s].id
                        ),
                    );
                }
                inline::literal_glob(&p)
            };
            match crate::git::owns::Owns::new(std::slice::from_ref(&glob)) {
                Ok(_) => push_unique(&mut self.out.steps[s].owns, &glob),
                Err(e) => self.warn(i, format!("{e}; not imported")),
            }
        }
        if prose {
            self.out.steps[s].summary.push(format!("Files: {text}"));
        }
    }

    /// A line of a step section that is not a field: where it goes depends
    /// on the subsection.
    #[allow(clippy::too_many_arguments)]
    fn section_line(
        &mut self,
        i: usize,
        s: usize,
        sub: Sub,
        depth: usize,
        checkbox: Option<char>,
        text: &str,
        is_item: bool,
    ) {
        let indent = "  ".repeat(depth);
        let verbatim = match (is_item, checkbox) {
            (true, Some(m)) => format!("{indent}- [{m}] {text}"),
            (true, None) => format!("{indent}- {text}"),
            (false, _) => text.to_string(),
        };
        match sub {
            Sub::History => self.history_line(i, s, checkbox, text, depth),
            Sub::Invariants | Sub::Verification => {
                if let Some((cmd, _)) = inline::leading_command(text) {
                    push_unique(&mut self.out.steps[s].checks, &cmd);
                } else if !inline::is_placeholder(text) {
                    let step = &mut self.out.steps[s];
                    if !step.invariants_noted && sub == Sub::Invariants {
                        step.summary.push("Observable invariants:".to_string());
                        step.invariants_noted = true;
                    }
                    step.summary.push(verbatim);
                }
            }
            Sub::Tests => {
                if inline::is_placeholder(text) {
                    return;
                }
                let found = inline::leading_command(text).or_else(|| inline::plain_command(text));
                if let Some((cmd, rest)) = found
                    && inline::result_of(&rest) == Some(true)
                {
                    push_unique(&mut self.out.steps[s].checks, &cmd);
                }
                self.out.steps[s].tests_run.push(verbatim);
            }
            Sub::EdgeCases | Sub::Concerns | Sub::Todo => {
                if inline::is_placeholder(text) {
                    return;
                }
                let step = &mut self.out.steps[s];
                let list = match sub {
                    Sub::EdgeCases => &mut step.edge_cases,
                    Sub::Concerns => &mut step.concerns,
                    _ => &mut step.todo,
                };
                match list.last_mut() {
                    Some(last) if depth > 0 || !is_item && !self.prev_blank => {
                        last.push('\n');
                        last.push_str(&verbatim);
                    }
                    _ => {
                        let mark = checkbox.filter(|m| *m != ' ').map(|m| format!("[{m}] "));
                        list.push(format!("{}{text}", mark.unwrap_or_default()));
                    }
                }
            }
            Sub::Files => self.owned_paths(i, s, false, text),
            Sub::Summary => {
                if !inline::is_placeholder(text) {
                    // `export` escapes a summary line that would read as a heading.
                    let line = match verbatim.strip_prefix('\\') {
                        Some(rest) if rest.starts_with(['#', '<', '>']) => rest.to_string(),
                        _ => verbatim,
                    };
                    self.out.steps[s].summary.push(line);
                }
            }
            Sub::Direct | Sub::Scope | Sub::Other => match checkbox {
                Some(_) => self.attach(s, depth, checkbox, text),
                None => self.out.steps[s].summary.push(verbatim),
            },
        }
    }

    fn history_line(
        &mut self,
        i: usize,
        s: usize,
        checkbox: Option<char>,
        text: &str,
        depth: usize,
    ) {
        let notes = ["**Notes:**", "Notes:", "Note:"]
            .iter()
            .find_map(|p| text.strip_prefix(p));
        let open = self.history.filter(|(hs, _)| *hs == s).map(|(_, he)| he);
        // A nested line or a `Notes:` line continues the entry above it.
        if let Some(he) = open
            && checkbox.is_none()
            && (notes.is_some() || depth > 0)
        {
            let entry = &mut self.out.steps[s].history[he];
            let n = notes.unwrap_or(text).trim();
            entry.msg = Some(match entry.msg.take() {
                Some(m) => format!("{m}\n{n}"),
                None => n.to_string(),
            });
            return;
        }
        match checkbox {
            Some(' ') => self.history = None,
            _ => match parse_history(text, self.opts.checked_as) {
                Some(mut e) => {
                    e.line = self.lines[i].no;
                    let step = &mut self.out.steps[s];
                    step.history.push(e);
                    self.history = Some((s, step.history.len() - 1));
                }
                None if inline::is_placeholder(text) => {}
                None => self.unplaced(i, "verification history line not understood"),
            },
        }
    }

    // ------------------------------------------------------------ text lines

    fn text(&mut self, i: usize, text: &str) {
        let continuation = !self.prev_blank && !self.list.is_empty();
        match self.role().cloned() {
            Some(Role::Step(s)) => self.step_text(i, s, Sub::Direct, text, continuation),
            Some(Role::Sub(s, sub)) => self.step_text(i, s, sub, text, continuation),
            Some(Role::Dated(at, step)) => self.dated_text(i, &at, step, text),
            Some(Role::Legend) => {}
            Some(r @ (Role::NoId(..) | Role::Dup(..))) => self.unplaced(i, no_id_reason(&r)),
            _ => {
                let owner = continuation
                    .then(|| self.list.last().map(|f| f.owner.clone()))
                    .flatten();
                match owner {
                    Some(Owner::Step(s)) | Some(Owner::Attached(s)) => {
                        self.out.steps[s].summary.push(text.to_string());
                    }
                    Some(Owner::NoId(l)) => {
                        self.unplaced(i, format!("under the item without step id at line {l}"))
                    }
                    Some(Owner::Dup(l, id)) => self.unplaced(
                        i,
                        format!("under duplicate {id} at line {l} (not imported)"),
                    ),
                    _ => {
                        self.list.clear();
                        if line_field(text).is_some_and(|(k, _)| is_status_key(&k)) {
                            self.unplaced(
                                i,
                                "status of a section that is not a step (its items carry their own ids and statuses)",
                            );
                        } else {
                            self.unplaced(i, "text outside any step");
                        }
                    }
                }
            }
        }
    }

    fn step_text(&mut self, i: usize, s: usize, sub: Sub, text: &str, continuation: bool) {
        if continuation {
            if let Some(last) = self.list.last().map(|f| f.owner.clone()) {
                match last {
                    Owner::Step(x) | Owner::Attached(x) if x != s => {
                        self.out.steps[x].summary.push(text.to_string());
                        return;
                    }
                    Owner::Field(_, Field::Files | Field::Owns) => {
                        return self.owned_paths(i, s, false, text);
                    }
                    _ => {}
                }
            }
            if sub == Sub::History {
                return self.history_line(i, s, None, text, 1);
            }
            let depth = self.list.len();
            return self.section_line(i, s, sub, depth, None, text, false);
        }
        self.list.clear();
        self.field = None;
        if matches!(sub, Sub::Direct | Sub::Scope | Sub::Other)
            && let Some((key, value)) = line_field(text)
        {
            let f = field_kind(&key);
            // `**Files touched:**` alone opens a list; with a value it is complete.
            if self.apply_field(i, s, sub, f, &value, text) && value.is_empty() {
                self.field = Some((s, f));
            }
            return;
        }
        self.section_line(i, s, sub, 0, None, text, false);
    }

    // ------------------------------------------------------------ dated logs

    fn push_note(&mut self, i: usize, at: &str, step: Option<usize>, text: String) -> usize {
        self.out.notes.push(ParsedNote {
            step: step.map(|s| self.out.steps[s].id.clone()),
            at: at.to_string(),
            text,
            line: self.lines[i].no,
        });
        self.out.notes.len() - 1
    }

    fn dated_item(
        &mut self,
        i: usize,
        at: &str,
        step: Option<usize>,
        indent: usize,
        checkbox: Option<char>,
        text: &str,
    ) {
        self.pop_list(indent);
        if let Some(mark) = checkbox
            && let Some(head) = split_id(text, true)
        {
            let status = inline::checkbox_word(mark).map(|w| w.resolve(self.opts.checked_as));
            for id in &head.ids {
                let idx = match self.index.get(id) {
                    Some(&idx) => Some(idx),
                    None => {
                        let idx = self.new_step(i, id, Shape::DatedLogs, &head.title);
                        if let Some(idx) = idx {
                            self.out.steps[idx].phase = self.section_phase();
                        }
                        idx
                    }
                };
                if let (Some(idx), Some(status)) = (idx, status) {
                    let msg = (!head.title.is_empty()).then(|| head.title.clone());
                    self.out.steps[idx].history.push(HistoryEntry {
                        status,
                        at: Some(at.to_string()),
                        run: None,
                        msg,
                        line: self.lines[i].no,
                        from_log: true,
                    });
                }
            }
            if status.is_none() {
                self.warn(
                    i,
                    format!("checkbox [{mark}] has no equivalent status; no status recorded"),
                );
            }
            self.note = None;
            return;
        }
        let mark = checkbox.map(|m| format!("[{m}] ")).unwrap_or_default();
        match (self.note, self.list.is_empty()) {
            (Some(n), false) => {
                let depth = self.list.len();
                let t = &mut self.out.notes[n].text;
                t.push_str(&format!("\n{}- {mark}{text}", "  ".repeat(depth - 1)));
            }
            _ => {
                let body = match &self.label {
                    Some(l) => format!("{l} {mark}{text}"),
                    None => format!("{mark}{text}"),
                };
                self.note = Some(self.push_note(i, at, step, body));
            }
        }
        let n = self.note.unwrap_or(0);
        self.list.push(ListFrame {
            indent,
            owner: Owner::Note(n),
        });
    }

    fn dated_text(&mut self, i: usize, at: &str, step: Option<usize>, text: &str) {
        if !self.prev_blank
            && let Some(n) = self.note
        {
            let t = &mut self.out.notes[n].text;
            t.push('\n');
            t.push_str(text);
            return;
        }
        self.list.clear();
        let plain = inline::strip_emphasis(text);
        let next_is_item = self
            .lines
            .get(i + 1)
            .is_some_and(|l| matches!(l.kind, Kind::Item { .. }));
        if plain.ends_with(':') && next_is_item {
            self.label = Some(plain);
            self.note = None;
            return;
        }
        self.label = None;
        self.note = Some(self.push_note(i, at, step, text.to_string()));
    }

    // ------------------------------------------------------ tables and code

    fn table(&mut self, start: usize, end: usize) {
        let rows: Vec<&str> = self.lines[start..end]
            .iter()
            .map(|l| l.text.as_str())
            .collect();
        let t = table::read(&rows);
        match self.role().cloned() {
            Some(Role::Legend) => {}
            Some(Role::Step(s)) | Some(Role::Sub(s, _)) => {
                for l in &self.lines[start..end] {
                    self.out.steps[s].summary.push(l.text.trim().to_string());
                }
            }
            Some(Role::Dated(at, step)) => {
                let header = t.header.clone().unwrap_or_default();
                let date_col = table::columns(&t).date;
                for (k, cells) in &t.rows {
                    let own = date_col
                        .and_then(|d| cells.get(d))
                        .and_then(|c| inline::find_date(c));
                    let text = row_text(&header, cells, date_col.filter(|_| own.is_some()));
                    self.push_note(start + k, own.as_deref().unwrap_or(&at), step, text);
                }
            }
            Some(r @ (Role::NoId(..) | Role::Dup(..))) => {
                for i in start..end {
                    if !table::is_separator(&self.lines[i].text) {
                        self.unplaced(i, no_id_reason(&r));
                    }
                }
            }
            _ => self.step_table(start, end, &t),
        }
        self.list.clear();
    }

    /// Shape (d): rows of a table with an id and a status column become
    /// steps; a table with a date column becomes notes.
    fn step_table(&mut self, start: usize, end: usize, t: &table::Table) {
        let cols = table::columns(t);
        let header = t.header.clone().unwrap_or_default();
        if !cols.is_steps() {
            let reason = if let Some(d) = cols.date {
                for (k, cells) in &t.rows {
                    match cells.get(d).and_then(|c| inline::find_date(c)) {
                        Some(at) => {
                            let text = row_text(&header, cells, Some(d));
                            self.push_note(start + k, &at, None, text);
                        }
                        None => self.unplaced(start + k, "table row without a date"),
                    }
                }
                return;
            } else if cols.status.is_some() {
                for (k, _) in &t.rows {
                    self.without_id(start + k, "table row with a status but no step id");
                }
                return;
            } else {
                "table without an id column and a status column"
            };
            for i in start..end {
                if !table::is_separator(&self.lines[i].text) {
                    self.unplaced(i, reason);
                }
            }
            return;
        }
        let (id_col, status_col) = (cols.id.unwrap_or(0), cols.status.unwrap_or(0));
        let phase = self.section_phase();
        for (k, cells) in &t.rows {
            let i = start + k;
            let cell = cells.get(id_col).map(String::as_str).unwrap_or("");
            let Some(head) = table::cell_ids(cell, cols.numeric_ids) else {
                self.without_id(i, "table row without a step id");
                continue;
            };
            let title_of = |c: Option<usize>| {
                c.and_then(|c| cells.get(c))
                    .map(|c| inline::strip_emphasis(c))
                    .filter(|c| !c.is_empty())
            };
            let title = title_of(cols.title)
                .or_else(|| (!head.title.is_empty()).then(|| head.title.clone()))
                .or_else(|| title_of(cols.text))
                .unwrap_or_default();
            let claim = self.status_claim(cells.get(status_col).map_or("", String::as_str), i);
            if claim.status.is_none() {
                self.warn(
                    i,
                    format!(
                        "status '{}' has no equivalent among the five; no status recorded",
                        claim.said
                    ),
                );
            }
            for id in &head.ids {
                let Some(idx) = self.new_step(i, id, Shape::Tables, &title) else {
                    continue;
                };
                let mut owns_cell = None;
                for (c, value) in cells.iter().enumerate() {
                    let value = value.trim();
                    let is_title = Some(c) == cols.title
                        || cols.title.is_none()
                            && Some(c) == cols.text
                            && title == inline::strip_emphasis(value);
                    if c == id_col || c == status_col || is_title || inline::is_placeholder(value) {
                        continue;
                    }
                    let name = header
                        .get(c)
                        .map(|h| inline::strip_emphasis(h))
                        .unwrap_or_default();
                    if cols.owns.is_some_and(|(oc, _)| oc == c) {
                        owns_cell = Some(value.to_string());
                    } else if cols.concerns == Some(c) {
                        self.out.steps[idx].concerns.push(value.to_string());
                    } else if cols.date == Some(c) {
                        self.out.steps[idx].updated = inline::find_date(value);
                    } else if name.is_empty() {
                        self.out.steps[idx].summary.push(value.to_string());
                    } else {
                        self.out.steps[idx].summary.push(format!("{name}: {value}"));
                    }
                }
                if let (Some(v), Some((_, globs))) = (owns_cell, cols.owns) {
                    let spans = inline::code_spans(&v);
                    if spans.is_empty() {
                        self.warn(
                            i,
                            format!(
                                "{id}: the owns cell names no path in backticks; nothing owned"
                            ),
                        );
                    }
                    for (_, code) in spans {
                        if code.contains(char::is_whitespace) {
                            continue;
                        }
                        let glob = if globs {
                            code.clone()
                        } else {
                            inline::literal_glob(&code)
                        };
                        match crate::git::owns::Owns::new(std::slice::from_ref(&glob)) {
                            Ok(_) => push_unique(&mut self.out.steps[idx].owns, &glob),
                            Err(e) => self.warn(i, format!("{e}; not imported")),
                        }
                    }
                }
                let s = &mut self.out.steps[idx];
                s.phase = phase.clone();
                s.status = Some(claim.clone());
            }
        }
    }

    fn fence(&mut self, start: usize, end: usize) {
        let lang = match &self.lines[start].kind {
            Kind::FenceOpen { lang } => lang.clone(),
            _ => String::new(),
        };
        let shell = matches!(
            lang.as_str(),
            "" | "bash" | "sh" | "shell" | "console" | "zsh" | "shell-session"
        );
        match self.role().cloned() {
            Some(Role::Sub(s, Sub::Verification | Sub::Invariants | Sub::Tests)) if shell => {
                self.fence_checks(s, start, end)
            }
            Some(Role::Step(s)) | Some(Role::Sub(s, _)) => {
                for l in &self.lines[start..end] {
                    self.out.steps[s].summary.push(l.text.clone());
                }
            }
            Some(Role::Dated(at, step)) => {
                let body: Vec<&str> = self.lines[start..end]
                    .iter()
                    .map(|l| l.text.as_str())
                    .collect();
                match self.note {
                    Some(n) => {
                        let t = &mut self.out.notes[n].text;
                        t.push('\n');
                        t.push_str(&body.join("\n"));
                    }
                    None => {
                        self.push_note(start, &at, step, body.join("\n"));
                    }
                }
            }
            Some(Role::Legend) => {}
            Some(r @ (Role::NoId(..) | Role::Dup(..))) => {
                for i in start..end {
                    self.unplaced(i, no_id_reason(&r));
                }
            }
            _ => {
                for i in start..end {
                    self.unplaced(i, "code block outside any step");
                }
            }
        }
    }

    /// Commands of a shell block under a step's verification heading become
    /// checks; one whose comment says its output matters is reported instead.
    fn fence_checks(&mut self, s: usize, start: usize, end: usize) {
        let body: Vec<usize> = (start + 1..end)
            .filter(|&i| self.lines[i].kind == Kind::FenceBody)
            .collect();
        for (k, &i) in body.iter().enumerate() {
            let t = self.lines[i].text.trim();
            let t = t.strip_prefix("$ ").unwrap_or(t);
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let expects_output = body
                .get(k + 1)
                .map(|&j| self.lines[j].text.trim().to_lowercase())
                .is_some_and(|next| {
                    next.starts_with('#')
                        && (next.contains("should return empty")
                            || next.contains("should only return")
                            || next.contains("should be empty")
                            || next.contains("no output"))
                });
            if expects_output {
                self.warn(
                    i,
                    "its comment says the output matters, and a check only sees the exit status; not imported as a check",
                );
                continue;
            }
            push_unique(&mut self.out.steps[s].checks, t);
        }
    }

    // ----------------------------------------------------------------- end

    fn finish(mut self) -> Parsed {
        for k in 0..self.out.steps.len() {
            let s = &mut self.out.steps[k];
            trim_blank(&mut s.summary);
            let (checked, total) = s.checklist;
            let claim = s
                .status
                .as_ref()
                .and_then(|c| c.status.map(|st| (st, c.line)));
            if let Some((status, line)) = claim
                && total > 1
                && s.shape == Shape::Sections
            {
                let done = matches!(
                    status,
                    Status::CompletedPendingVerification | Status::Verified
                );
                let msg = if checked == total && !done {
                    Some(format!(
                        "{}: the status line says {status} but all {total} checklist items are checked; the status line counts",
                        s.id
                    ))
                } else if checked < total && done {
                    Some(format!(
                        "{}: the status line says {status} but {} of {total} checklist items are open; the status line counts",
                        s.id,
                        total - checked
                    ))
                } else {
                    None
                };
                if let Some(reason) = msg {
                    self.out.report.warnings.push(Entry {
                        line,
                        text: String::new(),
                        reason,
                    });
                }
            }
        }
        self.out.report.warnings.sort_by_key(|e| e.line);
        self.out
    }
}

fn no_id_reason(r: &Role) -> String {
    match r {
        Role::NoId(l, t) => format!("in section '{t}' (line {l}), which names no step id"),
        Role::Dup(l, id) => format!("in the section of duplicate {id} at line {l} (not imported)"),
        _ => String::new(),
    }
}

fn push_unique(list: &mut Vec<String>, value: &str) {
    if !value.is_empty() && !list.iter().any(|v| v == value) {
        list.push(value.to_string());
    }
}

fn trim_blank(lines: &mut Vec<String>) {
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
}

/// Splits `a (x), b, c` on commas outside parentheses and code spans.
fn split_refs(value: &str) -> Vec<String> {
    let spans = inline::code_spans(value);
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for (i, c) in value.char_indices() {
        let in_code = spans.iter().any(|(r, _)| r.contains(&i));
        match c {
            '(' if !in_code => depth += 1,
            ')' if !in_code => depth -= 1,
            _ => {}
        }
        if (c == ',' || c == ';') && depth == 0 && !in_code {
            out.push(cur.trim().to_string());
            cur.clear();
        } else {
            cur.push(c);
        }
    }
    out.push(cur.trim().to_string());
    out.retain(|r| !r.is_empty() && !inline::is_placeholder(r));
    out
}

fn row_text(header: &[String], cells: &[String], skip: Option<usize>) -> String {
    cells
        .iter()
        .enumerate()
        .filter(|(c, v)| Some(*c) != skip && !inline::is_placeholder(v))
        .map(
            |(c, v)| match header.get(c).map(|h| inline::strip_emphasis(h)) {
                Some(h) if !h.is_empty() => format!("{h}: {v}"),
                _ => v.clone(),
            },
        )
        .collect::<Vec<_>>()
        .join("; ")
}

static HISTORY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?P<what>.+?)\s+on\s+(?P<date>\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?(?:\s*(?:UTC|Z))?)(?:\s+by\s+run\s+(?P<run>[^\s,;]+))?(?P<rest>.*)$",
    )
    .expect("history regex")
});
static HISTORY_NO_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<what>.+?)\s+by\s+run\s+(?P<run>[^\s,;]+)(?P<rest>.*)$")
        .expect("history regex")
});
static AT_COMMIT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*at\s+[0-9a-f]{7,40}\s*").expect("commit regex"));

/// `Verified on 2025-12-10 by run run-002`, `Drift detected on …`.
fn parse_history(text: &str, checked_as: Status) -> Option<HistoryEntry> {
    let plain = inline::strip_emphasis(text);
    let caps = HISTORY
        .captures(&plain)
        .or_else(|| HISTORY_NO_DATE.captures(&plain));
    let (what, at, run, rest) = match &caps {
        Some(c) => (
            c["what"].to_string(),
            c.name("date").and_then(|d| inline::find_date(d.as_str())),
            c.name("run").map(|r| r.as_str().to_string()),
            c.name("rest").map_or("", |r| r.as_str()).to_string(),
        ),
        None => (plain.clone(), None, None, String::new()),
    };
    let word = inline::status_text(&what);
    let status = word.word?.resolve(checked_as);
    let rest = AT_COMMIT
        .replace(&rest, "")
        .trim()
        .trim_start_matches(['–', '—', '-', ':'])
        .trim()
        .to_string();
    let mut msg = Vec::new();
    if caps.is_none() && !word.rest.is_empty() {
        msg.push(word.rest);
    }
    if !rest.is_empty() {
        msg.push(rest);
    }
    Some(HistoryEntry {
        status,
        at,
        run,
        msg: (!msg.is_empty()).then(|| msg.join(" ")),
        line: 0,
        from_log: false,
    })
}

#[cfg(test)]
mod tests;
