//! Ledger text into CI formats. Titles, paths and output tails arrive with
//! the ledger from other clones, so each format gets them inert: Markdown
//! that renders as the literal text (no links, images or raw HTML), GitHub
//! workflow commands that cannot start another command, XML that parses.

/// Characters that make text lie about itself on screen: controls, and the
/// bidirectional overrides of "Trojan Source".
fn invisible(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// One line of plain text: controls dropped, line breaks and tabs as spaces.
pub fn one_line(s: &str) -> String {
    s.chars()
        .filter(|c| !invisible(*c))
        .map(|c| if c == '\n' || c == '\t' { ' ' } else { c })
        .collect()
}

/// Markdown text that renders exactly as `s`, on one line, also inside a
/// table cell: angle brackets as entities (no raw HTML, even for a renderer
/// that skips escapes), every other ASCII punctuation character
/// backslash-escaped (CommonMark allows it for all of them; GFM tables read
/// `\|` as a pipe).
pub fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in one_line(s).chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if c.is_ascii_punctuation() => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A Markdown code span of `s` for a table cell: a fence longer than any run
/// of backticks inside, and pipes escaped (GFM unescapes them before it
/// reads the span).
pub fn md_code(s: &str) -> String {
    let text = one_line(s).replace('|', "\\|");
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    // A span that starts or ends with a backtick needs a space inside the fence.
    let pad = if text.starts_with('`') || text.ends_with('`') || text.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// The message of a GitHub workflow command (`::error …::MESSAGE`): the
/// runner reads `%0A` as a newline, so a raw one cannot end the command and
/// start another.
pub fn workflow_data(s: &str) -> String {
    s.chars()
        .filter(|c| !invisible(*c) || *c == '\r')
        .collect::<String>()
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value of a workflow command (`file=…,title=…`).
pub fn workflow_property(s: &str) -> String {
    workflow_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Characters XML 1.0 allows at all; the others are dropped.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Text content or an attribute value for XML.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().filter(|c| xml_char(*c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Attribute values would otherwise normalise them to spaces.
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn markdown_text_cannot_become_a_link_an_image_or_html() {
        assert_eq!(
            md_text("![x](http://e/p.png) <img src=x> | *b*"),
            "\\!\\[x\\]\\(http\\:\\/\\/e\\/p\\.png\\) &lt;img src\\=x&gt; \\| \\*b\\*"
        );
        assert_eq!(md_text("two\nlines\u{202E}"), "two lines");
    }

    #[test]
    fn code_spans_outfence_backticks_and_escape_pipes() {
        assert_eq!(md_code("src/a.rs"), "`src/a.rs`");
        assert_eq!(md_code("a`b"), "``a`b``");
        assert_eq!(md_code("`x"), "`` `x ``");
        assert_eq!(md_code("a|b"), "`a\\|b`");
    }

    #[test]
    fn a_newline_cannot_start_another_workflow_command() {
        assert_eq!(
            workflow_data("bad\n::add-mask::x 100%"),
            "bad%0A::add-mask::x 100%25"
        );
        assert_eq!(workflow_property("a,b:c"), "a%2Cb%3Ac");
    }

    #[test]
    fn xml_drops_what_xml_cannot_hold() {
        assert_eq!(xml("a<b>&\"'\u{1}\u{FFFF}"), "a&lt;b&gt;&amp;&quot;&apos;");
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn escaped_text_stays_inert(s in any::<String>()) {
            let md = md_text(&s);
            prop_assert!(!md.contains('\n') && !md.contains('<') && !md.contains('>'));
            // Every punctuation character is preceded by a backslash, but
            // for the `&` of the two entities.
            let md = md.replace("&lt;", "").replace("&gt;", "");
            let chars: Vec<char> = md.chars().collect();
            let mut i = 0;
            while i < chars.len() {
                if chars[i] == '\\' {
                    prop_assert!(i + 1 < chars.len() && chars[i + 1].is_ascii_punctuation());
                    i += 2;
                    continue;
                }
                prop_assert!(!chars[i].is_ascii_punctuation());
                i += 1;
            }
            let code = md_code(&s);
            prop_assert!(!code.contains('\n'));
            let data = workflow_data(&s);
            prop_assert!(!data.contains('\n') && !data.contains('\r'));
            let prop = workflow_property(&s);
            prop_assert!(!prop.contains(',') && !prop.contains(':'));
            let x = xml(&s);
            prop_assert!(!x.contains('<') && !x.contains('>') && !x.contains('"'));
            prop_assert!(x.chars().all(|c| xml_char(c) && c != '\n'));
            for (i, _) in x.match_indices('&') {
                let rest = &x[i..];
                prop_assert!(
                    ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#10;", "&#13;", "&#9;"]
                        .iter()
                        .any(|e| rest.starts_with(e))
                );
            }
        }
    }
}
