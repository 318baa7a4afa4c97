//! Splits a markdown file into classified lines: what each line is before
//! anyone asks what it means. CRLF, a BOM, control characters, HTML
//! comments, fenced code and merge-conflict debris are dealt with here.

use regex::Regex;
use std::sync::LazyLock;

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Blank,
    /// Inside or made only of an HTML comment.
    Comment,
    /// A merge-conflict marker or a line between markers.
    Conflict,
    FenceOpen {
        lang: String,
    },
    FenceBody,
    FenceClose,
    Heading {
        level: usize,
        text: String,
    },
    Rule,
    TableRow,
    Item {
        indent: usize,
        checkbox: Option<char>,
        text: String,
    },
    Text {
        indent: usize,
        text: String,
    },
}

#[derive(Debug, Clone)]
pub struct Line {
    /// 1-based line number in the file.
    pub no: usize,
    /// The line as read, without its line ending and control characters.
    pub text: String,
    pub kind: Kind,
    /// Control characters (a lost `\b` escape, say) were removed from it.
    pub had_controls: bool,
}

pub struct Split {
    pub lines: Vec<Line>,
    /// (first, last) line numbers of each merge-conflict region.
    pub conflicts: Vec<(usize, usize)>,
    /// (first, last) line numbers of each multi-line HTML comment.
    pub comments: Vec<(usize, usize)>,
}

static HEADING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$").expect("heading regex"));
static RULE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$").expect("rule regex")
});
static ITEM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<ind>[ \t]*)(?:[-*+]|\d{1,9}[.)])(?:[ \t]+(?P<text>.*))?$")
        .expect("item regex")
});
static FENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^ {0,3}(?P<f>`{3,}|~{3,})\s*(?P<lang>[^`\s]*)").expect("fence regex")
});

/// Columns of leading whitespace, a tab advancing to the next multiple of 4.
pub fn indent_of(s: &str) -> usize {
    let mut col = 0;
    for c in s.chars() {
        match c {
            ' ' => col += 1,
            '\t' => col += 4 - col % 4,
            _ => break,
        }
    }
    col
}

fn strip_controls(s: &str) -> (String, bool) {
    let mut had = false;
    let out: String = s
        .chars()
        .filter(|&c| {
            let bad = c.is_control() && c != '\t';
            had |= bad;
            !bad
        })
        .collect();
    (out, had)
}

/// Removes HTML comments from `line`; `open` carries a comment across lines.
fn strip_comments(line: &str, open: &mut bool) -> (String, bool) {
    let mut out = String::new();
    let mut rest = line;
    let mut touched = false;
    loop {
        if *open {
            touched = true;
            match rest.find("-->") {
                Some(i) => {
                    *open = false;
                    rest = &rest[i + 3..];
                }
                None => return (out, touched),
            }
        }
        match rest.find("<!--") {
            Some(i) => {
                out.push_str(&rest[..i]);
                rest = &rest[i + 4..];
                *open = true;
            }
            None => {
                out.push_str(rest);
                return (out, touched);
            }
        }
    }
}

pub fn split(text: &str) -> Split {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // A file ending in a newline has no line after it.
    let text = text.strip_suffix('\n').unwrap_or(text);
    let mut lines = Vec::new();
    let mut conflicts = Vec::new();
    let mut comments = Vec::new();
    let mut conflict_from: Option<usize> = None;
    let mut comment_open = false;
    let mut comment_from = 0;
    let mut fence: Option<(char, usize)> = None;
    for (i, raw) in text.split('\n').enumerate() {
        let no = i + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let (clean, had_controls) = strip_controls(raw);
        let line = |kind: Kind| Line {
            no,
            text: clean.clone(),
            kind,
            had_controls,
        };
        // Conflict markers win over everything: they are never content.
        if conflict_from.is_some() || clean.starts_with("<<<<<<<") {
            if conflict_from.is_none() {
                conflict_from = Some(no);
            }
            if clean.starts_with(">>>>>>>") {
                conflicts.push((conflict_from.take().unwrap_or(no), no));
            }
            lines.push(line(Kind::Conflict));
            continue;
        }
        if let Some((ch, len)) = fence {
            let t = clean.trim_start();
            let run = t.chars().take_while(|&c| c == ch).count();
            if run >= len && t[run * ch.len_utf8()..].trim().is_empty() {
                fence = None;
                lines.push(line(Kind::FenceClose));
            } else {
                lines.push(line(Kind::FenceBody));
            }
            continue;
        }
        let was_open = comment_open;
        let (visible, touched) = strip_comments(&clean, &mut comment_open);
        if !was_open && comment_open {
            comment_from = no;
        }
        if was_open && !comment_open && no > comment_from {
            comments.push((comment_from, no));
        }
        if visible.trim().is_empty() {
            lines.push(line(if touched { Kind::Comment } else { Kind::Blank }));
            continue;
        }
        let kind = classify(&visible, &mut fence);
        lines.push(Line {
            no,
            text: visible,
            kind,
            had_controls,
        });
    }
    if let Some(from) = conflict_from {
        conflicts.push((from, lines.len()));
    }
    if comment_open {
        comments.push((comment_from, lines.len()));
    }
    Split {
        lines,
        conflicts,
        comments,
    }
}

