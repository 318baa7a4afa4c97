//! The ledger reader: the CommonMark block tree in; steps, notes and a
//! report out. No git, no I/O: `parse(text)` is a pure function.
//!
//! Headings make sections. A section whose heading names a step and has a
//! status (in the heading, a `Status` field, or the last row of a status
//! table) is a step (shape a); one that also has steps below it is a
//! group step: a phase for them and a step of its own. A heading starting
//! with a date is a dated log (c); other headings are groups whose names
//! become the phases of the checkbox items (b) and table rows (d) below.

use super::blocks::{self, Block, Kind, Line, Row};
use super::ids::{self, Families, IdHead};
use super::inline::{self, field, find_date, text};
use super::model::*;
use super::source::Source;
use super::table;
use super::words::{self, Legend, heading_status, status_text};
use crate::ledger::{Status, step_id};
use regex::Regex;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::LazyLock;

/// Lists nested deeper than this are reported, not read: no input can make
/// the reader recurse without bound.
const MAX_DEPTH: usize = 64;

/// `Legend`, `Status legend`, `Format: [ID] [P?] Description`, `Conventions`.
static LEGEND_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:(?:status|priority|checkbox)\s+)?(?:legend|format|conventions?|key|notation|how to read)\b|\blegend\s*$")
        .expect("legend regex")
});
static LIST_MARKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:>\s*)*(?:[-*+]|\d{1,9}[.)])\s+(?:\[[^\]]{1,2}\]\s+)?")
        .expect("marker regex")
});
static OUTLINE_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?P<n>\d+(?:\.\d+)*)\.?(?:\s|$)").expect("outline regex"));

#[cfg(test)]
pub fn parse(text: &str, opts: &Options) -> Parsed {
    read(Source::new(text), opts)
}

/// `parse` of a text the caller no longer needs: it is not copied.
pub fn parse_owned(text: String, opts: &Options) -> Parsed {
    read(Source::from_string(text), opts)
}

fn read(src: Source, opts: &Options) -> Parsed {
    let tree = blocks::parse(&src);
    let legend = read_legend(&tree);
    let fam = read_families(&tree);
    let mut r = Reader {
        src: &src,
        opts,
        legend,
        out: Parsed::default(),
        index: HashMap::new(),
        groups: Vec::new(),
        group_steps: Default::default(),
        seen_heading: false,
        fam: &fam,
        place: (String::new(), 0),
    };
    r.out.report.lines = src.lines();
    r.out.report.conflicts = src.conflicts.clone();
    if let Some(&first) = src.repaired.first() {
        r.out.report.warnings.push(Entry {
            line: first,
            text: String::new(),
            reason: format!(
                "{} line(s) held mojibake (UTF-8 read as another encoding, e.g. ‚úÖ for ✅); read as repaired",
                src.repaired.len()
            )
            .into(),
        });
    }
    // Sections own their blocks, so each is freed once read.
    let mut root = sections(tree, &fam);
    r.section_body(&root, &Ctx::Free);
    r.children(std::mem::take(&mut root.children), &Ctx::Free);
    r.finish()
}

// ---------------------------------------------------------------- sections

/// A heading and what follows it up to the next heading of its level.
struct Section {
    head: Option<Block>,
    level: usize,
    body: Vec<Block>,
    children: Vec<Section>,
    /// The place of the section for `--ids auto`: `2.1`.
    key: String,
    /// Its body says a status (a field or a status table).
    body_status: bool,
    /// It or a section below it holds items or rows with ids, or step headings.
    ids_below: bool,
    /// It names an id and has a status.
    is_step: bool,
}

fn heading_line(b: &Block) -> Option<(usize, &Line)> {
    match &b.kind {
        Kind::Heading { level, text } => Some((*level, text)),
        _ => None,
    }
}

fn sections(tree: Vec<Block>, fam: &Families) -> Section {
    let new = |head, level| Section {
        head,
        level,
        body: Vec::new(),
        children: Vec::new(),
        key: String::new(),
        body_status: false,
        ids_below: false,
        is_step: false,
    };
    let mut stack: Vec<Section> = vec![new(None, 0)];
    for b in tree {
        match heading_line(&b) {
            Some((level, _)) => {
                while stack.len() > 1 && stack.last().is_some_and(|s| s.level >= level) {
                    if let Some(done) = stack.pop()
                        && let Some(parent) = stack.last_mut()
                    {
                        parent.children.push(done);
                    }
                }
                stack.push(new(Some(b), level));
            }
            None => {
                if let Some(top) = stack.last_mut() {
                    top.body.push(b);
                }
            }
        }
    }
    while stack.len() > 1 {
        if let Some(done) = stack.pop()
            && let Some(parent) = stack.last_mut()
        {
            parent.children.push(done);
        }
    }
    let mut root = stack.pop().unwrap_or_else(|| new(None, 0));
    annotate(&mut root, "", fam);
    root
}

/// Fills in keys, statuses and whether steps lie below, bottom-up.
fn annotate(s: &mut Section, key: &str, fam: &Families) {
    s.key = key.to_string();
    s.body_status = s.body.iter().any(body_has_status);
    let direct_ids = s.body.iter().any(|b| names_steps(b, 0, fam));
    let mut ordinal = 0;
    let mut below = false;
    let title_only = s.head.is_none() && s.children.len() == 1 && s.children[0].level == 1;
    for c in s.children.iter_mut() {
        ordinal += 1;
        let text = c
            .head
            .as_ref()
            .and_then(heading_line)
            .map(|(_, l)| text(l))
            .unwrap_or_default();
        let text = ids::strip_decoration(&text);
        let number = section_number(&text);
        let child_key = if title_only {
            String::new()
        } else {
            match number {
                Some(n) if n.contains('.') => n,
                Some(n) => join_key(key, &n),
                None => join_key(key, &ordinal.to_string()),
            }
        };
        annotate(c, &child_key, fam);
        let head = c.head.as_ref().and_then(heading_line).map(|(_, l)| l);
        let named = head.is_some_and(|l| find_id(l, fam).is_some());
        let status = c.body_status
            || head.is_some_and(|l| heading_status(&inline::text(l), &Legend::default()).is_some());
        c.is_step = named && status;
        below |= c.ids_below || c.is_step;
    }
    s.ids_below = direct_ids || below;
}

fn join_key(parent: &str, part: &str) -> String {
    if parent.is_empty() {
        part.to_string()
    } else {
        format!("{parent}.{part}")
    }
}

/// The number a heading gives its section: `Phase 2` → 2, `1.1 Setup` → 1.1.
fn section_number(text: &str) -> Option<String> {
    if let Some(c) = OUTLINE_NUMBER.captures(text) {
        return Some(c["n"].to_string());
    }
    let head = ids::find(
        &Line {
            spans: vec![blocks::Span::plain(text)],
            ..Line::default()
        },
        false,
    )?;
    let id = head.ids.first()?;
    (head.form == ids::Form::PlanWord).then(|| {
        id.split_once('-')
            .map_or(id.clone(), |(_, n)| n.to_string())
    })
}

fn text_of(l: &Line) -> String {
    ids::strip_decoration(&text(l))
}

fn is_status_key(key: &str) -> bool {
    matches!(
        key.to_lowercase().trim(),
        "status" | "state" | "状态" | "상태" | "current status"
    )
}

/// A status field among a block's lines, or a status table.
fn body_has_status(b: &Block) -> bool {
    match &b.kind {
        Kind::Paragraph(lines) => lines
            .iter()
            .any(|l| field(l).is_some_and(|(k, _)| is_status_key(&k))),
        Kind::List => b.children.iter().any(|item| {
            item_head(item).is_some_and(|l| field(l).is_some_and(|(k, _)| is_status_key(&k)))
        }),
        Kind::Table { head, rows } => {
            // A status history: `| 时间 | 状态 | 说明 |`, its last row the status.
            let c = table::columns(head, rows, &Legend::default());
            c.id.is_none() && c.status.is_some() && c.date.is_some() && !rows.is_empty()
        }
        _ => false,
    }
}

/// Whether a block holds checkbox items or table rows that name steps.
fn names_steps(b: &Block, depth: usize, fam: &Families) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match &b.kind {
        Kind::List => b.children.iter().any(|item| {
            let named = matches!(item.kind, Kind::Item { mark: Some(_), .. })
                && item_head(item).is_some_and(|l| find_id(l, fam).is_some());
            named || item.children.iter().any(|c| names_steps(c, depth + 1, fam))
        }),
        Kind::Table { head, rows } => table::columns(head, rows, &Legend::default()).is_steps(),
        Kind::Quote => b.children.iter().any(|c| names_steps(c, depth + 1, fam)),
        _ => false,
    }
}

/// The first line of a list item.
fn item_head(item: &Block) -> Option<&Line> {
    match &item.kind {
        Kind::Item { head, .. } => head.first(),
        _ => None,
    }
}

fn item_mark(item: &Block) -> Option<char> {
    match item.kind {
        Kind::Item { mark, .. } => mark,
        _ => None,
    }
}

/// The id a heading or item names, unless it is a lone weak one.
fn find_id(l: &Line, fam: &Families) -> Option<IdHead> {
    ids::find(l, true).filter(|h| fam.keep(h))
}

