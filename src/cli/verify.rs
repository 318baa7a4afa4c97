//! `git ledger verify`: runs steps' checks in a temporary clean checkout
//! (or the work tree with `--in-place`) and records, per step, an `evidence`
//! event and the status it leads to. Exit 0 when every check passed, 1 when
//! one failed or timed out, 2 for bad input or untrusted commands, 130 when
//! interrupted (nothing is recorded for the step that was running).

use super::export::{check_target, write_atomically};
use super::show::{event_json, evidence_block};
use super::{Ctx, find_step, run_id};
use crate::ci::junit;
use crate::drift::owns_of;
use crate::error::{Outcome, user_hint};
use crate::git::fingerprint::{changed_paths, fingerprint, owned_files};
use crate::git::repo::{config_str, head_commit, identity, resolve_commit, short};
use crate::ledger::{Event, Kind, LedgerState, Located, Status, StepState, time};
use crate::output;
use crate::redact::Redactor;
use crate::store::{self, Draft};
use crate::trust::{Trust, shown};
use crate::verify::checkout::{Checkout, work_tree_dirty};
use crate::verify::progress::{Progress, shorten};
use crate::verify::runner::{self, CheckRun, Spec, Stopped};
use crate::verify::{self, Subject, interrupt, next_status};
use anyhow::Result;
use clap::Args;
use git2::{Oid, Repository, Tree};
use serde_json::{Value, json};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

/// Each check's limit when neither --timeout nor ledger.checkTimeout says.
const DEFAULT_TIMEOUT_SECS: u64 = 600;

#[derive(Args)]
pub struct VerifyArgs {
    /// Steps to verify
    pub ids: Vec<String>,
    /// Also every completed_pending_verification step
    #[arg(long)]
    pub pending: bool,
    /// Also every step that has checks
    #[arg(long)]
    pub all: bool,
    /// Run in the work tree instead of a temporary clean checkout; with
    /// uncommitted changes the evidence is recorded as dirty and changes no status
    #[arg(long)]
    pub in_place: bool,
    /// Time limit per check: seconds, or 90s, 5m, 1h; 0 for none
    /// (default: ledger.checkTimeout, else 600)
    #[arg(long, value_name = "seconds")]
    pub timeout: Option<String>,
    /// Run id (default: $GIT_LEDGER_RUN)
    #[arg(long)]
    pub run: Option<String>,
    /// Run check commands this clone has not trusted, this once (for CI)
    #[arg(long)]
    pub trust: bool,
    /// The commit to verify (default: HEAD)
    #[arg(long, value_name = "rev", conflicts_with = "in_place")]
    pub commit: Option<String>,
    /// Also write the run as JUnit XML to FILE (one testsuite per step, one
    /// testcase per check) for CI test reports
    #[arg(long, value_name = "file")]
    pub junit: Option<PathBuf>,
}

