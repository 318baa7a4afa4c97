//! Which column of a table holds the id, the status, the title, the date.

use super::blocks::{Line, Row};
use super::ids;
use super::inline::plain;
use super::words::{Legend, status_text};

/// What each column holds.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Columns {
    pub id: Option<usize>,
    /// The id column's header says so outright (`ID`, `#`): plain numbers are ids.
    pub numeric_ids: bool,
    /// The id column is named by a plan word (`Phase`, `Step`): `1` is `Phase-1`.
    pub id_word: Option<String>,
    pub status: Option<usize>,
    pub title: Option<usize>,
    pub date: Option<usize>,
    /// (column, whether its paths are globs rather than literal files)
    pub owns: Option<(usize, bool)>,
    pub concerns: Option<usize>,
}

impl Columns {
    pub fn is_steps(&self) -> bool {
        self.id.is_some() && self.status.is_some()
    }
}

pub fn header_name(h: &Line) -> String {
    plain(h).to_lowercase().trim().to_string()
}

/// The ids a cell of the id column names.
pub fn cell_ids(c: &Columns, cell: &Line) -> Option<ids::IdHead> {
    ids::in_cell(cell, c.id_word.as_deref(), c.numeric_ids)
}

pub fn columns(head: &[Line], rows: &[Row], legend: &Legend) -> Columns {
    let mut c = Columns::default();
    let width = rows.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    for (i, name) in head.iter().map(header_name).enumerate() {
        let words: Vec<&str> = name
            .split(|ch: char| !ch.is_alphanumeric() && ch != '#')
            .filter(|w| !w.is_empty())
            .collect();
        if c.id.is_none() {
            if matches!(
                name.as_str(),
                "id" | "#" | "step id" | "task id" | "no" | "no."
            ) {
                c.id = Some(i);
                c.numeric_ids = true;
                continue;
            }
            // `Instance ID` over `29522248`: codes only, not numbers.
            if matches!(name.as_str(), "key" | "ticket" | "item") || words.contains(&"id") {
                c.id = Some(i);
                continue;
            }
            if matches!(
                name.as_str(),
                "step"
                    | "task"
                    | "phase"
                    | "milestone"
                    | "lane"
                    | "epic"
                    | "sprint"
                    | "stage"
                    | "week"
                    | "wave"
                    | "gate"
            ) {
                c.id = Some(i);
                c.id_word = Some(name.clone());
                continue;
            }
        }
        let status_name =
            name.contains("status") || name == "state" || name == "状态" || name == "상태";
        if c.status.is_none() && status_name {
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
        } else if c.date.is_none()
            && matches!(
                name.as_str(),
                "date" | "day" | "when" | "time" | "时间" | "日期" | "날짜"
            )
        {
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
    let mostly = |col: usize, test: &dyn Fn(&Line) -> bool| {
        let filled: Vec<&Line> = rows
            .iter()
            .filter_map(|r| r.cells.get(col))
            .filter(|s| !plain(s).is_empty())
            .collect();
        !filled.is_empty() && filled.iter().filter(|s| test(s)).count() * 2 >= filled.len()
    };
    let by_content = (0..width).find(|&i| mostly(i, &|s| ids::find(s, false).is_some()));
    match c.id {
        // A header that says "id" over cells that name none: the cells decide.
        Some(i) if !mostly(i, &|s| cell_ids(&c, s).is_some()) => {
            c.id = by_content;
            c.numeric_ids = false;
            c.id_word = None;
        }
        Some(_) => {}
        None => c.id = by_content,
    }
    if c.status.is_none() {
        c.status = (0..width)
            .filter(|&i| Some(i) != c.id)
            .find(|&i| mostly(i, &|s| status_text(&plain(s), legend).found));
    }
    if c.title == c.id || c.title == c.status {
        c.title = None;
    }
    c
}
