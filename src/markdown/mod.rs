//! The markdown bridge (SPEC 7): read the ledgers teams already keep, and
//! write the ledger back as markdown, JSON or a one-page HTML board.

pub mod board;
pub mod events;
pub mod export_html;
pub mod export_md;
pub mod forge;
pub mod inline;
pub mod lines;
pub mod parse;
pub mod report;
pub mod table;
