//! `owns` globs with gitignore semantics (SPEC 2.4), through the `ignore`
//! crate's gitignore matcher rather than hand-written matching.

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

#[derive(Clone)]
pub struct Owns {
    /// None when every pattern is a plain directory (`src/api/**`) or a
    /// plain path (`docs/api.md`): those are matched by prefix, without
    /// compiling a matcher (a ledger of 100,000 steps compiled 100,000).
    matcher: Option<Gitignore>,
    /// The plain patterns: a directory (with its slash) or a path.
    plain: Vec<Plain>,
    /// Literal directory prefixes the positive patterns are confined to
    /// ("" when a pattern can match anywhere), to skip unrelated subtrees.
    prefixes: Vec<String>,
    empty: bool,
}

#[derive(Clone, Debug, PartialEq)]
enum Plain {
    /// `dir/**`: every file below `dir/`.
    Below(String),
    /// `a/b.rs` (with a slash, no glob): that path, or anything below it.
    Path(String),
}

/// The plain form of a pattern, when it has one: anchored (a slash before
/// its end), no negation, no glob characters but a final `/**`.
fn plain(p: &str) -> Option<Plain> {
    if p.starts_with(['!', '#']) || p.contains(['*', '?', '[', '\\']) && !p.ends_with("/**") {
        return None;
    }
    let body = p.strip_prefix('/').unwrap_or(p);
    if let Some(dir) = body.strip_suffix("/**") {
        let literal =
            !dir.is_empty() && !dir.contains(['*', '?', '[', '\\']) && !dir.ends_with('/');
        return literal.then(|| Plain::Below(format!("{dir}/")));
    }
    let anchored = p.starts_with('/') || body.trim_end_matches('/').contains('/');
    (anchored && !body.ends_with('/') && !body.is_empty() && !body.contains(['*', '?', '[', '\\']))
        .then(|| Plain::Path(body.to_string()))
}

