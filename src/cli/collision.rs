//! Step ids created twice with different definitions (SPEC 2.5): what
//! `status` warns about and `doctor` reports, with where each definition
//! came from and how to settle it. Never settled silently.

use crate::git::repo::short;
use crate::ledger::fold::Collision;
use git2::{Oid, Repository};
use serde_json::{Value, json};

/// The local branches whose history holds `commit`.
pub fn branches_holding(repo: &Repository, commit: &str) -> Vec<String> {
    let Ok(c) = Oid::from_str(commit) else {
        return Vec::new();
    };
    let Ok(branches) = repo.branches(Some(git2::BranchType::Local)) else {
        return Vec::new();
    };
    let mut out: Vec<String> = branches
        .filter_map(Result::ok)
        .filter_map(|(b, _)| {
            let tip = b.get().peel_to_commit().ok()?.id();
            let holds = tip == c || repo.graph_descendant_of(tip, c).unwrap_or(false);
            holds.then(|| b.name().ok().flatten().map(str::to_string))?
        })
        .collect();
    out.sort();
    out
}

pub fn to_json(repo: &Repository, c: &Collision) -> Value {
    json!({
        "step": c.step,
        "definitions": c.definitions.iter().map(|d| json!({
            "event": d.event, "commit": d.commit, "at": d.at, "by": d.by,
            "title": d.title, "owns": d.owns, "branches": branches_holding(repo, &d.commit),
        })).collect::<Vec<_>>(),
    })
}

/// "S05 is defined twice, on different branches:" and one line per
/// definition, for a warning.
pub fn describe(repo: &Repository, c: &Collision) -> String {
    let mut text = format!(
        "{} is defined {} times, on different branches:",
        c.step,
        c.definitions.len()
    )
    .replacen("2 times", "twice", 1);
    for d in &c.definitions {
        let owns = if d.owns.is_empty() {
            "owns nothing".to_string()
        } else {
            format!("owns {}", d.owns.join(" "))
        };
        let branches = branches_holding(repo, &d.commit);
        let on = if branches.is_empty() {
            String::new()
        } else {
            format!(", branch {}", branches.join(", "))
        };
        text.push_str(&format!(
            "\n  \"{}\" ({owns}), by {} on {}{on}",
            d.title,
            d.by,
            short(&d.commit)
        ));
    }
    text
}

/// How to settle it: keep one definition, give the other its own id.
pub fn hint(c: &Collision) -> String {
    let keep = &c.definitions[0];
    let other = c.definitions.get(1).unwrap_or(keep);
    let owns: String = other
        .owns
        .iter()
        .map(|o| format!(" --owns '{o}'"))
        .collect();
    format!(
        "give one of them its own id: git ledger add {}b \"{}\"{owns}; then settle {}: git ledger edit {} --title \"{}\"",
        c.step, other.title, c.step, c.step, keep.title
    )
}
