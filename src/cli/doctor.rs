//! `git ledger doctor`: checks this clone's set-up and the ledger's health,
//! and says how to fix each problem.

use super::Ctx;
use crate::error::Outcome;
use crate::git::repo::{self, NOTES_REF};
use crate::output;
use crate::store;
use anyhow::Result;
use git2::Repository;
use serde::Serialize;

#[derive(Serialize)]
pub struct Finding {
    /// `ok`, `warn` or `problem`
    pub level: &'static str,
    pub check: &'static str,
    pub detail: String,
    /// What to run or change; empty when nothing is needed.
    pub fix: String,
}

fn ok(check: &'static str, detail: impl Into<String>) -> Finding {
    Finding {
        level: "ok",
        check,
        detail: detail.into(),
        fix: String::new(),
    }
}

fn problem(check: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Finding {
    Finding {
        level: "problem",
        check,
        detail: detail.into(),
        fix: fix.into(),
    }
}

fn warn(check: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Finding {
    Finding {
        level: "warn",
        check,
        detail: detail.into(),
        fix: fix.into(),
    }
}

pub fn run(ctx: &Ctx) -> Result<Outcome> {
    let repo = ctx.repo()?;
    let mut findings = Vec::new();
    findings.push(repository(&repo));
    findings.extend(notes_config(&repo)?);
    findings.push(hooks(&repo));
    findings.push(remote(&repo));
    findings.push(ledger(&repo));
    findings.push(owning_nothing(&repo));
    findings.extend(collisions(&repo));
    findings.extend(lock(&repo));
    findings.extend(verify_leftovers(&repo));
    findings.extend(broad_owns(&repo));
    let failed = findings.iter().any(|f| f.level == "problem");
    if ctx.json {
        output::emit(&output::json(
            &serde_json::json!({ "ok": !failed, "findings": findings }),
        ));
    } else {
        let p = ctx.paint(&repo);
        let mut out = String::new();
        for f in &findings {
            let tag = match f.level {
                "ok" => p.status(crate::ledger::Status::Verified, "ok     "),
                "warn" => p.status(
                    crate::ledger::Status::CompletedPendingVerification,
                    "warn   ",
                ),
                _ => p.red("problem"),
            };
            out.push_str(&format!("{tag}  {}: {}\n", f.check, f.detail));
            if !f.fix.is_empty() {
                out.push_str(&format!("         fix: {}\n", f.fix));
            }
        }
        output::emit(&out);
    }
    Ok(if failed {
        Outcome::Refused
    } else {
        Outcome::Ok
    })
}

fn repository(repo: &Repository) -> Finding {
    if repo.head().ok().and_then(|h| h.target()).is_none() {
        return problem("repository", "no commit yet", "make a first commit");
    }
    if repo.is_shallow() {
        return warn(
            "repository",
            "shallow clone: notes on commits outside the history are kept but their commits cannot be shown",
            "git fetch --unshallow, where the history matters",
        );
    }
    let kind = if repo.is_bare() {
        "bare repository"
    } else {
        "work tree"
    };
    ok("repository", format!("{kind} at {}", repo.path().display()))
}

fn notes_config(repo: &Repository) -> Result<Vec<Finding>> {
    let mut f = Vec::new();
    let display = repo::config_values(repo, "notes.displayRef").unwrap_or_default();
    let rewrite = repo::config_values(repo, "notes.rewriteRef").unwrap_or_default();
    let has = |vals: &[String]| vals.iter().any(|v| v == NOTES_REF || v == "refs/notes/*");
    let view = crate::log_view::VIEW_REF;
    f.push(if display.iter().any(|v| v == NOTES_REF) {
        warn(
            "notes.displayRef",
            "plain git log prints the raw JSON events (refs/notes/ledger), up to a kilobyte a line",
            "git ledger init (shows a short line per event instead; git log --notes=ledger keeps the JSON)",
        )
    } else if display.iter().any(|v| v == view || v == "refs/notes/*") {
        ok("notes.displayRef", "git log shows a short line per ledger event")
    } else {
        warn(
            "notes.displayRef",
            "plain git log does not show ledger events",
            "git ledger init",
        )
    });
    f.push(if has(&rewrite) {
        ok("notes.rewriteRef", "amend and rebase carry ledger notes")
    } else {
        problem(
            "notes.rewriteRef",
            "amend and rebase leave ledger notes on the old commits",
            "git ledger init",
        )
    });
    for key in ["notes.rewrite.amend", "notes.rewrite.rebase"] {
        if repo::config_bool_or(repo, key, true)? {
            continue;
        }
        f.push(problem(
            key,
            "set to false: rewritten commits lose their ledger notes",
            format!("git config --unset {key}"),
        ));
    }
    let strategy = repo::config_str(repo, "notes.ledger.mergeStrategy");
    f.push(if strategy.as_deref() == Some("cat_sort_uniq") {
        ok(
            "notes.ledger.mergeStrategy",
            "cat_sort_uniq: git notes merge keeps every line",
        )
    } else {
        warn(
            "notes.ledger.mergeStrategy",
            format!(
                "{}: a plain git notes merge may drop lines",
                strategy.as_deref().unwrap_or("unset")
            ),
            "git ledger init",
        )
    });
    Ok(f)
}

fn hooks(repo: &Repository) -> Finding {
    let Ok(dir) = crate::hooks::install::hooks_dir(repo) else {
        return warn(
            "hooks",
            "cannot tell where git looks for hooks",
            "git ledger hooks status",
        );
    };
    let states = crate::hooks::install::status(&dir);
    let not_ok: Vec<String> = states
        .iter()
        .filter(|h| !h.runs_ledger())
        .map(|h| match h.manager {
            Some(m) if h.state == "not_in_manager" => {
                format!("{} is {m}'s and does not call git-ledger", h.name)
            }
            _ => format!("{} {}", h.name, h.state.replace('_', " ")),
        })
        .collect();
    if not_ok.is_empty() {
        let shared = if dir.from_config {
            " (core.hooksPath: shared with whoever else uses it)"
        } else {
            ""
        };
        let via = match states.iter().find_map(|h| h.manager) {
            Some(m) => format!(" (run by {m})"),
            None => String::new(),
        };
        return ok(
            "hooks",
            format!("installed in {}{shared}{via}", dir.path.display()),
        );
    }
    let fixes: Vec<String> = states
        .iter()
        .filter(|h| h.state == "not_in_manager")
        .filter_map(|h| h.fix.clone())
        .collect();
    let fix = if fixes.is_empty() {
        "git ledger hooks install".to_string()
    } else {
        fixes.join("; ")
    };
    warn(
        "hooks",
        format!(
            "drift is caught only by git ledger check: {}",
            not_ok.join(", ")
        ),
        fix,
    )
}

fn remote(repo: &Repository) -> Finding {
    let Ok(name) = crate::sync::resolve_remote(repo, None) else {
        return ok("remote", "no remote: the ledger stays in this clone");
    };
    match crate::sync::tracks_remote_ledger(repo, &name) {
        Ok(true) => ok(
            "remote",
            format!("git fetch {name} brings the ledger; git ledger sync shares it"),
        ),
        _ => warn(
            "remote",
            format!("git fetch {name} does not bring the ledger (git ledger sync still does)"),
            format!("git ledger init --remote {name}"),
        ),
    }
}

/// A `refs/notes/ledger.lock` left behind makes every ledger write fail.
fn lock(repo: &Repository) -> Option<Finding> {
    use crate::git::ref_lock::{STALE, describe, held};
    let (path, age) = held(repo, NOTES_REF)?;
    let fix = format!("if no git command is running: rm '{}'", path.display());
    Some(if age >= STALE {
        problem(
            "lock",
            format!(
                "{} is {} old, left by a process that did not finish: every ledger write fails (hooks skip theirs) until it is removed",
                path.display(),
                describe(age)
            ),
            fix,
        )
    } else {
        warn(
            "lock",
            format!(
                "{} exists ({} old): a process is writing the ledger right now",
                path.display(),
                describe(age)
            ),
            format!("run git ledger doctor again in a moment; {fix}"),
        )
    })
}

/// Steps whose `owns` takes in most of the tree: every commit then counts
/// as a change to them, so a planted `owns: **` would turn every commit
/// into drift. A step's scope is worth a look when it owns three files in
/// four or more.
fn broad_owns(repo: &Repository) -> Vec<Finding> {
    let Ok(tree) = repo.head().and_then(|h| h.peel_to_tree()) else {
        return Vec::new();
    };
    let Ok(loaded) = store::load(repo) else {
        return Vec::new();
    };
    let steps: Vec<_> = loaded
        .state
        .active_steps()
        .into_iter()
        .filter(|s| !s.def.owns.is_empty())
        .collect();
    if steps.is_empty() {
        return Vec::new();
    }
    let mut total = 0usize;
    let _ = tree.walk(git2::TreeWalkMode::PreOrder, |_, e| {
        total += usize::from(e.kind() == Some(git2::ObjectType::Blob));
        git2::TreeWalkResult::Ok
    });
    let matchers: Vec<_> = steps.iter().map(|s| crate::drift::owns_of(s)).collect();
    let refs: Vec<_> = matchers.iter().collect();
    let Ok(owned) = crate::git::fingerprint::owned_files_many(repo, &tree, &refs) else {
        return Vec::new();
    };
    steps
        .iter()
        .zip(owned)
        .filter(|(_, files)| total >= 4 && files.len() * 4 >= total * 3)
        .map(|(s, files)| {
            warn(
                "owns",
                format!(
                    "{} owns {} of the {total} files at HEAD (owns: {}): nearly every commit changes its files, and each makes it drift",
                    s.id,
                    files.len(),
                    s.def.owns.join(", ")
                ),
                format!(
                    "narrow it to the files the step is about: git ledger edit {} --owns '<glob>' (git ledger log {} shows who set it)",
                    s.id, s.id
                ),
            )
        })
        .collect()
}

fn collisions(repo: &Repository) -> Vec<Finding> {
    let Ok(l) = store::load(repo) else {
        return Vec::new();
    };
    l.state
        .collisions
        .iter()
        .map(|c| {
            problem(
                "collision",
                super::collision::describe(repo, c),
                super::collision::hint(c),
            )
        })
        .collect()
}

/// Temporary checkouts a killed verify left registered as worktrees.
fn verify_leftovers(repo: &Repository) -> Option<Finding> {
    let left = crate::verify::checkout::leftovers(repo);
    if left.is_empty() {
        return None;
    }
    let list: Vec<String> = left
        .iter()
        .map(|l| format!("{} ({})", l.path.display(), l.why))
        .collect();
    Some(warn(
        "verify checkouts",
        format!(
            "{} temporary checkout(s) left by an interrupted verify, still registered as worktrees (git fsck may fail while one is locked initializing): {}",
            left.len(),
            list.join(", ")
        ),
        "the next git ledger verify removes them; by hand: git worktree unlock <path>; git worktree remove --force --force <path>; git worktree prune",
    ))
}

fn ledger(repo: &Repository) -> Finding {
    match store::load(repo) {
        Err(e) => problem(
            "ledger",
            format!("cannot read {NOTES_REF}: {e:#}"),
            "git fsck; then git ledger doctor again",
        ),
        Ok(l) if l.tip.is_none() => ok(
            "ledger",
            "empty: no events yet (git ledger add defines a step)",
        ),
        Ok(l) => {
            let steps = l.state.active_steps().len();
            let undefined = l.state.steps.iter().filter(|s| s.defined.is_none()).count();
            let mut detail = format!("{} events, {steps} active steps", l.state.events);
            if l.skipped > 0 {
                detail.push_str(&format!(
                    "; {} line(s) are not events this version reads (first: {}), kept untouched",
                    l.skipped,
                    l.first_skipped.as_deref().unwrap_or("?")
                ));
            }
            if undefined > 0 {
                return warn(
                    "ledger",
                    format!("{detail}; {undefined} step id(s) have events but no definition"),
                    "git ledger log shows them; git ledger add defines them",
                );
            }
            if l.skipped > 0 {
                return warn(
                    "ledger",
                    detail,
                    "a newer git-ledger may read them; nothing to do otherwise",
                );
            }
            ok("ledger", detail)
        }
    }
}

/// Steps whose `owns` match no file at HEAD: they cannot drift, and a
/// verification of them covers nothing.
fn owning_nothing(repo: &Repository) -> Finding {
    let (Ok(loaded), Ok(head)) = (store::load(repo), repo::head_commit(repo)) else {
        return ok("owned files", "nothing to check");
    };
    let Ok(tree) = head.tree() else {
        return ok("owned files", "nothing to check");
    };
    let steps: Vec<_> = loaded
        .state
        .active_steps()
        .into_iter()
        .filter(|s| !s.def.owns.is_empty())
        .collect();
    let matchers: Vec<_> = steps.iter().map(|s| crate::drift::owns_of(s)).collect();
    let refs: Vec<_> = matchers.iter().collect();
    let Ok(owned) = crate::git::fingerprint::owned_files_many(repo, &tree, &refs) else {
        return ok("owned files", "nothing to check");
    };
    let empty: Vec<String> = steps
        .iter()
        .zip(&owned)
        .filter(|(_, files)| files.is_empty())
        .map(|(s, _)| format!("{} ({})", s.id, s.def.owns.join(", ")))
        .collect();
    if empty.is_empty() {
        return ok(
            "owned files",
            format!(
                "every scoped step owns at least one file at HEAD ({})",
                steps.len()
            ),
        );
    }
    warn(
        "owned files",
        format!(
            "{} step(s) own no file at HEAD, so they cannot drift: {}",
            empty.len(),
            empty.join("; ")
        ),
        "fix the globs: git ledger edit ID --owns '<glob>'",
    )
}