pub fn run(ctx: &Ctx, a: VerifyArgs) -> Result<Outcome> {
    if let Some(path) = &a.junit {
        check_target(path)?;
    }
    let repo = ctx.repo()?;
    let timeout = check_timeout(&repo, a.timeout.as_deref())?;
    let commit = match &a.commit {
        Some(rev) => resolve_commit(&repo, rev)?,
        None => head_commit(&repo)?,
    };
    let commit_id = commit.id();
    let tree = commit.tree()?;
    let loaded = ctx.load_from(&repo, Some(commit_id))?;
    let (steps, skipped) = select(&loaded.state, &a)?;
    for s in &skipped {
        output::warn(&format!(
            "{s} is completed_pending_verification but has no checks; give it one with: git ledger edit {s} --check '<command>'"
        ));
    }
    let mut report = Report::new(a.junit.clone(), commit_id, &skipped, &loaded.state);
    if steps.is_empty() {
        report.write()?;
        if ctx.json {
            output::emit(&output::json(&json!({
                "commit": commit_id.to_string(), "result": "pass", "steps": [], "skipped": skipped,
            })));
        } else {
            let which = if a.all {
                "no step"
            } else {
                "no completed_pending_verification step"
            };
            output::say(&format!("nothing to verify: {which} has checks"));
        }
        return Ok(Outcome::Ok);
    }
    if !a.trust
        && let Err(refusal) = refuse_untrusted(&repo, &steps)
    {
        report.refused(&repo, &steps);
        report.write()?;
        return Err(refusal);
    }
    let dirty = a.in_place && work_tree_is_dirty(&repo)?;
    if !a.in_place && a.commit.is_none() {
        warn_untested_edits(&repo, &steps, commit_id)?;
    }

    let by = identity(&repo)?;
    let run = run_id(a.run.clone());
    let red = Redactor::for_repo(&repo)?;
    interrupt::install();
    let mut progress = Progress::new();
    let checkout = if a.in_place {
        None
    } else {
        match Checkout::create(&repo, commit_id) {
            Ok(c) => Some(c),
            // Ctrl-C reached git too, and it stopped half-way.
            Err(_) if interrupt::requested() => interrupted(&mut progress, None, None),
            Err(e) => return Err(e),
        }
    };
    if interrupt::requested() {
        interrupted(&mut progress, checkout, None);
    }
    let dir = match &checkout {
        Some(c) => c.path().to_path_buf(),
        None => repo.workdir().map(|w| w.to_path_buf()).unwrap_or_default(),
    };
    let p = ctx.paint(&repo);
    let mut reports = Vec::new();
    let mut text = String::new();
    let stream = std::io::stdout().is_terminal();
    let mut any_fail = false;
    for (i, step) in steps.iter().enumerate() {
        if i > 0
            && let Some(c) = &checkout
        {
            c.restore()?;
        }
        let Some(runs) = run_checks(step, &dir, commit_id, timeout, &red, &mut progress)? else {
            interrupted(&mut progress, checkout, Some(&step.id));
        };
        let passed = runs.iter().all(CheckRun::passed);
        any_fail |= !passed;
        let recorded = record(
            &repo,
            &tree,
            commit_id,
            step,
            &runs,
            dirty,
            a.in_place,
            Who {
                by: &by,
                run: &run,
                red: &red,
            },
        )?;
        report.ran(step, &recorded);
        if ctx.json {
            reports.push(recorded.to_json(step));
        } else if stream {
            output::emit(&step_text(&p, step, &recorded));
        } else {
            text.push_str(&step_text(&p, step, &recorded));
        }
    }
    drop(checkout);
    report.write()?;
    // Written only now when stdout is a pipe: a reader that goes away
    // early must not end the process before the checkout is removed.
    output::emit(&text);
    if ctx.json {
        output::emit(&output::json(&json!({
            "commit": commit_id.to_string(),
            "in_place": a.in_place,
            "dirty": dirty,
            "result": if any_fail { "fail" } else { "pass" },
            "steps": reports,
            "skipped": skipped,
        })));
    }
    Ok(if any_fail {
        Outcome::Refused
    } else {
        Outcome::Ok
    })
}

/// The `--junit` report, filled in as steps run and written at the end
/// (also when the run is refused, so that CI shows why nothing ran).
struct Report {
    path: Option<PathBuf>,
    commit: String,
    suites: Vec<junit::Suite>,
}

impl Report {
    fn new(
        path: Option<PathBuf>,
        commit: Oid,
        no_checks: &[String],
        state: &LedgerState,
    ) -> Report {
        let mut r = Report {
            path,
            commit: commit.to_string(),
            suites: Vec::new(),
        };
        for id in no_checks {
            let title = state
                .step(id)
                .map(|s| s.def.title.clone())
                .unwrap_or_default();
            let mut suite = r.suite(id, &title, time::now_rfc3339());
            suite.cases.push(junit::Case::skipped(
                "(no checks)",
                &format!("{id} is completed_pending_verification but has no checks: git ledger edit {id} --check '<command>'"),
            ));
            r.suites.push(suite);
        }
        r
    }

