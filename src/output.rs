//! Terminal output: colours, aligned tables (fitted to the terminal's
//! width), warnings, and a stdout that treats a closed pipe (`git ledger log | head`) as success.
//!
//! Text for people passes through `sanitize::terminal` on its way out, so
//! that ledger text from another clone cannot drive the terminal; JSON and
//! exported documents are written exactly (`Json`, `emit_exact`).

use crate::ledger::Status;
use crate::sanitize;
use std::borrow::Cow;
use std::io::Write;
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
    /// git's colour rules: `--color` wins, then `color.ledger`, then
    /// `color.ui`; `always` colours even a pipe, `never`/`false` never
    /// does, and `auto`/`true` (also the default) colours only output that
    /// ends on a terminal (through a pager, when `color.pager` allows),
    /// unless `NO_COLOR` is set or `TERM` is `dumb`.
    pub fn new(
        flag: Option<&str>,
        color_ledger: Option<String>,
        color_ui: Option<String>,
        color_pager: bool,
    ) -> Paint {
        let choice = flag
            .map(str::to_string)
            .or(color_ledger)
            .or(color_ui)
            .unwrap_or_else(|| "auto".into());
        let on = match choice.trim().to_ascii_lowercase().as_str() {
            "always" => true,
            "never" | "false" | "no" | "off" | "0" => false,
            _ => {
                crate::terminal::to_terminal()
                    && (color_pager || !crate::terminal::paging())
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var("TERM").map_or(true, |t| t != "dumb")
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

/// Display width in terminal columns (wide CJK and emoji count two),
/// not counting colour escapes.
pub fn width(s: &str) -> usize {
    use unicode_width::UnicodeWidthStr;
    if !s.contains('\x1b') {
        return s.width();
    }
    strip_escapes(s).width()
}

fn strip_escapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_escape = false;
    for c in s.chars() {
        if in_escape {
            in_escape = c != 'm';
        } else if c == '\x1b' {
            in_escape = true;
        } else {
            out.push(c);
        }
    }
    out
}

/// `s` cut to at most `max` columns, ending in `…` when cut; colour
/// escapes are kept and closed.
pub fn truncate(s: &str, max: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    if width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    let mut in_escape = false;
    let mut coloured = false;
    for c in s.chars() {
        if in_escape {
            out.push(c);
            in_escape = c != 'm';
            continue;
        }
        if c == '\x1b' {
            out.push(c);
            in_escape = true;
            coloured = true;
            continue;
        }
        let w = c.width().unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        out.push(c);
        used += w;
    }
    if max > 0 {
        out.push('…');
    }
    if coloured {
        out.push_str("\x1b[0m");
    }
    out
}

/// `table`, fitted to the terminal's width when stdout is a terminal: the
/// `flex` columns (a title, a message), in that order, give up what the
/// line lacks, cut with `…`, so that no row wraps; a line still too wide
/// is cut at the edge. Output to a pipe is never cut.
pub fn table_fit(rows: &[Vec<String>], flex: &[usize]) -> String {
    match crate::terminal::columns() {
        Some(cols) => table_within(rows, flex, cols),
        None => table(rows),
    }
}

/// `table_fit` for a given width.
pub fn table_within(rows: &[Vec<String>], flex: &[usize], cols: usize) -> String {
    let rows = &sanitize::table_cells(rows)[..];
    let ncols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; ncols];
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(width(c));
        }
    }
    let mut total: usize = widths.iter().sum::<usize>() + 2 * ncols.saturating_sub(1);
    let mut rows = rows.to_vec();
    const MIN_FLEX: usize = 8;
    for &f in flex.iter().filter(|&&f| f < ncols) {
        if total <= cols {
            break;
        }
        let room = widths[f]
            .saturating_sub(total - cols)
            .max(MIN_FLEX.min(widths[f]));
        total -= widths[f] - room;
        widths[f] = room;
        for r in &mut rows {
            if let Some(c) = r.get_mut(f) {
                *c = truncate(c, room);
            }
        }
    }
    table(&rows)
        .lines()
        .map(|l| format!("{}\n", truncate(l, cols)))
        .collect()
}

/// Left-aligned columns separated by two spaces; the last column is not padded.
pub fn table(rows: &[Vec<String>]) -> String {
    // Each cell is made one line once and measured once: a status of
    // hundreds of steps is thousands of cells.
    let cells: Vec<Vec<(std::borrow::Cow<'_, str>, usize)>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| {
                    let c = sanitize::one_line(c);
                    let w = width(&c);
                    (c, w)
                })
                .collect()
        })
        .collect();
    let cols = cells.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; cols];
    for r in &cells {
        for (i, (_, w)) in r.iter().enumerate() {
            widths[i] = widths[i].max(*w);
        }
    }
    let mut out = String::with_capacity(cells.len() * (widths.iter().sum::<usize>() + 2 * cols));
    for r in &cells {
        let start = out.len();
        for (i, (c, w)) in r.iter().enumerate() {
            out.push_str(c);
            if i + 1 < r.len() {
                out.extend(std::iter::repeat_n(' ', widths[i] - w + 2));
            }
        }
        let kept = out[start..].trim_end().len();
        out.truncate(start + kept);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_characters_take_two_columns_and_tables_align_on_them() {
        assert_eq!(width("✅"), 2);
        assert_eq!(width("日本"), 4);
        assert_eq!(width("\x1b[32mok\x1b[0m"), 2);
        let t = table(&[
            vec!["✅ Ship".into(), "x".into()],
            vec!["Plain".into(), "y".into()],
        ]);
        let cols: Vec<usize> = t
            .lines()
            .map(|l| width(&l[..l.rfind(['x', 'y']).unwrap()]))
            .collect();
        assert_eq!(cols[0], cols[1], "{t}");
    }

    #[test]
    fn fitted_tables_cut_the_flexible_columns_first() {
        let rows = vec![
            vec![
                "S04".into(),
                "A title far too long to fit".into(),
                "msg here".into(),
            ],
            vec!["S05".into(), "Short".into(), "a long message too".into()],
        ];
        let t = table_within(&rows, &[1, 2], 30);
        for l in t.lines() {
            assert!(width(l) <= 30, "{l}");
        }
        assert!(t.contains('…'));
        assert!(t.lines().all(|l| l.starts_with("S0")), "{t}");
        assert_eq!(
            truncate("\x1b[1mbold text\x1b[0m", 5),
            "\x1b[1mbold…\x1b[0m"
        );
    }
}