/// Every code id the document names in a heading or an item.
fn read_families(tree: &[Block]) -> Families {
    let mut fam = Families::default();
    let mut stack: Vec<&Block> = tree.iter().collect();
    let mut steps = 0;
    while let Some(b) = stack.pop() {
        steps += 1;
        if steps > 1_000_000 {
            break;
        }
        let line = match &b.kind {
            Kind::Heading { text, .. } => Some(text),
            Kind::Item { .. } => item_head(b),
            _ => None,
        };
        if let Some(h) = line.and_then(|l| ids::find(l, true)) {
            fam.learn(&h);
        }
        stack.extend(b.children.iter());
    }
    fam
}

// ------------------------------------------------------------------ legend

/// The document's legend: entries in legend sections, and fields such as
/// `**Status legend**: [ ] pending · [>] in-progress · [-] shelved`.
fn read_legend(tree: &[Block]) -> Legend {
    let mut legend = Legend::default();
    let mut in_legend = false;
    let mut stack: Vec<&Block> = tree.iter().rev().collect();
    let mut steps = 0;
    while let Some(b) = stack.pop() {
        steps += 1;
        if steps > 100_000 {
            break;
        }
        match &b.kind {
            Kind::Heading { text, .. } => {
                in_legend = LEGEND_HEADING.is_match(&ids::strip_decoration(&inline::plain(text)))
            }
            Kind::Paragraph(lines) => {
                for l in lines {
                    learn_line(&mut legend, l, in_legend);
                }
            }
            Kind::List | Kind::Quote => stack.extend(b.children.iter().rev()),
            Kind::Item { mark, head } => {
                match (mark, head.first()) {
                    (Some(m), Some(first)) if in_legend => {
                        legend.learn(&format!("[{m}] {}", inline::plain(first)));
                    }
                    _ => {
                        for l in head.iter() {
                            learn_line(&mut legend, l, in_legend);
                        }
                    }
                }
                stack.extend(b.children.iter().rev());
            }
            _ => {}
        }
    }
    legend
}

fn learn_line(legend: &mut Legend, l: &Line, in_legend: bool) {
    if let Some((key, value)) = field(l)
        && key.to_lowercase().contains("legend")
    {
        for part in inline::plain(&value).split(['·', '|', ',', ';']) {
            legend.learn(part);
        }
        return;
    }
    if in_legend {
        legend.learn(&inline::plain(l));
    }
}

fn is_legend_line(l: &Line) -> bool {
    let mut scratch = Legend::default();
    if field(l).is_some_and(|(k, _)| k.to_lowercase().contains("legend")) {
        return true;
    }
    scratch.learn(&inline::plain(l))
}

/// A legend line that explains a status word (`` `verified` – re-checked ``).
fn explains_status(l: &Line) -> bool {
    let first = l.spans.iter().find(|s| !s.text.trim().is_empty());
    first.is_some_and(|s| (s.code || s.strong) && status_text(&s.text, &Legend::default()).found)
}

// ------------------------------------------------------------------ reader

/// What a field of a step feeds.
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
        "status" | "state" | "状态" | "상태" | "current status" => Field::Status,
        "last updated" | "updated" | "updated at" | "last update" | "date" | "completed" => {
            Field::Updated
        }
        "responsible run id" | "responsible run" | "run id" | "run" => Field::Run,
        "phase" => Field::Phase,
        "blueprint references"
        | "blueprint refs"
        | "blueprint"
        | "references"
        | "reference"
        | "refs"
        | "requirements"
        | "spec"
        | "specs" => Field::Refs,
        "files touched" | "files" | "file" | "files changed" | "touched files" | "paths" => {
            Field::Files
        }
        "owns" | "owned files" | "owned paths" => Field::Owns,
        "summary" | "implementation summary" | "description" => Field::Summary,
        "checks" | "check" | "verify command" | "verification command" => Field::Checks,
        _ => Field::Other,
    }
}

/// What a subsection of a step holds.
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
    let n = name.to_lowercase();
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

#[derive(Debug, Clone)]
enum Ctx {
    /// Outside any step: groups, the title, the top of the file.
    Free,
    Step(usize, Sub),
    Dated(String, Option<usize>),
    Legend,
    /// A section that looks like a step but names no id.
    NoId(usize, String),
    /// A step section whose id was seen before.
    Dup(usize, String),
}

struct Group {
    name: String,
    phase_like: bool,
    refs: Vec<String>,
}

struct Reader<'s> {
    src: &'s Source,
    opts: &'s Options,
    legend: Legend,
    out: Parsed,
    index: HashMap<String, usize>,
    groups: Vec<Group>,
    /// Steps whose section is also the group of the steps below it.
    group_steps: std::collections::HashSet<usize>,
    seen_heading: bool,
    fam: &'s Families,
    /// The section being read and the checkbox items numbered in it so
    /// far, for the places `--ids auto` names items by.
    place: (String, usize),
}

