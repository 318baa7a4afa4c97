//! CommonMark (with GFM tables and strikethrough) as a small block tree
//! with line numbers: what pulldown-cmark reads, in the shape the ledger
//! reader asks questions of. Built without recursion, so deep nesting
//! cannot exhaust the stack.

use super::source::Source;
use compact_str::CompactString;
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use std::ops::Range;

/// A run of inline text with one style.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// Most spans are a few words: held inline, without an allocation each.
    pub text: CompactString,
    pub code: bool,
    pub strong: bool,
    pub emph: bool,
    pub strike: bool,
    /// The destination of the link this text is in.
    pub link: Option<Box<str>>,
    /// Inline HTML (`<!-- omit in toc -->`, `<br>`): not text.
    pub html: bool,
}

impl Span {
    /// Text with no style, outside any link.
    pub fn plain(text: &str) -> Span {
        Span {
            text: text.into(),
            code: false,
            strong: false,
            emph: false,
            strike: false,
            link: None,
            html: false,
        }
    }
}

/// One source line of a paragraph, heading or table cell.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Line {
    pub spans: Vec<Span>,
    /// 1-based line number.
    pub no: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Heading {
        level: usize,
        text: Line,
    },
    Paragraph(Vec<Line>),
    /// Children are `Item`s.
    List,
    /// A list item; `mark` is the checkbox (`x`, ` `, `~`, `✓`, …);
    /// `head` the lines of its first paragraph (children are the rest).
    Item {
        mark: Option<char>,
        head: Box<[Line]>,
    },
    // Boxed slices and strings: the tree holds one of these per line of
    // the file, and a `Vec`'s spare capacity would be most of its size.
    Table {
        head: Box<[Line]>,
        rows: Box<[Row]>,
    },
    Code {
        fenced: bool,
        info: Box<str>,
        body: Box<str>,
    },
    Html(String),
    Quote,
    Rule,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub line: usize,
    pub cells: Box<[Line]>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub kind: Kind,
    pub line: usize,
    pub last: usize,
    pub children: Box<[Block]>,
}

enum Frame {
    Blocks {
        kind: Kind,
        start: usize,
        children: Vec<Block>,
    },
    Inline {
        heading: Option<usize>,
        /// A tight list item's text, which has no paragraph tags.
        implicit: bool,
        cell: bool,
        start: usize,
        lines: Vec<Line>,
    },
    Table {
        start: usize,
        head: Vec<Line>,
        rows: Vec<Row>,
        row: Vec<Line>,
        row_line: usize,
    },
    Raw {
        code: Option<(bool, String)>,
        start: usize,
        body: String,
    },
}

struct Builder<'s> {
    src: &'s Source,
    /// Line numbers are shifted by this (for text parsed out of a block).
    offset: usize,
    stack: Vec<Frame>,
    strong: usize,
    emph: usize,
    strike: usize,
    links: Vec<String>,
    /// For each open emphasis: the delimiter when it is kept as text.
    literal: Vec<Option<&'static str>>,
    /// Containers opened below `MAX_NESTING`, read as part of their parent.
    flattened: usize,
}

/// Quotes and lists nested deeper than this are read as part of the
/// container at this depth: the tree (and every walk of it) stays shallow.
const MAX_NESTING: usize = 100;

/// The block tree of `src`. A big file is parsed in pieces cut before a
/// heading that starts a line after a blank one, outside code and HTML:
/// CommonMark reads such a heading the same whatever came before it, and
/// the parser's own tree then never holds more than one piece.
pub fn parse(src: &Source) -> Vec<Block> {
    let cuts = pieces(&src.text, PIECE);
    if cuts.len() <= 1 {
        return build(src, 0);
    }
    let pieces: Vec<Vec<Block>> = cuts
        .into_iter()
        .map(|(start, end)| build(&Source::new(&src.text[start..end]), src.line_of(start) - 1))
        .collect();
    // Exactly the room needed: a doubling vector would hold spare space.
    let mut out = Vec::with_capacity(pieces.iter().map(Vec::len).sum());
    for piece in pieces {
        out.extend(piece);
    }
    out
}

