//! Settings given with `git -c key=value ledger …`.
//!
//! git passes them to the programs it runs in the environment:
//! `GIT_CONFIG_COUNT` with `GIT_CONFIG_KEY_<n>`/`GIT_CONFIG_VALUE_<n>`, and
//! `GIT_CONFIG_PARAMETERS`, a list of shell-single-quoted words in either
//! of git's two forms, `'key=value'` (old) and `'key'='value'` (git 2.31
//! and later). libgit2 reads neither, so they are parsed here with git's
//! rules (`config.c`, `quote.c`) and added to the repository's
//! configuration as its highest level: they win over every file, as in git.

use crate::error::user_hint;
use anyhow::Result;
use git2::{ConfigLevel, Repository};
use std::io::Write;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

/// One `-c` setting; `value: None` is `-c key` alone (boolean true).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub key: String,
    pub value: Option<Vec<u8>>,
}

/// The settings in this process's environment, in the order git applies
/// them (GIT_CONFIG_COUNT's, then GIT_CONFIG_PARAMETERS'); later wins.
pub fn from_env() -> Result<Vec<Param>> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    let mut out = Vec::new();
    if let Some(count) = var("GIT_CONFIG_COUNT") {
        let n: usize = count
            .to_str()
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| bad("GIT_CONFIG_COUNT", "is not a number"))?;
        for i in 0..n {
            let key = var(&format!("GIT_CONFIG_KEY_{i}")).ok_or_else(|| {
                bad(
                    "GIT_CONFIG_COUNT",
                    &format!("says {n} but GIT_CONFIG_KEY_{i} is missing"),
                )
            })?;
            let value = std::env::var_os(format!("GIT_CONFIG_VALUE_{i}")).ok_or_else(|| {
                bad(
                    "GIT_CONFIG_COUNT",
                    &format!("says {n} but GIT_CONFIG_VALUE_{i} is missing"),
                )
            })?;
            out.push(Param {
                key: key.to_string_lossy().into_owned(),
                value: Some(value.into_vec()),
            });
        }
    }
    if let Some(params) = var("GIT_CONFIG_PARAMETERS") {
        out.extend(parse(params.as_bytes()).map_err(|why| bad("GIT_CONFIG_PARAMETERS", &why))?);
    }
    Ok(out)
}

fn bad(var: &str, why: &str) -> anyhow::Error {
    user_hint(
        format!("{var} {why}"),
        "it is how git passes `git -c key=value` settings; unset it, or run the command through git",
    )
}

/// Parses GIT_CONFIG_PARAMETERS as git does (`parse_config_env_list`).
pub fn parse(s: &[u8]) -> Result<Vec<Param>, String> {
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        rest = trim_start(rest);
        if rest.is_empty() {
            return Ok(out);
        }
        let (key, after) = dequote(rest).ok_or("is not a list of quoted settings")?;
        rest = after;
        let param = if rest.first() == Some(&b'=') {
            // 'key'='value', or 'key'= alone (boolean true)
            rest = &rest[1..];
            let value = if rest.first() == Some(&b'\'') {
                let (v, after) = dequote(rest).ok_or("has an unterminated quote")?;
                rest = after;
                Some(v)
            } else {
                None
            };
            if rest.first().is_some_and(|c| !c.is_ascii_whitespace()) {
                return Err("has text after a quoted value".into());
            }
            Param {
                key: String::from_utf8_lossy(&key).into_owned(),
                value,
            }
        } else if rest.first().is_none_or(|c| c.is_ascii_whitespace()) {
            // 'key=value' (or 'key' alone)
            match key.iter().position(|&b| b == b'=') {
                Some(eq) => Param {
                    key: String::from_utf8_lossy(&key[..eq]).into_owned(),
                    value: Some(key[eq + 1..].to_vec()),
                },
                None => Param {
                    key: String::from_utf8_lossy(&key).into_owned(),
                    value: None,
                },
            }
        } else {
            return Err("has text after a quoted key".into());
        };
        out.push(param);
    }
}

fn trim_start(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &s[n..]
}

