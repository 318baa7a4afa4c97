//! Sharing the ledger through a git remote (SPEC 6): fetch the remote's
//! notes into a remote-tracking ref, merge them without losing a line,
//! push without force, and go round again when someone else pushed first.
//! Also the merge every read does of ledgers plain `git fetch` brought in.

pub mod discover;
mod merge;
mod seen;
mod transport;

pub use merge::MergeKind;

use crate::error::user_hint;
use crate::output;
use crate::store;
use anyhow::{Context, Result};
use git2::{ConfigLevel, ErrorCode, Oid, Repository};
use merge::Count;
use std::time::Duration;
use transport::Pushed;

/// What one `sync` moved.
pub struct Report {
    pub remote: String,
    pub received: usize,
    pub sent: usize,
    pub merge: MergeKind,
    pub attempts: u32,
    /// Pushes refused because another clone pushed first after our fetch.
    pub races: u32,
    /// The local ledger's tip afterwards (None: neither side has a ledger).
    pub tip: Option<Oid>,
}

/// Rounds of fetch, merge, push before giving up on a remote that keeps
/// moving; with the backoff below that is about ten seconds of contention.
const MAX_ATTEMPTS: u32 = 10;

/// Fetches, merges and pushes the ledger with `remote` until the remote
/// holds everything the local ledger holds.
pub fn sync(repo: &Repository, remote: &str) -> Result<Report> {
    let tracking = transport::tracking_ref(remote);
    let mut report = Report {
        remote: remote.to_string(),
        received: 0,
        sent: 0,
        merge: MergeKind::UpToDate,
        attempts: 0,
        races: 0,
        tip: None,
    };
    // What plain `git fetch` brought in is merged before this fetch moves
    // or prunes the tracking refs, so no fetched event is ever dropped.
    merge_fetched(repo)?;
    // With local news and a remote last seen where we left it, try the push
    // first: when nobody else pushed meanwhile, that saves a round trip, and
    // a rejection only means fetching as we would have anyway.
    let local = store::tip(repo)?;
    let mut fetch = local.is_none() || local == ref_tip(repo, &tracking)?;
    for attempt in 1..=MAX_ATTEMPTS {
        report.attempts = attempt;
        if fetch {
            transport::fetch(repo, remote)?;
        }
        let theirs = ref_tip(repo, &tracking)?;
        if let Some(theirs) = theirs.filter(|_| fetch) {
            merge::check_notes_history(repo, &tracking, theirs, store::tip(repo)?)?;
            let merged = merge::merge_into_local(repo, &tracking, theirs, Count::Events)?;
            report.received += merged.received;
            report.merge = report.merge.max(merged.kind);
        }
        let Some(local) = store::tip(repo)? else {
            break; // neither side has a ledger yet
        };
        report.tip = Some(local);
        if theirs == Some(local) {
            break;
        }
        match transport::push(repo, remote, local)? {
            Pushed::UpToDate => {
                set_tracking(repo, &tracking, local);
                break;
            }
            Pushed::Updated { old } => {
                let before = match old {
                    Some(abbrev) => repo
                        .revparse_single(&abbrev)
                        .ok()
                        .map(|o| o.id())
                        .or(theirs),
                    None => None,
                };
                report.sent = merge::count_events(&merge::missing_lines(repo, before, local)?);
                set_tracking(repo, &tracking, local);
                break;
            }
            Pushed::Retry(why) => {
                if attempt == MAX_ATTEMPTS {
                    return Err(user_hint(
                        format!(
                            "'{remote}' kept moving: its ledger changed before each of {MAX_ATTEMPTS} pushes (last: {why})"
                        ),
                        "every event received is merged locally and nothing is lost; run git ledger sync again",
                    ));
                }
                // A refusal right after a fresh fetch is a race with
                // another pusher: wait a little so that the racers spread.
                if fetch {
                    report.races += 1;
                    std::thread::sleep(backoff(attempt));
                }
                fetch = true;
            }
        }
    }
    Ok(report)
}