impl Reader<'_> {
    // ---------------------------------------------------------- reporting

    fn entry(&self, line: usize, reason: impl Into<Arc<str>>) -> Entry {
        Entry {
            line,
            text: clip_text(self.src.line(line)),
            reason: reason.into(),
        }
    }

    fn unplaced(&mut self, line: usize, reason: impl Into<Arc<str>>) {
        let e = self.entry(line, reason);
        self.out.report.unplaced.push(e);
    }

    fn unplaced_block(&mut self, b: &Block, reason: &str) {
        let reason: Arc<str> = reason.into();
        for no in b.line..=b.last.max(b.line) {
            if !self.src.line(no).trim().is_empty() {
                self.unplaced(no, reason.clone());
            }
        }
    }

    fn warn(&mut self, line: usize, reason: impl Into<Arc<str>>) {
        let e = self.entry(line, reason);
        self.out.report.warnings.push(e);
    }

    fn without_id(&mut self, line: usize, reason: &str) {
        let e = self.entry(line, reason);
        self.out.report.without_id.push(e);
    }

    /// The source line as written, for verbatim summaries; an escaped
    /// `\#` (what export writes for a summary line that is not a heading)
    /// loses its backslash.
    fn raw(&self, no: usize, keep_indent: bool) -> String {
        let l = self.src.line(no).trim_end();
        let l = if keep_indent { l } else { l.trim_start() };
        match l.trim_start().strip_prefix('\\') {
            Some(rest) if rest.starts_with(['#', '<', '>']) => {
                let indent = &l[..l.len() - l.trim_start().len()];
                format!("{indent}{rest}")
            }
            _ => l.to_string(),
        }
    }

    // -------------------------------------------------------------- steps

    /// The phase of steps defined here: the nearest group named like a
    /// phase (`Phase 2`, `Epic 3`), else the nearest group.
    fn phase(&self) -> Option<String> {
        self.groups
            .iter()
            .rev()
            .find(|g| g.phase_like)
            .or(self.groups.last())
            .map(|g| g.name.clone())
    }

    fn group_refs(&self) -> Vec<String> {
        self.groups.iter().flat_map(|g| g.refs.clone()).collect()
    }

    /// Starts a step; None (and a report line) when the id was seen before.
    fn new_step(&mut self, line: usize, id: &str, shape: Shape, title: &str) -> Option<usize> {
        if let Err(e) = step_id::validate(id) {
            self.warn(line, e);
            return None;
        }
        if let Some(&first) = self.index.get(id) {
            // Named first by a dated log, defined here: the definition
            // counts, and the step takes its place in the document.
            if self.out.steps[first].shape == Shape::DatedLogs && shape != Shape::DatedLogs {
                let history = std::mem::take(&mut self.out.steps[first].history);
                let mut step = ParsedStep::new(id, line, shape, title);
                step.refs = self.group_refs();
                step.history = history;
                self.out.steps[first] = step;
                return Some(first);
            }
            let first_line = self.out.steps[first].line;
            self.out.report.duplicates.push(Duplicate {
                id: id.to_string(),
                line,
                first_line,
            });
            return None;
        }
        let mut step = ParsedStep::new(id, line, shape, title);
        step.refs = self.group_refs();
        self.out.steps.push(step);
        let idx = self.out.steps.len() - 1;
        self.index.insert(id.to_string(), idx);
        Some(idx)
    }

    /// A step for each id of `head`; the first one made.
    fn steps_of(
        &mut self,
        line: usize,
        head: &IdHead,
        shape: Shape,
        phase: Option<String>,
        status_in_title: bool,
    ) -> Option<usize> {
        // `## Phase 3.1: Setup ✅ COMPLETE`: the status is not the title.
        let title = match heading_status(&head.title, &self.legend) {
            Some((_, t)) if status_in_title => t,
            _ => head.title.clone(),
        };
        let mut first = None;
        for id in &head.ids {
            if let Some(idx) = self.new_step(line, id, shape, &title) {
                first.get_or_insert(idx);
                let s = &mut self.out.steps[idx];
                s.phase = head.phase_hint.clone().or(phase.clone());
                if !head.tags.is_empty() {
                    s.summary.push(format!("Tags: {}", head.tags.join(", ")));
                }
                if !head.extra.is_empty() {
                    s.summary.push(head.extra.clone());
                }
            }
        }
        first
    }

    /// A checklist item with ids: its steps, each with `claim` as its
    /// status; an item whose ids all have steps already is a duplicate.
    fn checked_steps(
        &mut self,
        line: usize,
        head: &IdHead,
        phase: Option<String>,
        status_in_title: bool,
        claim: Claim,
    ) -> Owner {
        match self.steps_of(line, head, Shape::Checklists, phase, status_in_title) {
            Some(idx) => {
                for id in &head.ids {
                    if let Some(&k) = self.index.get(id) {
                        self.out.steps[k].status = Some(claim.clone());
                    }
                }
                Owner::Step(idx)
            }
            None => Owner::Dup(line, head.ids.join(", ")),
        }
    }

    fn auto_step(&mut self, line: usize, key: &str, shape: Shape, title: &str) -> Option<usize> {
        let key = if key.is_empty() { "0" } else { key };
        let base = format!("{}{}", self.opts.id_prefix, key);
        let mut id = base.clone();
        let mut n = 1;
        while self.index.contains_key(&id) {
            n += 1;
            id = format!("{base}-{n}");
        }
        let idx = self.new_step(line, &id, shape, title)?;
        self.out.steps[idx].auto_id = true;
        self.out.steps[idx].phase = self.phase();
        Some(idx)
    }

    fn claim(&self, status: &words::StatusText, line: usize, from: ClaimFrom) -> Claim {
        Claim {
            status: status.word.map(|w| w.resolve(self.opts.checked_as)),
            said: status.said.clone(),
            msg: (!status.rest.is_empty()).then(|| status.rest.clone()),
            line,
            from,
        }
    }

    fn mark_claim(&mut self, mark: char, line: usize) -> Claim {
        if !self.legend.knows_mark(mark) {
            self.warn(
                line,
                format!("checkbox [{mark}] is not in the document's legend and has no clear meaning; imported without a status"),
            );
        } else if self.legend.mark(mark).is_none() {
            self.warn(
                line,
                format!("checkbox [{mark}] has no equivalent status; no status recorded"),
            );
        }
        Claim {
            status: self
                .legend
                .mark(mark)
                .map(|w| w.resolve(self.opts.checked_as)),
            said: format!("[{mark}]"),
            msg: None,
            line,
            from: ClaimFrom::Mark,
        }
    }

    fn set_status(&mut self, s: usize, claim: Claim) {
        if claim.status.is_none() {
            self.warn(
                claim.line,
                format!(
                    "status '{}' has no equivalent among the five; no status recorded",
                    claim.said
                ),
            );
        }
        let step = &mut self.out.steps[s];
        match &step.status {
            Some(old)
                if old.from == ClaimFrom::Field
                    && claim.from == ClaimFrom::Field
                    && old.line != claim.line =>
            {
                let line = claim.line;
                self.warn(line, "a second status for this step; the first one counts");
            }
            _ => step.status = Some(claim),
        }
    }

    // ----------------------------------------------------------- sections

    fn children(&mut self, kids: Vec<Section>, ctx: &Ctx) {
        // `## Phase 1` with its steps as siblings at the same level: the
        // phase holds until the next heading of that level that is not a step.
        let mut divider: Option<usize> = None;
        for c in kids {
            let opens_group = !c.is_step && c.head.is_some();
            if opens_group && let Some(d) = divider.take() {
                self.groups.truncate(d);
            }
            let empty =
                c.body.iter().all(|b| matches!(b.kind, Kind::Rule)) && c.children.is_empty();
            let pushed = self.section(c, ctx);
            if pushed && empty {
                // An empty phase heading: it names the phase of what follows.
                divider = Some(self.groups.len() - 1);
            } else if pushed {
                self.groups.pop();
            }
        }
        if let Some(d) = divider {
            self.groups.truncate(d);
        }
    }

    /// Reads one section; true when it left a group on `self.groups` for
    /// the caller to pop.
    fn section(&mut self, mut s: Section, outer: &Ctx) -> bool {
        let Some(heading) = s.head.clone() else {
            return false;
        };
        let Some((level, head)) = heading_line(&heading) else {
            return false;
        };
        let line = heading.line;
        let first = !self.seen_heading;
        self.seen_heading = true;
        let title = text_of(head);
        // A status field in the body is the status; then what looks like
        // one in the heading is part of its title (`Ship ✅ support`).
        let hstatus = heading_status(&text(head), &self.legend).filter(|_| !s.body_status);
        let bare_title = hstatus
            .as_ref()
            .map_or(title.clone(), |(_, t)| ids::strip_decoration(t));
        let id_head = find_id(head, self.fam);
        let has_status = hstatus.is_some() || s.body_status;
        let keyword_step = id_head
            .as_ref()
            .and_then(|h| h.keyword.as_deref())
            .is_some_and(|k| matches!(k, "step" | "task" | "subtask"));
        let mut pushed = false;
        let ctx = match outer {
            Ctx::Legend => Ctx::Legend,
            Ctx::NoId(..) | Ctx::Dup(..) if id_head.is_none() => {
                self.unplaced(line, no_id_reason(outer));
                outer.clone()
            }
            Ctx::Dated(at, step) if id_head.is_none() || !has_status => {
                if !title.is_empty() {
                    self.push_note(line, at, *step, title.clone());
                }
                outer.clone()
            }
            Ctx::Step(parent, _) if id_head.is_none() || !(has_status || keyword_step) => {
                if s.body_status && hstatus.is_none() && sub_kind(&title) == Sub::Other {
                    self.sub_without_id(&s, line, *parent, &bare_title)
                } else {
                    Ctx::Step(*parent, sub_kind(&title))
                }
            }
            _ => {
                if let Some((at, rest)) = inline::leading_date(&title) {
                    let step = match outer {
                        Ctx::Step(p, _) => Some(*p),
                        _ => None,
                    };
                    if !rest.is_empty() {
                        self.push_note(line, &at, step, rest);
                    }
                    Ctx::Dated(at, step)
                } else if let Some(head) = id_head.as_ref().filter(|_| keyword_step || has_status) {
                    let phase = match outer {
                        Ctx::Step(p, _) => self
                            .phase()
                            .or_else(|| Some(self.out.steps[*p].title.clone())),
                        _ => self.phase(),
                    };
                    let made = self.steps_of(line, head, Shape::Sections, phase, hstatus.is_some());
                    if let (Some(idx), Some((st, _))) = (made, &hstatus) {
                        let claim = self.claim(st, line, ClaimFrom::Field);
                        self.set_status(idx, claim);
                    }
                    if s.ids_below {
                        if let Some(idx) = made {
                            self.group_steps.insert(idx);
                        }
                        self.groups.push(Group {
                            name: bare_title.clone(),
                            phase_like: ids::is_phase_name(&bare_title),
                            refs: Vec::new(),
                        });
                        pushed = true;
                    }
                    match made {
                        Some(idx) => Ctx::Step(idx, Sub::Direct),
                        None => Ctx::Dup(line, head.ids.first().cloned().unwrap_or_default()),
                    }
                } else if LEGEND_HEADING.is_match(&title) {
                    Ctx::Legend
                } else if first && level == 1 {
                    Ctx::Free
                } else if has_status && !s.ids_below && id_head.is_none() {
                    self.section_without_id(&s, line, &bare_title)
                } else {
                    self.groups.push(Group {
                        name: bare_title.clone(),
                        phase_like: ids::is_phase_name(&bare_title),
                        refs: Vec::new(),
                    });
                    pushed = true;
                    if let Some((st, _)) = &hstatus {
                        // A status in the heading of a group without id.
                        let _ = st;
                    }
                    Ctx::Free
                }
            }
        };
        self.section_body(&s, &ctx);
        // A group step's own body fields were read above; its children are
        // read in the group's context so their phase is the group.
        let child_ctx = match (&ctx, pushed) {
            (Ctx::Step(..), true) => Ctx::Free,
            _ => ctx.clone(),
        };
        let kids = std::mem::take(&mut s.children);
        drop(s);
        self.children(kids, &child_ctx);
        pushed
    }

    /// `## Frontend tidy-up (Ad Hoc)` with a status: reported, or with
    /// `--ids auto` a step named by its place.
    fn section_without_id(&mut self, s: &Section, line: usize, title: &str) -> Ctx {
        if self.opts.auto_ids
            && let Some(idx) = self.auto_step(line, &s.key, Shape::Sections, title)
        {
            let head = s
                .head
                .as_ref()
                .and_then(heading_line)
                .map(|(_, l)| text(l))
                .unwrap_or_default();
            if let Some((st, _)) = heading_status(&head, &self.legend).filter(|_| !s.body_status) {
                let claim = self.claim(&st, line, ClaimFrom::Field);
                self.set_status(idx, claim);
            }
            return Ctx::Step(idx, Sub::Direct);
        }
        self.without_id(line, "section with a status but no step id");
        Ctx::NoId(line, title.to_string())
    }

    /// A subsection of a step with a status of its own and no id.
    fn sub_without_id(&mut self, s: &Section, line: usize, parent: usize, title: &str) -> Ctx {
        if self.opts.auto_ids
            && let Some(idx) = self.auto_step(line, &s.key, Shape::Sections, title)
        {
            let parent_title = self.out.steps[parent].title.clone();
            self.out.steps[idx].phase.get_or_insert(parent_title);
            return Ctx::Step(idx, Sub::Direct);
        }
        self.without_id(
            line,
            &format!(
                "section with a status but no step id (inside {})",
                self.out.steps[parent].id
            ),
        );
        Ctx::NoId(line, title.to_string())
    }

    fn section_body(&mut self, s: &Section, ctx: &Ctx) {
        let files = self.files_section(s, ctx);
        if files {
            return;
        }
        let mut pending: Option<(usize, Field)> = None;
        let mut label: Option<String> = None;
        let mut item_no = 0;
        self.place = (s.key.clone(), 0);
        for b in &s.body {
            let field_open = pending.take();
            match ctx {
                Ctx::Step(idx, sub) => self.step_block(*idx, *sub, b, field_open, &mut pending),
                Ctx::Dated(at, step) => self.dated_block(at, *step, b, &mut label),
                Ctx::Legend => self.legend_block(b),
                Ctx::NoId(..) | Ctx::Dup(..) => {
                    if !matches!(b.kind, Kind::Rule | Kind::Html(_)) {
                        self.unplaced_block(b, &no_id_reason(ctx));
                    }
                }
                Ctx::Free => self.free_block(b, &s.key, &mut item_no),
            }
        }
    }

    // ---------------------------------------------------------- free text

    fn free_block(&mut self, b: &Block, key: &str, item_no: &mut usize) {
        match &b.kind {
            Kind::Paragraph(lines) => {
                for l in lines {
                    self.free_line(l);
                }
            }
            Kind::List => self.list(b, None, key, item_no, 0),
            Kind::Table { head, rows } => self.table(b, head, rows),
            Kind::Code {
                fenced: false,
                body,
                ..
            } if self.indented_list(b, body, key, item_no) => {}
            Kind::Code { info, .. } if &**info == "front matter" => {
                self.unplaced_block(b, "front matter (YAML metadata), not a ledger")
            }
            Kind::Code { .. } => self.unplaced_block(b, "code block outside any step"),
            Kind::Html(h) => self.html(b, h),
            Kind::Quote => {
                for c in &b.children {
                    self.free_block(c, key, item_no);
                }
            }
            Kind::Rule | Kind::Heading { .. } | Kind::Item { .. } => {}
        }
    }

    fn free_line(&mut self, l: &Line) {
        if is_legend_line(l) {
            return;
        }
        match field(l) {
            Some((k, v)) if field_kind(&k) == Field::Refs => {
                let refs = split_refs(&text(&v));
                if let Some(g) = self.groups.last_mut() {
                    g.refs.extend(refs);
                    return;
                }
                self.unplaced(l.no, "reference outside any step or section");
            }
            Some((k, _)) if is_status_key(&k) => self.unplaced(
                l.no,
                "status of a section that is not a step (its items carry their own ids and statuses)",
            ),
            _ if is_pipe_row(l) => self.unplaced(
                l.no,
                "looks like a table row, but the table has no |---| row under its header; not read as a table",
            ),
            _ => self.unplaced(l.no, "text outside any step"),
        }
    }

    fn html(&mut self, b: &Block, h: &str) {
        let t = h.trim();
        if t.starts_with("<!--") {
            if b.last > b.line {
                self.out.report.comments.push((b.line, b.last));
            }
        } else {
            self.unplaced_block(b, "HTML outside any step");
        }
    }

    /// A list indented by four spaces under a heading is, to CommonMark,
    /// code; when it reads as a checklist it is taken as the list it
    /// looks like, with a warning.
    fn indented_list(&mut self, b: &Block, body: &str, key: &str, item_no: &mut usize) -> bool {
        let inner = blocks::parse_text(body, b.line - 1);
        let lists = inner.iter().any(|i| {
            matches!(i.kind, Kind::List) && i.children.iter().any(|it| item_mark(it).is_some())
        });
        if !lists {
            return false;
        }
        self.warn(
            b.line,
            "this list is indented by four spaces, so markdown reads it as code; read as a list (remove the indentation to silence this)",
        );
        for c in &inner {
            self.free_block(c, key, item_no);
        }
        true
    }

    fn legend_block(&mut self, b: &Block) {
        match &b.kind {
            Kind::Paragraph(lines) => {
                for l in lines {
                    if !is_legend_line(l) && !explains_status(l) {
                        self.unplaced(l.no, "in a legend section");
                    }
                }
            }
            Kind::List => {
                for item in &b.children {
                    let entry = item_head(item).map(|h| match item_mark(item) {
                        Some(m) => format!("[{m}] {}", inline::plain(h)),
                        None => inline::plain(h),
                    });
                    let mut l = Legend::default();
                    let explains = item_head(item).is_some_and(explains_status);
                    if !explains && !entry.is_some_and(|e| l.learn(&e)) {
                        self.unplaced(item.line, "in a legend section");
                    }
                }
            }
            Kind::Rule | Kind::Html(_) => {}
            _ => self.unplaced_block(b, "in a legend section"),
        }
    }

    // ---------------------------------------------------------- checklists

    /// A checkbox list outside step sections (shape b), or the details of
    /// the step `owner`.
    fn list(
        &mut self,
        b: &Block,
        owner: Option<Owner>,
        key: &str,
        item_no: &mut usize,
        depth: usize,
    ) {
        for item in &b.children {
            if depth > MAX_DEPTH {
                self.unplaced_block(item, "nested too deep to read");
                continue;
            }
            let mark = item_mark(item);
            let head = item_head(item);
            let line = item.line;
            let named = head.and_then(|h| find_id(h, self.fam));
            let item_key = match mark {
                Some(_) => {
                    *item_no += 1;
                    join_key(key, &item_no.to_string())
                }
                None => key.to_string(),
            };
            let parent_auto = match &owner {
                Some(Owner::Step(s) | Owner::Detail(s)) => self.out.steps[*s].auto_id,
                _ => false,
            };
            let next = match (&owner, mark, named) {
                (_, Some(m), Some(h)) => {
                    let phase = match &owner {
                        Some(Owner::Nested(s)) if self.group_steps.contains(s) => self.phase(),
                        Some(Owner::Step(s) | Owner::Detail(s) | Owner::Nested(s)) => {
                            self.out.steps[*s].phase.clone()
                        }
                        _ => self.phase(),
                    };
                    // A status written after the title says more than the
                    // box (`- [ ] T005 Wire it up 🚧`); an item struck through
                    // whole was dropped.
                    let said = heading_status(&h.title, &self.legend);
                    let struck = head.is_some_and(all_struck);
                    let claim = match &said {
                        _ if struck => {
                            self.warn(line, "struck through: cancelled, which has no equivalent status; no status recorded");
                            Claim {
                                status: None,
                                said: "struck through".into(),
                                msg: None,
                                line,
                                from: ClaimFrom::Mark,
                            }
                        }
                        Some((st, _)) if st.word.is_some() => self.claim(st, line, ClaimFrom::Mark),
                        _ => self.mark_claim(m, line),
                    };
                    let in_title = said.is_some() && !struck;
                    Some(self.checked_steps(line, &h, phase, in_title, claim))
                }
                (Some(Owner::Step(_) | Owner::Detail(_)), Some(m), None) if parent_auto => {
                    let title = head.map(text).unwrap_or_default();
                    match self.auto_step(line, &item_key, Shape::Plain, &title) {
                        Some(idx) => {
                            let claim = self.mark_claim(m, line);
                            self.out.steps[idx].status = Some(claim);
                            Some(Owner::Step(idx))
                        }
                        None => None,
                    }
                }
                (Some(Owner::Step(s) | Owner::Detail(s) | Owner::Nested(s)), _, _) => {
                    let s = *s;
                    self.detail(s, item, mark, depth);
                    Some(Owner::Detail(s))
                }
                (Some(Owner::NoId(l)), _, _) => {
                    let l = *l;
                    self.unplaced(
                        item.line,
                        format!("under the item without step id at line {l}"),
                    );
                    Some(Owner::NoId(l))
                }
                (Some(Owner::Dup(l, id)), _, _) => {
                    let (l, id) = (*l, id.clone());
                    self.unplaced(
                        item.line,
                        format!("under duplicate {id} at line {l} (not imported)"),
                    );
                    Some(Owner::Dup(l, id))
                }
                (None, Some(m), None) => {
                    let title = head.map(text).unwrap_or_default();
                    let made = if self.opts.auto_ids {
                        self.auto_step(line, &item_key, Shape::Plain, &title)
                    } else {
                        None
                    };
                    match made {
                        Some(idx) => {
                            let claim = self.mark_claim(m, line);
                            self.out.steps[idx].status = Some(claim);
                            Some(Owner::Step(idx))
                        }
                        None => {
                            self.without_id(line, "checkbox item without a step id");
                            Some(Owner::NoId(line))
                        }
                    }
                }
                // `- ✅ T001 Setup`, `- T001 Setup — DONE`: a status where a
                // checkbox would be.
                (None, None, Some(h)) if bullet_status(head, &h, &self.legend).is_some() => {
                    let (st, title) = bullet_status(head, &h, &self.legend).unwrap_or_default();
                    let phase = self.phase();
                    let mut h = h;
                    h.title = title;
                    let claim = self.claim(&st, line, ClaimFrom::Mark);
                    Some(self.checked_steps(line, &h, phase, false, claim))
                }
                (None, None, _) => {
                    if let Some(h) = head {
                        match field(h) {
                            Some((k, v))
                                if field_kind(&k) == Field::Refs && !self.groups.is_empty() =>
                            {
                                let refs = split_refs(&text(&v));
                                if let Some(g) = self.groups.last_mut() {
                                    g.refs.extend(refs);
                                }
                            }
                            _ if is_legend_line(h) => {}
                            _ => self.unplaced(line, "list item outside any step"),
                        }
                    }
                    None
                }
            };
            // The item's other lines and blocks.
            let (rest_lines, blocks) = item_parts(item);
            for l in rest_lines {
                match &next {
                    Some(Owner::Step(s) | Owner::Detail(s) | Owner::Nested(s)) => {
                        let raw = self.raw(l.no, false);
                        self.out.steps[*s].summary.push(raw);
                    }
                    Some(o @ (Owner::NoId(..) | Owner::Dup(..))) => {
                        self.unplaced(l.no, owner_reason(o))
                    }
                    None => self.free_line(l),
                }
            }
            let mut child_no = 0;
            for c in blocks {
                match &c.kind {
                    Kind::List => self.list(c, next.clone(), &item_key, &mut child_no, depth + 1),
                    _ => match &next {
                        Some(Owner::Step(s) | Owner::Detail(s) | Owner::Nested(s)) => {
                            let s = *s;
                            for no in c.line..=c.last {
                                let raw = self.raw(no, true);
                                self.out.steps[s].summary.push(raw);
                            }
                        }
                        Some(o) => self.unplaced_block(c, owner_reason(o)),
                        None => self.free_block(c, &item_key, &mut child_no),
                    },
                }
            }
        }
    }

    /// A sub-task or detail of step `s`: fields apply to it; checked and
    /// plain lines join its summary, open checkboxes its todo list.
    fn detail(&mut self, s: usize, item: &Block, mark: Option<char>, depth: usize) {
        let Some(head) = item_head(item) else {
            return;
        };
        if mark.is_none()
            && let Some((key, value)) = field(head)
        {
            let f = field_kind(&key);
            if matches!(f, Field::Refs | Field::Files | Field::Owns | Field::Checks) {
                self.apply_field(head.no, s, Sub::Other, f, &value, head);
                return;
            }
        }
        let body = text(head);
        let step = &mut self.out.steps[s];
        match mark {
            Some(m) => {
                step.checklist.1 += 1;
                if self.legend.mark(m).is_some_and(|w| {
                    w.resolve(Status::CompletedPendingVerification)
                        == Status::CompletedPendingVerification
                }) {
                    step.checklist.0 += 1;
                }
                if m == ' ' {
                    step.todo.push(body);
                } else {
                    step.summary
                        .push(format!("{}- [{m}] {body}", "  ".repeat(depth)));
                }
            }
            None => step.summary.push(format!("{}- {body}", "  ".repeat(depth))),
        }
    }

    /// A section whose checklist items are all file paths: with `--ids
    /// auto`, one step owning those files, its status from the ticks.
    fn files_section(&mut self, s: &Section, ctx: &Ctx) -> bool {
        if !matches!(ctx, Ctx::Free) || s.head.is_none() || s.ids_below {
            return false;
        }
        let mut paths = Vec::new();
        let mut ticks = (0, 0);
        for b in &s.body {
            match &b.kind {
                Kind::List => {
                    for item in &b.children {
                        let (Some(m), Some(head)) = (item_mark(item), item_head(item)) else {
                            return false;
                        };
                        if !item.children.is_empty() {
                            return false;
                        }
                        let first = head.spans.iter().find(|x| !x.text.trim().is_empty());
                        let raw = LIST_MARKER.replace(self.src.line(head.no), "").to_string();
                        let (found, _) = inline::paths_in(head, &raw);
                        let leads = first
                            .is_some_and(|x| x.code && found.first().is_some_and(|f| *f == x.text))
                            || first.is_some_and(|x| !x.code)
                                && found.len() == 1
                                && has_extension(&found[0]);
                        if !leads {
                            return false;
                        }
                        paths.push((found[0].clone(), head.no));
                        ticks.1 += 1;
                        if self.legend.mark(m) == Some(words::Word::Done) {
                            ticks.0 += 1;
                        }
                    }
                }
                Kind::Paragraph(_) | Kind::Rule | Kind::Html(_) => {}
                _ => return false,
            }
        }
        if paths.is_empty() || !self.opts.auto_ids {
            return false;
        }
        let line = s.head.as_ref().map_or(0, |h| h.line);
        let title = s
            .head
            .as_ref()
            .and_then(heading_line)
            .map(|(_, l)| text_of(l))
            .unwrap_or_default();
        let Some(idx) = self.auto_step(line, &s.key, Shape::Plain, &title) else {
            return false;
        };
        for (p, no) in &paths {
            self.own(idx, p, false, *no);
        }
        let status = match ticks {
            (0, _) => Status::NotStarted,
            (d, t) if d == t => self.opts.checked_as,
            _ => Status::InProgress,
        };
        self.out.steps[idx].status = Some(Claim {
            status: Some(status),
            said: format!("{}/{} ticked", ticks.0, ticks.1),
            msg: None,
            line,
            from: ClaimFrom::Mark,
        });
        for b in &s.body {
            if let Kind::Paragraph(lines) = &b.kind {
                for l in lines {
                    match field(l) {
                        Some((k, v)) if field_kind(&k) == Field::Refs => {
                            let refs = split_refs(&text(&v));
                            self.out.steps[idx].refs.extend(refs);
                        }
                        _ => {
                            let raw = self.raw(l.no, false);
                            self.out.steps[idx].summary.push(raw);
                        }
                    }
                }
            }
        }
        true
    }

    // ------------------------------------------------------ step sections

    fn step_block(
        &mut self,
        s: usize,
        sub: Sub,
        b: &Block,
        open: Option<(usize, Field)>,
        pending: &mut Option<(usize, Field)>,
    ) {
        match &b.kind {
            Kind::Paragraph(lines) => {
                for (k, l) in lines.iter().enumerate() {
                    let last = k + 1 == lines.len();
                    self.step_line(s, sub, l, last.then_some(&mut *pending));
                }
            }
            Kind::List => {
                for item in &b.children {
                    self.step_item(
                        s,
                        sub,
                        item,
                        open.filter(|(fs, _)| *fs == s).map(|(_, f)| f),
                        0,
                    );
                }
            }
            Kind::Table { head, rows } => self.step_table_block(s, b, head, rows),
            Kind::Code { info, body, .. } => {
                let shell = matches!(
                    info.split_whitespace().next().unwrap_or(""),
                    "" | "bash" | "sh" | "shell" | "console" | "zsh" | "shell-session"
                );
                if shell && matches!(sub, Sub::Verification | Sub::Invariants | Sub::Tests) {
                    self.fence_checks(s, b, body);
                } else {
                    for no in b.line..=b.last {
                        let raw = self.raw(no, true);
                        self.out.steps[s].summary.push(raw);
                    }
                }
            }
            Kind::Html(h) => {
                if h.trim().starts_with("<!--") {
                    if b.last > b.line {
                        self.out.report.comments.push((b.line, b.last));
                    }
                } else {
                    for no in b.line..=b.last {
                        let raw = self.raw(no, true);
                        self.out.steps[s].summary.push(raw);
                    }
                }
            }
            Kind::Quote => {
                for c in &b.children {
                    let mut p = None;
                    self.step_block(s, sub, c, None, &mut p);
                }
            }
            Kind::Rule | Kind::Heading { .. } | Kind::Item { .. } => {}
        }
    }

    /// One line of a step section's paragraph.
    fn step_line(
        &mut self,
        s: usize,
        sub: Sub,
        l: &Line,
        pending: Option<&mut Option<(usize, Field)>>,
    ) {
        if matches!(sub, Sub::Direct | Sub::Scope | Sub::Other | Sub::Files)
            && let Some((key, value)) = field(l)
        {
            let f = field_kind(&key);
            // `**Files touched:**` alone opens a list; with a value it is complete.
            let takes_list = self.apply_field(l.no, s, sub, f, &value, l);
            if takes_list
                && inline::plain(&value).is_empty()
                && let Some(p) = pending
            {
                *p = Some((s, f));
            }
            return;
        }
        if sub == Sub::History {
            return self.history_line(s, None, l, 1);
        }
        let raw = self.raw(l.no, false);
        self.section_line(s, sub, None, l, raw, false, 0);
    }

    fn step_item(
        &mut self,
        s: usize,
        sub: Sub,
        item: &Block,
        field_open: Option<Field>,
        depth: usize,
    ) {
        if depth > MAX_DEPTH {
            self.unplaced_block(item, "nested too deep to read");
            return;
        }
        let mark = item_mark(item);
        let Some(head) = item_head(item) else {
            for c in &item.children {
                let mut p = None;
                self.step_block(s, sub, c, None, &mut p);
            }
            return;
        };
        // A checkbox naming an id: a step of its own, in this step's phase.
        // In a group step, one without id looks like a step that lost it.
        let named = find_id(head, self.fam).is_some();
        let in_group = self.group_steps.contains(&s) && sub == Sub::Direct;
        if mark.is_some() && !matches!(sub, Sub::History | Sub::Summary) && (named || in_group) {
            let wrapper = Block {
                kind: Kind::List,
                line: item.line,
                last: item.last,
                children: vec![item.clone()].into(),
            };
            // Numbered in the section, as in a plain list (`--ids auto`).
            let (key, mut n) = std::mem::take(&mut self.place);
            let owner = named.then_some(Owner::Nested(s));
            self.list(&wrapper, owner, &key, &mut n, depth + 1);
            self.place = (key, n);
            return;
        }
        let (rest_lines, blocks) = item_parts(item);
        let mut child_field = None;
        if let Some(f) = field_open {
            self.field_item(s, f, depth, mark, head);
            child_field = Some(f);
        } else if depth == 0
            && mark.is_none()
            && matches!(sub, Sub::Direct | Sub::Scope | Sub::Files | Sub::Other)
            && let Some((key, value)) = field(head)
        {
            let f = field_kind(&key);
            if self.apply_field(head.no, s, sub, f, &value, head) {
                child_field = Some(f);
            }
        } else if sub == Sub::History {
            self.history_line(s, mark, head, depth);
        } else {
            let raw = self.raw(item.line, depth > 0);
            self.section_line(s, sub, mark, head, raw, true, depth);
        }
        for l in rest_lines {
            match child_field {
                Some(Field::Files | Field::Owns) => {
                    self.field_item(s, Field::Files, depth, None, l)
                }
                _ if sub == Sub::History => self.history_line(s, None, l, depth + 1),
                _ => {
                    let raw = self.raw(l.no, true);
                    self.section_line(s, sub, None, l, raw, false, depth + 1);
                }
            }
        }
        for c in blocks {
            match &c.kind {
                Kind::List => {
                    for i in &c.children {
                        self.step_item(s, sub, i, child_field, depth + 1);
                    }
                }
                _ => {
                    let mut p = None;
                    self.step_block(s, sub, c, None, &mut p);
                }
            }
        }
    }

    /// Applies a field; true when items below it are its values.
    fn apply_field(
        &mut self,
        line: usize,
        s: usize,
        sub: Sub,
        f: Field,
        value: &Line,
        whole: &Line,
    ) -> bool {
        let direct = sub == Sub::Direct;
        let vtext = text(value);
        match f {
            Field::Status if direct || sub == Sub::Other => {
                let st = status_text(&vtext, &self.legend);
                let claim = self.claim(&st, line, ClaimFrom::Field);
                self.set_status(s, claim);
                false
            }
            Field::Updated if direct => {
                match find_date(&vtext) {
                    Some(at) => self.out.steps[s].updated = Some(at),
                    None if inline::is_template(value) || inline::is_placeholder(&vtext) => {}
                    None => self.warn(line, "no date found in this field"),
                }
                false
            }
            Field::Run if direct => {
                let run = inline::plain(value);
                let run = run.split_whitespace().next().unwrap_or("");
                if !run.is_empty() && !inline::is_placeholder(run) && !inline::is_template(value) {
                    self.out.steps[s].run = Some(run.to_string());
                }
                false
            }
            Field::Phase if direct => {
                let p = inline::plain(value);
                if !p.is_empty() && !inline::is_template(value) {
                    self.out.steps[s].phase = Some(p);
                }
                false
            }
            Field::Refs => {
                if !vtext.is_empty() && !inline::is_template(value) {
                    let refs = split_refs(&vtext);
                    self.out.steps[s].refs.extend(refs);
                }
                true
            }
            Field::Files | Field::Owns => {
                if !vtext.is_empty() {
                    self.owned_paths(line, s, f == Field::Owns, value);
                }
                true
            }
            Field::Summary => {
                if !vtext.is_empty() {
                    self.out.steps[s].summary.push(vtext);
                }
                true
            }
            Field::Checks => {
                if !inline::is_template(value) {
                    for code in inline::code_spans(value) {
                        push_unique(&mut self.out.steps[s].checks, code.trim());
                    }
                }
                true
            }
            _ => {
                let raw = self.raw(whole.no, false);
                self.out.steps[s].summary.push(raw);
                true
            }
        }
    }

    /// An item under a field: a reference, a path, a check.
    fn field_item(&mut self, s: usize, f: Field, depth: usize, mark: Option<char>, l: &Line) {
        match f {
            Field::Refs => {
                let t = text(l);
                if !inline::is_placeholder(&t) && !inline::is_template(l) {
                    self.out.steps[s].refs.push(t);
                }
            }
            Field::Files | Field::Owns => self.owned_paths(l.no, s, f == Field::Owns, l),
            Field::Checks => match inline::leading_command(l) {
                Some((cmd, _)) => push_unique(&mut self.out.steps[s].checks, &cmd),
                None if inline::is_template(l) => {}
                None => self.unplaced(l.no, "not a command in a checks list"),
            },
            _ => {
                let mark = mark.map(|m| format!("[{m}] ")).unwrap_or_default();
                let t = text(l);
                self.out.steps[s]
                    .summary
                    .push(format!("{}- {mark}{t}", "  ".repeat(depth)));
            }
        }
    }

    /// Files touched become literal globs; an `Owns` field keeps its globs.
    fn owned_paths(&mut self, line: usize, s: usize, globs: bool, l: &Line) {
        if inline::is_template(l) || inline::is_placeholder(&text(l)) {
            return;
        }
        let raw = self.src.line(l.no);
        let raw = LIST_MARKER.replace(raw, "");
        let raw = strip_bold_label(&raw);
        let (paths, prose) = inline::paths_in(l, &raw);
        if paths.is_empty() {
            self.unplaced(line, "no file path found in this files entry");
            return;
        }
        for p in paths {
            self.own(s, &p, globs, line);
        }
        if prose {
            self.out.steps[s]
                .summary
                .push(format!("Files: {}", text(l)));
        }
    }

    fn own(&mut self, s: usize, p: &str, globs: bool, line: usize) {
        if p.chars().any(char::is_control) {
            self.warn(
                line,
                "control characters in this path (a lost backslash escape?); not imported as an owned file",
            );
            return;
        }
        let glob = if globs {
            p.to_string()
        } else {
            if p.contains(['*', '?']) {
                let id = self.out.steps[s].id.clone();
                self.warn(
                    line,
                    format!("'{p}' looks like a glob; kept as a literal path (to own matching files: git ledger edit {id} --owns '{p}')"),
                );
            }
            inline::literal_glob(p)
        };
        match crate::git::owns::Owns::new(std::slice::from_ref(&glob)) {
            Ok(_) => push_unique(&mut self.out.steps[s].owns, &glob),
            Err(e) => self.warn(line, format!("{e}; not imported")),
        }
    }

    /// A line of a step section that is not a field: where it goes depends
    /// on the subsection.
    #[allow(clippy::too_many_arguments)]
    fn section_line(
        &mut self,
        s: usize,
        sub: Sub,
        mark: Option<char>,
        l: &Line,
        verbatim: String,
        is_item: bool,
        depth: usize,
    ) {
        let t = text(l);
        let template = inline::is_template(l);
        match sub {
            Sub::History => self.history_line(s, mark, l, depth),
            Sub::Invariants | Sub::Verification => {
                if let Some((cmd, _)) = inline::leading_command(l) {
                    push_unique(&mut self.out.steps[s].checks, &cmd);
                } else if !inline::is_placeholder(&t) && !template {
                    let step = &mut self.out.steps[s];
                    if sub == Sub::Invariants
                        && !step.summary.iter().any(|x| x == "Observable invariants:")
                    {
                        step.summary.push("Observable invariants:".to_string());
                    }
                    step.summary.push(verbatim);
                }
            }
            Sub::Tests => {
                if inline::is_placeholder(&t) || template {
                    return;
                }
                let found = inline::leading_command(l).or_else(|| inline::plain_command(l));
                if let Some((cmd, rest)) = found
                    && inline::result_of(&rest) == Some(true)
                {
                    push_unique(&mut self.out.steps[s].checks, &cmd);
                }
                self.out.steps[s].tests_run.push(verbatim);
            }
            Sub::EdgeCases | Sub::Concerns | Sub::Todo => {
                if inline::is_placeholder(&t) || template {
                    return;
                }
                let step = &mut self.out.steps[s];
                let list = match sub {
                    Sub::EdgeCases => &mut step.edge_cases,
                    Sub::Concerns => &mut step.concerns,
                    _ => &mut step.todo,
                };
                match list.last_mut() {
                    Some(last) if depth > 0 || !is_item => {
                        last.push('\n');
                        last.push_str(&verbatim);
                    }
                    _ => {
                        let m = mark.filter(|m| *m != ' ').map(|m| format!("[{m}] "));
                        list.push(format!("{}{t}", m.unwrap_or_default()));
                    }
                }
            }
            Sub::Files => self.owned_paths(l.no, s, false, l),
            Sub::Summary => {
                if !inline::is_placeholder(&t) && !template {
                    self.out.steps[s].summary.push(verbatim);
                }
            }
            Sub::Direct | Sub::Scope | Sub::Other => {
                if template {
                    return;
                }
                let step = &mut self.out.steps[s];
                if let Some(m) = mark {
                    step.checklist.1 += 1;
                    if self.legend.mark(m) == Some(words::Word::Done) {
                        step.checklist.0 += 1;
                    }
                    if m == ' ' {
                        step.todo.push(t);
                        return;
                    }
                }
                step.summary.push(verbatim);
            }
        }
    }

    fn history_line(&mut self, s: usize, mark: Option<char>, l: &Line, depth: usize) {
        let t = inline::plain(l);
        let notes = ["Notes:", "Note:"].iter().find_map(|p| t.strip_prefix(p));
        let step = &mut self.out.steps[s];
        if mark.is_none()
            && (notes.is_some() || depth > 0)
            && let Some(entry) = step.history.last_mut()
        {
            let n = notes.unwrap_or(&t).trim();
            entry.msg = Some(match entry.msg.take() {
                Some(m) => format!("{m}\n{n}"),
                None => n.to_string(),
            });
            return;
        }
        let placeholder_note = notes.is_some_and(|n| {
            let n = n.trim();
            inline::is_placeholder(n) || n.starts_with('_') && n.ends_with('_')
        });
        if mark == Some(' ') || inline::is_template(l) || placeholder_note {
            return;
        }
        match parse_history(&t, self.opts.checked_as, &self.legend) {
            Some(mut e) => {
                e.line = l.no;
                self.out.steps[s].history.push(e);
            }
            None if inline::is_placeholder(&t) => {}
            None => self.unplaced(l.no, "verification history line not understood"),
        }
    }

    /// Commands of a shell block under a step's verification heading become
    /// checks; one whose comment says its output matters is reported instead.
    fn fence_checks(&mut self, s: usize, b: &Block, body: &str) {
        let lines: Vec<&str> = body.lines().collect();
        let first_body_line = if matches!(b.kind, Kind::Code { fenced: true, .. }) {
            b.line + 1
        } else {
            b.line
        };
        for (k, raw) in lines.iter().enumerate() {
            let t = raw.trim();
            let t = t.strip_prefix("$ ").unwrap_or(t);
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let expects_output = lines
                .get(k + 1)
                .map(|n| n.trim().to_lowercase())
                .is_some_and(|next| {
                    next.starts_with('#')
                        && (next.contains("should return empty")
                            || next.contains("should only return")
                            || next.contains("should be empty")
                            || next.contains("no output"))
                });
            if expects_output {
                self.warn(
                    first_body_line + k,
                    "its comment says the output matters, and a check only sees the exit status; not imported as a check",
                );
                continue;
            }
            push_unique(&mut self.out.steps[s].checks, t);
        }
    }

    /// A table in a step section: a status table (`| date | status | … |`)
    /// gives the step its status (the last row) and history; steps in an
    /// id table are steps of their own; anything else is summary.
    fn step_table_block(&mut self, s: usize, b: &Block, head: &[Line], rows: &[Row]) {
        let cols = table::columns(head, rows, &self.legend);
        if cols.is_steps() {
            return self.table(b, head, rows);
        }
        if let (None, Some(sc)) = (cols.id, cols.status) {
            let mut last: Option<Claim> = None;
            for row in rows {
                let Some(cell) = row.cells.get(sc) else {
                    continue;
                };
                let st = status_text(&text(cell), &self.legend);
                if !st.found {
                    continue;
                }
                let at = cols
                    .date
                    .and_then(|d| row.cells.get(d))
                    .and_then(|c| find_date(&text(c)))
                    .or_else(|| row.cells.iter().find_map(|c| find_date(&text(c))));
                if let (Some(status), Some(at)) =
                    (st.word.map(|w| w.resolve(self.opts.checked_as)), at.clone())
                {
                    self.out.steps[s].history.push(HistoryEntry {
                        status,
                        at: Some(at),
                        run: None,
                        msg: (!st.rest.is_empty()).then(|| st.rest.clone()),
                        line: row.line,
                        from_log: false,
                    });
                }
                last = Some(self.claim(&st, row.line, ClaimFrom::Field));
            }
            if let Some(c) = last
                && self.out.steps[s].status.is_none()
            {
                self.set_status(s, c);
            }
        }
        for no in b.line..=b.last {
            let raw = self.raw(no, false);
            self.out.steps[s].summary.push(raw);
        }
    }

    // ------------------------------------------------------------- tables

    /// Shape (d): rows of a table with an id and a status column become
    /// steps; a table with a date column becomes notes.
    fn table(&mut self, b: &Block, head: &[Line], rows: &[Row]) {
        let cols = table::columns(head, rows, &self.legend);
        let header: Vec<String> = head.iter().map(inline::plain).collect();
        if !cols.is_steps() {
            if let Some(d) = cols.date {
                for row in rows {
                    match row.cells.get(d).and_then(|c| find_date(&text(c))) {
                        Some(at) => {
                            let t = row_text(&header, &row.cells, Some(d));
                            self.push_note(row.line, &at, None, t);
                        }
                        None => self.unplaced(row.line, "table row without a date"),
                    }
                }
            } else if cols.status.is_some() {
                for row in rows {
                    self.without_id(row.line, "table row with a status but no step id");
                }
            } else {
                self.unplaced_block(b, "table without an id column and a status column");
            }
            return;
        }
        let (id_col, status_col) = (cols.id.unwrap_or(0), cols.status.unwrap_or(0));
        let phase = self.phase();
        for row in rows {
            let cells = &row.cells;
            let empty = Line::default();
            let cell = cells.get(id_col).unwrap_or(&empty);
            let Some(head_id) = table::cell_ids(&cols, cell) else {
                self.without_id(row.line, "table row without a step id");
                continue;
            };
            let title_of = |c: Option<usize>| {
                c.and_then(|c| cells.get(c))
                    .map(inline::plain)
                    .filter(|c| !c.is_empty())
            };
            let title = title_of(cols.title)
                .or_else(|| (!head_id.title.is_empty()).then(|| head_id.title.clone()))
                .or_else(|| {
                    cells
                        .iter()
                        .enumerate()
                        .find(|(i, c)| {
                            *i != id_col
                                && *i != status_col
                                && inline::plain(c).chars().any(char::is_alphabetic)
                        })
                        .map(|(_, c)| inline::plain(c))
                })
                .unwrap_or_default();
            let st = status_text(&text(cells.get(status_col).unwrap_or(&empty)), &self.legend);
            let claim = self.claim(&st, row.line, ClaimFrom::Mark);
            if claim.status.is_none() {
                self.warn(
                    row.line,
                    format!(
                        "status '{}' has no equivalent among the five; no status recorded",
                        claim.said
                    ),
                );
            }
            for id in &head_id.ids {
                let Some(idx) = self.new_step(row.line, id, Shape::Tables, &title) else {
                    continue;
                };
                for (c, value) in cells.iter().enumerate() {
                    let v = text(value);
                    let is_title = Some(c) == cols.title || inline::plain(value) == title;
                    if c == id_col || c == status_col || is_title || inline::is_placeholder(&v) {
                        continue;
                    }
                    let name = header.get(c).cloned().unwrap_or_default();
                    if cols.owns.is_some_and(|(oc, _)| oc == c) {
                        let globs = cols.owns.is_some_and(|(_, g)| g);
                        let spans = inline::code_spans(value);
                        if spans.is_empty() {
                            self.warn(
                                row.line,
                                format!(
                                    "{id}: the owns cell names no path in backticks; nothing owned"
                                ),
                            );
                        }
                        for code in spans {
                            if !code.contains(char::is_whitespace) {
                                self.own(idx, code, globs, row.line);
                            }
                        }
                    } else if cols.concerns == Some(c) {
                        self.out.steps[idx].concerns.push(v);
                    } else if cols.date == Some(c) {
                        self.out.steps[idx].updated = find_date(&v);
                    } else if name.is_empty() {
                        self.out.steps[idx].summary.push(v);
                    } else {
                        self.out.steps[idx].summary.push(format!("{name}: {v}"));
                    }
                }
                let step = &mut self.out.steps[idx];
                step.phase = phase.clone();
                step.status = Some(claim.clone());
            }
        }
    }

    // --------------------------------------------------------- dated logs

    fn push_note(&mut self, line: usize, at: &str, step: Option<usize>, text: String) -> usize {
        self.out.notes.push(ParsedNote {
            step: step.map(|s| self.out.steps[s].id.clone()),
            at: at.to_string(),
            text,
            line,
        });
        self.out.notes.len() - 1
    }

    fn dated_block(
        &mut self,
        at: &str,
        step: Option<usize>,
        b: &Block,
        label: &mut Option<String>,
    ) {
        match &b.kind {
            Kind::Paragraph(lines) => {
                let t: Vec<String> = lines.iter().map(text).collect();
                let joined = t.join("\n");
                if lines.len() == 1 && joined.ends_with(':') {
                    *label = Some(joined);
                    return;
                }
                *label = None;
                self.push_note(b.line, at, step, joined);
            }
            Kind::List => {
                for item in &b.children {
                    self.dated_item(at, step, item, label.as_deref(), 0);
                }
                *label = None;
            }
            Kind::Table { head, rows } => {
                let header: Vec<String> = head.iter().map(inline::plain).collect();
                let cols = table::columns(head, rows, &self.legend);
                for row in rows {
                    let own = cols
                        .date
                        .and_then(|d| row.cells.get(d))
                        .and_then(|c| find_date(&text(c)));
                    let t = row_text(&header, &row.cells, cols.date.filter(|_| own.is_some()));
                    self.push_note(row.line, own.as_deref().unwrap_or(at), step, t);
                }
            }
            Kind::Code { body, .. } => match self.out.notes.last_mut().filter(|n| n.at == at) {
                Some(n) => {
                    n.text.push('\n');
                    n.text.push_str(body.trim_end());
                }
                None => {
                    self.push_note(b.line, at, step, body.trim_end().to_string());
                }
            },
            Kind::Quote => {
                for c in &b.children {
                    self.dated_block(at, step, c, label);
                }
            }
            Kind::Html(h) => self.html(b, h),
            _ => {}
        }
    }

    fn dated_item(
        &mut self,
        at: &str,
        step: Option<usize>,
        item: &Block,
        label: Option<&str>,
        depth: usize,
    ) {
        let mark = item_mark(item);
        let head = item_head(item);
        if let (Some(m), Some(h)) = (mark, head.and_then(|h| find_id(h, self.fam))) {
            let status = self.legend.mark(m).map(|w| w.resolve(self.opts.checked_as));
            for id in &h.ids {
                let idx = match self.index.get(id) {
                    Some(&idx) => Some(idx),
                    None => {
                        let phase = self.phase();
                        let idx = self.new_step(item.line, id, Shape::DatedLogs, &h.title);
                        if let Some(idx) = idx {
                            self.out.steps[idx].phase = phase;
                        }
                        idx
                    }
                };
                if let (Some(idx), Some(status)) = (idx, status) {
                    let msg = (!h.title.is_empty()).then(|| h.title.clone());
                    self.out.steps[idx].history.push(HistoryEntry {
                        status,
                        at: Some(at.to_string()),
                        run: None,
                        msg,
                        line: item.line,
                        from_log: true,
                    });
                }
            }
            if status.is_none() {
                self.warn(
                    item.line,
                    format!("checkbox [{m}] has no equivalent status; no status recorded"),
                );
            }
            return;
        }
        // A note: the item with everything nested under it.
        let mut body = String::new();
        let m = mark.map(|m| format!("[{m}] ")).unwrap_or_default();
        if let Some(l) = label.filter(|_| depth == 0) {
            body.push_str(l);
            body.push(' ');
        }
        body.push_str(&m);
        body.push_str(&head.map(text).unwrap_or_default());
        let mut stack: Vec<(&Block, usize)> = item.children.iter().rev().map(|c| (c, 1)).collect();
        while let Some((c, d)) = stack.pop() {
            match &c.kind {
                Kind::List => stack.extend(c.children.iter().rev().map(|i| (i, d))),
                Kind::Item { mark, .. } => {
                    let m = mark.map(|m| format!("[{m}] ")).unwrap_or_default();
                    let t = item_head(c).map(text).unwrap_or_default();
                    body.push_str(&format!("\n{}- {m}{t}", "  ".repeat(d.saturating_sub(1))));
                    if d < MAX_DEPTH {
                        stack.extend(c.children.iter().rev().map(|x| (x, d + 1)));
                    }
                }
                Kind::Paragraph(lines) => {
                    for l in lines {
                        body.push('\n');
                        body.push_str(&text(l));
                    }
                }
                _ => {
                    for no in c.line..=c.last {
                        body.push('\n');
                        body.push_str(self.src.line(no).trim_end());
                    }
                }
            }
        }
        if let Kind::Item { head: lines, .. } = &item.kind {
            for l in lines.iter().skip(1) {
                body.push('\n');
                body.push_str(&text(l));
            }
        }
        self.push_note(item.line, at, step, body);
    }

    // ---------------------------------------------------------------- end

    fn finish(mut self) -> Parsed {
        for k in 0..self.out.steps.len() {
            let s = &mut self.out.steps[k];
            while s.summary.last().is_some_and(|l| l.trim().is_empty()) {
                s.summary.pop();
            }
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
                        reason: reason.into(),
                    });
                }
            }
        }
        // Definition order is document order, whatever named a step first.
        self.out.steps.sort_by_key(|s| s.line);
        self.out.report.warnings.sort_by_key(|e| e.line);
        self.out.report.unplaced.sort_by_key(|e| e.line);
        self.out.report.without_id.sort_by_key(|e| e.line);
        self.out
    }
}