    fn suite(&self, id: &str, title: &str, timestamp: String) -> junit::Suite {
        junit::Suite {
            step: id.to_string(),
            title: title.to_string(),
            timestamp,
            properties: vec![("commit".into(), self.commit.clone())],
            cases: Vec::new(),
        }
    }

    /// Nothing ran: every check is skipped, each saying why.
    fn refused(&mut self, repo: &Repository, steps: &[StepState]) {
        let trust = Trust::load(repo).ok();
        // Without a redactor (an invalid ledger.redact) no command is shown.
        let red = Redactor::for_repo(repo).ok();
        for s in steps {
            let mut suite = self.suite(&s.id, &s.def.title, time::now_rfc3339());
            for cmd in &s.def.checks {
                let why = if trust.as_ref().is_some_and(|t| t.trusts(cmd)) {
                    "not run: this run refused check commands not trusted in this clone".to_string()
                } else {
                    format!(
                        "not trusted in this clone: git ledger trust {} (in CI: git ledger verify --trust)",
                        s.id
                    )
                };
                suite.cases.push(junit::Case::skipped(
                    &red.as_ref()
                        .map_or_else(|| crate::redact::MASK.to_string(), |r| r.apply(cmd)),
                    &why,
                ));
            }
            self.suites.push(suite);
        }
    }

    fn ran(&mut self, step: &StepState, r: &Recorded) {
        let e = &r.evidence.event;
        let mut suite = self.suite(&step.id, &step.def.title, e.at.clone());
        let after = r
            .status
            .as_ref()
            .and_then(|l| l.event.str_field("status"))
            .unwrap_or(r.before.as_str());
        suite.properties.push(("status".into(), after.to_string()));
        suite.properties.push(("evidence".into(), e.id.clone()));
        if let Some(checks) = e.fields.get("checks").and_then(Value::as_array) {
            suite.cases = checks.iter().map(junit::Case::from_check).collect();
        }
        self.suites.push(suite);
    }

    fn write(&self) -> Result<()> {
        match &self.path {
            Some(path) => write_atomically(path, &junit::render(&self.suites)),
            None => Ok(()),
        }
    }
}

/// For `--in-place`: whether the work tree has uncommitted changes (and a
/// warning saying what that means), or an error in a bare repository.
fn work_tree_is_dirty(repo: &Repository) -> Result<bool> {
    if repo.workdir().is_none() {
        return Err(user_hint(
            "--in-place needs a work tree; this repository is bare",
            "drop --in-place: git ledger verify checks out the commit into a temporary directory",
        ));
    }
    let changed = work_tree_dirty(repo)?;
    if !changed.is_empty() {
        output::warn(&format!(
            "the work tree has uncommitted changes ({}): the evidence is recorded as dirty and changes no status; commit or stash them, or verify without --in-place",
            examples(&changed)
        ));
    }
    Ok(!changed.is_empty())
}

/// A clean checkout tests HEAD, not the work tree: say so when a step's
/// own files have uncommitted changes, which the user may think were tested.
fn warn_untested_edits(repo: &Repository, steps: &[StepState], commit: Oid) -> Result<()> {
    if repo.workdir().is_none() {
        return Ok(());
    }
    let changed = work_tree_dirty(repo)?;
    if changed.is_empty() {
        return Ok(());
    }
    for step in steps {
        let owns = owns_of(step);
        let mine: Vec<String> = changed
            .iter()
            .filter(|p| {
                let is_dir = p.ends_with('/');
                owns.matches(p.trim_end_matches('/'), is_dir)
            })
            .cloned()
            .collect();
        if !mine.is_empty() {
            output::warn(&format!(
                "{}: uncommitted changes to its files are not part of this run, which tests {} as committed: {}",
                step.id,
                short(&commit.to_string()),
                examples(&mine)
            ));
            output::hint(&format!(
                "commit them first, or test the work tree as it is with: git ledger verify --in-place {}",
                step.id
            ));
        }
    }
    Ok(())
}

