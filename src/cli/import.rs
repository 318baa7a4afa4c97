//! `git ledger import FILE`: an existing markdown ledger becomes events
//! (`source: import`) bound to HEAD. Ids derive from the file's content, so
//! a second import of the same file adds nothing.

use super::Ctx;
use crate::error::{Outcome, user, user_hint};
use crate::git::fingerprint::{fingerprint, owned_files};
use crate::git::owns::Owns;
use crate::git::repo::{head_commit, identity};
use crate::ledger::{Kind, LedgerState, Status, step_id, time};
use crate::markdown::auto_ids::{self, Known};
use crate::markdown::events::{self, Planned};
use crate::markdown::model::{Options, Parsed};
use crate::markdown::read::parse_owned;
use crate::markdown::report::{self, Existing, Secret};
use crate::output;
use crate::redact::Redactor;
use crate::store::{self, Draft};
use anyhow::Result;
use clap::Args;
use git2::Repository;
use regex::Regex;
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
    /// `auto`: give items without an id one from their place in the document (2.1.3)
    #[arg(long, value_name = "how", value_parser = ["auto"])]
    pub ids: Option<String>,
    /// With --ids auto: put this before every automatic id (e.g. TODO- gives TODO-2.1)
    #[arg(long, value_name = "prefix", requires = "ids")]
    pub id_prefix: Option<String>,
    /// Let the file update steps the ledger already has (defined or retired)
    #[arg(long)]
    pub update: bool,
    /// Trust the imported check commands in this clone, so verify runs them
    #[arg(long)]
    pub trust_checks: bool,
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
    let id_prefix = a.id_prefix.clone().unwrap_or_default();
    if !id_prefix.is_empty() {
        step_id::validate(&format!("{id_prefix}1")).map_err(|_| {
            user_hint(
                format!("--id-prefix: '{id_prefix}' cannot start a step id"),
                "use a letter or digit, then letters, digits, '.', '_', '#' or '-' (e.g. --id-prefix TODO-)",
            )
        })?;
    }
    let opts = Options {
        checked_as,
        auto_ids: a.ids.is_some(),
        id_prefix,
    };
    let text = read_ledger(&a.file)?;
    let shown = a.file.display().to_string();
    // A panic anywhere in the import is caught by main's boundary (one
    // line, exit 3) before anything is written: reading comes first.
    #[cfg(debug_assertions)]
    if std::env::var_os("GIT_LEDGER_TEST_IMPORT_PANIC").is_some() {
        panic!("injected by GIT_LEDGER_TEST_IMPORT_PANIC while reading {shown}");
    }
    let mut parsed = parse_owned(text, &opts);

    // A dry run is a preview: it works outside a repository, or in one
    // without a commit yet.
    let repo = match ctx.repo() {
        Ok(r) if a.dry_run && head_commit(&r).is_err() => None,
        Ok(r) => Some(r),
        Err(_) if a.dry_run => None,
        Err(e) => return Err(e),
    };
    let Some(repo) = repo else {
        auto_ids::settle(&mut parsed, &[]);
        let planned = plan(&parsed, "-".into(), &|s| s.to_string());
        let out = report::Outcome {
            dry_run: true,
            planned: planned.len(),
            checks: imported_checks(&parsed),
            ..report::Outcome::default()
        };
        emit(ctx, &shown, &parsed, &out);
        return Ok(Outcome::Ok);
    };
    let head = head_commit(&repo)?;
    let by = match identity(&repo) {
        Err(_) if a.dry_run => "-".to_string(),
        other => other?,
    };
    let loaded = ctx.load(&repo)?;
    let state = &loaded.state;
    auto_ids::settle(&mut parsed, &known_steps(state));
    let red = Redactor::for_repo(&repo)?;
    let secrets = drop_secret_checks(&mut parsed, &red);
    let mut planned = plan(&parsed, by, &|s| red.apply(s));
    let present = existing_ids(&repo)?;
    let existing = existing_steps(state, &parsed, &planned, &present, a.update);
    let held: HashSet<&str> = existing
        .iter()
        .filter(|e| !e.updated)
        .map(|e| e.id.as_str())
        .collect();
    planned.retain(|p| !held.contains(p.event.step.as_str()));
    add_fingerprints(&repo, &head.tree()?, state, &parsed, &mut planned)?;
    let already = planned.iter().filter(|p| present.contains(&p.id)).count();
    let checks: Vec<(String, String)> = imported_checks(&parsed)
        .into_iter()
        .filter(|(s, _)| !held.contains(s.as_str()))
        .collect();

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
    }
    // Imported checks are untrusted (SPEC 8): the file may come from
    // anywhere. `--trust-checks` is the explicit way to vouch for them.
    let trusted = a.trust_checks && !a.dry_run && !checks.is_empty();
    if trusted {
        let cmds: Vec<String> = checks.iter().map(|(_, c)| c.clone()).collect();
        crate::trust::allow_typed_here(&repo, &cmds);
    }
    let out = report::Outcome {
        dry_run: a.dry_run,
        planned: planned.len(),
        already_present: already,
        written,
        commit: Some(head.id().to_string()),
        existing,
        checks,
        checks_trusted: trusted,
        secrets,
    };
    emit(ctx, &shown, &parsed, &out);
    Ok(Outcome::Ok)
}

