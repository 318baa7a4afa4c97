//! Argument parsing and dispatch; one file per subcommand.

mod branches;
mod check;
mod collision;
mod complete;
mod define;
mod docs;
mod doctor;
mod export;
mod hook;
mod hooks;
mod import;
mod init;
mod log;
mod mark;
mod next;
mod owners;
mod scan;
mod serve;
mod show;
mod start;
mod status;
mod sync;
mod trust;
mod verify;
mod view;

use crate::error::{Outcome, user_hint};
use crate::git::repo;
use crate::ledger::{LedgerState, StepState, step_id};
use crate::output::{self, Paint};
use crate::store::{self, Loaded};
use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use git2::Repository;
use std::cell::Cell;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "git-ledger",
    bin_name = "git ledger",
    version,
    about = "Keep a project's implementation ledger in git: steps, status, owned files and verification evidence, in git notes and commit trailers.",
    after_help = "Start with: git ledger init, then git ledger add S01 \"Title\" --owns 'src/**'. Docs: docs/ in the git-ledger repository."
)]
pub struct Cli {
    /// Run as if started in <path>
    #[arg(short = 'C', global = true, value_name = "path")]
    pub dir: Option<PathBuf>,
    /// Print machine-readable JSON (schemas in docs/json.md)
    #[arg(long, global = true)]
    pub json: bool,
    /// When to colour output (default: color.ledger, else color.ui, else auto)
    #[arg(long, global = true, value_name = "when", value_parser = ["auto", "always", "never"])]
    pub color: Option<String>,
    /// Do not pipe status, log and show into a pager
    #[arg(long, global = true)]
    pub no_pager: bool,
    /// Print only errors and requested data
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Set up this clone: notes display, rewrite and merge configuration
    Init(init::InitArgs),
    /// Define a new step
    Add(define::AddArgs),
    /// Change a step's definition (a new define event)
    Edit(define::EditArgs),
    /// Take a step out of the active ledger; its history stays
    Retire(define::RetireArgs),
    /// Record a status change, bound to HEAD or --commit
    Mark(mark::MarkArgs),
    /// The table of steps with live drift and progress per phase
    Status(status::StatusArgs),
    /// One step's card: definition, status, evidence, history
    Show(show::ShowArgs),
    /// Events, newest first
    Log(log::LogArgs),
    /// Which steps own the given paths
    Owners(owners::OwnersArgs),
    /// What to do next: fix drift, re-verify, continue, start
    Next(next::NextArgs),
    /// CI gate: record drift at HEAD, ingest new trailers; exit 1 on drift
    Check(check::CheckArgs),
    /// Ingest ledger trailers from commits (default: all reachable from HEAD)
    Scan(scan::ScanArgs),
    /// Install, remove or inspect the git hooks
    Hooks(hooks::HooksArgs),
    /// Hook entry point, called by the installed shims
    #[command(hide = true)]
    Hook(hook::HookArgs),
    /// Set the current step: commits get a Ledger-Step trailer
    Start(start::StartArgs),
    /// Clear the current step
    Stop,
    /// Run steps' checks in a clean checkout; record evidence and status
    Verify(verify::VerifyArgs),
    /// Show steps' check commands and allow this clone to run them
    Trust(trust::TrustArgs),
    /// Share the ledger with a remote: fetch, merge, push (never forced)
    Sync(sync::SyncArgs),
    /// Read an existing markdown ledger (IMPLEMENTATION_LEDGER.md, TASKS.md, …) into events
    Import(import::ImportArgs),
    /// Write the ledger as markdown (the seed layout), JSON or a one-page HTML board
    Export(export::ExportArgs),
    /// Serve the HTML board on 127.0.0.1, reloading when the ledger or HEAD moves
    Serve(serve::ServeArgs),
    /// Check this clone's set-up and the ledger's health
    Doctor,
    /// Print a shell completion script
    Completions(docs::CompletionsArgs),
    /// Write man pages into a directory (used by install.sh)
    #[command(hide = true)]
    Manpages(docs::ManpagesArgs),
    /// Candidates for the word a shell completes (used by the completion scripts)
    #[command(name = "__complete", hide = true)]
    Complete(complete::CompleteArgs),
}

/// `--at REV`, for the commands that read the ledger.
#[derive(Args, Clone, Default, Debug, PartialEq)]
pub struct AtArg {
    /// Read the ledger as seen from this commit, branch or tag (default: HEAD)
    #[arg(long, value_name = "rev")]
    pub at: Option<String>,
}

/// What every command gets: global options and lazily opened state.
pub struct Ctx {
    pub dir: Option<PathBuf>,
    pub json: bool,
    pub color: Option<String>,
    warned: Cell<bool>,
}