/// Runs a step's checks one after the other, all of them; None when a
/// signal interrupted one.
fn run_checks(
    step: &StepState,
    dir: &std::path::Path,
    commit: Oid,
    timeout: Option<Duration>,
    red: &Redactor,
    progress: &mut Progress,
) -> Result<Option<Vec<CheckRun>>> {
    let env = vec![
        ("GIT_LEDGER_STEP".to_string(), step.id.clone()),
        ("GIT_LEDGER_COMMIT".to_string(), commit.to_string()),
        // A check that commits in the temporary checkout must not
        // trigger this repository's ledger hooks.
        ("GIT_LEDGER_SKIP".to_string(), "1".to_string()),
    ];
    let mut runs = Vec::new();
    let total = step.def.checks.len();
    for (k, cmd) in step.def.checks.iter().enumerate() {
        let label = format!(
            "verifying {} [{}/{total}] {}",
            step.id,
            k + 1,
            shorten(&crate::trust::shown(&red.apply(cmd)), 60)
        );
        let spec = Spec {
            cmd,
            dir,
            env: &env,
            timeout,
        };
        let result = runner::run(&spec, red, |elapsed| progress.running(&label, elapsed));
        progress.clear();
        match result {
            Ok(r) => runs.push(r),
            Err(Stopped::Interrupted) => return Ok(None),
            Err(Stopped::Failed(e)) => return Err(e),
        }
    }
    Ok(Some(runs))
}

/// The steps to verify, in the order named then definition order, and the
/// pending steps passed over because they have no checks.
fn select(state: &LedgerState, a: &VerifyArgs) -> Result<(Vec<StepState>, Vec<String>)> {
    if a.ids.is_empty() && !a.pending && !a.all {
        return Err(user_hint(
            "name the steps to verify",
            "git ledger verify S04 [S05…]; --pending for every completed_pending_verification step; --all for every step with checks",
        ));
    }
    let mut chosen: Vec<StepState> = Vec::new();
    let mut skipped = Vec::new();
    for id in &a.ids {
        let step = find_step(state, id)?;
        if step.def.checks.is_empty() {
            return Err(user_hint(
                format!("{id} has no checks to run"),
                format!("give it one with: git ledger edit {id} --check '<command>'"),
            ));
        }
        if !chosen.iter().any(|s| s.id == step.id) {
            chosen.push(step.clone());
        }
    }
    for step in state.active_steps() {
        let pending = a.pending && step.status == Status::CompletedPendingVerification;
        if !(pending || a.all) || chosen.iter().any(|s| s.id == step.id) {
            continue;
        }
        if step.def.checks.is_empty() {
            if pending {
                skipped.push(step.id.clone());
            }
            continue;
        }
        chosen.push(step.clone());
    }
    Ok((chosen, skipped))
}

/// Refuses, before anything runs, when a selected command is not trusted.
fn refuse_untrusted(repo: &Repository, steps: &[StepState]) -> Result<()> {
    let trust = Trust::load(repo)?;
    let mut listed = String::new();
    let mut ids: Vec<&str> = Vec::new();
    let mut count = 0;
    for s in steps {
        for cmd in s.def.checks.iter().filter(|c| !trust.trusts(c)) {
            listed.push_str(&format!("\n  {}  {}", shown(&s.id), shown(cmd)));
            count += 1;
            if !ids.contains(&s.id.as_str()) {
                ids.push(&s.id);
            }
        }
    }
    if count == 0 {
        return Ok(());
    }
    output::error_line(&format!(
        "check commands that came with the ledger and are not trusted in this clone:{listed}"
    ));
    Err(user_hint(
        format!("refusing to run {count} untrusted check command(s)"),
        format!(
            "read them, then allow them with: git ledger trust {}  (in CI: git ledger verify --trust)",
            ids.join(" ")
        ),
    ))
}

/// Stops cleanly after a signal: the running check is already killed; the
/// checkout is removed; steps finished before keep their evidence.
fn interrupted(progress: &mut Progress, checkout: Option<Checkout>, step: Option<&str>) -> ! {
    progress.clear();
    drop(checkout);
    match step {
        Some(id) => output::error_line(&format!("interrupted: nothing recorded for {id}")),
        None => output::error_line("interrupted: nothing recorded"),
    }
    std::process::exit(interrupt::EXIT_CODE)
}