/// Who the blocks under a list item belong to.
#[derive(Debug, Clone, PartialEq)]
enum Owner {
    /// A checkbox item that is a step: what is below it is its detail.
    Step(usize),
    /// A detail line of a step: what is below it is its detail too.
    Detail(usize),
    /// An item with id nested in a step section: a step, phase of step.
    Nested(usize),
    /// A checkbox item without id, at this line.
    NoId(usize),
    Dup(usize, String),
}

fn owner_reason(o: &Owner) -> &'static str {
    match o {
        Owner::NoId(_) => "under an item without step id",
        Owner::Dup(..) => "under a duplicate step (not imported)",
        _ => "",
    }
}

/// An item's first-paragraph lines after the first, and its other blocks.
fn item_parts(item: &Block) -> (Vec<&Line>, Vec<&Block>) {
    let lines = match &item.kind {
        Kind::Item { head, .. } => head.iter().skip(1).collect(),
        _ => Vec::new(),
    };
    (lines, item.children.iter().collect())
}

fn no_id_reason(c: &Ctx) -> String {
    match c {
        Ctx::NoId(l, t) => format!("in section '{t}' (line {l}), which names no step id"),
        Ctx::Dup(l, id) => format!("in the section of duplicate {id} at line {l} (not imported)"),
        _ => String::new(),
    }
}

