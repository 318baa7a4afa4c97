//! Ledger text made harmless for a terminal.
//!
//! Titles, messages, authors, check commands and output tails can arrive
//! from another clone, written by anyone who can push notes. Printed raw,
//! an escape sequence in them could clear the screen, set the window
//! title, move the cursor to paint a harmless line over a harmful one, or
//! hide text; a right-to-left override reorders what a command looks like.
//!
//! `terminal` is applied to everything written for people (stdout and
//! stderr, see `output`); JSON and exported documents stay exact. It keeps
//! newlines and tabs, and colour sequences (SGR) made only of harmless
//! parameters — git-ledger's own colours and a check's coloured output —
//! and writes every other control character, escape sequence and
//! invisible or direction-changing character out as a visible escape
//! (`\u{1b}`, `\r`, `\u{202e}`). `one_line` does the same and also escapes
//! newlines, for a field that must stay on its line (a table cell, an id,
//! a command in the trust prompt).

use std::borrow::Cow;

/// Text for a terminal: see the module comment.
pub fn terminal(text: &str) -> Cow<'_, str> {
    clean(text, true)
}

/// `terminal`, with newlines escaped too: one field on one line.
pub fn one_line(text: &str) -> Cow<'_, str> {
    clean(text, false)
}

/// Table cells with newlines escaped, so no cell can start a row of its own.
pub fn table_cells(rows: &[Vec<String>]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|c| one_line(c).into_owned()).collect())
        .collect()
}

fn clean(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    // Most text is printable ASCII: nothing to look at closer.
    if text
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) || b == b'\t' || (keep_newlines && b == b'\n'))
    {
        return Cow::Borrowed(text);
    }
    let ok = |c: char| !(c == '\x1b' || escaped(c) && !(keep_newlines && c == '\n'));
    if text.chars().all(ok) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '\x1b'
            && let Some(len) = harmless_sgr(rest)
        {
            out.push_str(&rest[..len]);
            rest = &rest[len..];
            continue;
        }
        if c == '\x1b' || (escaped(c) && !(keep_newlines && c == '\n')) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

/// Characters never written raw: controls (C0 but tab, DEL, C1), and the
/// invisible or direction-changing format characters.
fn escaped(c: char) -> bool {
    match c {
        '\t' => false,
        c if c.is_control() => true, // C0 (newline included), DEL, C1
        '\u{061C}'                   // Arabic letter mark
        | '\u{200B}'                 // zero-width space
        | '\u{200E}'..='\u{200F}'    // left-to-right / right-to-left marks
        | '\u{2028}'..='\u{2029}'    // line and paragraph separators
        | '\u{202A}'..='\u{202E}'    // embeddings and overrides
        | '\u{2060}'..='\u{2064}'    // word joiner, invisible operators
        | '\u{2066}'..='\u{2069}'    // isolates
        | '\u{FEFF}'                 // zero-width no-break space
        | '\u{FFF9}'..='\u{FFFB}'    // interlinear annotations
        | '\u{E0000}'..='\u{E007F}'  // tags: invisible ASCII
        => true,
        _ => false,
    }
}

/// SGR parameters that only change how text looks, never whether it can be
/// read: reset, bold, dim, italic, underline, their resets, and the
/// foreground colours except black and white (invisible on one background
/// or the other). No background, conceal, blink or 256-colour forms.
const HARMLESS_SGR: &[&str] = &[
    "", "0", "1", "2", "3", "4", "22", "23", "24", "31", "32", "33", "34", "35", "36", "39", "91",
    "92", "93", "94", "95", "96",
];

/// The length of a harmless SGR sequence (`ESC [ params m`) at the start
/// of `s`, if that is what starts it.
fn harmless_sgr(s: &str) -> Option<usize> {
    let body = s.strip_prefix("\x1b[")?;
    let end = body.find(|c: char| !(c.is_ascii_digit() || c == ';'))?;
    if body.as_bytes()[end] != b'm' || end > 16 {
        return None;
    }
    body[..end]
        .split(';')
        .all(|p| HARMLESS_SGR.contains(&p))
        .then_some(2 + end + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_could_drive_a_terminal() {
        assert_eq!(
            terminal("Fine\u{1b}]0;owned\u{7}\u{1b}[2J"),
            "Fine\\u{1b}]0;owned\\u{7}\\u{1b}[2J"
        );
        assert_eq!(
            terminal("S9\u{1b}[1A\u{1b}[2K cargo test\r"),
            "S9\\u{1b}[1A\\u{1b}[2K cargo test\\r"
        );
        assert_eq!(
            terminal("touch x\u{202e}txt.exe"),
            "touch x\\u{202e}txt.exe"
        );
        assert_eq!(terminal("a\u{9b}2Jb\u{7f}"), "a\\u{9b}2Jb\\u{7f}");
        assert_eq!(terminal("conceal\u{1b}[8m"), "conceal\\u{1b}[8m");
        assert_eq!(terminal("black\u{1b}[30;40m"), "black\\u{1b}[30;40m");
    }

    #[test]
    fn keeps_text_newlines_tabs_and_plain_colours() {
        let ours = "\u{1b}[1;31mdrift\u{1b}[0m\n\tnext";
        assert!(matches!(terminal(ours), Cow::Borrowed(_)) || terminal(ours) == ours);
        assert_eq!(terminal(ours), ours);
        assert_eq!(terminal("日本語 ✅ 👨‍👩‍👧 مرحبا"), "日本語 ✅ 👨‍👩‍👧 مرحبا");
        assert_eq!(one_line("two\nlines"), "two\\nlines");
        assert_eq!(terminal("two\nlines"), "two\nlines");
    }

    proptest::proptest! {
        #![proptest_config(crate::proptest_config::seeded(3000))]

        #[test]
        fn nothing_but_plain_colours_reaches_the_terminal(s in "(\\PC|[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}\\u{202a}-\\u{202e}\\u{2066}-\\u{2069}]|\\x1b\\[[0-9;]{0,6}[mHJK]){0,40}") {
            let out = terminal(&s);
            let mut rest: &str = &out;
            while let Some(c) = rest.chars().next() {
                if c == '\x1b' {
                    let len = harmless_sgr(rest);
                    proptest::prop_assert!(len.is_some(), "raw escape in {:?}", out);
                    rest = &rest[len.unwrap_or(1)..];
                    continue;
                }
                proptest::prop_assert!(!escaped(c) || c == '\n', "raw {:?} in {:?}", c, out);
                rest = &rest[c.len_utf8()..];
            }
            proptest::prop_assert!(!one_line(&s).contains('\n'));
        }
    }

    #[test]
    fn a_lone_escape_at_the_end_is_escaped() {
        assert_eq!(terminal("x\u{1b}"), "x\\u{1b}");
        assert_eq!(terminal("x\u{1b}["), "x\\u{1b}[");
        assert_eq!(terminal("x\u{1b}[31"), "x\\u{1b}[31");
    }
}