struct Who<'a> {
    by: &'a str,
    run: &'a Option<String>,
    red: &'a Redactor,
}

struct Recorded {
    evidence: Located,
    status: Option<Located>,
    before: Status,
    dirty: bool,
}

impl Recorded {
    fn to_json(&self, step: &StepState) -> Value {
        let after = self
            .status
            .as_ref()
            .and_then(|l| l.event.str_field("status"))
            .unwrap_or(self.before.as_str());
        json!({
            "id": step.id,
            "title": step.def.title,
            "result": self.evidence.event.str_field("result"),
            "status_before": self.before.as_str(),
            "status": after,
            "evidence": event_json(&self.evidence),
            "status_event": self.status.as_ref().map(event_json),
        })
    }
}

/// Appends the evidence and, when it changes something, the status — in
/// one notes commit, the status decided against the state that wins a race.
#[allow(clippy::too_many_arguments)]
fn record(
    repo: &Repository,
    tree: &Tree<'_>,
    commit: Oid,
    step: &StepState,
    runs: &[CheckRun],
    dirty: bool,
    in_place: bool,
    who: Who<'_>,
) -> Result<Recorded> {
    let owns = owns_of(step);
    let owned = owned_files(repo, tree, &owns)?;
    if !step.def.owns.is_empty() && owned.is_empty() {
        output::warn(&format!(
            "{}: its owned globs ({}) match no file at {}: this run covers no owned file, and later changes cannot show as drift",
            step.id,
            step.def.owns.join(", "),
            short(&commit.to_string())
        ));
    }
    let fp = (!step.def.owns.is_empty()).then(|| fingerprint(&owned));
    let subject = Subject {
        tree: tree.id().to_string(),
        fingerprint: fp.clone(),
        dirty,
        in_place,
    };
    let at = time::now_rfc3339();
    let base = verify::base_event(&step.id, at.clone(), who.by.to_string(), who.run.clone());
    let evidence = verify::evidence_event(base, &subject, runs, who.red);
    let mut evidence_id = String::new();
    let passed = runs.iter().all(CheckRun::passed);
    let msg = verify::summary(runs, who.red);
    let mut before = step.status;
    let written = store::append_view(
        repo,
        Some(commit),
        &format!(
            "git-ledger: verify {} {}",
            step.id,
            if passed { "pass" } else { "fail" }
        ),
        |loaded| {
            let current = loaded.state.step(&step.id);
            before = current.map_or(Status::NotStarted, |s| s.status);
            // The id is fixed here so that the status can name it; `prev`
            // keeps two identical runs in one second two events.
            let mut ev = evidence.clone();
            if let Some(head) = current.map(|s| &s.head).filter(|h| !h.is_empty()) {
                ev.set("prev", head.clone());
            }
            evidence_id = ev.content_id();
            let mut drafts = vec![Draft::with_fixed_id(commit, ev, evidence_id.clone())];
            if let Some(next) = next_status(before, passed, dirty) {
                let mut e = Event::draft(
                    &step.id,
                    Kind::Status,
                    at.clone(),
                    who.by.to_string(),
                    "verify",
                )
                .with("status", next.as_str())
                .with("msg", msg.clone());
                e.run = who.run.clone();
                if next == Status::Verified {
                    if let Some(fp) = &fp {
                        e.set("fingerprint", fp.clone());
                    }
                    e.set("tree", tree.id().to_string());
                } else if let Some(files) = drifted_files(repo, current, &owns, &owned) {
                    e.set("files", files);
                }
                e.set("evidence", evidence_id.clone());
                drafts.push(Draft::new(commit, e));
            }
            Ok(drafts)
        },
    )?;
    let find = |kind: Kind| written.iter().find(|l| l.event.kind == kind).cloned();
    let evidence = find(Kind::Evidence).unwrap_or_else(|| Located {
        commit: commit.to_string(),
        event: {
            let mut e = evidence.clone();
            e.id = evidence_id.clone();
            e
        },
    });
    Ok(Recorded {
        evidence,
        status: find(Kind::Status),
        before,
        dirty,
    })
}