impl Owns {
    pub fn new(patterns: &[String]) -> Result<Owns, String> {
        let mut prefixes = Vec::new();
        for p in patterns {
            check_pattern(p)?;
            if !p.starts_with('!') && !p.starts_with('#') {
                prefixes.push(literal_prefix(p).to_string());
            }
        }
        let plains: Vec<Option<Plain>> = patterns.iter().map(|p| plain(p)).collect();
        if plains.iter().all(Option::is_some) {
            return Ok(Owns {
                matcher: None,
                plain: plains.into_iter().flatten().collect(),
                prefixes,
                empty: patterns.is_empty(),
            });
        }
        let mut builder = GitignoreBuilder::new("");
        for p in patterns {
            builder
                .add_line(None, p)
                .map_err(|e| format!("invalid glob '{p}': {}", first_line(&e.to_string())))?;
        }
        let matcher = builder
            .build()
            .map_err(|e| format!("invalid globs: {}", first_line(&e.to_string())))?;
        Ok(Owns {
            matcher: Some(matcher),
            plain: Vec::new(),
            prefixes,
            empty: patterns.is_empty(),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.empty
    }

    /// Whether the file (or, with `is_dir`, the directory) is owned. A path
    /// is owned when it or a parent directory matches, last match winning;
    /// unlike .gitignore, `!` can take back a file below an owned directory,
    /// because owns names files, not a directory walk.
    pub fn matches(&self, path: &str, is_dir: bool) -> bool {
        if self.empty || path.is_empty() || path.starts_with('/') {
            return false;
        }
        let Some(matcher) = &self.matcher else {
            return self.plain.iter().any(|p| match p {
                Plain::Below(dir) => path.starts_with(dir.as_str()),
                Plain::Path(lit) => {
                    path == lit
                        || path
                            .strip_prefix(lit.as_str())
                            .is_some_and(|rest| rest.starts_with('/'))
                }
            });
        };
        matches!(
            matcher.matched_path_or_any_parents(path, is_dir),
            Match::Ignore(_)
        )
    }

    /// The literal directory prefixes the positive patterns are confined
    /// to ("" for a pattern that can match anywhere).
    pub fn prefixes(&self) -> &[String] {
        &self.prefixes
    }

    /// Whether anything below directory `dir` ("a/b/", with the slash) can be owned.
    pub fn could_match_under(&self, dir: &str) -> bool {
        self.prefixes
            .iter()
            .any(|p| p.starts_with(dir) || dir.starts_with(p.as_str()))
    }
}

/// Whether `patterns` can own `path` at all, judged from their literal
/// directory prefixes without building a matcher: hooks use it to skip the
/// steps a commit's paths cannot concern. `true` means "maybe".
pub fn may_own<S: AsRef<str>>(patterns: impl IntoIterator<Item = S>, path: &str) -> bool {
    patterns.into_iter().any(|p| {
        let p = p.as_ref();
        !p.starts_with('!') && !p.starts_with('#') && path.starts_with(literal_prefix(p))
    })
}

fn check_pattern(p: &str) -> Result<(), String> {
    if p.trim().is_empty() {
        return Err("invalid glob '': an empty pattern owns nothing".into());
    }
    if p.contains('\n') || p.contains('\0') {
        return Err(format!(
            "invalid glob {p:?}: one pattern per --owns, no newlines"
        ));
    }
    if p.starts_with('#') {
        return Err(format!(
            "invalid glob '{p}': '#' starts a comment in gitignore syntax; write '\\#' for a literal '#'"
        ));
    }
    let body = p.strip_prefix('!').unwrap_or(p);
    if body.starts_with("../") || body == ".." || body.contains("/../") {
        return Err(format!(
            "invalid glob '{p}': patterns are relative to the repository root; '..' cannot leave it"
        ));
    }
    // The matcher accepts unbalanced brackets silently; git does not match them.
    let mut depth = 0i32;
    let mut escaped = false;
    for c in body.chars() {
        match c {
            '\\' if !escaped => {
                escaped = true;
                continue;
            }
            '[' if !escaped => depth += 1,
            ']' if !escaped && depth > 0 => depth -= 1,
            _ => {}
        }
        escaped = false;
    }
    if depth != 0 {
        return Err(format!(
            "invalid glob '{p}': unclosed '[' (write '\\[' for a literal bracket)"
        ));
    }
    Ok(())
}

fn literal_prefix(pattern: &str) -> &str {
    let p = pattern.trim_end();
    let anchored = p.trim_end_matches('/').contains('/');
    if !anchored {
        return "";
    }
    let p = p.trim_start_matches('/');
    let literal_end = p.find(['*', '?', '[', '\\']).unwrap_or(p.len());
    let literal = &p[..literal_end];
    match literal.rfind('/') {
        Some(i) => &literal[..=i],
        None => "",
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owns(p: &[&str]) -> Owns {
        Owns::new(&p.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn star_does_not_cross_slash_but_double_star_does() {
        let o = owns(&["src/*.rs"]);
        assert!(o.matches("src/lib.rs", false));
        assert!(!o.matches("src/storage/spaces.rs", false));
        let o = owns(&["src/**/*.rs"]);
        assert!(o.matches("src/storage/spaces.rs", false));
        assert!(o.matches("src/lib.rs", false));
        let o = owns(&["src/storage/**"]);
        assert!(o.matches("src/storage/a/b/c.txt", false));
        assert!(!o.matches("src/storagex/a.rs", false));
    }

    #[test]
    fn pattern_without_slash_matches_at_any_depth() {
        let o = owns(&["*.sql"]);
        assert!(o.matches("schema.sql", false));
        assert!(o.matches("db/migrations/001.sql", false));
        let o = owns(&["/schema.sql"]);
        assert!(o.matches("schema.sql", false));
        assert!(!o.matches("db/schema.sql", false));
        let o = owns(&["docs/api.md"]);
        assert!(o.matches("docs/api.md", false));
        assert!(!o.matches("x/docs/api.md", false));
    }

    #[test]
    fn trailing_slash_means_directory() {
        let o = owns(&["build/"]);
        assert!(o.matches("build/out.o", false));
        assert!(o.matches("a/build/out.o", false));
        assert!(
            !o.matches("build", false),
            "a file named build is not a directory"
        );
    }

    #[test]
    fn negation_and_last_match_wins() {
        let o = owns(&["src/storage/**", "!src/storage/generated.rs"]);
        assert!(o.matches("src/storage/spaces.rs", false));
        assert!(!o.matches("src/storage/generated.rs", false));
        let o = owns(&["!src/storage/generated.rs", "src/storage/**"]);
        assert!(
            o.matches("src/storage/generated.rs", false),
            "a later match wins"
        );
        let o = owns(&["src/", "!src/vendor/", "src/vendor/ours.rs"]);
        assert!(o.matches("src/main.rs", false));
        assert!(!o.matches("src/vendor/theirs.rs", false));
        assert!(o.matches("src/vendor/ours.rs", false));
    }

    /// Plain patterns are matched without a compiled matcher: the answers
    /// must be the gitignore matcher's.
    #[test]
    fn plain_patterns_match_as_the_gitignore_matcher_does() {
        let paths = [
            "src/storage/a.rs",
            "src/storage/x/y.rs",
            "src/storage",
            "src/storagex/a.rs",
            "docs/api.md",
            "docs/api.md/inner.txt",
            "x/docs/api.md",
            "docs/api.mdx",
        ];
        for pats in [
            vec!["src/storage/**"],
            vec!["/src/storage/**"],
            vec!["docs/api.md"],
            vec!["/docs/api.md", "src/storage/**"],
        ] {
            let pats: Vec<String> = pats.iter().map(|s| s.to_string()).collect();
            let fast = Owns::new(&pats).unwrap();
            assert!(fast.matcher.is_none(), "{pats:?} is plain");
            let mut builder = GitignoreBuilder::new("");
            for p in &pats {
                builder.add_line(None, p).unwrap();
            }
            let slow = builder.build().unwrap();
            for path in paths {
                let want = matches!(
                    slow.matched_path_or_any_parents(path, false),
                    Match::Ignore(_)
                );
                assert_eq!(fast.matches(path, false), want, "{pats:?} on {path}");
            }
        }
        for not_plain in ["*.rs", "build/", "src/*/x.rs", "!src/a.rs", "docs"] {
            let o = Owns::new(&[not_plain.to_string()]).unwrap();
            assert!(o.matcher.is_some(), "{not_plain}");
        }
    }

    #[test]
    fn rejects_invalid_globs() {
        for bad in ["", "src/[abc", "../up", "#comment"] {
            assert!(Owns::new(&[bad.to_string()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn prefixes_prune_unrelated_directories() {
        let o = owns(&["src/storage/**"]);
        assert!(o.could_match_under("src/"));
        assert!(o.could_match_under("src/storage/x/"));
        assert!(!o.could_match_under("docs/"));
        assert!(owns(&["*.rs"]).could_match_under("anything/"));
        let globs = [
            "src/storage/**".to_string(),
            "!src/storage/gen.rs".to_string(),
        ];
        assert!(may_own(&globs, "src/storage/a.rs"));
        assert!(!may_own(&globs, "docs/a.md"));
        assert!(may_own(&["*.sql".to_string()], "db/x.sql"));
    }
}
