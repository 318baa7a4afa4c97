//! The ledger as plain `git log` shows it: a derived notes ref,
//! `refs/notes/ledger-log`, holding one short human line per event
//! (`S04 → verified · pass 3/3 · run-004 · Ada Lovelace`) on the same
//! commits as the events. `init` points `notes.displayRef` at it, so that
//! `git log` stays readable while `git log --notes=ledger` and
//! `git notes --ref ledger show` keep giving the raw JSON.
//!
//! It is a view, never the truth: rebuilt from `refs/notes/ledger` after
//! every change of that ref the tool makes (appends, merges, syncs), and
//! only where `notes.displayRef` names it. Its commit records the ledger
//! tip it was made from; the next refresh re-renders only the notes that
//! changed since, so a refresh costs one diff of two notes trees.

use crate::git::repo::{NOTES_REF, config_values};
use crate::ledger::event::check_passed;
use crate::ledger::{Event, Kind};
use anyhow::{Context, Result};
use git2::{ObjectType, Oid, Repository, Tree, TreeWalkMode, TreeWalkResult};

pub const VIEW_REF: &str = "refs/notes/ledger-log";
const MESSAGE_PREFIX: &str = "git-ledger: log view of ";
/// Longest line the view writes, in characters.
const MAX_LINE: usize = 120;

/// Brings the view up to date with the ledger, when `notes.displayRef`
/// asks for it. Best effort: a view that cannot be written leaves the
/// ledger as it is, and the next refresh starts over.
pub fn refresh(repo: &Repository) {
    if !enabled(repo) {
        return;
    }
    let _ = rebuild(repo);
}

/// Whether `git log` is set to show the view.
pub fn enabled(repo: &Repository) -> bool {
    config_values(repo, "notes.displayRef").is_ok_and(|v| v.iter().any(|r| r == VIEW_REF))
}

fn ref_tip(repo: &Repository, name: &str) -> Option<Oid> {
    repo.refname_to_id(name).ok()
}

/// The ledger tip a view commit was made from.
fn source_of(repo: &Repository, view: Oid) -> Option<Oid> {
    let commit = repo.find_commit(view).ok()?;
    let msg = commit.message().ok()?;
    Oid::from_str(msg.strip_prefix(MESSAGE_PREFIX)?.trim()).ok()
}

pub fn rebuild(repo: &Repository) -> Result<()> {
    let Some(tip) = ref_tip(repo, NOTES_REF) else {
        return Ok(());
    };
    let view = ref_tip(repo, VIEW_REF);
    let source = view.and_then(|v| source_of(repo, v));
    if source == Some(tip) {
        return Ok(());
    }
    let ledger_tree = repo.find_commit(tip)?.tree()?;
    let incremental = match (view, source) {
        (Some(v), Some(s)) => (|| -> Result<Oid> {
            let old = repo.find_commit(s)?.tree()?;
            let base = repo.find_commit(v)?.tree()?;
            update(repo, &base, Some(&old), &ledger_tree)
        })()
        .ok(),
        _ => None,
    };
    let tree_id = match incremental {
        Some(t) => t,
        None => {
            let empty = repo.find_tree(repo.treebuilder(None)?.write()?)?;
            update(repo, &empty, None, &ledger_tree)?
        }
    };
    let tree = repo.find_tree(tree_id)?;
    let sig = crate::store::notes_signature(repo)?;
    // No parent: the view's own history is worth nothing, and old views
    // become garbage for git gc.
    let commit = repo.commit(
        None,
        &sig,
        &sig,
        &format!("{MESSAGE_PREFIX}{tip}"),
        &tree,
        &[],
    )?;
    repo.reference(VIEW_REF, commit, true, "git-ledger: refresh the log view")
        .context("cannot update refs/notes/ledger-log")?;
    Ok(())
}

/// `base` (a view tree) with the notes that differ between `old` (None:
/// every note) and `new` rendered again.
fn update(
    repo: &Repository,
    base: &Tree<'_>,
    old: Option<&Tree<'_>>,
    new: &Tree<'_>,
) -> Result<Oid> {
    let mut builder = git2::build::TreeUpdateBuilder::new();
    let in_base = |path: &str| base.get_path(std::path::Path::new(path)).is_ok();
    let render =
        |builder: &mut git2::build::TreeUpdateBuilder, path: &str, blob: Oid| -> Result<()> {
            let text = repo.find_blob(blob)?;
            let shown = render_note(&String::from_utf8_lossy(text.content()));
            if shown.is_empty() {
                if in_base(path) {
                    builder.remove(path);
                }
            } else {
                builder.upsert(path, repo.blob(shown.as_bytes())?, git2::FileMode::Blob);
            }
            Ok(())
        };
    match old {
        Some(old) => {
            // Only the subtrees whose ids differ are read: a write touches
            // one note of thousands.
            for path in crate::git::treediff::changed_files(repo, Some(old), new)? {
                match new.get_path(std::path::Path::new(&path)) {
                    Ok(entry) if entry.kind() == Some(ObjectType::Blob) => {
                        render(&mut builder, &path, entry.id())?
                    }
                    _ => {
                        if in_base(&path) {
                            builder.remove(&path);
                        }
                    }
                }
            }
        }
        None => {
            let mut blobs = Vec::new();
            new.walk(TreeWalkMode::PreOrder, |dir, entry| {
                if entry.kind() == Some(ObjectType::Blob)
                    && let Ok(name) = entry.name()
                {
                    blobs.push((format!("{dir}{name}"), entry.id()));
                }
                TreeWalkResult::Ok
            })?;
            for (path, blob) in blobs {
                render(&mut builder, &path, blob)?;
            }
        }
    }
    Ok(builder.create_updated(repo, base)?)
}

