//! Terminal output: colours, aligned tables, warnings, and a stdout that
//! treats a closed pipe (`git ledger log | head`) as success.
//!
//! Text for people passes through `sanitize::terminal` on its way out, so
//! that ledger text from another clone cannot drive the terminal; JSON and
//! exported documents are written exactly (`Json`, `emit_exact`).

use crate::ledger::Status;
use crate::sanitize;
use std::borrow::Cow;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static QUIET: AtomicBool = AtomicBool::new(false);

pub fn set_quiet(q: bool) {
    QUIET.store(q, Ordering::Relaxed);
}

pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// Writes to stdout; a closed pipe ends the program quietly with success.
fn write_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let res = out.write_all(text.as_bytes()).and_then(|_| out.flush());
    if let Err(e) = res
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

/// What `emit` writes: text for people is sanitised, JSON is exact.
pub trait Printable {
    fn printable(&self) -> Cow<'_, str>;
}

impl Printable for str {
    fn printable(&self) -> Cow<'_, str> {
        sanitize::terminal(self)
    }
}

impl Printable for String {
    fn printable(&self) -> Cow<'_, str> {
        sanitize::terminal(self)
    }
}

/// Writes to stdout: text for people with ledger text made harmless for
/// a terminal, `Json` byte for byte.
pub fn emit<T: Printable + ?Sized>(text: &T) {
    write_stdout(&text.printable());
}

/// Writes a document (an export, a completion script) exactly as it is.
pub fn emit_exact(text: &str) {
    write_stdout(text);
}

/// A line on stdout, unless `-q`.
pub fn say(text: &str) {
    if !QUIET.load(Ordering::Relaxed) {
        emit(&format!("{text}\n"));
    }
}

/// A `hint:` line on stderr, after a warning, unless `-q`.
pub fn hint(text: &str) {
    if !QUIET.load(Ordering::Relaxed) {
        error_line(&format!("hint: {text}"));
    }
}

pub fn warn(text: &str) {
    if !QUIET.load(Ordering::Relaxed) {
        error_line(&format!("warning: {text}"));
    }
}

/// A line on stderr, sanitised like stdout. A closed or broken stderr is
/// not worth dying for (`eprintln!` panics): the line is dropped.
pub fn error_line(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err
        .write_all(sanitize::terminal(text).as_bytes())
        .and_then(|_| err.write_all(b"\n"))
        .and_then(|_| err.flush());
}

#[derive(Clone, Copy)]
pub struct Paint {
    pub on: bool,
}

impl Paint {
    /// `auto` colours a terminal unless NO_COLOR is set or color.ui says no.
    pub fn new(choice: &str, color_ui: Option<String>) -> Paint {
        let on = match choice {
            "always" => true,
            "never" => false,
            _ => {
                let ui_off = color_ui.is_some_and(|v| {
                    matches!(
                        v.to_lowercase().as_str(),
                        "false" | "never" | "no" | "off" | "0"
                    )
                });
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && !ui_off
            }
        };
        Paint { on }
    }

    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    pub fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }

    pub fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }

    pub fn red(&self, s: &str) -> String {
        self.wrap("31", s)
    }

    pub fn status(&self, status: Status, text: &str) -> String {
        let code = match status {
            Status::Verified => "32",
            Status::DriftDetected => "1;31",
            Status::CompletedPendingVerification => "33",
            Status::InProgress => "36",
            Status::NotStarted => "2",
        };
        self.wrap(code, text)
    }
}

/// Display width, counting wide (CJK, emoji) characters as two columns.
pub fn width(s: &str) -> usize {
    let mut w = 0;
    let mut in_escape = false;
    for c in s.chars() {
        if in_escape {
            in_escape = c != 'm';
            continue;
        }
        if c == '\x1b' {
            in_escape = true;
            continue;
        }
        let cp = c as u32;
        w += match cp {
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6
            | 0x1F300..=0x1FAFF
            | 0x20000..=0x3FFFD => 2,
            0x0300..=0x036F | 0x200B..=0x200F | 0xFE0F => 0,
            _ => 1,
        };
    }
    w
}

/// Left-aligned columns separated by two spaces; the last column is not padded.
pub fn table(rows: &[Vec<String>]) -> String {
    let rows = &sanitize::table_cells(rows)[..];
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; cols];
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(width(c));
        }
    }
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            line.push_str(c);
            if i + 1 < r.len() {
                line.push_str(&" ".repeat(widths[i] - width(c) + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Pretty JSON and a newline, written exactly by `emit`.
pub struct Json(String);

impl Json {
    pub fn into_string(self) -> String {
        self.0
    }
}

impl Printable for Json {
    fn printable(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.0)
    }
}

pub fn json(value: &impl serde::Serialize) -> Json {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".into());
    s.push('\n');
    Json(s)
}