/// For a failure: the owned paths that changed since the last verification.
fn drifted_files(
    repo: &Repository,
    step: Option<&StepState>,
    owns: &crate::git::owns::Owns,
    now: &[crate::git::fingerprint::OwnedFile],
) -> Option<Vec<String>> {
    let tree = step?.baseline.as_ref()?.tree.as_deref()?;
    let tree = repo.find_tree(Oid::from_str(tree).ok()?).ok()?;
    let before = owned_files(repo, &tree, owns).ok()?;
    let files = changed_paths(&before, now);
    (!files.is_empty()).then_some(files)
}

fn step_text(p: &output::Paint, step: &StepState, r: &Recorded) -> String {
    let mut out = format!(
        "{}  {}\n",
        p.bold(&step.id),
        crate::sanitize::one_line(&step.def.title)
    );
    out.push_str(&evidence_block(p, &r.evidence, time::now_unix()));
    let line = match &r.status {
        Some(l) => {
            let after = l
                .event
                .str_field("status")
                .and_then(Status::parse)
                .unwrap_or(r.before);
            let mut s = if after == r.before {
                format!(
                    "  status: {} again at {}",
                    p.status(after, after.as_str()),
                    short(&l.commit)
                )
            } else {
                format!(
                    "  status: {} → {} at {}",
                    r.before,
                    p.status(after, after.as_str()),
                    short(&l.commit)
                )
            };
            if let Some(files) = l.event.list_field("files") {
                s.push_str(&format!(" (changed since verified: {})", files.join(", ")));
            } else if after == Status::DriftDetected && step.baseline.is_none() {
                // Nothing drifted: the step was never verified. Its checks fail.
                s.push_str(": its checks fail; it was never verified, so this is a failure to fix, not drift");
            }
            s
        }
        None if r.dirty => format!(
            "  status: {} (unchanged: evidence from a dirty work tree cannot verify)",
            r.before
        ),
        None => format!(
            "  status: {} (unchanged: a failure changes only steps called done)",
            r.before
        ),
    };
    out.push_str(&line);
    out.push('\n');
    out
}

/// `--timeout`, else `ledger.checkTimeout`, else the default; 0 is no limit.
fn check_timeout(repo: &Repository, arg: Option<&str>) -> Result<Option<Duration>> {
    let (text, source) = match arg {
        Some(t) => (t.to_string(), "--timeout"),
        None => match config_str(repo, "ledger.checkTimeout") {
            Some(t) => (t, "ledger.checkTimeout"),
            None => return Ok(Some(Duration::from_secs(DEFAULT_TIMEOUT_SECS))),
        },
    };
    let secs = parse_seconds(&text).ok_or_else(|| {
        user_hint(
            format!("{source} '{text}' is not a duration"),
            "give seconds (300) or 90s, 5m, 1h; 0 means no limit",
        )
    })?;
    Ok((secs > 0).then(|| Duration::from_secs(secs)))
}

fn parse_seconds(text: &str) -> Option<u64> {
    let t = text.trim();
    let (num, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, ""),
    };
    let n: u64 = num.parse().ok()?;
    let factor = match unit.trim() {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return None,
    };
    n.checked_mul(factor)
}

fn examples(paths: &[String]) -> String {
    let shown: Vec<&str> = paths.iter().take(3).map(String::as_str).collect();
    let more = paths.len().saturating_sub(shown.len());
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_seconds("300"), Some(300));
        assert_eq!(parse_seconds("90s"), Some(90));
        assert_eq!(parse_seconds("5m"), Some(300));
        assert_eq!(parse_seconds("1h"), Some(3600));
        assert_eq!(parse_seconds("0"), Some(0));
        assert_eq!(parse_seconds("soon"), None);
        assert_eq!(parse_seconds("-1"), None);
        assert_eq!(parse_seconds("5 days"), None);
    }
}
