//! `prepare-commit-msg`: with a current step (`git ledger start S04`), adds
//! `Ledger-Step: S04` to the message unless it already names S04. The
//! trailer is added by `git interpret-trailers`, so it lands where git's
//! own rules put trailers (before the comment block of the editor text).

use super::Verdict;
use super::commit_msg::comment_char;
use crate::git::repo;
use crate::git::trailers::{self, Effect};
use crate::{output, store};
use anyhow::Result;
use std::ffi::OsString;
use std::process::{Command, Stdio};

pub fn run(args: &[OsString]) -> Result<Verdict> {
    let Some(file) = args.first() else {
        return Ok(Verdict::Pass);
    };
    // A merge commit is not work on a step.
    if args.get(1).is_some_and(|s| s == "merge") {
        return Ok(Verdict::Pass);
    }
    let repo = repo::open(None)?;
    let Some(current) = super::flags::current(&repo) else {
        return Ok(Verdict::Pass);
    };
    let raw = std::fs::read(file)?;
    let message = trailers::cleaned(&String::from_utf8_lossy(&raw), comment_char(&repo));
    let named = trailers::parse(&message)
        .declarations
        .iter()
        .any(|d| d.step == current && d.effect == Effect::Work);
    if named {
        return Ok(Verdict::Pass);
    }
    let state = store::load(&repo)?.state;
    if !state
        .step(&current)
        .is_some_and(|s| s.defined.is_some() && !s.retired)
    {
        output::warn(&format!(
            "ledger.current is {current}, which is not an active step: no Ledger-Step added (git ledger stop clears it)"
        ));
        return Ok(Verdict::Pass);
    }
    let status = Command::new("git")
        .args([
            "interpret-trailers",
            "--in-place",
            "--if-exists",
            "addIfDifferent",
            "--trailer",
        ])
        .arg(format!("Ledger-Step: {current}"))
        .arg(file)
        .stdin(Stdio::null())
        .status()?;
    if !status.success() {
        output::warn("could not add the Ledger-Step trailer (git interpret-trailers failed)");
    }
    Ok(Verdict::Pass)
}
