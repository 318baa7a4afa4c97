//! `git ledger import FILE`: an existing markdown ledger becomes events
//! (`source: import`) bound to HEAD. Ids derive from the file's content, so
//! a second import of the same file adds nothing.

use super::Ctx;
use crate::error::{Outcome, user, user_hint};
use crate::git::fingerprint::{fingerprint, owned_files};
use crate::git::owns::Owns;
use crate::git::repo::{head_commit, identity};
use crate::ledger::{Kind, Status, time};
use crate::markdown::events::{self, Planned};
use crate::markdown::parse::{Options, Parsed, parse};
use crate::markdown::report;
use crate::output;
use crate::redact::Redactor;
use crate::store::{self, Draft};
use anyhow::Result;
use clap::Args;
use git2::Repository;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct ImportArgs {
    /// The markdown ledger: IMPLEMENTATION_LEDGER.md, TASKS.md, PROGRESS.md, …
    pub file: PathBuf,
    /// Report what would be imported; write nothing (works outside a repository too)
    #[arg(long)]
    pub dry_run: bool,
    /// What checked items, done, complete and ✅ become (default: completed_pending_verification)
    #[arg(long, value_name = "status")]
    pub checked_as: Option<String>,
}

pub fn run(ctx: &Ctx, a: ImportArgs) -> Result<Outcome> {
    let checked_as = match &a.checked_as {
        None => Status::CompletedPendingVerification,
        Some(w) => Status::parse(w).ok_or_else(|| {
            user_hint(
                format!("--checked-as: '{w}' is not a status"),
                Status::help_list(),
            )
        })?,
    };
    let text = read_ledger(&a.file)?;
    let parsed = parse(&text, &Options { checked_as });
    let shown = a.file.display().to_string();
    let checks = imported_checks(&parsed);

    // A dry run is a preview: it works outside a repository, or in one
    // without a commit yet.
    let repo = match ctx.repo() {
        Ok(r) if a.dry_run && head_commit(&r).is_err() => None,
        Ok(r) => Some(r),
        Err(_) if a.dry_run => None,
        Err(e) => return Err(e),
    };
    let Some(repo) = repo else {
        let planned = plan(&parsed, "-".into(), &|s| s.to_string());
        let out = report::Outcome {
            dry_run: true,
            planned: planned.len(),
            already_present: 0,
            written: 0,
            commit: None,
        };
        emit(ctx, &shown, &parsed, &out, &checks);
        return Ok(Outcome::Ok);
    };
    let head = head_commit(&repo)?;
    let by = match identity(&repo) {
        Err(_) if a.dry_run => "-".to_string(),
        other => other?,
    };
    let red = Redactor::for_repo(&repo)?;
    let mut planned = plan(&parsed, by, &|s| red.apply(s));
    let loaded = ctx.load(&repo)?;
    add_fingerprints(&repo, &head.tree()?, &loaded.state, &parsed, &mut planned)?;
    let present = existing_ids(&repo)?;
    let already = planned.iter().filter(|p| present.contains(&p.id)).count();

    let mut written = 0;
    if !a.dry_run && already < planned.len() {
        let head_id = head.id();
        let fresh = store::append(
            &repo,
            &format!("git-ledger: import {}", file_name(&a.file)),
            |_| {
                // Re-read on each attempt: ids present anywhere are skipped,
                // whichever commit holds them.
                let present = existing_ids(&repo)?;
                Ok(planned
                    .iter()
                    .filter(|p| !present.contains(&p.id))
                    .map(|p| Draft::with_fixed_id(head_id, p.event.clone(), p.id.clone()))
                    .collect())
            },
        )?;
        written = fresh.len();
        // Trust (SPEC 8): the person importing the file vouches for its
        // check commands in this clone, as for commands typed with --check.
        let cmds: Vec<String> = checks.iter().map(|(_, c)| c.clone()).collect();
        crate::trust::allow_typed_here(&repo, &cmds);
    }
    let out = report::Outcome {
        dry_run: a.dry_run,
        planned: planned.len(),
        already_present: already,
        written,
        commit: Some(head.id().to_string()),
    };
    emit(ctx, &shown, &parsed, &out, &checks);
    Ok(Outcome::Ok)
}

