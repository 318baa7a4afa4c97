//! `git ledger export [--format md|json|html] [-o FILE]`: the ledger as a
//! document for people who never run the tool. `-o` writes atomically
//! (a temporary file in the same directory, then a rename) and, like an
//! editor, through a symlink onto the file it points at; it refuses
//! anything but a regular file (a FIFO, a device, a socket). Without `-o`,
//! or with `-o -`, stdout.

use super::{Ctx, log, show, view};
use crate::drift::assess;
use crate::error::{Outcome, user, user_hint};
use crate::git::repo::head_commit;
use crate::ledger::fold::order_events;
use crate::ledger::{Kind, Located, Status, StepState, time};
use crate::markdown::board::{Board, BoardStep, TimelineEntry};
use crate::markdown::events::TESTS_RUN_TOPIC;
use crate::markdown::{export_html, export_md};
use crate::output;
use crate::store;
use anyhow::Result;
use clap::Args;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::io::Write;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct ExportArgs {
    /// md: the seed ledger layout; json: the full folded state; html: a one-page board
    #[arg(long, value_name = "format", value_parser = ["md", "json", "html"])]
    pub format: Option<String>,
    /// Write to FILE (atomically; through a symlink to its target) instead of stdout; - is stdout
    #[arg(short = 'o', long = "output", value_name = "file")]
    pub output: Option<PathBuf>,
    /// Include retired steps
    #[arg(long)]
    pub all: bool,
}

pub fn run(ctx: &Ctx, a: ExportArgs) -> Result<Outcome> {
    let format = match (a.format.as_deref(), ctx.json) {
        (None, true) | (Some("json"), _) => "json",
        (Some(f), true) => {
            return Err(user_hint(
                format!("--json asks for JSON but --format is {f}"),
                "give one of them: git ledger export --format json",
            ));
        }
        (Some(f), false) => f,
        (None, false) => "md",
    };
    // `-o -` is stdout, as for most tools that write files.
    let output = a.output.as_deref().filter(|p| *p != Path::new("-"));
    let target = output.map(check_target).transpose()?;
    let repo = ctx.repo()?;
    let head = head_commit(&repo)?;
    let loaded = ctx.load(&repo)?;
    let state = &loaded.state;
    let steps: Vec<&StepState> = if a.all {
        state.defined_steps()
    } else {
        state.active_steps()
    };
    let lives = assess(&repo, &head.tree()?, &steps)?;
    let (all, _) = store::read_all(&repo)?;
    let events = order_events(all);

    let board_steps: Vec<BoardStep<'_>> = steps
        .iter()
        .zip(&lives)
        .map(|(s, live)| {
            let mine: Vec<&Located> = events.iter().filter(|l| l.event.step == s.id).collect();
            BoardStep {
                state: s,
                status: live.effective,
                live_drift: live.live_drift,
                drift_files: live.files.clone(),
                unscoped: live.unscoped,
                last_evidence: mine
                    .iter()
                    .rev()
                    .find(|l| l.event.kind == Kind::Evidence)
                    .copied(),
                tests_note: mine
                    .iter()
                    .rev()
                    .find(|l| {
                        l.event.kind == Kind::Note
                            && l.event.str_field("topic") == Some(TESTS_RUN_TOPIC)
                    })
                    .copied(),
                history: mine
                    .iter()
                    .filter(|l| {
                        l.event.kind == Kind::Status
                            && matches!(
                                l.event.str_field("status").and_then(Status::parse),
                                Some(Status::Verified | Status::DriftDetected)
                            )
                    })
                    .copied()
                    .collect(),
            }
        })
        .collect();
    let board = Board {
        project: project_name(&repo),
        head: head.id().to_string(),
        exported_at: time::now_rfc3339(),
        steps: board_steps,
        timeline: timeline(&events),
        events: events.len(),
    };
    let text = match format {
        "json" => {
            output::json(&to_json(&board, &lives, loaded.tip.map(|t| t.to_string()))).into_string()
        }
        "html" => export_html::render(&board),
        _ => export_md::render(&board),
    };
    match (output, &target) {
        (Some(path), Some(target)) => {
            write_atomically(target, &text)?;
            output::say(&format!(
                "wrote {} ({format}, {} step(s))",
                path.display(),
                board.steps.len()
            ));
        }
        _ => output::emit_exact(&text),
    }
    Ok(Outcome::Ok)
}

fn project_name(repo: &git2::Repository) -> String {
    repo.workdir()
        .unwrap_or_else(|| repo.path())
        .components()
        .next_back()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .filter(|n| !n.is_empty() && n != ".git")
        .unwrap_or_else(|| "repository".to_string())
}

fn timeline(events: &[Located]) -> Vec<TimelineEntry> {
    let mut seen = HashSet::new();
    let mut out: Vec<TimelineEntry> = events
        .iter()
        .map(|l| {
            let e = &l.event;
            let first = e.kind == Kind::Define && seen.insert(e.step.clone());
            TimelineEntry {
                at: e.at.clone(),
                commit: l.commit.clone(),
                step: e.step.clone(),
                status: match e.kind {
                    Kind::Status => e.str_field("status").and_then(Status::parse),
                    Kind::Evidence if e.str_field("result") == Some("pass") => {
                        Some(Status::Verified)
                    }
                    Kind::Evidence => Some(Status::DriftDetected),
                    _ => None,
                },
                what: log::what(e, first),
                by: e.by.clone(),
                run: e.run.clone(),
                msg: e.str_field("msg").map(str::to_string),
            }
        })
        .collect();
    // Newest first, by the time each event says it happened.
    out.reverse();
    out.sort_by(|a, b| b.at.cmp(&a.at));
    out
}