/// The human lines for one note: an event a line, a status that names
/// its evidence in the same note shown with it, unreadable lines left out.
pub fn render_note(text: &str) -> String {
    let events: Vec<Event> = text
        .lines()
        .filter_map(|l| Event::parse_line(l).ok())
        .collect();
    let shown_with_status: Vec<&str> = events
        .iter()
        .filter(|e| e.kind == Kind::Status)
        .filter_map(|e| e.str_field("evidence"))
        .collect();
    let mut out = String::new();
    for e in &events {
        if e.kind == Kind::Evidence && shown_with_status.contains(&e.id.as_str()) {
            continue;
        }
        let evidence = e
            .str_field("evidence")
            .and_then(|id| events.iter().find(|x| x.id == id));
        out.push_str(&clip(&line(e, evidence)));
        out.push('\n');
    }
    out
}

fn verdict(e: &Event) -> String {
    let result = e.str_field("result").unwrap_or("?");
    match e.fields.get("checks").and_then(|c| c.as_array()) {
        Some(checks) if !checks.is_empty() => {
            let passed = checks.iter().filter(|c| check_passed(c)).count();
            format!("{result} {passed}/{}", checks.len())
        }
        _ => result.to_string(),
    }
}

fn files(e: &Event) -> Option<String> {
    let files = e.list_field("files").filter(|f| !f.is_empty())?;
    let mut s = files.iter().take(2).cloned().collect::<Vec<_>>().join(", ");
    if files.len() > 2 {
        s.push_str(&format!(" +{}", files.len() - 2));
    }
    Some(s)
}

/// `S04 → verified · pass 3/3 · run-004 · Ada Lovelace`
fn line(e: &Event, evidence: Option<&Event>) -> String {
    let mut parts = Vec::new();
    let head = match e.kind {
        Kind::Define if !e.fields.contains_key("prev") => match e.str_field("title") {
            Some(t) => format!("defined \"{t}\""),
            None => "defined".into(),
        },
        Kind::Define => {
            let keys: Vec<&str> = e
                .fields
                .keys()
                .map(String::as_str)
                .filter(|k| *k != "prev")
                .collect();
            format!("edited {}", keys.join(", "))
        }
        Kind::Retire => "retired".into(),
        Kind::Status => format!("→ {}", e.str_field("status").unwrap_or("?")),
        Kind::Evidence => format!("evidence {}", verdict(e)),
        Kind::Ack => "ack: verification stands".into(),
        Kind::Note => "note".into(),
    };
    let step = if e.step.is_empty() {
        "ledger"
    } else {
        e.step.as_str()
    };
    parts.push(format!("{step} {head}"));
    if let Some(ev) = evidence {
        parts.push(verdict(ev));
    }
    if let Some(f) = files(e) {
        parts.push(f);
    }
    if !matches!(e.source.as_str(), "" | "cli") {
        parts.push(e.source.clone());
    }
    if let Some(r) = &e.run {
        parts.push(r.clone());
    }
    let name = e.by.split(" <").next().unwrap_or("").trim();
    if !name.is_empty() {
        parts.push(name.to_string());
    }
    if let Some(m) = e.str_field("msg").and_then(|m| m.lines().next())
        && (matches!(e.kind, Kind::Note | Kind::Retire) || e.source == "cli")
    {
        parts.push(format!("\"{m}\""));
    }
    parts.join(" · ")
}

fn clip(s: &str) -> String {
    if s.chars().count() <= MAX_LINE {
        return s.to_string();
    }
    let mut out: String = s.chars().take(MAX_LINE - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verified_status_shows_with_its_evidence_on_one_short_line() {
        let note = concat!(
            r#"{"v":1,"id":"e1","seq":3,"at":"2026-01-01T12:00:00Z","by":"Ada Lovelace <ada@example.com>","step":"S04","kind":"evidence","run":"run-004","source":"verify","result":"pass","checks":[{"cmd":"a","exit":0},{"cmd":"b","exit":0},{"cmd":"c","exit":0}],"out_tail":""#,
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "\"}\n",
            r#"{"v":1,"id":"s1","seq":4,"at":"2026-01-01T12:00:00Z","by":"Ada Lovelace <ada@example.com>","step":"S04","kind":"status","run":"run-004","source":"verify","status":"verified","evidence":"e1","msg":"3/3 checks passed"}"#,
            "\nnot json\n",
        );
        assert_eq!(
            render_note(note),
            "S04 → verified · pass 3/3 · verify · run-004 · Ada Lovelace\n"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 2000, ..Default::default() })]
        /// A note hand-edited into anything renders without panicking, each line short.
        #[test]
        fn any_note_renders_short_lines(s in "\\PC{0,300}", title in "\\PC{0,300}") {
            let line = format!(r#"{{"v":1,"id":"x","seq":1,"at":"a","by":"{}","step":"S1","kind":"define","title":{}}}"#,
                title.replace(['"', '\\'], ""), serde_json::Value::String(title.clone()));
            for out in [render_note(&s), render_note(&line)] {
                for l in out.lines() {
                    proptest::prop_assert!(l.chars().count() <= MAX_LINE);
                }
            }
        }
    }
}