/// Bytes after which a file is cut at the next safe heading.
const PIECE: usize = 64 * 1024;

/// Byte ranges of the pieces of `text`, each at least `min` long (but the last).
fn pieces(text: &str, min: usize) -> Vec<(usize, usize)> {
    if text.len() <= min {
        return vec![(0, text.len())];
    }
    let mut out = Vec::new();
    let mut start = 0;
    let mut fence: Option<(char, usize)> = None;
    let mut in_comment = false;
    let mut prev_blank = true;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_end_matches(['\n', '\r']);
        let lead = t.trim_start();
        let indent = t.len() - lead.len();
        let here = offset;
        offset += line.len();
        if let Some((c, n)) = fence {
            let run = lead.chars().take_while(|&x| x == c).count();
            if indent < 4 && run >= n && lead[run * c.len_utf8()..].trim().is_empty() {
                fence = None;
            }
            prev_blank = false;
            continue;
        }
        if in_comment {
            in_comment = !t.contains("-->");
            prev_blank = false;
            continue;
        }
        if indent < 4 {
            for c in ['`', '~'] {
                let run = lead.chars().take_while(|&x| x == c).count();
                if run >= 3 {
                    fence = Some((c, run));
                }
            }
        }
        if lead.starts_with("<!--") && !lead.contains("-->") {
            in_comment = true;
        }
        let heading = t.starts_with('#') && t.trim_start_matches('#').starts_with([' ', '\t']);
        if heading && prev_blank && here - start >= min && fence.is_none() {
            out.push((start, here));
            start = here;
        }
        prev_blank = t.trim().is_empty();
    }
    out.push((start, text.len()));
    out
}

/// Blocks of `text` (a part of the file, e.g. an indented code block read
/// as markdown), whose first line is line `offset + 1` of the file.
pub fn parse_text(text: &str, offset: usize) -> Vec<Block> {
    build(&Source::new(text), offset)
}

fn build(src: &Source, offset: usize) -> Vec<Block> {
    let mut b = Builder {
        src,
        offset,
        stack: vec![Frame::Blocks {
            kind: Kind::Quote,
            start: 0,
            children: Vec::new(),
        }],
        strong: 0,
        emph: 0,
        strike: 0,
        links: Vec::new(),
        literal: Vec::new(),
        flattened: 0,
    };
    let opts = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS;
    for (event, range) in Parser::new_ext(b.src.text.as_str(), opts).into_offset_iter() {
        b.event(event, range);
    }
    while b.stack.len() > 1 {
        b.close(usize::MAX);
    }
    match b.stack.pop() {
        Some(Frame::Blocks { children, .. }) => children,
        _ => Vec::new(),
    }
}