/// The folded state: per step the object of `status --json`, plus its whole
/// definition, the latest evidence with every check, and its history.
fn to_json(board: &Board<'_>, lives: &[crate::drift::Live], tip: Option<String>) -> Value {
    let steps: Vec<Value> = board
        .steps
        .iter()
        .zip(lives)
        .map(|(b, live)| {
            let s = b.state;
            let d = &s.def;
            let mut v = view::step_json(s, live);
            v["definition"] = json!({
                "title": d.title, "owns": d.owns, "checks": d.checks, "refs": d.refs,
                "phase": d.phase, "summary": d.summary, "edge_cases": d.edge_cases,
                "concerns": d.concerns, "todo": d.todo,
            });
            v["defined"] = match &s.defined {
                Some((seq, at, event)) => json!({"seq": seq, "at": at, "event": event}),
                None => Value::Null,
            };
            v["last_evidence"] = b.last_evidence.map(show::event_json).unwrap_or(Value::Null);
            v["history"] = b.history.iter().map(|l| show::event_json(l)).collect();
            v
        })
        .collect();
    let phases: Vec<Value> = board
        .phases()
        .iter()
        .map(|p| {
            let counts: serde_json::Map<String, Value> = Status::ALL
                .iter()
                .map(|s| (s.as_str().to_string(), p.count(*s).into()))
                .collect();
            json!({"phase": p.name, "total": p.total, "verified": p.count(Status::Verified),
                   "drift": p.count(Status::DriftDetected), "statuses": counts})
        })
        .collect();
    let totals = board.totals();
    json!({
        "format": "git-ledger-export",
        "version": 1,
        "project": board.project,
        "head": board.head,
        "notes_tip": tip,
        "exported_at": board.exported_at,
        "events": board.events,
        "total": {"verified": totals.count(Status::Verified), "total": totals.total,
                  "drift": totals.count(Status::DriftDetected)},
        "phases": phases,
        "steps": steps,
    })
}

/// Fails early, before any work, when `-o` cannot be written; returns
/// the file to replace: `path`, or the file a symlink there points at.
fn check_target(path: &Path) -> Result<PathBuf> {
    let target = through_symlinks(path)?;
    if let Ok(meta) = std::fs::metadata(&target) {
        let kind = meta.file_type();
        let what = if kind.is_dir() {
            Some("a directory")
        } else if kind.is_fifo() {
            Some("a FIFO")
        } else if kind.is_char_device() || kind.is_block_device() {
            Some("a device")
        } else if kind.is_socket() {
            Some("a socket")
        } else if !kind.is_file() {
            Some("not a regular file")
        } else {
            None
        };
        if let Some(what) = what {
            let shown = if target == path {
                String::new()
            } else {
                format!(" (a symlink to {})", target.display())
            };
            return Err(user_hint(
                format!("cannot write '{}'{shown}: it is {what}", path.display()),
                "give a regular file, e.g. -o LEDGER.md, or -o - for stdout",
            ));
        }
    }
    let dir = parent_dir(&target);
    if !dir.is_dir() {
        return Err(user_hint(
            format!(
                "cannot write '{}': no directory '{}'",
                path.display(),
                dir.display()
            ),
            "create the directory first, or give another path",
        ));
    }
    Ok(target)
}

/// The file a chain of symlinks at `path` ends at (which need not exist
/// yet), as editors resolve it before writing; `path` itself otherwise.
fn through_symlinks(path: &Path) -> Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = std::fs::read_link(&current).map_err(|e| {
                    user(format!(
                        "cannot read the symlink '{}': {e}",
                        current.display()
                    ))
                })?;
                current = if link.is_absolute() {
                    link
                } else {
                    parent_dir(&current).join(link)
                };
            }
            _ => return Ok(current),
        }
    }
    Err(user_hint(
        format!(
            "cannot write '{}': too many levels of symlinks",
            path.display()
        ),
        "give the file itself",
    ))
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A reader of `path` sees the old file or the new one, never half of it.
fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let dir = parent_dir(path);
    let fail = |e: std::io::Error| user(format!("cannot write '{}': {e}", path.display()));
    let mut builder = tempfile::Builder::new();
    builder.prefix(".git-ledger-export");
    // A new file gets what the umask allows, as any other file the user
    // writes (a temporary file would otherwise stay owner-only).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(&dir).map_err(fail)?;
    tmp.write_all(text.as_bytes()).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    // Replacing a file keeps its permissions.
    if let Ok(meta) = std::fs::metadata(path) {
        tmp.as_file()
            .set_permissions(meta.permissions())
            .map_err(fail)?;
    }
    // Checked again at the last moment: the rename replaces whatever is there.
    if std::fs::symlink_metadata(path).is_ok_and(|m| !m.file_type().is_file()) {
        return Err(user(format!(
            "cannot write '{}': it is no longer a regular file",
            path.display()
        )));
    }
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}