/// Fetches `remote`'s ledger and merges it into the local one, without
/// pushing (`init` in a fresh clone); returns the events received.
pub fn fetch_and_merge(repo: &Repository, remote: &str) -> Result<usize> {
    transport::fetch(repo, remote)?;
    let tracking = transport::tracking_ref(remote);
    match ref_tip(repo, &tracking)? {
        Some(theirs) => {
            Ok(merge::merge_into_local(repo, &tracking, theirs, Count::Events)?.received)
        }
        None => Ok(0),
    }
}

/// Doubles from ~50 ms up to ~1.6 s, with jitter so that racers spread out.
fn backoff(attempt: u32) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let base = 50u64 << attempt.saturating_sub(1).min(5);
    let jitter = u64::from(nanos ^ std::process::id().wrapping_mul(2_654_435_761)) % base;
    Duration::from_millis(base / 2 + jitter)
}

fn ref_tip(repo: &Repository, name: &str) -> Result<Option<Oid>> {
    match repo.refname_to_id(name) {
        Ok(oid) => Ok(Some(oid)),
        Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {name}")),
    }
}

/// Records what the remote now has, as `git fetch` would next time. Only a
/// remote-tracking ref, so a failure here costs a round trip, nothing more.
fn set_tracking(repo: &Repository, tracking: &str, tip: Oid) {
    let _ = repo.reference(tracking, tip, true, "git-ledger: sync pushed");
}

/// Merges the `refs/notes/remotes/<remote>/ledger` of each configured
/// remote that plain `git fetch` brought in and the local ledger does not
/// contain yet — exactly those refs: the fetch pattern `ledger*` also
/// brings any `refs/notes/ledger…/…/ledger` a remote publishes, and those
/// are not the remote's ledger. When nothing was fetched since the last
/// read this is a few ref reads, a small file read and an ancestry check
/// over the local appends since that read.
pub fn merge_fetched(repo: &Repository) -> Result<()> {
    let mut fetched = Vec::new();
    let remotes = repo.remotes()?;
    for remote in remotes.iter().flatten().flatten() {
        let name = transport::tracking_ref(remote);
        if let Ok(r) = repo.find_reference(&name)
            && let Some(oid) = r.target()
        {
            fetched.push((name, oid));
        }
    }
    if fetched.is_empty() {
        return Ok(());
    }
    let known = seen::load(repo);
    let mut now = Vec::new();
    for (name, theirs) in fetched {
        let local = store::tip(repo)?;
        let recorded = known
            .iter()
            .find(|s| s.fetched == name && s.theirs == theirs)
            .map(|s| s.ours);
        let still_contained = match (local, recorded) {
            (Some(l), Some(o)) => merge::contains(repo, Some(l), o)?,
            _ => false,
        };
        if !still_contained {
            // What is not a ledger is left out, with a word; the others merge.
            if let Err(e) = merge::check_notes_history(repo, &name, theirs, local) {
                output::warn(&crate::error::one_paragraph(&e));
                continue;
            }
            merge::merge_into_local(repo, &name, theirs, Count::Nothing)?;
        }
        if let Some(ours) = store::tip(repo)? {
            now.push(seen::Seen {
                fetched: name,
                theirs,
                ours,
            });
        }
    }
    if now != known {
        seen::save(repo, &now);
    }
    Ok(())
}

/// `merge_fetched` for read commands: a failure (a read-only repository, a
/// damaged fetched ref) must not stop a read of the local ledger.
pub fn merge_fetched_or_warn(repo: &Repository) {
    if let Err(e) = merge_fetched(repo) {
        output::warn(&format!(
            "could not merge the ledger fetched from a remote ({e:#}); showing the local ledger"
        ));
    }
}

