//! `git ledger export [--format md|json|html] [-o FILE]`: the ledger as a
//! document for people who never run the tool. `-o` writes atomically
//! (a temporary file in the same directory, then a rename) and, like an
//! editor, through a symlink onto the file it points at; it refuses
//! anything but a regular file (a FIFO, a device, a socket). Without `-o`,
//! or with `-o -`, stdout.

use super::{AtArg, Ctx, log, show, view};
use crate::drift::{Live, assess, owns_of};
use crate::error::{Outcome, user, user_hint};
use crate::git::fingerprint::owned_files_many;
use crate::git::owns::Owns;
use crate::git::repo::{config_str, head_branch};
use crate::ledger::fold::StepDef;
use crate::ledger::{Kind, LedgerState, Located, Status, StepState, time};
use crate::markdown::board::{
    Board, BoardContext, BoardStep, BurnPoint, LastCheck, OWNED_SHOWN, StepDetail, TimelineEntry,
    burn_up_with, edit_summary, name_of, phase_order,
};
use crate::markdown::events::TESTS_RUN_TOPIC;
use crate::markdown::forge::Forge;
use crate::markdown::{export_html, export_md};
use crate::output;
use crate::redact::Redactor;
use crate::store;
use anyhow::Result;
use clap::Args;
use git2::Repository;
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
    /// Keep FILE current: rewrite it whenever the ledger or HEAD moves
    /// (needs -o; stop with Ctrl-C)
    #[arg(long, requires = "output")]
    pub watch: bool,
    /// Add each step's status on each local branch (html and json)
    #[arg(long, conflicts_with = "at")]
    pub branches: bool,
    #[command(flatten)]
    pub at: AtArg,
}

pub fn run(ctx: &Ctx, mut a: ExportArgs) -> Result<Outcome> {
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
    if a.output.as_deref() == Some(Path::new("-")) && !a.watch {
        a.output = None;
    }
    if let Some(path) = &a.output {
        check_target(path)?;
    }
    let repo = ctx.repo()?;
    if a.watch {
        if a.at.at.is_some() {
            return Err(user_hint(
                "--watch follows HEAD; --at names a fixed commit",
                "drop one of them: what --at shows does not change",
            ));
        }
        return super::serve::watch(ctx, &repo, &a, format);
    }
    let (text, steps) = document(ctx, &repo, format, a.all, &a.at, a.branches, Ending::Exit)?;
    // The command ends here: libgit2's cache of every tree read goes with
    // the process, not object by object.
    std::mem::forget(repo);
    match &a.output {
        None => output::emit_exact(&text),
        Some(path) => {
            write_atomically(path, &text)?;
            output::say(&format!(
                "wrote {} ({format}, {steps} step(s))",
                path.display()
            ));
        }
    }
    Ok(Outcome::Ok)
}

/// What follows a document: the process's exit, or more work (`serve`,
/// `--watch`). Before an exit, what the document was made from (every
/// event, the fold, at 100,000 steps a tenth of the export's time to free
/// piece by piece) is left for the exit to take back at once.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Ending {
    Exit,
    MoreWork,
}

/// The export in `format` ("md", "json" or "html"), and how many steps it
/// holds.
pub(super) fn document(
    ctx: &Ctx,
    repo: &Repository,
    format: &str,
    all: bool,
    at: &AtArg,
    branches: bool,
    ending: Ending,
) -> Result<(String, usize)> {
    let mode = if format == "html" {
        Some(export_html::Mode::File)
    } else {
        None
    };
    with_board(
        ctx,
        repo,
        at,
        all,
        branches,
        Purpose::Document(ending),
        |board, lives, tip| {
            let text = match (format, mode) {
                ("json", _) => output::json(&to_json(board, lives, tip)).into_string(),
                (_, Some(mode)) => export_html::render(board, mode),
                _ => export_md::render(board),
            };
            (text, board.steps.len())
        },
    )
}

/// The board as `serve` shows it: the page knows `version`, the state it
/// was made from, to reload itself when the state moves on.
pub(super) fn served_html(ctx: &Ctx, repo: &Repository, version: &str) -> Result<String> {
    with_board(
        ctx,
        repo,
        &AtArg { at: None },
        false,
        false,
        Purpose::Served(version.to_string()),
        |board, _, _| export_html::render(board, export_html::Mode::Served),
    )
}

/// What a board is made for.
enum Purpose {
    /// A document (a file, standard output, `--watch`'s file).
    Document(Ending),
    /// `serve`'s page, which knows the version of the state it shows.
    Served(String),
}