/// One shell-single-quoted word (`sq_dequote_step`): `'it'\''s'` is
/// `it's`; `\!` may also stand between two quoted parts. Returns the word
/// and what follows it.
fn dequote(s: &[u8]) -> Option<(Vec<u8>, &[u8])> {
    if s.first() != Some(&b'\'') {
        return None;
    }
    let mut out = Vec::new();
    let mut i = 1;
    loop {
        let c = *s.get(i)?;
        i += 1;
        if c != b'\'' {
            out.push(c);
            continue;
        }
        // Out of the quotes: a backslashed quote or ! and a new quoted part
        // continue the word; anything else ends it.
        match (s.get(i), s.get(i + 1), s.get(i + 2)) {
            (Some(b'\\'), Some(&q @ (b'\'' | b'!')), Some(b'\'')) => {
                out.push(q);
                i += 3;
            }
            _ => return Some((out, &s[i..])),
        }
    }
}

/// `section.sub.section.name` → (section, subsection, name), section and
/// name lower-cased as git does; None when git would refuse the key.
fn split_key(key: &str) -> Option<(String, Option<&str>, String)> {
    let (section, rest) = key.split_once('.')?;
    let (sub, name) = match rest.rsplit_once('.') {
        Some((sub, name)) => (Some(sub), name),
        None => (None, rest),
    };
    let ok_section = !section.is_empty()
        && section
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let ok_name = name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let ok_sub = sub.is_none_or(|s| !s.contains('\n') && !s.contains('\0'));
    (ok_section && ok_name && ok_sub)
        .then(|| (section.to_ascii_lowercase(), sub, name.to_ascii_lowercase()))
}

/// The settings as a git config file.
pub fn to_config_file(params: &[Param]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for p in params {
        let (section, sub, name) =
            split_key(&p.key).ok_or_else(|| format!("'{}' is not a valid config key", p.key))?;
        out.push(b'[');
        out.extend_from_slice(section.as_bytes());
        if let Some(sub) = sub {
            out.extend_from_slice(b" \"");
            for b in sub.bytes() {
                if b == b'"' || b == b'\\' {
                    out.push(b'\\');
                }
                out.push(b);
            }
            out.push(b'"');
        }
        out.extend_from_slice(b"]\n\t");
        out.extend_from_slice(name.as_bytes());
        if let Some(v) = &p.value {
            out.extend_from_slice(b" = \"");
            for &b in v {
                match b {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'"' => out.extend_from_slice(b"\\\""),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    0 => return Err(format!("the value of '{}' holds a NUL byte", p.key)),
                    b => out.push(b),
                }
            }
            out.push(b'"');
        }
        out.push(b'\n');
    }
    Ok(out)
}

/// Adds this process's `git -c` settings to `repo`'s configuration as
/// its highest level (nothing to do without any).
pub fn apply(repo: &Repository) -> Result<()> {
    let params = from_env()?;
    if params.is_empty() {
        return Ok(());
    }
    let text = to_config_file(&params).map_err(|why| bad("GIT_CONFIG_PARAMETERS", &why))?;
    // libgit2 reads a config level from a file. The file is read when it
    // is added and may go right after: a file that is gone reads as
    // unchanged, so the settings stay for the life of the repository.
    let mut file = tempfile::Builder::new()
        .prefix("git-ledger-config-")
        .tempfile()?;
    file.write_all(&text)?;
    file.flush()?;
    let mut cfg = repo.config()?;
    cfg.add_file(file.path(), ConfigLevel::App, true)
        .map_err(|e| {
            bad(
                "GIT_CONFIG_PARAMETERS",
                &format!("cannot be read: {}", e.message()),
            )
        })?;
    drop(file);
    Ok(())
}

/// The value `git -c` gave `key` for this command, if it gave one (the
/// level `apply` added).
pub fn value(repo: &Repository, key: &str) -> Option<String> {
    repo.config()
        .ok()?
        .open_level(ConfigLevel::App)
        .ok()?
        .get_string(key)
        .ok()
}

