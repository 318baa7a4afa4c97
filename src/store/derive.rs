//! Following a cached view instead of folding the whole ledger again. A
//! view depends on the notes tip and the commit it is seen from (SPEC 2.5);
//! when a cached view differs from the one wanted by a few new commits (a
//! commit, a pull) or a few new notes (an append elsewhere, a fetch, a
//! sync), only those are read: the new commits' notes and the owned files
//! they changed, or the notes whose blobs changed between the two tips.
//! Only the steps they touch are folded again. Whenever the change is not
//! one of those (notes removed, a ref rolled back, too much history), the
//! answer is None and the caller folds from scratch: the result is always
//! the one a full fold gives.

use super::ids::Ids;
use super::index::{Index, parse_note};
use super::{Loaded, cache, notes, view};
use crate::git::fingerprint::{fingerprint, owned_files};
use crate::git::history::History;
use crate::git::owns::{Owns, may_own};
use crate::git::treediff::{changed_blobs_in_threads, changed_files};
use crate::ledger::event_id::EventId;
use crate::ledger::fold::Viewpoint;
use crate::ledger::record::{Body, Stored};
use git2::{Oid, Repository};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// How far back along first parents a cached view is looked for.
const DEPTH: usize = 64;
/// More new commits or changed notes than this: fold from scratch.
const LIMIT: usize = 5000;

/// The ledger of `tip` seen from `at`, followed from a cached view.
/// `cached`: the view cached for `at` at another tip, if any.
pub fn derive(repo: &Repository, tip: Oid, at: Oid, cached: Option<Loaded>) -> Option<Loaded> {
    let mut base = match cached {
        Some(c) => c,
        None => nearest(repo, at)?,
    };
    if base.sight.at.as_deref() != Some(at.to_string().as_str()) {
        base = advance_commits(repo, base, at)?;
    }
    if base.tip != Some(tip) {
        base = advance_notes(repo, base, tip)?;
    }
    Some(base)
}

/// A cached view seen from one of `at`'s first-parent ancestors. The
/// views folder is listed once: with no view at all (a cold start) no
/// commit is read, and no file opened for a commit without one.
fn nearest(repo: &Repository, at: Oid) -> Option<Loaded> {
    let viewed = cache::viewed_commits(repo);
    if viewed.is_empty() {
        return None;
    }
    let mut commit = repo.find_commit(at).ok()?;
    for _ in 0..DEPTH {
        commit = commit.parent(0).ok()?;
        if viewed.contains(&commit.id().to_string())
            && let Some(v) = cache::load_any(repo, commit.id())
        {
            return Some(v);
        }
    }
    None
}

fn oid(hex: Option<&str>) -> Option<Oid> {
    hex.and_then(|h| Oid::from_str(h).ok())
}

/// From the view seen from an ancestor P to the one seen from `at`, with
/// the same notes: the commits between come into view, and the owned files
/// they changed give new fingerprints.
fn advance_commits(repo: &Repository, mut base: Loaded, at: Oid) -> Option<Loaded> {
    let from = oid(base.sight.at.as_deref())?;
    let tip = base.tip?;
    let mut walk = repo.revwalk().ok()?;
    walk.push(at).ok()?;
    walk.hide(from).ok()?;
    let mut fresh: Vec<Oid> = Vec::new();
    for c in walk {
        fresh.push(c.ok()?);
        if fresh.len() > LIMIT {
            return None;
        }
    }
    // Their notes, now in view.
    let mut records: Vec<Stored> = Vec::new();
    let mut touched: BTreeSet<String> = BTreeSet::new();
    let notes_tree = repo.find_commit(tip).ok()?.tree().ok()?;
    let mut annotated: Vec<Oid> = Vec::new();
    for c in &fresh {
        let hex = c.to_string();
        let text = notes::note_text_in(repo, &notes_tree, &hex).ok()?;
        if text.is_empty() {
            continue;
        }
        annotated.push(*c);
        let name: std::sync::Arc<str> = hex.into();
        for record in parse_note(&text).records {
            touched.insert(record.step.to_string());
            records.push(Stored {
                commit: std::sync::Arc::clone(&name),
                record,
            });
        }
    }
    base.sight.seen.extend(annotated);
    // The owned files the commits changed.
    let before = repo.find_commit(from).ok()?.tree().ok()?;
    let after = repo.find_commit(at).ok()?.tree().ok()?;
    let paths = changed_files(repo, Some(&before), &after).ok()?;
    let mut rescoped: BTreeSet<String> = BTreeSet::new();
    if !paths.is_empty() {
        for s in base.state.active_steps() {
            if s.def.owns.is_empty() || !paths.iter().any(|p| may_own(&s.def.owns, p)) {
                continue;
            }
            let Ok(owns) = Owns::new(&s.def.owns) else {
                continue;
            };
            if !paths.iter().any(|p| owns.matches(p, false)) {
                continue;
            }
            let fp = fingerprint(&owned_files(repo, &after, &owns).ok()?);
            if base.sight.fingerprints.get(&s.id) != Some(&fp) {
                rescoped.insert(s.id.clone());
                base.sight.fingerprints.insert(s.id.clone(), fp);
            }
        }
    }
    base.sight.at = Some(at.to_string());
    touched.extend(rescoped);
    if !touched.is_empty() {
        // Notes already in the ledger come into view: their steps fold
        // again, from the whole index of this tip.
        let (events, _, _) = super::honest(Index::at(repo, tip).ok()?.into_stored());
        base.state.refold_steps(&touched, events, &base.sight, 0);
        view::confirm_collisions(repo, &mut base.state);
    }
    super::trace(&format!(
        "view: followed {} new commit(s), {} step(s) folded again",
        fresh.len(),
        touched.len()
    ));
    cache::save(repo, &base);
    Some(base)
}