/// Reads everything the exports show and hands it to `render`.
fn with_board<R>(
    ctx: &Ctx,
    repo: &Repository,
    at: &AtArg,
    all: bool,
    branches: bool,
    purpose: Purpose,
    render: impl FnOnce(&Board<'_>, &[Live], Option<String>) -> R,
) -> Result<R> {
    let (live_version, ending) = match purpose {
        Purpose::Document(ending) => (None, ending),
        Purpose::Served(version) => (Some(version), Ending::MoreWork),
    };
    let head = ctx.at_commit(repo, at)?;
    let head_id = head.id().to_string();
    let tree = head.tree()?;
    let loaded = ctx.load_from(repo, Some(head.id()))?;
    let state = &loaded.state;
    let steps: Vec<&StepState> = if all {
        state.defined_steps()
    } else {
        state.active_steps()
    };
    let lives = assess(repo, &loaded.sight, &steps)?;
    let (records, events) = store::events_in_view_paired(repo, &loaded)?;
    let hidden: HashSet<&str> = if all {
        HashSet::new()
    } else {
        state
            .defined_steps()
            .iter()
            .filter(|s| s.retired)
            .map(|s| s.id.as_str())
            .collect()
    };
    // The timeline and the trend come from one replay of the fold.
    let mut timeline: Vec<TimelineEntry<'_>> = Vec::new();
    let mut trend = burn_up_with(&records, |i, before, state| {
        if let Some(t) = timeline_entry(&events[i], before, state, &hidden) {
            timeline.push(t);
        }
    });
    drop(records);
    // Newest first, by the time each event says it happened.
    timeline.reverse();
    timeline.sort_by(|a, b| b.at.cmp(a.at));
    let matchers: Vec<Owns> = steps.iter().map(|s| owns_of(s)).collect();
    let owned = owned_files_many(repo, &tree, &matchers.iter().collect::<Vec<_>>())?;
    let red = Redactor::for_repo(repo)?;

    // Each step's events and timeline entries, grouped once (not searched
    // for every step: a ledger of 100,000 steps made that quadratic).
    let mut by_step: foldhash::HashMap<&str, Vec<&Located>> = Default::default();
    for l in &events {
        by_step.entry(l.event.step.as_str()).or_default().push(l);
    }
    let mut timeline_of: foldhash::HashMap<&str, Vec<&TimelineEntry>> = Default::default();
    for t in &timeline {
        if matches!(t.kind, Kind::Status | Kind::Evidence | Kind::Ack) {
            timeline_of.entry(t.step).or_default().push(t);
        }
    }
    let board_steps: Vec<BoardStep<'_>> = steps
        .iter()
        .zip(&lives)
        .zip(owned)
        .map(|((s, live), files)| {
            let mine: Vec<&Located> = by_step.get(s.id.as_str()).cloned().unwrap_or_default();
            let evidence: Vec<&Located> = mine
                .iter()
                .rev()
                .filter(|l| l.event.kind == Kind::Evidence)
                .copied()
                .collect();
            let owned_more = files.len().saturating_sub(OWNED_SHOWN);
            BoardStep {
                state: s,
                status: live.effective,
                live_drift: live.live_drift,
                drift_files: live.files.clone(),
                unscoped: live.unscoped,
                last_evidence: evidence.first().copied(),
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
                detail: StepDetail {
                    owned_files: files
                        .into_iter()
                        .take(OWNED_SHOWN)
                        .map(|f| f.path)
                        .collect(),
                    owned_more,
                    owner: s.mark.as_ref().map(|m| name_of(&m.by).to_string()),
                    history: timeline_of.remove(s.id.as_str()).unwrap_or_default(),
                    last_checks: last_checks(&s.def.checks, &evidence, &red),
                    ref_files: s
                        .def
                        .refs
                        .iter()
                        .filter_map(|r| r.split('#').next())
                        .filter(|p| !p.is_empty() && tree.get_path(Path::new(p)).is_ok())
                        .map(str::to_string)
                        .collect(),
                },
            }
        })
        .collect();
    // The last point is today as the board shows it, live drift included,
    // so the trend ends where the big number stands.
    if !trend.is_empty() {
        let today = time::date_part(&time::now_rfc3339()).to_string();
        let now = BurnPoint {
            verified: board_steps
                .iter()
                .filter(|s| !s.state.retired && s.status == Status::Verified)
                .count(),
            total: board_steps.iter().filter(|s| !s.state.retired).count(),
            day: today,
        };
        match trend.last_mut() {
            Some(last) if last.day >= now.day => {
                *last = BurnPoint {
                    day: last.day.clone(),
                    ..now
                }
            }
            _ => trend.push(now),
        }
    }
    let board = Board {
        project: project_name(repo),
        head: head_id,
        exported_at: time::now_rfc3339(),
        steps: board_steps,
        events: events.len(),
        context: BoardContext {
            // The branch the board was made for: HEAD's, unless --at named
            // another commit.
            branch: at.at.is_none().then(|| head_branch(repo)).flatten(),
            forge: forge_of(repo),
            phase_order: phase_order(&events),
            burn_up: trend,
            live_version,
            with_retired: all,
            branches: if branches {
                Some(super::branches::matrix(ctx, repo, false, all)?)
            } else {
                None
            },
        },
        timeline: &timeline,
    };
    let out = render(&board, &lives, loaded.tip.map(|t| t.to_string()));
    if ending == Ending::Exit {
        std::mem::forget(board);
        std::mem::forget(by_step);
        std::mem::forget(timeline);
        std::mem::forget(events);
        std::mem::forget(lives);
        std::mem::forget(loaded);
    }
    Ok(out)
}

/// Each check command with its newest run among `evidence` (newest first).
/// Evidence stores commands redacted, so both spellings are looked for.
fn last_checks<'a>(
    checks: &[String],
    evidence: &[&'a Located],
    red: &Redactor,
) -> Vec<LastCheck<'a>> {
    checks
        .iter()
        .map(|cmd| {
            let shown = red.apply(cmd);
            let run = evidence.iter().find_map(|ev| {
                ev.event
                    .fields
                    .get("checks")
                    .and_then(Value::as_array)?
                    .iter()
                    .find(|c| {
                        c.get("cmd")
                            .and_then(Value::as_str)
                            .is_some_and(|c| c == cmd || c == shown)
                    })
                    .map(|c| (*ev, c.clone()))
            });
            LastCheck { cmd: shown, run }
        })
        .collect()
}

