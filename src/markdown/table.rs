//! Pipe tables: cells, and which column holds the id, the status, the title.

use super::inline::{self, split_id, status_text, strip_emphasis};

/// A run of `|` lines, with or without a header row.
pub struct Table {
    pub header: Option<Vec<String>>,
    /// (index into the block, cells) of each data row.
    pub rows: Vec<(usize, Vec<String>)>,
}

/// Splits a row on `|` outside code spans and backslash escapes.
pub fn cells(row: &str) -> Vec<String> {
    let t = row.trim();
    let t = t.strip_prefix('|').unwrap_or(t);
    let spans = inline::code_spans(t);
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut escaped = false;
    for (i, c) in t.char_indices() {
        let in_code = spans.iter().any(|(r, _)| r.contains(&i));
        if c == '|' && !escaped && !in_code {
            out.push(cur.trim().to_string());
            cur.clear();
        } else if c == '|' && escaped {
            cur.pop();
            cur.push('|');
        } else {
            cur.push(c);
        }
        escaped = c == '\\' && !escaped;
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

pub fn is_separator(row: &str) -> bool {
    let c = cells(row);
    !c.is_empty()
        && c.iter().all(|cell| {
            let t = cell.trim();
            t.len() >= 2
                && t.trim_start_matches(':')
                    .trim_end_matches(':')
                    .chars()
                    .all(|ch| ch == '-')
                && t.contains("--")
        })
}

pub fn read(rows: &[&str]) -> Table {
    let header = (rows.len() >= 2 && is_separator(rows[1])).then(|| cells(rows[0]));
    let skip = if header.is_some() { 2 } else { 0 };
    let data = rows
        .iter()
        .enumerate()
        .skip(skip)
        .filter(|(_, r)| !is_separator(r))
        .map(|(i, r)| (i, cells(r)))
        .collect();
    Table { header, rows: data }
}

/// What each column holds.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Columns {
    pub id: Option<usize>,
    /// The id column's header says so outright (`ID`, `#`, `Step`): plain numbers are ids.
    pub numeric_ids: bool,
    pub status: Option<usize>,
    pub title: Option<usize>,
    pub date: Option<usize>,
    /// (column, whether its paths are globs rather than literal files)
    pub owns: Option<(usize, bool)>,
    pub concerns: Option<usize>,
    /// In a table without a header: the first column of plain text, the
    /// title when the id cell holds none.
    pub text: Option<usize>,
}

impl Columns {
    pub fn is_steps(&self) -> bool {
        self.id.is_some() && self.status.is_some()
    }
}

fn header_name(h: &str) -> String {
    strip_emphasis(h).to_lowercase().trim().to_string()
}

/// The ids a cell names; numbers count when the header says the column is ids.
pub fn cell_ids(cell: &str, numeric: bool) -> Option<inline::IdHead> {
    let plain = strip_emphasis(cell);
    let is_number = !plain.is_empty()
        && plain.chars().all(|c| c.is_ascii_digit() || c == '.')
        && plain.chars().next().is_some_and(|c| c.is_ascii_digit());
    if numeric && is_number {
        return Some(inline::IdHead {
            ids: vec![plain.trim_end_matches('.').to_string()],
            ..Default::default()
        });
    }
    split_id(cell, false)
}

pub fn columns(t: &Table) -> Columns {
    let mut c = Columns::default();
    let width = t.rows.iter().map(|(_, r)| r.len()).max().unwrap_or(0);
    if let Some(h) = &t.header {
        for (i, name) in h.iter().map(|n| header_name(n)).enumerate() {
            let words: Vec<&str> = name
                .split(|ch: char| !ch.is_alphanumeric() && ch != '#')
                .filter(|w| !w.is_empty())
                .collect();
            if c.id.is_none() {
                if matches!(
                    name.as_str(),
                    "id" | "#" | "step" | "task" | "step id" | "task id" | "no" | "no."
                ) {
                    c.id = Some(i);
                    c.numeric_ids = true;
                    continue;
                }
                if matches!(
                    name.as_str(),
                    "key" | "ticket" | "item" | "milestone" | "lane"
                ) || words.contains(&"id")
                {
                    c.id = Some(i);
                    continue;
                }
            }
            if c.status.is_none() && (name.contains("status") || name == "state") {
                c.status = Some(i);
            } else if c.title.is_none()
                && matches!(
                    name.as_str(),
                    "title"
                        | "name"
                        | "task"
                        | "description"
                        | "phase"
                        | "feature"
                        | "summary"
                        | "goal"
                        | "what"
                        | "deliverable"
                )
            {
                c.title = Some(i);
            } else if c.date.is_none() && matches!(name.as_str(), "date" | "day" | "when") {
                c.date = Some(i);
            } else if c.owns.is_none() && (name.starts_with("owns") || name.starts_with("owned")) {
                c.owns = Some((i, true));
            } else if c.owns.is_none() && (name.starts_with("files") || name.starts_with("paths")) {
                c.owns = Some((i, false));
            } else if c.concerns.is_none()
                && (name.contains("block") || name.contains("concern") || name.contains("issue"))
            {
                c.concerns = Some(i);
            }
        }
    }
    let mostly = |col: usize, test: &dyn Fn(&str) -> bool| {
        let filled: Vec<&String> = t
            .rows
            .iter()
            .filter_map(|(_, r)| r.get(col))
            .filter(|s| !s.trim().is_empty())
            .collect();
        !filled.is_empty() && filled.iter().filter(|s| test(s)).count() * 2 >= filled.len()
    };
    let numeric = c.numeric_ids;
    let by_content = (0..width).find(|&i| mostly(i, &|s| split_id(s, false).is_some()));
    match c.id {
        // A header that says "id" over cells that name none: the cells decide.
        Some(i) if !mostly(i, &|s| cell_ids(s, numeric).is_some()) => {
            if let Some(j) = by_content {
                c.id = Some(j);
                c.numeric_ids = false;
            }
        }
        Some(_) => {}
        None => c.id = by_content,
    }
    if c.status.is_none() {
        c.status = (0..width)
            .filter(|&i| Some(i) != c.id)
            .find(|&i| mostly(i, &|s| status_text(s).word.is_some()));
    }
    if c.title == c.id || c.title == c.status {
        c.title = None;
    }
    if t.header.is_none() {
        c.text = (0..width)
            .filter(|&i| Some(i) != c.id && Some(i) != c.status)
            .find(|&i| mostly(i, &|s| s.chars().any(char::is_alphabetic)));
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_cells_outside_code() {
        assert_eq!(cells("| a | `b|c` | d \\| e |"), ["a", "`b|c`", "d | e"]);
        assert!(is_separator("|---|:--:|---|"));
        assert!(!is_separator("| a | b |"));
    }

    #[test]
    fn finds_columns_by_header_or_content() {
        let t = read(&[
            "| Lane | Phase | Status |",
            "|---|---|---|",
            "| **L0** | Plan | **DONE** — ok |",
        ]);
        let c = columns(&t);
        assert_eq!((c.id, c.title, c.status), (Some(0), Some(1), Some(2)));
        let t = read(&["| S01 | Setup | done |", "| S02 | Storage | wip |"]);
        assert!(t.header.is_none());
        let c = columns(&t);
        assert_eq!((c.id, c.status), (Some(0), Some(2)));
        let t = read(&[
            "| Instance ID | Status |",
            "|---|---|",
            "| 29522248 | 🟡 Running |",
        ]);
        let c = columns(&t);
        assert_eq!((c.id, c.numeric_ids, c.status), (Some(0), false, Some(1)));
        assert!(cell_ids("29522248", c.numeric_ids).is_none());
    }
}
