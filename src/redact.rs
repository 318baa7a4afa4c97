//! Nothing secret is written to the ledger (SPEC 8): every text stored
//! (messages, output tails) passes through `Redactor::apply` first.

use git2::Repository;
use regex::Regex;

pub const MASK: &str = "[REDACTED]";

const SECRET_NAME_PARTS: &[&str] = &["KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL"];

/// Values too common to be secrets; masking them would wreck every message.
const NOT_SECRETS: &[&str] = &["true", "false", "yes", "no", "none", "null", "on", "off"];

const SHAPES: &[&str] = &[
    // PEM private keys, also when only the end survived a truncation.
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|\z)",
    r"\A[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----",
    r"\b(AKIA|ASIA)[0-9A-Z]{16}\b",
    r"\bgh[pousr]_[A-Za-z0-9]{20,}\b",
    r"\bgithub_pat_[A-Za-z0-9_]{20,}\b",
    r"\bsk-[A-Za-z0-9_-]{16,}",
    r"\bxox[abposr]-[A-Za-z0-9-]{8,}",
    r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}",
];

/// `NAME=value` / `NAME: value` where NAME is an upper-case variable name
/// that says it holds a secret (as `env`, `printenv` or `set -x` print
/// them): the value is masked, the name kept. This catches secrets the
/// check's own environment held but git-ledger's did not.
const ASSIGNMENT: &str = r"\b([A-Z][A-Z0-9_]*(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL)[A-Z0-9_]*\s*[=:]\s*)([^\s\x22\x27]{4,}|\x22[^\x22\n]{4,}\x22|\x27[^\x27\n]{4,}\x27)";

pub struct Redactor {
    literals: Vec<String>,
    patterns: Vec<Regex>,
    assignment: Option<Regex>,
}

impl Redactor {
    /// Secrets from the environment, the repository's `.env`, the
    /// well-known shapes and `ledger.redact`.
    pub fn for_repo(repo: &Repository) -> Redactor {
        let mut literals: Vec<String> = std::env::vars()
            .filter(|(name, _)| {
                let upper = name.to_uppercase();
                SECRET_NAME_PARTS.iter().any(|p| upper.contains(p))
            })
            .map(|(_, v)| v)
            .collect();
        if let Some(root) = repo.workdir()
            && let Ok(text) = std::fs::read_to_string(root.join(".env"))
        {
            literals.extend(dotenv_values(&text));
        }
        let mut patterns: Vec<Regex> = SHAPES.iter().filter_map(|p| Regex::new(p).ok()).collect();
        let extra = crate::git::repo::config_values(repo, "ledger.redact").unwrap_or_default();
        patterns.extend(extra.iter().filter_map(|p| Regex::new(p).ok()));
        Redactor::new(literals, patterns)
    }

    pub fn new(literals: Vec<String>, patterns: Vec<Regex>) -> Redactor {
        let mut literals: Vec<String> = literals
            .into_iter()
            .map(|v| v.trim().to_string())
            .filter(|v| v.chars().count() >= 4 && !NOT_SECRETS.contains(&v.to_lowercase().as_str()))
            .collect();
        // Longest first, so a secret containing another is masked whole.
        literals.sort_by_key(|v| std::cmp::Reverse(v.len()));
        literals.dedup();
        Redactor {
            literals,
            patterns,
            assignment: Regex::new(ASSIGNMENT).ok(),
        }
    }

    pub fn apply(&self, text: &str) -> String {
        let mut out = text.to_string();
        for lit in &self.literals {
            if out.contains(lit.as_str()) {
                out = out.replace(lit.as_str(), MASK);
            }
        }
        for re in &self.patterns {
            if re.is_match(&out) {
                out = re.replace_all(&out, MASK).into_owned();
            }
        }
        if let Some(re) = &self.assignment
            && re.is_match(&out)
        {
            out = re
                .replace_all(&out, |c: &regex::Captures<'_>| format!("{}{MASK}", &c[1]))
                .into_owned();
        }
        out
    }
}

/// Values of `NAME=value` lines, quotes and `export` removed.
fn dotenv_values(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            if line.starts_with('#') {
                return None;
            }
            let line = line.strip_prefix("export ").unwrap_or(line);
            let (_, value) = line.split_once('=')?;
            let v = value.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|x| x.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')))
                .unwrap_or(v);
            Some(v.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(lits: &[&str]) -> Redactor {
        Redactor::new(
            lits.iter().map(|s| s.to_string()).collect(),
            SHAPES.iter().map(|p| Regex::new(p).unwrap()).collect(),
        )
    }

    #[test]
    fn masks_literals_and_shapes() {
        let red = r(&["hunter2-secret", "true"]);
        let out = red.apply("pw=hunter2-secret ok=true key AKIAABCDEFGHIJKLMNOP tok ghp_abcdefghijklmnopqrstuvwxyz0123456789");
        assert!(
            !out.contains("hunter2-secret") && !out.contains("AKIAABCD") && !out.contains("ghp_")
        );
        assert!(out.contains("ok=true"), "{out}");
        let pem = "a\n-----BEGIN RSA PRIVATE KEY-----\nMIIE\nabc\n-----END RSA PRIVATE KEY-----\nb";
        assert_eq!(red.apply(pem), "a\n[REDACTED]\nb");
        assert_eq!(
            red.apply("Authorization: Bearer abc.def.ghi123"),
            "Authorization: [REDACTED]"
        );
        assert_eq!(
            red.apply("tail of key\nxyz\n-----END PRIVATE KEY-----\nrest"),
            "[REDACTED]\nrest"
        );
    }

    #[test]
    fn masks_values_of_secret_named_variables() {
        let red = r(&[]);
        assert_eq!(
            red.apply("API_TOKEN=tok-123456 DB_PASSWORD: \"two words\" ok"),
            "API_TOKEN=[REDACTED] DB_PASSWORD: [REDACTED] ok"
        );
        // Short or ordinary values and lower-case words stay.
        assert_eq!(
            red.apply("MAX_KEY=1 max_tokens=4096"),
            "MAX_KEY=1 max_tokens=4096"
        );
        assert_eq!(red.apply("PATH=/usr/bin"), "PATH=/usr/bin");
    }

    #[test]
    fn reads_dotenv() {
        let v = dotenv_values("# c\nexport A=\"one two\"\nB='x'\nC=plain\nbad line");
        assert_eq!(v, ["one two", "x", "plain"]);
    }
}