fn emit(
    ctx: &Ctx,
    file: &str,
    parsed: &Parsed,
    out: &report::Outcome,
    checks: &[(String, String)],
) {
    if ctx.json {
        output::emit(&output::json(&report::to_json(file, parsed, out, checks)));
    } else {
        output::emit(&report::to_text(file, parsed, out, checks));
    }
}

fn plan(parsed: &Parsed, by: String, redact: &dyn Fn(&str) -> String) -> Vec<Planned> {
    events::plan(
        parsed,
        &events::Context {
            by,
            now: time::now_rfc3339(),
            redact,
        },
    )
}

/// (step, command) for every check the file gives a step: what the import
/// reports as `checks_imported`, and what is to be trusted in this clone.
fn imported_checks(parsed: &Parsed) -> Vec<(String, String)> {
    parsed
        .steps
        .iter()
        .flat_map(|s| s.checks.iter().map(|c| (s.id.clone(), c.clone())))
        .collect()
}

fn existing_ids(repo: &Repository) -> Result<HashSet<String>> {
    let (events, _) = store::read_all(repo)?;
    Ok(events.into_iter().map(|l| l.event.id).collect())
}

/// An imported `verified` records the fingerprint of the step's owned files
/// at HEAD, as `mark verified` does: drift is measured from the import on.
fn add_fingerprints(
    repo: &Repository,
    tree: &git2::Tree<'_>,
    state: &crate::ledger::LedgerState,
    parsed: &Parsed,
    planned: &mut [Planned],
) -> Result<()> {
    for s in &parsed.steps {
        let owns = if s.owns.is_empty() {
            state
                .step(&s.id)
                .map(|st| st.def.owns.clone())
                .unwrap_or_default()
        } else {
            s.owns.clone()
        };
        if owns.is_empty() {
            continue;
        }
        let Ok(matcher) = Owns::new(&owns) else {
            continue;
        };
        let mut fp: Option<String> = None;
        for p in planned.iter_mut().filter(|p| {
            p.event.step == s.id
                && p.event.kind == Kind::Status
                && p.event.str_field("status") == Some(Status::Verified.as_str())
        }) {
            if fp.is_none() {
                fp = Some(fingerprint(&owned_files(repo, tree, &matcher)?));
            }
            p.event.set("fingerprint", fp.clone().unwrap_or_default());
            p.event.set("tree", tree.id().to_string());
        }
    }
    Ok(())
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// The file as UTF-8 text, or an error that says what is wrong with it.
fn read_ledger(path: &Path) -> Result<String> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => user_hint(
            format!("cannot read '{shown}': no such file"),
            "give the path of a markdown ledger, e.g. git ledger import docs/IMPLEMENTATION_LEDGER.md",
        ),
        std::io::ErrorKind::IsADirectory => user_hint(
            format!("cannot read '{shown}': it is a directory"),
            "give a markdown file, e.g. git ledger import TASKS.md",
        ),
        std::io::ErrorKind::PermissionDenied => user_hint(
            format!("cannot read '{shown}': permission denied"),
            "check the file's permissions (ls -l)",
        ),
        _ => user(format!("cannot read '{shown}': {e}")),
    })?;
    if bytes.contains(&0) {
        return Err(user_hint(
            format!("'{shown}' looks like a binary file, not markdown"),
            "give the markdown ledger itself (a text file)",
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        user_hint(
            format!(
                "'{shown}' is not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
            format!("convert it first, e.g. iconv -f LATIN1 -t UTF-8 '{shown}' > ledger.md"),
        )
    })
}