fn classify(s: &str, fence: &mut Option<(char, usize)>) -> Kind {
    if let Some(c) = FENCE.captures(s) {
        let f = &c["f"];
        let ch = f.chars().next().unwrap_or('`');
        *fence = Some((ch, f.chars().count()));
        return Kind::FenceOpen {
            lang: c["lang"].to_lowercase(),
        };
    }
    if let Some(c) = HEADING.captures(s) {
        let text = c.get(2).map_or("", |m| m.as_str());
        // A closing run of #'s is not part of the heading.
        let text = match text.trim_end_matches('#') {
            t if t.len() < text.len() && (t.is_empty() || t.ends_with([' ', '\t'])) => t.trim_end(),
            _ => text,
        };
        return Kind::Heading {
            level: c[1].len(),
            text: text.to_string(),
        };
    }
    if RULE.is_match(s) {
        return Kind::Rule;
    }
    if s.trim_start().starts_with('|') {
        return Kind::TableRow;
    }
    if let Some(c) = ITEM.captures(s) {
        let indent = indent_of(&c["ind"]);
        let text = c.name("text").map_or("", |m| m.as_str());
        let mark = super::inline::checkbox_prefix(text);
        let (checkbox, text) = match mark {
            Some(m) if text.len() == 3 || text[3..].starts_with([' ', '\t']) => {
                (Some(m), text[3..].trim())
            }
            _ => (None, text.trim()),
        };
        return Kind::Item {
            indent,
            checkbox,
            text: text.to_string(),
        };
    }
    Kind::Text {
        indent: indent_of(s),
        text: s.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Kind> {
        split(text).lines.into_iter().map(|l| l.kind).collect()
    }

    #[test]
    fn classifies_lines() {
        let k = kinds("# T\r\n\r\n- [x] a\r\n\t- [ ] b\r\n---\r\n| a | b |\r\ntext\r\n");
        assert_eq!(
            k[0],
            Kind::Heading {
                level: 1,
                text: "T".into()
            }
        );
        assert_eq!(k[1], Kind::Blank);
        assert_eq!(
            k[2],
            Kind::Item {
                indent: 0,
                checkbox: Some('x'),
                text: "a".into()
            }
        );
        assert_eq!(
            k[3],
            Kind::Item {
                indent: 4,
                checkbox: Some(' '),
                text: "b".into()
            }
        );
        assert_eq!(k[4], Kind::Rule);
        assert_eq!(k[5], Kind::TableRow);
        assert_eq!(
            k[6],
            Kind::Text {
                indent: 0,
                text: "text".into()
            }
        );
        assert_eq!(k.len(), 7);
    }

    #[test]
    fn fences_hide_headings_and_comments_hide_content() {
        let k = kinds("```bash\n# not a heading\n```\n<!-- a\n## hidden\n-->\n<!-- one --> ## B");
        assert_eq!(
            k[0],
            Kind::FenceOpen {
                lang: "bash".into()
            }
        );
        assert_eq!(k[1], Kind::FenceBody);
        assert_eq!(k[2], Kind::FenceClose);
        assert_eq!(&k[3..6], &[Kind::Comment, Kind::Comment, Kind::Comment]);
        assert_eq!(
            k[6],
            Kind::Heading {
                level: 2,
                text: "B".into()
            }
        );
    }

    #[test]
    fn conflict_regions_are_marked() {
        let s = split("a\n<<<<<<< HEAD\n- [x] S1 x\n=======\n- [ ] S1 x\n>>>>>>> b\nc\n");
        assert_eq!(s.conflicts, vec![(2, 6)]);
        assert!(s.lines[1..6].iter().all(|l| l.kind == Kind::Conflict));
        assert_eq!(
            s.lines[6].kind,
            Kind::Text {
                indent: 0,
                text: "c".into()
            }
        );
    }

    #[test]
    fn control_characters_are_removed_and_flagged() {
        let s = split("  - \u{8}ackend/x.py\n");
        assert!(s.lines[0].had_controls);
        assert_eq!(
            s.lines[0].kind,
            Kind::Item {
                indent: 2,
                checkbox: None,
                text: "ackend/x.py".into()
            }
        );
    }
}