/// Where the board links to: `ledger.webUrl`, else the forge of the
/// ledger's remote (`ledger.remote`, `origin`, or the only remote).
fn forge_of(repo: &Repository) -> Option<Forge> {
    if let Some(url) = config_str(repo, "ledger.webUrl") {
        let forge = Forge::from_web_url(&url);
        if forge.is_none() {
            output::warn(&format!(
                "ledger.webUrl '{url}' is not an https URL; the board links nowhere (set it like https://git.example.com/team/project)"
            ));
        }
        return forge;
    }
    let remotes = repo.remotes().ok()?;
    let names: Vec<&str> = remotes.iter().flatten().flatten().collect();
    let name = config_str(repo, "ledger.remote")
        .filter(|n| names.contains(&n.as_str()))
        .or_else(|| names.contains(&"origin").then(|| "origin".to_string()))
        .or_else(|| (names.len() == 1).then(|| names[0].to_string()))?;
    let remote = repo.find_remote(&name).ok()?;
    Forge::from_remote_url(remote.url().ok()?)
}

fn project_name(repo: &Repository) -> String {
    repo.workdir()
        .unwrap_or_else(|| repo.path())
        .components()
        .next_back()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .filter(|n| !n.is_empty() && n != ".git")
        .unwrap_or_else(|| "repository".to_string())
}

/// An event as the timeline shows it, `state` the replay just after it
/// and `before` its step's definition before a define; an edit names what
/// it changed. None for events of `hidden` (retired) steps.
fn timeline_entry<'a>(
    l: &'a Located,
    before: Option<StepDef>,
    state: &LedgerState,
    hidden: &HashSet<&str>,
) -> Option<TimelineEntry<'a>> {
    let e = &l.event;
    if hidden.contains(e.step.as_str()) {
        return None;
    }
    let what = match (&before, e.kind) {
        (Some(before), Kind::Define) => {
            let after = state.step(&e.step).map(|s| &s.def);
            after.map_or_else(|| log::what(e, false), |a| edit_summary(before, a))
        }
        (None, Kind::Define) => log::what(e, true),
        _ => log::what(e, false),
    };
    Some(TimelineEntry {
        kind: e.kind,
        at: &e.at,
        commit: &l.commit,
        step: &e.step,
        status: match e.kind {
            Kind::Status => e.str_field("status").and_then(Status::parse),
            Kind::Evidence if e.str_field("result") == Some("pass") => Some(Status::Verified),
            Kind::Evidence => Some(Status::DriftDetected),
            _ => None,
        },
        what,
        by: &e.by,
        run: e.run.as_deref(),
        msg: e.str_field("msg"),
    })
}

/// The folded state: per step the object of `status --json`, plus its whole
/// definition, the latest evidence with every check, and its history.
fn to_json(board: &Board<'_>, lives: &[Live], tip: Option<String>) -> Value {
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
    let mut doc = json!({
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
    });
    if let Some(m) = &board.context.branches {
        doc["branches"] = json!({
            "names": m.branches,
            "steps": m.rows.iter().map(|(id, _, on)| json!({
                "id": id,
                "on": m.branches.iter().zip(on).map(|(b, s)| (b.clone(), json!(s.as_str()))).collect::<serde_json::Map<String, Value>>(),
            })).collect::<Vec<_>>(),
        });
    }
    doc
}

/// Fails early, before any work, when `-o` cannot be written: no
/// directory to write in, or a path that is (or a symlink to) something
/// other than a regular file.
pub(super) fn check_target(path: &Path) -> Result<()> {
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
    Ok(())
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
/// Through a symlink, the file it points at is the one replaced; the link
/// stays.
pub(super) fn write_atomically(path: &Path, text: &str) -> Result<()> {
    check_target(path)?;
    let path = &through_symlinks(path)?;
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
