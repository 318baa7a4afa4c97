//! The text as the parser sees it, and line numbers for byte offsets.
//!
//! Before CommonMark parsing: line endings become `\n`, a byte-order mark
//! goes, merge-conflict regions are blanked (git's `=======` would read as
//! a setext underline and `>>>>>>>` as a quote), and mojibake is repaired.
//! Every line keeps its number, so a report can point into the file as
//! the user has it.

use super::mojibake;

pub struct Source {
    /// The normalised text: `\n` line ends, conflicts blanked.
    pub text: String,
    /// Byte offset where each line starts (line 1 at index 0).
    starts: Vec<usize>,
    /// (first, last) line numbers of each merge-conflict region.
    pub conflicts: Vec<(usize, usize)>,
    /// Lines whose mojibake (`‚úÖ` for `✅`) was repaired.
    pub repaired: Vec<usize>,
}

impl Source {
    /// Takes `raw` as it is when nothing needs normalising (the common
    /// case), so a big file is not held twice.
    pub fn from_string(raw: String) -> Source {
        let clean = !raw.starts_with('\u{feff}')
            && !raw.contains('\r')
            && !raw.lines().any(|l| conflict_marker(l).is_some())
            && raw
                .lines()
                .all(|l| matches!(mojibake::repair(l), std::borrow::Cow::Borrowed(_)));
        if !clean || raw.is_empty() {
            return Source::new(&raw);
        }
        let mut text = raw;
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        let starts = line_starts(&text);
        Source {
            text,
            starts,
            conflicts: Vec::new(),
            repaired: Vec::new(),
        }
    }

    pub fn new(raw: &str) -> Source {
        let raw = raw.strip_prefix('\u{feff}').unwrap_or(raw);
        let mut text = String::with_capacity(raw.len() + 1);
        let mut conflicts = Vec::new();
        let mut repaired = Vec::new();
        let mut open: Option<usize> = None;
        for (i, line) in split_lines(raw).enumerate() {
            let no = i + 1;
            let marker = conflict_marker(line);
            match (open, marker) {
                (None, Some('<')) => open = Some(no),
                (Some(from), Some('>')) => {
                    conflicts.push((from, no));
                    open = None;
                }
                _ => {}
            }
            if open.is_some() || marker == Some('>') && conflicts.last().is_some_and(|c| c.1 == no)
            {
                text.push('\n');
                continue;
            }
            let fixed = mojibake::repair(line);
            if fixed.len() != line.len() || fixed != line {
                repaired.push(no);
            }
            text.push_str(&fixed);
            text.push('\n');
        }
        // An unterminated region runs to the end of the file.
        if let Some(from) = open {
            let last = text.matches('\n').count().max(from);
            conflicts.push((from, last));
        }
        let starts = line_starts(&text);
        Source {
            text,
            starts,
            conflicts,
            repaired,
        }
    }

    pub fn lines(&self) -> usize {
        self.starts.len()
    }

    /// The 1-based line holding byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i.max(1),
        }
    }

    /// Line `no` (1-based) without its line end; empty when out of range.
    pub fn line(&self, no: usize) -> &str {
        let Some(&start) = no.checked_sub(1).and_then(|i| self.starts.get(i)) else {
            return "";
        };
        let end = self.starts.get(no).map_or(self.text.len(), |&e| e);
        self.text
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches('\n')
    }
}

/// Lines split on `\r\n`, `\n` or a lone `\r`, as CommonMark counts them.
fn split_lines(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.find(['\n', '\r']) {
            Some(i) => {
                let skip = if r[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = Some(&r[i + skip..]).filter(|t| !t.is_empty());
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// `<` for `<<<<<<< ours`, `=` for `=======`, `>` for `>>>>>>> theirs`.
fn conflict_marker(line: &str) -> Option<char> {
    let rest = |c: &str| {
        line.strip_prefix(c)
            .map(|r| r.is_empty() || r.starts_with(' '))
    };
    if rest("<<<<<<<") == Some(true) {
        Some('<')
    } else if rest(">>>>>>>") == Some(true) {
        Some('>')
    } else if line == "=======" || line == "|||||||" || line.starts_with("||||||| ") {
        Some('=')
    } else {
        None
    }
}

/// Where each line of `text` (every line ends in a newline) starts.
fn line_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    starts.pop();
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_numbers_survive_crlf_bom_and_conflicts() {
        let s = Source::new("\u{feff}a\r\nb\r<<<<<<< HEAD\nx\n=======\ny\n>>>>>>> o\nc");
        assert_eq!(s.lines(), 8);
        assert_eq!(s.line(1), "a");
        assert_eq!(s.line(2), "b");
        assert_eq!(s.line(3), "");
        assert_eq!(s.line(8), "c");
        assert_eq!(s.conflicts, [(3, 7)]);
        assert_eq!(s.line_of(s.text.find('c').unwrap()), 8);
        assert_eq!(s.line(99), "");
    }

    #[test]
    fn a_clean_text_is_taken_as_it_is() {
        for raw in [
            "a\nb\n",
            "a\nb",
            "",
            "x ✅\n",
            "a\r\nb",
            "\u{feff}a",
            "<<<<<<< x\n",
        ] {
            let owned = Source::from_string(raw.to_string());
            let copied = Source::new(raw);
            assert_eq!(owned.text, copied.text, "{raw:?}");
            assert_eq!(owned.lines(), copied.lines(), "{raw:?}");
            assert_eq!(owned.conflicts, copied.conflicts, "{raw:?}");
        }
    }

    #[test]
    fn an_unterminated_conflict_runs_to_the_end() {
        let s = Source::new("a\n<<<<<<< HEAD\nb\nc\n");
        assert_eq!(s.conflicts, [(2, 4)]);
        assert_eq!(s.line(4), "");
    }
}