fn emit(ctx: &Ctx, file: &str, parsed: &Parsed, out: &report::Outcome) {
    if ctx.json {
        // Streamed: the report of a big file lists every line it could not
        // place, and holding it whole would double the memory import needs.
        use std::io::Write;
        let mut w = std::io::BufWriter::new(std::io::stdout().lock());
        let res = serde_json::to_writer_pretty(&mut w, &report::to_json(file, parsed, out))
            .map_err(std::io::Error::from)
            .and_then(|_| w.write_all(b"\n"))
            .and_then(|_| w.flush());
        if res.is_err_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) {
            std::process::exit(0);
        }
    } else {
        output::emit(&report::to_text(file, parsed, out));
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

/// (step, command) for every check the file gives a step.
fn imported_checks(parsed: &Parsed) -> Vec<(String, String)> {
    parsed
        .steps
        .iter()
        .flat_map(|s| s.checks.iter().map(|c| (s.id.clone(), c.clone())))
        .collect()
}

fn known_steps(state: &LedgerState) -> Vec<Known> {
    state
        .steps
        .iter()
        .filter(|s| s.defined.is_some())
        .map(|s| Known {
            id: s.id.clone(),
            title: s.def.title.clone(),
            phase: s.def.phase.clone(),
        })
        .collect()
}

/// Steps of the file whose id the ledger already has. One whose imported
/// definition is already there came from this file before and is simply
/// updated by it; any other (a step defined by hand, a retired one) is
/// held back unless `--update` says to let the file update it.
fn existing_steps(
    state: &LedgerState,
    parsed: &Parsed,
    planned: &[Planned],
    present: &HashSet<String>,
    update: bool,
) -> Vec<Existing> {
    let mut out = Vec::new();
    for s in &parsed.steps {
        let Some(st) = state.step(&s.id).filter(|st| st.defined.is_some()) else {
            continue;
        };
        let ours = planned
            .iter()
            .find(|p| p.event.step == s.id && p.event.kind == Kind::Define)
            .is_some_and(|p| present.contains(&p.id));
        if ours && !st.retired {
            continue;
        }
        out.push(Existing {
            id: s.id.clone(),
            line: s.line,
            title: st.def.title.clone(),
            retired: st.retired,
            updated: update,
        });
    }
    out
}

/// Leaves out, and reports, check commands that hold a secret: a command
/// is secret-bearing when redaction would change it.
fn drop_secret_checks(parsed: &mut Parsed, red: &Redactor) -> Vec<Secret> {
    let mut out = Vec::new();
    for s in &mut parsed.steps {
        let mut kept = Vec::new();
        for cmd in std::mem::take(&mut s.checks) {
            if red.apply(&cmd) == cmd {
                kept.push(cmd);
            } else {
                out.push(Secret {
                    step: s.id.clone(),
                    line: s.line,
                    kind: secret_kind(&cmd),
                });
            }
        }
        s.checks = kept;
    }
    out
}

/// A name for the kind of secret in `cmd`, for the report; never the secret.
fn secret_kind(cmd: &str) -> String {
    let shapes: [(&str, &str); 6] = [
        (r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----", "a private key"),
        (r"\b(AKIA|ASIA)[0-9A-Z]{16}\b", "an AWS access key"),
        (
            r"\b(gh[pousr]_|github_pat_)[A-Za-z0-9_]{20,}",
            "a GitHub token",
        ),
        (r"\bsk-[A-Za-z0-9_-]{16,}", "an API key (sk-…)"),
        (r"\bxox[abposr]-[A-Za-z0-9-]{8,}", "a Slack token"),
        (r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}", "a bearer token"),
    ];
    for (re, kind) in shapes {
        if Regex::new(re).is_ok_and(|r| r.is_match(cmd)) {
            return kind.to_string();
        }
    }
    let assignment = Regex::new(
        r"\b([A-Z][A-Z0-9_]*(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL)[A-Z0-9_]*)\s*[=:]",
    );
    if let Some(c) = assignment.ok().and_then(|r| r.captures(cmd)) {
        return format!("a value for {}", &c[1]);
    }
    "a secret value (from a secret-named environment variable, .env or ledger.redact)".to_string()
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
    state: &LedgerState,
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
/// Only regular files are read: a FIFO or a device would block or never end.
fn read_ledger(path: &Path) -> Result<String> {
    let shown = path.display();
    let io_error = |e: std::io::Error| match e.kind() {
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
    };
    let meta = std::fs::metadata(path).map_err(io_error)?;
    if meta.is_dir() {
        return Err(io_error(std::io::ErrorKind::IsADirectory.into()));
    }
    if !meta.is_file() {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        let what = if t.is_fifo() {
            "a named pipe (FIFO)"
        } else if t.is_socket() {
            "a socket"
        } else if t.is_char_device() || t.is_block_device() {
            "a device"
        } else {
            "not a regular file"
        };
        return Err(user_hint(
            format!("cannot read '{shown}': it is {what}, not a file"),
            format!(
                "save the ledger to a file first, e.g. cat '{shown}' > ledger.md && git ledger import ledger.md"
            ),
        ));
    }
    let bytes = std::fs::read(path).map_err(io_error)?;
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