/// The remote `sync` talks to: the one given, else `ledger.remote`, else
/// the current branch's upstream remote, else `origin`.
pub fn resolve_remote(repo: &Repository, given: Option<&str>) -> Result<String> {
    if let Some(name) = given {
        return remote_named(repo, name);
    }
    if let Some(name) = crate::git::repo::config_str(repo, "ledger.remote") {
        return remote_named(repo, &name).map_err(|_| {
            user_hint(
                format!("ledger.remote names '{name}', which is not a remote of this clone"),
                format!(
                    "fix it with: git config ledger.remote <remote> ({})",
                    known_remotes(repo)
                ),
            )
        });
    }
    let upstream = repo
        .head()
        .ok()
        .filter(|h| h.is_branch())
        .and_then(|h| h.shorthand().ok().map(str::to_string))
        .and_then(|b| crate::git::repo::config_str(repo, &format!("branch.{b}.remote")))
        .filter(|r| r != "." && repo.find_remote(r).is_ok());
    if let Some(name) = upstream {
        return Ok(name);
    }
    if repo.find_remote("origin").is_ok() {
        return Ok("origin".into());
    }
    Err(user_hint(
        "no remote to sync with: no ledger.remote, no upstream, no 'origin'",
        format!(
            "name one: git ledger sync <remote> ({})",
            known_remotes(repo)
        ),
    ))
}

/// `name` when it is a remote configured in this clone. URLs are refused:
/// the remote's name is what keeps its tracking ref apart from others'.
pub fn remote_named(repo: &Repository, name: &str) -> Result<String> {
    if git2::Remote::is_valid_name(name) && repo.find_remote(name).is_ok() {
        return Ok(name.to_string());
    }
    Err(user_hint(
        format!("'{name}' is not a remote of this clone"),
        format!(
            "{}; add it with: git remote add <name> <url>",
            known_remotes(repo)
        ),
    ))
}

fn known_remotes(repo: &Repository) -> String {
    let names: Vec<String> = repo
        .remotes()
        .map(|a| a.iter().flatten().flatten().map(str::to_string).collect())
        .unwrap_or_default();
    if names.is_empty() {
        "this clone has no remote".into()
    } else {
        format!("remotes here: {}", names.join(", "))
    }
}

/// Whether a fetch refspec of `remote` already brings its ledger into the
/// tracking ref, so that plain `git fetch` shares the ledger.
pub fn tracks_remote_ledger(repo: &Repository, remote: &str) -> Result<bool> {
    let tracking = transport::tracking_ref(remote);
    let refspecs = crate::git::repo::config_values(repo, &format!("remote.{remote}.fetch"))?;
    Ok(refspecs.iter().any(|v| {
        v.rsplit_once(':')
            .is_some_and(|(_, d)| d.trim_end_matches('*') == tracking)
    }))
}

/// `init --remote R`: a fetch refspec so that plain `git fetch R` brings
/// the ledger too, and `ledger.remote` when unset. Returns a line per change.
pub fn track_remote_ledger(repo: &Repository, remote: &str) -> Result<Vec<String>> {
    let all = repo.config()?;
    let mut local = all
        .open_level(ConfigLevel::Local)
        .context("cannot open the repository's config")?;
    let mut changed = Vec::new();
    let key = format!("remote.{remote}.fetch");
    let present = tracks_remote_ledger(repo, remote)?;
    if !present {
        let refspec = transport::fetch_refspec(remote);
        // A regex that matches no existing value appends a new one.
        local.set_multivar(&key, "^$", &refspec)?;
        changed.push(format!(
            "{key} += {refspec}  (git fetch {remote} brings the ledger too)"
        ));
    }
    if crate::git::repo::config_str(repo, "ledger.remote").is_none() {
        local.set_str("ledger.remote", remote)?;
        changed.push(format!(
            "ledger.remote = {remote}  (git ledger sync talks to it)"
        ));
    }
    Ok(changed)
}