impl Builder<'_> {
    fn line(&self, offset: usize) -> usize {
        self.src.line_of(offset) + self.offset
    }

    fn event(&mut self, event: Event<'_>, r: Range<usize>) {
        match event {
            Event::Start(tag) => self.start(tag, r),
            Event::End(end) => self.end(end, r),
            Event::Text(t) => match self.stack.last_mut() {
                Some(Frame::Raw { body, .. }) => body.push_str(&t),
                _ => self.push_span(&t, false, false, r),
            },
            Event::Code(t) => self.push_span(&t, true, false, r),
            Event::Html(t) => match self.stack.last_mut() {
                Some(Frame::Raw { body, .. }) => body.push_str(&t),
                _ => self.push_span(&t, false, true, r),
            },
            Event::InlineHtml(t) => self.push_span(&t, false, true, r),
            Event::SoftBreak | Event::HardBreak => {
                if let Some(Frame::Inline { lines, .. }) = self.stack.last_mut() {
                    lines.push(Line::default());
                }
            }
            Event::Rule => {
                self.close_implicit();
                let line = self.line(r.start);
                self.add(Block {
                    kind: Kind::Rule,
                    line,
                    last: line,
                    children: Box::default(),
                });
            }
            _ => {}
        }
    }

    fn start(&mut self, tag: Tag<'_>, r: Range<usize>) {
        let inline = |heading, cell| Frame::Inline {
            heading,
            implicit: false,
            cell,
            start: r.start,
            lines: vec![Line::default()],
        };
        match tag {
            Tag::Emphasis | Tag::Strong => {
                let strong = matches!(tag, Tag::Strong);
                let delim = if strong { "__" } else { "_" };
                // `src/pkg/__init__.py`: underscores inside a word are text.
                let text = self.src.text.as_bytes();
                let before = r.start.checked_sub(1).and_then(|i| text.get(i));
                let keep = text.get(r.start) == Some(&b'_')
                    && before.is_some_and(|&c| c.is_ascii_alphanumeric() || b"/._-".contains(&c));
                if keep {
                    self.literal.push(Some(delim));
                    self.push_span(delim, false, false, r.start..r.start + delim.len());
                } else {
                    self.literal.push(None);
                    if strong {
                        self.strong += 1;
                    } else {
                        self.emph += 1;
                    }
                }
            }
            Tag::Strikethrough => self.strike += 1,
            Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. } => {
                self.links.push(dest_url.to_string())
            }
            Tag::Paragraph => {
                self.close_implicit();
                self.stack.push(inline(None, false));
            }
            Tag::Heading { level, .. } => {
                self.close_implicit();
                self.stack.push(inline(Some(level as usize), false));
            }
            Tag::TableCell => self.stack.push(inline(None, true)),
            Tag::Table(_) => {
                self.close_implicit();
                self.stack.push(Frame::Table {
                    start: r.start,
                    head: Vec::new(),
                    rows: Vec::new(),
                    row: Vec::new(),
                    row_line: 0,
                });
            }
            Tag::TableHead | Tag::TableRow => {
                let line = self.line(r.start);
                if let Some(Frame::Table { row, row_line, .. }) = self.stack.last_mut() {
                    row.clear();
                    *row_line = line;
                }
            }
            Tag::CodeBlock(kind) => {
                self.close_implicit();
                let code = match kind {
                    CodeBlockKind::Fenced(info) => (true, info.to_string()),
                    CodeBlockKind::Indented => (false, String::new()),
                };
                self.stack.push(Frame::Raw {
                    code: Some(code),
                    start: r.start,
                    body: String::new(),
                });
            }
            // YAML front matter: kept as a block of its own, never text.
            Tag::MetadataBlock(_) => {
                self.close_implicit();
                self.stack.push(Frame::Raw {
                    code: Some((true, "front matter".into())),
                    start: r.start,
                    body: String::new(),
                });
            }
            Tag::HtmlBlock => {
                self.close_implicit();
                self.stack.push(Frame::Raw {
                    code: None,
                    start: r.start,
                    body: String::new(),
                });
            }
            Tag::BlockQuote(_) | Tag::List(_) | Tag::Item => {
                self.close_implicit();
                if self.flattened > 0 || self.stack.len() > MAX_NESTING {
                    self.flattened += 1;
                    return;
                }
                let kind = match tag {
                    Tag::List(_) => Kind::List,
                    Tag::Item => Kind::Item {
                        mark: None,
                        head: Box::default(),
                    },
                    _ => Kind::Quote,
                };
                self.stack.push(Frame::Blocks {
                    kind,
                    start: r.start,
                    children: Vec::new(),
                });
            }
            _ => {}
        }
    }

    fn end(&mut self, end: TagEnd, r: Range<usize>) {
        match end {
            TagEnd::Emphasis | TagEnd::Strong => match self.literal.pop() {
                Some(Some(delim)) => self.push_span(
                    delim,
                    false,
                    false,
                    r.end.saturating_sub(delim.len())..r.end,
                ),
                _ if matches!(end, TagEnd::Strong) => self.strong = self.strong.saturating_sub(1),
                _ => self.emph = self.emph.saturating_sub(1),
            },
            TagEnd::Strikethrough => self.strike = self.strike.saturating_sub(1),
            TagEnd::Link | TagEnd::Image => {
                self.links.pop();
            }
            TagEnd::TableCell => {
                if let Some(Frame::Inline { lines, .. }) = self.stack.pop() {
                    let cell = join_lines(lines);
                    if let Some(Frame::Table { row, .. }) = self.stack.last_mut() {
                        row.push(cell);
                    }
                }
            }
            TagEnd::TableHead => {
                if let Some(Frame::Table { head, row, .. }) = self.stack.last_mut() {
                    *head = std::mem::take(row);
                }
            }
            TagEnd::TableRow => {
                if let Some(Frame::Table {
                    rows,
                    row,
                    row_line,
                    ..
                }) = self.stack.last_mut()
                {
                    rows.push(Row {
                        line: *row_line,
                        cells: std::mem::take(row).into(),
                    });
                }
            }
            TagEnd::Paragraph
            | TagEnd::Heading(_)
            | TagEnd::Table
            | TagEnd::CodeBlock
            | TagEnd::MetadataBlock(_)
            | TagEnd::HtmlBlock
            | TagEnd::BlockQuote(_)
            | TagEnd::List(_)
            | TagEnd::Item => {
                if matches!(end, TagEnd::Item | TagEnd::List(_) | TagEnd::BlockQuote(_)) {
                    self.close_implicit();
                    if self.flattened > 0 {
                        self.flattened -= 1;
                        return;
                    }
                }
                self.close(r.end);
            }
            _ => {}
        }
    }

    /// Closes a tight list item's text before a block starts in the item.
    fn close_implicit(&mut self) {
        if matches!(
            self.stack.last(),
            Some(Frame::Inline { implicit: true, .. })
        ) {
            self.close(usize::MAX);
        }
    }

    /// Pops the top frame into a block of its parent.
    fn close(&mut self, end: usize) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let last_of = |b: &Builder<'_>, start: usize| {
            let end = if end == usize::MAX { start } else { end };
            b.line(end.saturating_sub(1).max(start))
        };
        let block = match frame {
            Frame::Blocks {
                kind,
                start,
                mut children,
            } => {
                // An item's first paragraph lives in the item: one block less
                // per line of a list.
                let mut first_line = None;
                let kind = match kind {
                    Kind::Item { .. } => {
                        let mut head: Vec<Line> = Vec::new();
                        if let Some(Block {
                            kind: Kind::Paragraph(_),
                            ..
                        }) = children.first()
                        {
                            let p = children.remove(0);
                            first_line = Some((p.line, p.last));
                            if let Kind::Paragraph(lines) = p.kind {
                                head = lines;
                            }
                        }
                        let mark = take_checkbox(&mut head);
                        Kind::Item {
                            mark,
                            head: head.into(),
                        }
                    }
                    k => k,
                };
                // The tree lives as long as the reading: no slack.
                children.shrink_to_fit();
                let line = first_line
                    .map(|(l, _)| l)
                    .or(children.first().map(|c| c.line))
                    .unwrap_or(self.line(start));
                let last = last_of(self, start)
                    .max(children.last().map_or(line, |c| c.last))
                    .max(first_line.map_or(line, |(_, l)| l));
                Block {
                    kind,
                    line: line.min(self.line(start)),
                    last,
                    children: children.into(),
                }
            }
            Frame::Inline {
                heading,
                start,
                lines,
                cell,
                ..
            } => {
                let lines: Vec<Line> = lines
                    .into_iter()
                    .filter(|l| !l.spans.is_empty())
                    .map(|mut l| {
                        l.spans.shrink_to_fit();
                        for s in &mut l.spans {
                            s.text.shrink_to_fit();
                        }
                        l
                    })
                    .collect();
                if cell {
                    return;
                }
                let line = lines.first().map_or(self.line(start), |l| l.no);
                let last = lines.last().map_or(line, |l| l.no);
                let kind = match heading {
                    Some(level) => Kind::Heading {
                        level,
                        text: join_lines(lines),
                    },
                    None if lines.is_empty() => return,
                    None => Kind::Paragraph(lines),
                };
                Block {
                    kind,
                    line,
                    last,
                    children: Box::default(),
                }
            }
            Frame::Table {
                start, head, rows, ..
            } => Block {
                kind: Kind::Table {
                    head: head.into(),
                    rows: rows.into(),
                },
                line: self.line(start),
                last: last_of(self, start),
                children: Box::default(),
            },
            Frame::Raw { code, start, body } => Block {
                kind: match code {
                    Some((fenced, info)) => Kind::Code {
                        fenced,
                        info: info.into(),
                        body: body.into(),
                    },
                    None => Kind::Html(body),
                },
                line: self.line(start),
                last: last_of(self, start),
                children: Box::default(),
            },
        };
        self.add(block);
    }

    fn add(&mut self, block: Block) {
        match self.stack.last_mut() {
            Some(Frame::Blocks { children, .. }) => children.push(block),
            // A block inside a table or raw frame cannot happen; keep it
            // at the top rather than lose it.
            _ => {
                if let Some(Frame::Blocks { children, .. }) = self.stack.first_mut() {
                    children.push(block);
                }
            }
        }
    }

    fn push_span(&mut self, text: &str, code: bool, html: bool, r: Range<usize>) {
        if matches!(self.stack.last(), Some(Frame::Blocks { .. })) {
            // Text straight inside a list item: a tight item's paragraph.
            self.stack.push(Frame::Inline {
                heading: None,
                implicit: true,
                cell: false,
                start: r.start,
                lines: vec![Line::default()],
            });
        }
        let no = self.line(r.start);
        let span = Span {
            text: text.into(),
            code,
            strong: self.strong > 0,
            emph: self.emph > 0,
            strike: self.strike > 0,
            link: self.links.last().map(|l| l.as_str().into()),
            html,
        };
        let Some(Frame::Inline { lines, .. }) = self.stack.last_mut() else {
            return;
        };
        let Some(line) = lines.last_mut() else {
            return;
        };
        if line.spans.is_empty() {
            line.no = no;
        }
        match line.spans.last_mut() {
            Some(last) if !code && !last.code && same_style(last, &span) => {
                last.text.push_str(text)
            }
            _ => line.spans.push(span),
        }
    }
}