impl Ctx {
    pub fn new(dir: Option<PathBuf>, json: bool, color: Option<String>) -> Ctx {
        Ctx {
            dir,
            json,
            color,
            warned: Cell::new(false),
        }
    }

    pub fn repo(&self) -> Result<Repository> {
        repo::open(self.dir.as_deref())
    }

    pub fn paint(&self, repo: &Repository) -> Paint {
        if self.json {
            return Paint { on: false };
        }
        let color_pager = setting(repo, "color.pager").is_none_or(|v| {
            !matches!(
                v.to_ascii_lowercase().as_str(),
                "false" | "no" | "off" | "0" | "never"
            )
        });
        Paint::new(
            self.color.as_deref(),
            setting(repo, "color.ledger"),
            setting(repo, "color.ui"),
            color_pager,
        )
    }

    /// The ledger seen from HEAD, warning once per command about lines
    /// that are not events this version reads.
    pub fn load(&self, repo: &Repository) -> Result<Loaded> {
        self.load_from(repo, store::head_oid(repo))
    }

    /// The ledger seen from `at` (SPEC 2.5).
    pub fn load_from(&self, repo: &Repository, at: Option<git2::Oid>) -> Result<Loaded> {
        crate::sync::merge_fetched_or_warn(repo);
        let loaded = store::load_at(repo, at)?;
        self.warn_skipped(loaded.skipped, loaded.first_skipped.as_deref());
        Ok(loaded)
    }

    /// The commit `--at` names, else HEAD.
    pub fn at_commit<'r>(&self, repo: &'r Repository, at: &AtArg) -> Result<git2::Commit<'r>> {
        match &at.at {
            Some(rev) => repo::resolve_commit(repo, rev),
            None => repo::head_commit(repo),
        }
    }

    /// The id of the commit `--at` names, else HEAD's, without reading
    /// HEAD's commit: a cached view is named by the id alone. A branch
    /// holds only commits (git refuses to point one at anything else).
    pub fn at_oid(&self, repo: &Repository, at: &AtArg) -> Result<git2::Oid> {
        match &at.at {
            Some(rev) => Ok(repo::resolve_commit(repo, rev)?.id()),
            None => repo::head_oid(repo),
        }
    }

    pub fn warn_skipped(&self, count: usize, first: Option<&str>) {
        if count > 0 && !self.warned.replace(true) {
            output::warn(&format!(
                "{count} line(s) in refs/notes/ledger are not events this git-ledger reads (first: {}); they are kept untouched",
                first.unwrap_or("?")
            ));
        }
    }
}

/// A config value as git sees it for this command: `git -c` settings
/// first (`repo::open` added them as the highest level), then the files.
pub fn setting(repo: &Repository, key: &str) -> Option<String> {
    repo::config_str(repo, key)
}

/// `git ledger status` and its own options, parsed without building the
/// parser of every subcommand (a third of a millisecond, a tenth of a
/// warm status): the status subcommand's parser alone reads them. None
/// for anything else, global options and help included, and for
/// anything it refuses: the whole parser then reads the arguments and
/// says what is wrong.
pub fn status_alone(args: &[std::ffi::OsString]) -> Option<Cli> {
    use clap::{Args as _, FromArgMatches as _};
    if args.get(1)? != "status" {
        return None;
    }
    // The status parser knows no global option (nor help or version):
    // it refuses them, and so hands them to the whole parser.
    let parser = status::StatusArgs::augment_args(clap::Command::new("status"));
    let matches = parser.try_get_matches_from(&args[1..]).ok()?;
    Some(Cli {
        dir: None,
        json: false,
        color: None,
        no_pager: false,
        quiet: false,
        command: Command::Status(status::StatusArgs::from_arg_matches(&matches).ok()?),
    })
}

pub fn run(cli: Cli) -> Result<Outcome> {
    output::set_quiet(cli.quiet);
    crate::terminal::detect();
    let pages = matches!(
        cli.command,
        Command::Status(_) | Command::Log(_) | Command::Show(_)
    );
    if matches!(cli.command, Command::Scan(_)) {
        crate::git::repo::read_each_commit_once();
    }
    let ctx = Ctx::new(cli.dir, cli.json, cli.color);
    if pages && !cli.no_pager {
        start_pager(&ctx);
    }
    let result = dispatch(&ctx, cli.command);
    crate::terminal::finish();
    result
}

