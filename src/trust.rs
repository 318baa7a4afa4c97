//! Which check commands this clone lets `verify` run (SPEC 8).
//!
//! Check commands travel with the ledger, so a fetched ledger could carry a
//! command written by anyone who can push notes. `verify` runs a command only
//! when the SHA-256 of its exact text is listed in this clone's trust file,
//! `<common git dir>/git-ledger/trusted-checks`. The file lives next to the
//! repository, never in the ledger, so trust does not travel. Changing one
//! byte of a command changes its hash: the new text is untrusted again.
//!
//! One line per command: `<sha256 hex> <command as a JSON string>`. Only the
//! hash is read; the text is there for a person reading the file.

use anyhow::{Context, Result};
use git2::Repository;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;

pub fn path(repo: &Repository) -> PathBuf {
    crate::git::repo::common_dir(repo)
        .join("git-ledger")
        .join("trusted-checks")
}

/// The key a command is trusted under: SHA-256 of its exact text, hex.
pub fn command_hash(cmd: &str) -> String {
    crate::hex::encode(&Sha256::digest(cmd.as_bytes()))
}

/// A command (or a step id) as it is shown to the person deciding whether
/// to trust it: on one line, with control characters, escape sequences and
/// direction overrides written out as escapes, so that a carriage return,
/// a cursor movement or a right-to-left override cannot make a harmful
/// command look like a harmless one.
pub fn shown(cmd: &str) -> String {
    crate::sanitize::one_line(cmd).into_owned()
}

/// The set of trusted command hashes.
pub struct Trust {
    hashes: HashSet<String>,
}

impl Trust {
    /// Reads the trust file; a missing file trusts nothing.
    pub fn load(repo: &Repository) -> Result<Trust> {
        let p = path(repo);
        let text = match std::fs::read_to_string(&p) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", p.display())),
        };
        let hashes = text
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(str::to_ascii_lowercase)
            .collect();
        Ok(Trust { hashes })
    }

    pub fn trusts(&self, cmd: &str) -> bool {
        self.hashes.contains(&command_hash(cmd))
    }
}

/// Adds `cmds` to the trust file; returns the ones that were not trusted yet.
pub fn allow(repo: &Repository, cmds: &[String]) -> Result<Vec<String>> {
    let trust = Trust::load(repo)?;
    let mut seen = HashSet::new();
    let new: Vec<String> = cmds
        .iter()
        .filter(|c| !trust.trusts(c) && seen.insert(c.as_str()))
        .cloned()
        .collect();
    if new.is_empty() {
        return Ok(new);
    }
    let p = path(repo);
    if let Some(dir) = p.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut text = String::new();
    // The text is only for a person reading the file, and the file sits
    // next to the caches: no secret in it either.
    let red = crate::redact::Redactor::for_repo(repo)?;
    for c in &new {
        let shown = serde_json::to_string(&red.apply(c)).unwrap_or_default();
        text.push_str(&format!("{} {shown}\n", command_hash(c)));
    }
    // One append-mode write per call: concurrent writers interleave whole lines.
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&p)
        .with_context(|| format!("cannot write {}", p.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", p.display()))?;
    Ok(new)
}

/// Trusts commands typed in this clone (`add`/`edit --check`). The step is
/// already written, so a failure here only warns: `git ledger trust` can
/// still allow the commands later.
pub fn allow_typed_here(repo: &Repository, cmds: &[String]) {
    if cmds.is_empty() {
        return;
    }
    if let Err(e) = allow(repo, cmds) {
        crate::output::warn(&format!(
            "could not record the check commands as trusted in this clone ({e:#}); git ledger trust allows them"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_escapes_control_characters() {
        assert_eq!(shown("rm -rf x\r\x1b[2Kmake"), "rm -rf x\\r\\u{1b}[2Kmake");
        assert_eq!(shown("touch \u{202e}txt.sh"), "touch \\u{202e}txt.sh");
        assert_eq!(shown("a\nb"), "a\\nb");
        assert_eq!(shown("make test"), "make test");
    }

    #[test]
    fn hash_is_sha256_of_exact_text() {
        assert_eq!(
            command_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(command_hash("make test"), command_hash("make test "));
    }
}