fn same_style(a: &Span, b: &Span) -> bool {
    a.strong == b.strong
        && a.emph == b.emph
        && a.strike == b.strike
        && a.link == b.link
        && a.html == b.html
}

fn join_lines(lines: Vec<Line>) -> Line {
    let mut out = Line::default();
    for l in lines.into_iter().filter(|l| !l.spans.is_empty()) {
        if out.spans.is_empty() {
            out = l;
        } else {
            out.spans.push(Span::plain(" "));
            out.spans.extend(l.spans);
        }
    }
    out
}

/// Takes a checkbox off the start of an item's first line: `[x]`, `[ ]`,
/// and the marks people invent (`[~]`, `[✓]`, `[-]`, `[ x]`). A link
/// (`[✓](…)`) or a tag (`[P]`) is not a checkbox.
fn take_checkbox(lines: &mut [Line]) -> Option<char> {
    let span = lines.first_mut()?.spans.first_mut()?;
    if span.code || span.link.is_some() || span.html {
        return None;
    }
    let (mark, len) = checkbox_at(&span.text)?;
    let rest = span.text.get(len..).unwrap_or("");
    span.text = rest.trim_start().into();
    Some(mark)
}

/// The mark and byte length of a checkbox at the start of `t`.
pub fn checkbox_at(t: &str) -> Option<(char, usize)> {
    let inner_end = t.strip_prefix('[')?.find(']')? + 1;
    let inner = &t[1..inner_end];
    let after = &t[inner_end + 1..];
    if !(after.is_empty() || after.starts_with([' ', '\t'])) {
        return None;
    }
    let trimmed = inner.trim();
    let mut chars = trimmed.chars();
    let mark = match (chars.next(), chars.next()) {
        (None, None) if !inner.is_empty() && inner.chars().count() <= 2 => ' ',
        (Some(c), None) if inner.chars().count() <= 2 => c,
        _ => return None,
    };
    let ok = matches!(mark, ' ' | 'x' | 'X' | 'o' | 'v' | 'y')
        || !mark.is_alphanumeric() && !mark.is_whitespace() && mark != '^' && mark != '#';
    ok.then_some((mark, inner_end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(text: &str) -> Vec<Block> {
        parse(&Source::new(text))
    }

    fn item_marks(b: &Block) -> Vec<Option<char>> {
        b.children
            .iter()
            .map(|i| match i.kind {
                Kind::Item { mark, .. } => mark,
                _ => None,
            })
            .collect()
    }

    #[test]
    fn headings_lists_and_checkboxes_with_lines() {
        let b =
            blocks("# Title\n\n- [ ] T001 First\n- [+] T002 Second\n- [✓](x) link\n- [P] tag\n");
        assert!(matches!(&b[0].kind, Kind::Heading { level: 1, .. }));
        assert_eq!(b[1].kind, Kind::List);
        assert_eq!(item_marks(&b[1]), [Some(' '), Some('+'), None, None]);
        assert_eq!(b[1].children[1].line, 4);
        let Kind::Item { head: lines, .. } = &b[1].children[0].kind else {
            panic!("{:?}", b[1].children[0]);
        };
        assert_eq!(lines[0].spans[0].text, "T001 First");
    }

    #[test]
    fn setext_headings_indented_code_and_code_spans_hiding_comment_openers() {
        let b = blocks("Title\n=====\n\n    indented\n\nsee `<!--` here\n\n## Next\n");
        assert!(matches!(&b[0].kind, Kind::Heading { level: 1, .. }));
        assert!(matches!(&b[1].kind, Kind::Code { fenced: false, .. }));
        assert!(matches!(&b[3].kind, Kind::Heading { level: 2, .. }));
        assert_eq!(b[3].line, 8);
    }

    #[test]
    fn underscores_inside_a_path_are_text() {
        let b = blocks("- src/pkg/__init__.py\n");
        let Kind::Item { head: lines, .. } = &b[0].children[0].kind else {
            panic!()
        };
        let text: String = lines[0].spans.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(text, "src/pkg/__init__.py");
        assert!(lines[0].spans.iter().all(|s| !s.strong));
    }

    #[test]
    fn tables_have_head_and_rows() {
        let b = blocks("| ID | Status |\n|---|---|\n| S1 | done |\n| S2 | wip |\n");
        let Kind::Table { head, rows } = &b[0].kind else {
            panic!("{:?}", b[0])
        };
        assert_eq!(head.len(), 2);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].line, 4);
        assert_eq!(rows[1].cells.len(), 2);
    }

    #[test]
    fn a_big_file_parses_in_pieces_as_it_would_whole() {
        let mut doc = String::new();
        for i in 0..40 {
            doc.push_str(&format!(
                "## Step S{i:02} – T\n\n- **Status:** done\n\n```\n## not a heading {i}\n```\n\n<!--\n## hidden\n-->\n\n- [x] item\n  # not at column 0\n\n"
            ));
        }
        let src = Source::new(&doc);
        let whole = build(&src, 0);
        let cuts = pieces(&src.text, 100);
        assert!(cuts.len() > 10, "{}", cuts.len());
        let mut pieced = Vec::new();
        for (start, end) in cuts {
            let piece = Source::new(&src.text[start..end]);
            pieced.extend(build(&piece, src.line_of(start) - 1));
        }
        assert_eq!(pieced, whole);
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let deep = format!("{}x\n", "> ".repeat(5000));
        let _ = blocks(&deep);
        let lists: String = (0..3000)
            .map(|i| format!("{}- a\n", "  ".repeat(i)))
            .collect();
        let _ = blocks(&lists);
    }
}