/// From the view of an older notes tip to the one of `tip`, seen from the
/// same commit: the notes that changed between the two notes trees are
/// read, and their new lines applied.
fn advance_notes(repo: &Repository, mut base: Loaded, tip: Oid) -> Option<Loaded> {
    let old = base.tip?;
    if base.skipped > 0 {
        // A line skipped as forged may become readable as the ledger
        // grows (SPEC 2.2): only a full fold says.
        return None;
    }
    let mut ids = Ids::load(repo).filter(|i| i.tip == old.to_string())?;
    let old_tree = repo.find_commit(old).ok()?.tree().ok()?;
    let new_tree = repo.find_commit(tip).ok()?.tree().ok()?;
    // Per annotated commit, its note's blobs before and after (two when
    // a merge left it both flat and fanned out).
    let mut commits: BTreeMap<String, (Vec<Oid>, Vec<Oid>)> = BTreeMap::new();
    for c in changed_blobs_in_threads(repo, Some(&old_tree), &new_tree).ok()? {
        let Some(hex) = notes::commit_of_path(&c.path) else {
            continue;
        };
        let slot = commits.entry(hex).or_default();
        slot.0.extend(c.before);
        slot.1.extend(c.after);
        if commits.len() > LIMIT {
            return None;
        }
    }
    let odb = repo.odb().ok()?;
    let text_of = |blobs: &[Oid]| -> Option<String> {
        let mut text = Vec::new();
        for b in blobs {
            if !text.is_empty() && !text.ends_with(b"\n") {
                text.push(b'\n');
            }
            text.extend_from_slice(odb.read(*b).ok()?.data());
        }
        Some(String::from_utf8_lossy(&text).into_owned())
    };
    let mut added: Vec<Stored> = Vec::new();
    let mut skipped_more = 0usize;
    for (c, (before_blobs, after_blobs)) in &commits {
        // The changed blobs alone: lines of a form of the note that did
        // not change are neither new nor gone.
        let before = parse_note(&text_of(before_blobs)?);
        let after = parse_note(&text_of(after_blobs)?);
        let had: HashSet<&EventId> = before.records.iter().map(|r| &r.id).collect();
        let has: HashSet<&EventId> = after.records.iter().map(|r| &r.id).collect();
        if had.iter().any(|id| !has.contains(id)) || after.skipped.len() < before.skipped.len() {
            return None; // lines went away: fold from scratch
        }
        skipped_more += after.skipped.len() - before.skipped.len();
        let name: std::sync::Arc<str> = c.as_str().into();
        for record in after.records {
            if !had.contains(&record.id) {
                added.push(Stored {
                    commit: std::sync::Arc::clone(&name),
                    record,
                });
            }
        }
    }
    // Which of the newly annotated commits are in view.
    let unknown: HashSet<Oid> = added
        .iter()
        .filter(|s| !base.sight.sees(&s.commit))
        .filter_map(|s| Oid::from_str(&s.commit).ok())
        .collect();
    if let Some(at) = oid(base.sight.at.as_deref())
        && !unknown.is_empty()
    {
        base.sight
            .seen
            .extend(History::open(repo).reachable_among(at, &unknown));
    }
    let mut copies = false;
    let mut fresh_ids: HashSet<u128> = HashSet::new();
    for s in &added {
        if ids.insert(s.record.id.key()) {
            fresh_ids.insert(s.record.id.key());
        } else {
            copies = true;
        }
    }
    let distinct = ids.len() as u64;
    let forged = added.iter().filter(|s| s.record.seq > distinct).count();
    added.retain(|s| s.record.seq <= distinct);
    let new_events = added
        .iter()
        .filter(|s| fresh_ids.contains(&s.record.id.key()))
        .map(|s| s.record.id.key())
        .collect::<HashSet<u128>>()
        .len() as u64;
    let plan_changed = added
        .iter()
        .any(|s| matches!(s.record.body, Body::Define(_) | Body::Retire));
    added.sort_by(|a, b| a.record.order_key().cmp(&b.record.order_key()));
    let in_order = !copies
        && !plan_changed
        && added.iter().all(|s| base.state.follows(&s.record))
        && added.windows(2).all(|w| w[0].record.id != w[1].record.id);
    if in_order {
        for s in &added {
            base.state.apply_from(s, &base.sight);
        }
        base.state.events += new_events;
    } else {
        let steps: BTreeSet<String> = added.iter().map(|s| s.record.step.to_string()).collect();
        let (events, _, _) = super::honest(Index::at(repo, tip).ok()?.into_stored());
        if plan_changed {
            // New definitions may own other files: their fingerprints anew.
            let at = oid(base.sight.at.as_deref())?;
            let fps: HashMap<String, String> = view::plan_fingerprints(repo, at, &events).ok()?;
            for id in &steps {
                match fps.get(id) {
                    Some(fp) => base.sight.fingerprints.insert(id.clone(), fp.clone()),
                    None => base.sight.fingerprints.remove(id),
                };
            }
        }
        base.state
            .refold_steps(&steps, events, &base.sight, new_events);
        view::confirm_collisions(repo, &mut base.state);
    }
    base.skipped += skipped_more + forged;
    base.tip = Some(tip);
    ids.tip = tip.to_string();
    ids.save(repo);
    super::trace(&format!(
        "view: followed {} changed note(s), {} new line(s){}",
        commits.len(),
        added.len(),
        if in_order {
            ""
        } else {
            ", their steps folded again"
        }
    ));
    cache::save(repo, &base);
    Some(base)
}