/// The status of a plain bullet that names a step: a status emoji before
/// it (`- ✅ T001 Setup`) or a status after its title (`- T001 Setup ✅`,
/// `- T001 Setup — DONE`); with the title left.
fn bullet_status(
    head: Option<&Line>,
    h: &IdHead,
    legend: &Legend,
) -> Option<(words::StatusText, String)> {
    let raw = text(head?);
    let first = raw.trim_start().chars().next()?;
    if words::emoji_word(first).is_some() {
        let st = status_text(&first.to_string(), legend);
        return Some((st, h.title.clone()));
    }
    heading_status(&h.title, legend)
}

/// `~~T009 Dropped~~`: every word of the line struck through.
fn all_struck(l: &Line) -> bool {
    let words: Vec<_> = l
        .spans
        .iter()
        .filter(|s| !s.html && !s.text.trim().is_empty())
        .collect();
    !words.is_empty() && words.iter().all(|s| s.strike)
}

fn is_pipe_row(l: &Line) -> bool {
    let t = text(l);
    t.len() > 2 && t.starts_with('|') && t.ends_with('|')
}

fn push_unique(list: &mut Vec<String>, value: &str) {
    if !value.is_empty() && !list.iter().any(|v| v == value) {
        list.push(value.to_string());
    }
}

