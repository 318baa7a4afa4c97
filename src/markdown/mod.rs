//! The markdown bridge (SPEC 7): read the ledgers teams already keep, and
//! write the ledger back as markdown, JSON or a one-page HTML board.
//!
//! Reading goes one way: `source` (line ends, conflicts, mojibake) →
//! `blocks` (CommonMark by pulldown-cmark, as a tree with line numbers) →
//! `read` (the ledger's shapes, using `ids`, `words`, `inline`, `table`) →
//! `model` (steps, notes, the report) → `auto_ids` (`--ids auto`) →
//! `events` (what to append) and `report` (what to print).

pub mod auto_ids;
pub mod blocks;
pub mod board;
pub mod events;
pub mod export_html;
pub mod export_md;
pub mod forge;
pub mod ids;
pub mod inline;
pub mod model;
pub mod mojibake;
pub mod read;
pub mod report;
pub mod source;
pub mod table;
pub mod words;

#[cfg(test)]
mod fuzz;