/// Pages like `git log`: through git's pager, on a terminal only.
fn start_pager(ctx: &Ctx) {
    // Off a terminal there is nothing to page, and no reason to open the
    // repository a second time to read pager settings.
    if !crate::terminal::can_page() {
        return;
    }
    let Ok(repo) = ctx.repo() else { return };
    let pager_ledger = setting(&repo, "pager.ledger");
    let core_pager = setting(&repo, "core.pager");
    if let Some(pager) =
        crate::terminal::pager_command(pager_ledger.as_deref(), core_pager.as_deref())
    {
        crate::terminal::start_pager(&pager);
    }
}

fn dispatch(ctx: &Ctx, command: Command) -> Result<Outcome> {
    match command {
        Command::Init(a) => init::run(ctx, a),
        Command::Add(a) => define::add(ctx, a),
        Command::Edit(a) => define::edit(ctx, a),
        Command::Retire(a) => define::retire(ctx, a),
        Command::Mark(a) => mark::run(ctx, a),
        Command::Status(a) => status::run(ctx, a),
        Command::Show(a) => show::run(ctx, a),
        Command::Log(a) => log::run(ctx, a),
        Command::Owners(a) => owners::run(ctx, a),
        Command::Next(a) => next::run(ctx, a),
        Command::Check(a) => check::run(ctx, a),
        Command::Scan(a) => scan::run(ctx, a),
        Command::Hooks(a) => hooks::run(ctx, a),
        Command::Hook(a) => hook::run(ctx, a),
        Command::Start(a) => start::start(ctx, a),
        Command::Stop => start::stop(ctx),
        Command::Verify(a) => verify::run(ctx, a),
        Command::Trust(a) => trust::run(ctx, a),
        Command::Doctor => doctor::run(ctx),
        Command::Completions(a) => docs::completions(a),
        Command::Manpages(a) => docs::manpages(a),
        Command::Complete(a) => complete::run(ctx, a),
        Command::Sync(a) => sync::run(ctx, a),
        Command::Import(a) => import::run(ctx, a),
        Command::Export(a) => export::run(ctx, a),
        Command::Serve(a) => serve::run(ctx, a),
    }
}

/// The active step `id`, or an error suggesting the closest ids.
pub fn find_step<'s>(state: &'s LedgerState, id: &str) -> Result<&'s StepState> {
    if let Some(s) = state.step(id).filter(|s| s.defined.is_some()) {
        if s.retired {
            return Err(user_hint(
                format!("step '{id}' is retired"),
                format!("bring it back with: git ledger edit {id} --title \"…\""),
            ));
        }
        return Ok(s);
    }
    step_id::validate(id).map_err(|m| user_hint(m, "git ledger status lists the steps"))?;
    let known: Vec<&str> = state.active_steps().iter().map(|s| s.id.as_str()).collect();
    let hint = step_id::did_you_mean(&step_id::closest(id, known));
    Err(user_hint(
        format!("unknown step '{id}'{hint}"),
        "git ledger status lists the steps; git ledger add defines one",
    ))
}

/// The run id: `--run`, else `GIT_LEDGER_RUN`.
pub fn run_id(arg: Option<String>) -> Option<String> {
    arg.or_else(|| std::env::var("GIT_LEDGER_RUN").ok())
        .filter(|r| !r.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::{Cli, Command, status_alone};
    use clap::Parser;

    fn args(line: &str) -> Vec<std::ffi::OsString> {
        std::iter::once("git-ledger")
            .chain(line.split(' ').filter(|a| !a.is_empty()))
            .map(Into::into)
            .collect()
    }

    fn status_of(cli: Cli) -> (super::status::StatusArgs, [bool; 3]) {
        let flags = [cli.json, cli.no_pager, cli.quiet];
        assert!(cli.dir.is_none() && cli.color.is_none());
        match cli.command {
            Command::Status(a) => (a, flags),
            _ => panic!("not status"),
        }
    }

    #[test]
    fn status_alone_reads_what_the_whole_parser_reads_or_leaves_it_to_it() {
        for line in [
            "status",
            "status --all",
            "status --at main --phase Storage",
            "status --at=HEAD~2",
            "status --status wip,todo --status=drift",
            "status --owner src/api --all",
            "status --branches --remotes",
        ] {
            let fast = status_alone(&args(line)).unwrap_or_else(|| panic!("{line}"));
            let whole = Cli::try_parse_from(args(line)).unwrap();
            assert_eq!(status_of(fast), status_of(whole), "{line}");
        }
        // Global options, help, mistakes and other commands: the whole parser.
        for line in [
            "status --json",
            "status -q",
            "status --color=never",
            "status --no-pager",
            "status --help",
            "status -h",
            "status --at",
            "status --remotes",
            "status --branches --at main",
            "status --nosuch",
            "status extra",
            "status -- --all",
            "log",
            "--json status",
            "",
        ] {
            assert!(status_alone(&args(line)).is_none(), "{line}");
        }
    }
}