fn has_extension(p: &str) -> bool {
    p.rsplit('/')
        .next()
        .and_then(|name| name.rsplit_once('.'))
        .is_some_and(|(stem, ext)| {
            !stem.is_empty()
                && (1..=5).contains(&ext.len())
                && ext.chars().all(char::is_alphanumeric)
        })
}

fn strip_bold_label(raw: &str) -> String {
    let t = raw.trim_start();
    if let Some(rest) = t.strip_prefix("**")
        && let Some(end) = rest.find("**")
        && rest[..end].trim_end().ends_with(':')
    {
        return rest[end + 2..].trim_start().to_string();
    }
    t.to_string()
}

/// Splits `a (x), b, c` on commas outside parentheses and backticks.
fn split_refs(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut in_code = false;
    let mut cur = String::new();
    for c in value.chars() {
        match c {
            '`' => in_code = !in_code,
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

fn row_text(header: &[String], cells: &[Line], skip: Option<usize>) -> String {
    cells
        .iter()
        .enumerate()
        .map(|(c, v)| (c, text(v)))
        .filter(|(c, v)| Some(*c) != skip && !inline::is_placeholder(v))
        .map(|(c, v)| match header.get(c) {
            Some(h) if !h.is_empty() => format!("{h}: {v}"),
            _ => v,
        })
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
fn parse_history(plain: &str, checked_as: Status, legend: &Legend) -> Option<HistoryEntry> {
    let caps = HISTORY
        .captures(plain)
        .or_else(|| HISTORY_NO_DATE.captures(plain));
    let (what, at, run, rest) = match &caps {
        Some(c) => (
            c["what"].to_string(),
            c.name("date").and_then(|d| find_date(d.as_str())),
            c.name("run").map(|r| r.as_str().to_string()),
            c.name("rest").map_or("", |r| r.as_str()).to_string(),
        ),
        None => (plain.to_string(), None, None, String::new()),
    };
    let word = status_text(&what, legend);
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