/// Whether any `git -c` setting is in the environment.
pub fn present() -> bool {
    ["GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT"]
        .iter()
        .any(|k| std::env::var_os(k).is_some_and(|v| !v.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(key: &str, value: Option<&str>) -> Param {
        Param {
            key: key.into(),
            value: value.map(|v| v.as_bytes().to_vec()),
        }
    }

    #[test]
    fn reads_both_of_git_s_forms_and_its_quoting() {
        assert_eq!(
            parse(b"'user.name'='A B' 'ledger.strict'='true' 'core.x' 'q.k'='it'\\''s'").unwrap(),
            [
                p("user.name", Some("A B")),
                p("ledger.strict", Some("true")),
                p("core.x", None),
                p("q.k", Some("it's")),
            ]
        );
        // git before 2.31: the whole setting in one quoted word.
        assert_eq!(
            parse(b"'ledger.requireevidence=true' 'ledger.redact=a=b' 'x.flag'").unwrap(),
            [
                p("ledger.requireevidence", Some("true")),
                p("ledger.redact", Some("a=b")),
                p("x.flag", None),
            ]
        );
        assert_eq!(parse(b"'a.b'=").unwrap(), [p("a.b", None)]);
        assert_eq!(parse(b"'a.b'=''").unwrap(), [p("a.b", Some(""))]);
        assert_eq!(parse(b"  ").unwrap(), []);
        for bogus in [&b"a.b=c"[..], b"'a.b", b"'a.b'x", b"'a.b'='c'd"] {
            assert!(parse(bogus).is_err(), "{bogus:?}");
        }
    }

    /// `'…'` as git's sq_quote writes it.
    fn sq(s: &str) -> String {
        format!("'{}'", s.replace('\'', "'\\''").replace('!', "'\\!'"))
    }

    proptest::proptest! {
        #![proptest_config(crate::proptest_config::seeded(2000))]

        #[test]
        fn any_environment_value_parses_or_is_refused(s in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            if let Ok(params) = parse(&s) {
                let _ = to_config_file(&params);
            }
        }

        #[test]
        fn settings_quoted_as_git_does_read_back(
            items in proptest::collection::vec(
                ("[a-z]{1,8}\\.[a-z][a-z0-9-]{0,8}", proptest::option::of(".{0,20}"), proptest::prelude::any::<bool>()),
                0..5,
            )
        ) {
            let text: Vec<String> = items
                .iter()
                .map(|(k, v, new_style)| match (v, new_style) {
                    (Some(v), true) => format!("{}={}", sq(k), sq(v)),
                    (Some(v), false) => sq(&format!("{k}={v}")),
                    (None, _) => sq(k),
                })
                .collect();
            let want: Vec<Param> = items.iter().map(|(k, v, _)| p(k, v.as_deref())).collect();
            proptest::prop_assert_eq!(parse(text.join(" ").as_bytes()).unwrap(), want);
        }
    }

    #[test]
    fn writes_a_config_file_git_and_libgit2_read_back() {
        let params = [
            p("Ledger.RequireEvidence", Some("true")),
            p("remote.my.origin.url", Some("a \"quoted\" \\ path\tx")),
            p("ledger.strict", None),
        ];
        let text = String::from_utf8(to_config_file(&params).unwrap()).unwrap();
        assert_eq!(
            text,
            "[ledger]\n\trequireevidence = \"true\"\n[remote \"my.origin\"]\n\turl = \"a \\\"quoted\\\" \\\\ path\\tx\"\n[ledger]\n\tstrict\n"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, &text).unwrap();
        let cfg = git2::Config::open(&path).unwrap();
        assert!(cfg.get_bool("ledger.requireEvidence").unwrap());
        assert!(cfg.get_bool("ledger.strict").unwrap());
        assert_eq!(
            cfg.get_string("remote.my.origin.url").unwrap(),
            "a \"quoted\" \\ path\tx"
        );
        assert!(to_config_file(&[p("nodot", Some("x"))]).is_err());
        assert!(to_config_file(&[p("a.1b", Some("x"))]).is_err());
    }
}
